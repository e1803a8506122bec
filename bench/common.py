"""Helpers shared by the benchmarks."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    env = os.environ.get("KALAMOS_SHARED_DATA")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if candidate.is_dir():
            return candidate
    raise SystemExit("../shared/data is missing (or set KALAMOS_SHARED_DATA)")


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
