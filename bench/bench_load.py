"""Load on a shared server (issue 15): 20 simulated users, each signed in with an account of their own, for
60 seconds against ``kalamos serve --workers 2`` (gunicorn, 2 processes of 4 threads) on loopback. Each user
loops over what a person does most: load the app's layout, fetch a page's preview image and a line image,
save a line (their own, so that no save conflicts). Latency of every request, p50/p95/max, and errors."""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.common import REPO, shared_data

USERS, SECONDS = 20, 60
#: A person's pause between one round (layout, two images, a save) and the next; 0: as fast as possible,
#: which measures the server's capacity rather than what a person waits (a closed loop: latency = users / rate).
THINK_SECONDS = (2.0, 0.0)
PASSWORD = "a long enough password"


def run() -> dict[str, object]:
    return {f"think {t:g} s": _run(t) for t in THINK_SECONDS}


def _run(think: float) -> dict[str, object]:
    from storage import Store, accounts
    from storage import lines as line_store
    from storage.access import share
    from storage.ingest import ImportLimits, import_paths
    from storage.models import Line

    data = shared_data()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        store = Store(root)
        for i in range(USERS):
            accounts.add_user(store, f"user{i}", PASSWORD, admin=i == 0)
        p = store.create_project("Load")
        d = store.create_document(p.id, "Pages")
        [r] = import_paths(store, p.id, d.id, [sorted((data / "gt4histcomment" / "bsb10234118" / "imgs").glob("*.png"))[0]],
                           ImportLimits())
        pg = r.page_ids[0]
        lines = line_store.add_lines(store, p.id, d.id, pg, [Line("", "box", [[40, 40 + 45 * i], [900, 40 + 45 * i],
                                                                              [900, 80 + 45 * i], [40, 80 + 45 * i]])
                                                             for i in range(USERS)])
        for i in range(1, USERS):
            share(store, p.id, f"user{i}", "editor")
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        log = open(Path(tmp) / "server.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "cli", "--data-dir", str(root), "serve", "--workers", "2", "--port",
                                 str(port)], cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "KALAMOS_POLL_SECONDS": "3600"})
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    urllib.request.urlopen(url + "/health", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.3)
            times: dict[str, list[float]] = {"layout": [], "preview image": [], "line image": [], "save a line": []}
            errors: list[str] = []
            lock = threading.Lock()
            stop_at = time.monotonic() + SECONDS

            def user(i: int) -> None:
                jar = http.cookiejar.CookieJar()
                opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
                opener.open(urllib.request.Request(url + "/login?next=/", data=f"username=user{i}&password={PASSWORD}".encode(),
                                                   method="POST"), timeout=30).read()
                line = lines[i]
                rev, n = line.rev, 0
                while time.monotonic() < stop_at:
                    n += 1
                    for what, req in (
                        ("layout", urllib.request.Request(url + "/_dash-layout")),
                        ("preview image", urllib.request.Request(f"{url}/files/{p.id}/{d.id}/{pg}/preview/base-1600.jpg")),
                        ("line image", urllib.request.Request(f"{url}/files/{p.id}/{d.id}/{pg}/line/{line.id}.png?rev={rev}")),
                        ("save a line", urllib.request.Request(f"{url}/api/lines/{p.id}/{d.id}/{pg}/{line.id}",
                                                               json.dumps({"text": f"user {i} save {n}", "rev": rev,
                                                                           "editor": f"e-user{i:04d}x"}).encode(),
                                                               {"Content-Type": "application/json"}, method="POST")),
                    ):
                        t0 = time.perf_counter()
                        try:
                            body = opener.open(req, timeout=30).read()
                            if what == "save a line":
                                answer = json.loads(body)
                                if answer.get("status") != "saved":
                                    raise ValueError(answer)
                                rev = answer["line"]["rev"]
                        except (OSError, ValueError, urllib.error.URLError) as exc:
                            with lock:
                                errors.append(f"{what}: {exc}"[:200])
                            continue
                        with lock:
                            times[what].append((time.perf_counter() - t0) * 1000)
                    time.sleep(think)

            threads = [threading.Thread(target=user, args=(i,)) for i in range(USERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
            log.close()
    every = sorted(x for v in times.values() for x in v)

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else 0.0

    return {"users": USERS, "seconds": SECONDS, "server": "kalamos serve --workers 2 (gunicorn, 4 threads each)",
            "requests": len(every), "errors": len(errors), "first errors": errors[:3],
            "all requests ms p50 / p95 / max": [pct(every, 0.5), pct(every, 0.95), round(max(every), 1) if every else 0],
            "per request ms p50 / p95": {k: [pct(v, 0.5), pct(v, 0.95)] for k, v in times.items()},
            "requests per second": round(len(every) / SECONDS, 1),
            "median ms": round(statistics.median(every), 1) if every else 0}
