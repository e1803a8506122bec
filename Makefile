# Kalamos: `make run` and `make test` do all the set-up on a fresh Debian 12 machine (as root).
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 8050
PYTEST_ARGS ?=
# tests run in this many processes (pytest-xdist): most wait on Tesseract, a browser or a server
TEST_WORKERS ?= 2

# Debian packages: the OCR engine with the Greek/Latin models and the training tools, Greek fonts.
DEBS_RUN  := tesseract-ocr tesseract-ocr-grc tesseract-ocr-ell tesseract-ocr-script-grek tesseract-ocr-lat \
             tesseract-ocr-eng tesseract-ocr-deu fonts-gfs-didot fonts-gfs-porson fonts-dejavu-core
# ... and for the browser tests: Debian's Chromium and its driver (no browser download is possible).
DEBS_TEST := chromium chromium-driver redis-server

# Installs the Debian packages that are missing (as root), or prints the exact line to run.
define ensure_debs
@missing=""; \
if ! $(PYTHON) -c "import ensurepip, venv" 2>/dev/null; then missing="python3-venv python3-pip"; fi; \
if ! command -v dpkg-query >/dev/null 2>&1; then \
  command -v tesseract >/dev/null || { echo "Tesseract is missing: see README, 'Other systems'."; exit 1; }; \
  echo "Not a Debian system: skipping the Debian packages (see README, 'Other systems')."; exit 0; fi; \
for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ]; then \
    echo "Installing Debian packages:$$missing"; \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
  else \
    echo "Kalamos needs Debian packages that are not installed. Run this once, then 'make $@' again:"; \
    echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends$$missing"; \
    exit 1; \
  fi; \
fi
endef

.PHONY: run test screenshots debs debs-test venv venv-test bench clean-venv help

help:
	@echo "make run    install what is missing, then serve Kalamos on http://$(HOST):$(PORT) (data in ./data)"
	@echo "make test   install what is missing (with Chromium), then run the whole test suite"
	@echo "make bench  run the benchmarks and print their figures (see BENCHMARKS.md)"
	@echo "make screenshots  run the browser tests and write the README's pictures (docs/img)"

debs:
	$(call ensure_debs,$(DEBS_RUN))

debs-test:
	$(call ensure_debs,$(DEBS_RUN) $(DEBS_TEST))

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -e '.[server]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -e '.[server,test]'
	@touch $@ $(VENV)/.installed-run

venv: $(VENV)/.installed-run
venv-test: $(VENV)/.installed-test

run: debs venv
	$(VENV)/bin/kalamos serve --host $(HOST) --port $(PORT)

test: debs-test venv-test
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

screenshots: debs-test venv-test
	KALAMOS_SCREENSHOTS=1 $(VENV)/bin/python -m pytest -m browser $(PYTEST_ARGS)

bench: debs venv-test
	$(VENV)/bin/python -m bench

clean-venv:
	rm -rf $(VENV)
