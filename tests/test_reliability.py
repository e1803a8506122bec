"""Nothing acknowledged is lost: a server killed with SIGKILL while a client saves lines in a loop, and two
clients editing one document 500 times through the HTTP endpoints (conflicting edits of one line refused,
never silently overwritten). Real servers started by the test, stopped by their process group."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import Server
from storage import Store
from storage import lines as line_store
from storage.ingest import ImportLimits, import_paths
from storage.models import Line


def _page(store: Store, commentary_pages: list[Path], n: int = 6):  # type: ignore[no-untyped-def]
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    [r] = import_paths(store, p.id, d.id, [commentary_pages[0]], ImportLimits())
    pg = r.page_ids[0]
    lines = line_store.add_lines(store, p.id, d.id, pg, [Line("", "box", [[10, 10 + 40 * i], [400, 10 + 40 * i],
                                                                          [400, 40 + 40 * i], [10, 40 + 40 * i]])
                                                         for i in range(n)])
    return p.id, d.id, pg, lines


def _save(url: str, text: str, rev: int, editor: str) -> dict:  # type: ignore[type-arg]
    body = json.dumps({"text": text, "rev": rev, "editor": editor}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as answer:
        return json.loads(answer.read())


def test_sigkill_of_the_server_while_saving_loses_nothing_acknowledged(tmp_path: Path, commentary_pages: list[Path]) -> None:
    store = Store(tmp_path / "data")
    p, d, pg, [line, *_] = _page(store, commentary_pages)
    server = Server(tmp_path / "data", {"KALAMOS_POLL_SECONDS": "3600"})
    url = f"{server.url}/api/lines/{p}/{d}/{pg}/{line.id}"
    acknowledged: list[tuple[int, str]] = []
    rev = line.rev

    def client() -> None:
        nonlocal rev
        n = 0
        while True:
            n += 1
            text = f"save {n} " + "λόγος " * (n % 7)
            try:
                out = _save(url, text, rev, "e-client1")
            except (OSError, urllib.error.URLError):
                return  # the server is gone
            assert out["status"] == "saved", out
            rev = out["line"]["rev"]
            acknowledged.append((rev, out["line"]["text"]))

    thread = threading.Thread(target=client)
    thread.start()
    while len(acknowledged) < 50:
        time.sleep(0.01)
    os.killpg(server.proc.pid, signal.SIGKILL)
    thread.join(30)
    server.stop()
    last_rev, last_text = acknowledged[-1]
    [now] = [ln for ln in line_store.list_lines(store, p, d, pg) if ln.id == line.id]
    assert now.rev >= last_rev and (now.rev > last_rev or now.text == last_text)  # at most one save unacknowledged
    for path in (tmp_path / "data").rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # every record parses
    again = Server(tmp_path / "data", {"KALAMOS_POLL_SECONDS": "3600"})
    try:
        out = _save(url.replace(server.url, again.url), "after the restart", now.rev, "e-client1")
        assert out["status"] == "saved" and out["line"]["rev"] == now.rev + 1
    finally:
        again.stop()


def test_two_clients_editing_one_document_500_times(tmp_path: Path, commentary_pages: list[Path]) -> None:
    store = Store(tmp_path / "data")
    p, d, pg, lines = _page(store, commentary_pages)
    server = Server(tmp_path / "data", {"KALAMOS_POLL_SECONDS": "3600"})
    base = f"{server.url}/api/lines/{p}/{d}/{pg}/"
    acknowledged: list[tuple[str, int, str]] = []  # (line, rev, text) of every save the server said it kept
    conflicts = [0, 0]
    lock = threading.Lock()

    def client(k: int) -> None:
        rnd = random.Random(k)
        known = {ln.id: ln.rev for ln in lines}  # what this client last saw of each line
        for n in range(250):
            line_id = rnd.choice([ln.id for ln in lines[:3]])  # three lines both edit: conflicts happen
            text = f"client {k} edit {n}"
            out = _save(base + line_id, text, known[line_id], f"e-client{k}")
            if out["status"] == "saved":
                known[line_id] = out["line"]["rev"]
                with lock:
                    acknowledged.append((line_id, out["line"]["rev"], out["line"]["text"]))
            else:
                assert out["status"] == "conflict" and out["theirs"]["rev"] > known[line_id], out
                known[line_id] = out["theirs"]["rev"]  # the person sees the other version, then goes on
                conflicts[k] += 1

    try:
        threads = [threading.Thread(target=client, args=(k,)) for k in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    finally:
        server.stop()
    assert len(acknowledged) + sum(conflicts) == 500 and sum(conflicts) > 0
    final = {ln.id: ln for ln in line_store.list_lines(store, p, d, pg)}
    for line_id in {a[0] for a in acknowledged}:
        saves = sorted((rev, text) for lid, rev, text in acknowledged if lid == line_id)
        revs = [rev for rev, _ in saves]
        assert revs == list(range(revs[0], revs[0] + len(revs))), "a revision was given twice or skipped"
        assert final[line_id].rev == revs[-1] and final[line_id].text == saves[-1][1]  # the last kept save is there


def test_sigkill_of_a_worker_process_while_saving_loses_nothing_acknowledged(tmp_path: Path,
                                                                             commentary_pages: list[Path]) -> None:
    """``kalamos serve --workers 2``: one gunicorn worker killed with SIGKILL while a client saves in a loop;
    gunicorn starts another, the client goes on (a save that got no answer is sent again from the line as it
    is on disk), and every acknowledged save is there."""
    import subprocess
    import sys

    from conftest import REPO, _free_port

    store = Store(tmp_path / "data")
    p, d, pg, [line, *_] = _page(store, commentary_pages)
    port = _free_port()
    log = open(tmp_path / "gunicorn.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "cli", "--data-dir", str(tmp_path / "data"), "serve", "--workers", "2",
                             "--port", str(port)], cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api/lines/{p}/{d}/{pg}/{line.id}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        rev, acknowledged, lost = line.rev, [], 0
        killed = False
        for n in range(1, 121):
            if n == 40:
                workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
                os.kill(int(workers[0]), signal.SIGKILL)
                killed = True
            try:
                out = _save(url, f"save {n}", rev, "e-client1")
            except (OSError, urllib.error.URLError):
                lost += 1  # no answer: not acknowledged; go on from the line as it is now
                rev = [ln for ln in line_store.list_lines(store, p, d, pg) if ln.id == line.id][0].rev
                continue
            assert out["status"] == "saved", out
            rev = out["line"]["rev"]
            acknowledged.append((rev, out["line"]["text"]))
        assert killed and len(acknowledged) >= 110, (len(acknowledged), lost)
        [now] = [ln for ln in line_store.list_lines(store, p, d, pg) if ln.id == line.id]
        assert (now.rev, now.text) == acknowledged[-1]
        versions = {v.rev: v.text for v in line_store.line_versions(store, p, d, pg, line.id)}
        assert all(versions.get(r) == t for r, t in acknowledged[-20:])  # the last 20 saves, each as acknowledged
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        log.close()
