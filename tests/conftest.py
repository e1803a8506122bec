"""Shared fixtures: the shared test data, a real Kalamos server in a subprocess, a real Chromium."""

from __future__ import annotations

import os
import shutil
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
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "KALAMOS_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
        self.log = open(data_dir.parent / f"server-{self.port}.log", "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(self.port)],
                                     cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
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
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

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
    tab.set_default_timeout(20_000)
    yield tab
    context.close()


def eventually(get, ok, seconds: float = 15):  # type: ignore[no-untyped-def]
    """Poll ``get()`` until ``ok(value)`` holds (the store is written by callbacks the page does not wait for)."""
    deadline = time.time() + seconds
    while True:
        value = get()
        if ok(value) or time.time() > deadline:
            assert ok(value), value
            return value
        time.sleep(0.2)
