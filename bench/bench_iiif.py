"""Issue 17: importing a 50-canvas IIIF manifest from a local IIIF server (``tests/iiifserver.py``; no
internet), by ``kalamos import --iiif`` as a user runs it:

- the whole import, full size (2000×2800 JPEG pages), with the server answering at once and with
  0.3 s of latency per image (what a library's server adds), 3 images at a time;
- an import killed (SIGKILL to its process group) when about half the pages are in, then started
  again: its time, and whether every canvas is there once, in order.

``python -m bench iiif``
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REPO
from storage import Store

N = 50


def _cli(data: Path, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "cli", "--data-dir", str(data), "import", "--project", "P",
                             "--document", "Codex", "--iiif", url], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _pages(data: Path) -> list[str]:
    store = Store(data)
    docs = [(p.id, d.id) for p in store.list_projects() for d in store.list_documents(p.id)]
    return [pg.iiif["canvas"] for pg in store.list_pages(*docs[0])] if docs else []


def run() -> dict[str, Any]:
    sys.path.insert(0, str(REPO))
    from tests.iiifserver import IIIFServer

    out: dict[str, Any] = {}
    with IIIFServer(n=N, width=2000, height=2800) as srv, tempfile.TemporaryDirectory() as tmp:
        expected = [f"{srv.base}/canvas/{srv.canvas_id(i)}" for i in range(1, N + 1)]
        for latency in (0.0, 0.3):
            srv.delay_s = latency
            data = Path(tmp) / f"whole-{latency}"
            started = time.perf_counter()
            proc = _cli(data, srv.url(3))
            proc.wait(900)
            seconds = time.perf_counter() - started
            got = _pages(data)
            out[f"whole import, {latency:.1f} s latency per image"] = {
                "seconds": round(seconds, 1), "per canvas (s)": round(seconds / N, 2), "pages": len(got),
                "all once, in order": got == expected, "most images fetched at once": srv.most_at_once}
        srv.delay_s = 0.3
        data = Path(tmp) / "killed"
        proc = _cli(data, srv.url(3))
        started = time.perf_counter()
        while len(_pages(data)) < N // 2 and time.perf_counter() - started < 600:
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        before = len(_pages(data))
        started = time.perf_counter()
        again = _cli(data, srv.url(3))
        again.wait(900)
        got = _pages(data)
        out["killed midway, then run again (0.3 s latency)"] = {
            "pages when killed": before, "second run (s)": round(time.perf_counter() - started, 1),
            "pages after": len(got), "duplicates": len(got) - len(set(got)),
            "missing": len(set(expected) - set(got)), "in order": got == expected}
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1, ensure_ascii=False))
