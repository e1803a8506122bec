"""Shared fixtures: the shared test data, a real Kalamos server in a subprocess, a real Chromium."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RESOURCES = Path(__file__).resolve().parent / "resources"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]


def _shared_data() -> Path:
    env = os.environ.get("KALAMOS_SHARED_DATA")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data", REPO.parent.parent / "shared" / "data"]:
        if candidate.is_dir():
            return candidate
    raise RuntimeError("../shared/data is missing: the tests need it beside the repository (or KALAMOS_SHARED_DATA)")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return _shared_data()


@pytest.fixture(scope="session")
def commentary_pages(shared_data: Path) -> list[Path]:
    """Two real page images of a 19th-century commentary."""
    pages = sorted((shared_data / "gt4histcomment" / "bsb10234118" / "imgs").glob("*.png"))
    assert len(pages) >= 2
    return pages[:2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "KALAMOS_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **(extra_env or {})}
        self.log = open(data_dir.parent / f"server-{self.port}.log", "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(self.port)],
                                     cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {Path(self.log.name).read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("server did not start in 60 s")

    def stop(self) -> None:
        """Stop the server and what it started (background-job processes, their lstmtraining)."""
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        stop_trainings(self.data_dir)
        self.log.close()


def stop_trainings(data_dir: Path) -> None:
    """Stop the lstmtraining processes of a data directory's jobs (each has its own session and
    writes its process id into its job folder), by their process group."""
    for pid_file in data_dir.glob("projects/*/training/*/lstmtraining.pid"):
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError, OSError):
            os.killpg(int(pid_file.read_text().strip()), signal.SIGKILL)


class GunicornServer:
    """Kalamos served as on a lab server: gunicorn, ``-w 1 --threads 4`` (stopped by its process group)."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None, workers: int = 1) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "KALAMOS_DATA_DIR": str(data_dir), **(extra_env or {})}
        self.log = open(data_dir.parent / f"gunicorn-{self.port}.log", "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", "4", "-b",
                                      f"127.0.0.1:{self.port}", "--timeout", "60", "app:server"], cwd=REPO, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {Path(self.log.name).read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start in 60 s")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[GunicornServer]:
    srv = GunicornServer(tmp_path / "data")
    yield srv
    srv.stop()


@pytest.fixture
def server_env() -> dict[str, str]:
    """Extra environment of the test's server (a test overrides this fixture to configure it)."""
    return {}


@pytest.fixture
def server(tmp_path: Path, server_env: dict[str, str]) -> Iterator[Server]:
    srv = Server(tmp_path / "data", server_env)
    yield srv
    srv.stop()


GRC = Path("/usr/share/tesseract-ocr/5/tessdata/grc.traineddata")


class _ModelHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder, plus ``/cut.traineddata``: an answer that announces more bytes than it sends."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path.endswith("/cut.traineddata"):
            data = GRC.read_bytes()[:1000]
            self.send_response(200)
            self.send_header("Content-Length", str(len(data) * 5))
            self.end_headers()
            self.wfile.write(data)
            return
        super().do_GET()


@pytest.fixture(scope="session")
def model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local HTTP server holding ``grc.traineddata`` and ``junk.traineddata`` (never the internet)."""
    root = tmp_path_factory.mktemp("www")
    (root / "grc.traineddata").write_bytes(GRC.read_bytes())
    (root / "junk.traineddata").write_bytes(b"<html>not a model</html>")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_ModelHandler, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


#: How long a browser assertion waits for its condition (Playwright's default is 5 s): a loaded
#: 2-core machine answers slowly, and an assertion waits for the real condition, never a fixed time.
BROWSER_WAIT_MS = 30_000


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_WAIT_MS)

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server: Server):  # type: ignore[no-untyped-def]
    """A fresh browser tab on the server; every request it makes is recorded in ``page.requests_seen``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    seen: list[str] = []
    tab.on("request", lambda req: seen.append(req.url))
    tab.requests_seen = seen  # type: ignore[attr-defined]
    tab.set_default_timeout(BROWSER_WAIT_MS)
    yield tab
    context.close()


DOCS_IMG = REPO / "docs" / "img"


def readme_screenshot(page, name: str, **kw) -> None:  # type: ignore[no-untyped-def]
    """Write ``docs/img/<name>`` for the README, only when asked (``make screenshots`` sets
    KALAMOS_SCREENSHOTS=1): ``make test`` leaves the checkout as it found it."""
    if os.environ.get("KALAMOS_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / name), **kw)


def eventually(get, ok, seconds: float = 15):  # type: ignore[no-untyped-def]
    """Poll ``get()`` until ``ok(value)`` holds (the store is written by callbacks the page does not wait for)."""
    deadline = time.time() + seconds
    while True:
        value = get()
        if ok(value) or time.time() > deadline:
            assert ok(value), value
            return value
        time.sleep(0.2)


def page_with_lines(tmp_path: Path, shared_data: Path, lines: list, data_dir: Path | None = None) -> tuple:  # type: ignore[type-arg]
    """A store (in ``data_dir``, else ``tmp_path/data``) with one project, one document and one synthetic
    polytonic page (gazis) holding ``lines``: (store, its ``PageRef``)."""
    from services import DocumentRef, PageRef, documents
    from storage import Store
    from storage import lines as line_store
    from storage.ingest import ImportLimits

    store = Store(data_dir or tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    src = sorted((shared_data / "gazis-pages").glob("*.jpg"))[0]
    shutil.copy(src, tmp_path / src.name)
    [result] = documents.import_files(store, DocumentRef(p.id, d.id), [tmp_path / src.name], ImportLimits())
    ref = PageRef(p.id, d.id, result.page_ids[0])
    line_store.add_lines(store, *ref, lines)
    return store, ref


def commentary_page(store, shared_data: Path, tmp_path: Path, dataset: str, page: str, document: str,  # type: ignore[no-untyped-def]
                    status: str = "verified") -> tuple:  # type: ignore[type-arg]
    """A project "Ajax" with one page of a GT4HistComment commentary and its ground-truth lines
    (imported with ``status``): (project, document, page id, the page's TSV rows)."""
    from storage.groundtruth import import_gt
    from storage.ingest import ImportLimits, import_paths

    base = shared_data / "gt4histcomment" / dataset
    p = store.create_project("Ajax")
    d = store.create_document(p.id, document)
    [r] = import_paths(store, p.id, d.id, [base / "imgs" / f"{page}.png"], ImportLimits())
    rows = [ln for ln in (base / f"{dataset}_training.tsv").read_text(encoding="utf-8").splitlines() if page in ln]
    (tmp_path / "lines.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_gt(store, p.id, d.id, [tmp_path / "lines.tsv"], status=status)
    return p, d, r.page_ids[0], rows


def apply_operations(value, change):  # type: ignore[no-untyped-def]
    """What assets/annotate.js does with the operations of ``layout.patching`` (``applyOperation``)."""
    import copy

    from dash import no_update

    if change is no_update or not change:
        return value
    value = copy.deepcopy(value)
    for op in change["ops"]:
        kind, path = op[0], op[1]
        node = value
        for key in (path if kind == "splice" else path[:-1]):
            node = node[key]
        if kind == "assign":
            node[path[-1]] = op[2]
        elif kind == "delete":
            del node[path[-1]]
        else:
            node[op[2]:op[2] + op[3]] = op[4]
    return value
