"""Helpers shared by the benchmarks."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    env = os.environ.get("KALAMOS_SHARED_DATA")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if candidate.is_dir():
            return candidate
    raise SystemExit("../shared/data is missing (or set KALAMOS_SHARED_DATA)")


def bsb_split(data: Path, root: Path, to_test, keep=lambda text: True) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    """The verified lines of the commentary ``bsb10234118`` cut as tesstrain folders ``root/train`` and
    ``root/test``: a line goes to test when ``to_test(its page, the sorted pages)``, and only lines
    whose text ``keep`` accepts go anywhere."""
    import shutil

    from storage import Store
    from storage.groundtruth import export_tesstrain, import_gt

    store = Store(root / "data")
    p = store.create_project("bsb")
    d = store.create_document(p.id, "bsb10234118")
    import_gt(store, p.id, d.id, [data / "gt4histcomment" / "bsb10234118" / "bsb10234118_training.tsv"])
    export_tesstrain(store, p.id, [d.id], root / "all")
    pages = sorted({f.name.split("_l")[0] for f in (root / "all").glob("*.png")})
    train, test = root / "train", root / "test"
    for folder in (train, test):
        folder.mkdir()
    for f in sorted((root / "all").glob("*.png")):
        gt = f.with_suffix("").with_suffix(".gt.txt")
        if keep(gt.read_text(encoding="utf-8")):
            dest = test if to_test(f.name.split("_l")[0], pages) else train
            shutil.move(str(f), str(dest / f.name))
            shutil.move(str(gt), str(dest / gt.name))
    return train, test


class Server:
    """A real Kalamos server (``kalamos serve``) on a free port, stopped by its process group."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        import signal
        import socket
        import subprocess
        import sys
        import time
        import urllib.request

        self._signal = signal
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "KALAMOS_DATA_DIR": str(data_dir), **(extra_env or {})}
        self.log = open(data_dir.parent / "server.log", "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(self.port)], cwd=REPO, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, self._signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, OSError):
            pass
        self.log.close()


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


@contextlib.contextmanager
def chromium_page(data_dir: Path, width: int, height: int = 1000) -> Iterator[tuple[Server, Any]]:
    """A real Kalamos server on ``data_dir`` (its poll for others' changes set aside: it is not what
    a bench measures) and a page of Debian's Chromium; both stopped afterwards."""
    from playwright.sync_api import sync_playwright

    server = Server(data_dir, {"KALAMOS_POLL_SECONDS": "3600"})
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
            try:
                yield server, browser.new_page(viewport={"width": width, "height": height})
            finally:
                browser.close()
    finally:
        server.stop()
