"""Accounts and roles on a shared server: sign-in on every route (enumerated from Flask's URL map, so a new
route cannot slip by), hashed passwords, slowed guessing, cookies, projects private to their owner, and a
viewer whose hand-made requests change nothing on disk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from callbacks.auth import OPEN_PATHS
from config import Config
from services import projects
from services.projects import Actor, Forbidden
from storage import InvalidInput, Store, accounts
from storage import lines as line_store
from storage.models import Line
from tests.test_routes_cli import REPO, run_cli

PASSWORD = "correct horse battery"


def _client(data: Path):  # type: ignore[no-untyped-def]
    app = create_app(Config(data_dir=data))
    return app, app.server.test_client()


def _sign_in(client, name: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/login?next=/", data={"username": name, "password": password})


# ------------------------------------------------------------------ the accounts themselves
def test_users_are_hashed_checked_and_guessing_is_slowed(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    assert not accounts.accounts_on(store)
    accounts.add_user(store, "ada", PASSWORD, admin=True)
    raw = (tmp_path / "data" / "users.json").read_text()
    assert PASSWORD not in raw and "scrypt" in raw and accounts.accounts_on(store)
    assert accounts.verify(store, "ada", PASSWORD) and not accounts.verify(store, "ada", "wrong password!")
    assert accounts.verify(store, "nobody", PASSWORD) is None
    with pytest.raises(InvalidInput, match="at least"):
        accounts.add_user(store, "bob", "short")
    with pytest.raises(InvalidInput, match="not valid"):
        accounts.add_user(store, "../x", PASSWORD)
    with pytest.raises(InvalidInput, match="only administrator"):
        accounts.add_user(store, "bob", PASSWORD)
        accounts.delete_user(store, "ada")
    for i in range(accounts.FREE_FAILURES):
        assert accounts.sign_in_wait(store, "ada", "10.0.0.1", now=1000.0 + i) == 0
        accounts.record_failure(store, "ada", "10.0.0.1", now=1000.0 + i)
    assert accounts.sign_in_wait(store, "ada", "10.0.0.9", now=1005.0) > 0  # per account, whatever the address
    assert accounts.sign_in_wait(store, "bob", "10.0.0.1", now=1005.0) == 0  # a colleague behind the same proxy
    for i in range(accounts.FREE_FAILURES_ADDRESS):
        accounts.record_failure(store, f"guess{i}", "10.0.0.7", now=1000.0 + i / 100)
    assert accounts.sign_in_wait(store, "bob", "10.0.0.7", now=1001.0) > 0  # one address guessing many accounts
    assert accounts.sign_in_wait(store, "bob", "10.0.0.2", now=1001.0) == 0


def test_users_cli_and_serve_refusing_an_open_network_address(tmp_path: Path) -> None:
    data = tmp_path / "data"
    r = subprocess.run([sys.executable, "-m", "cli", "--data-dir", str(data), "serve", "--host", "0.0.0.0", "--port", "1"],
                       cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "users add NAME --admin" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "cli", "--data-dir", str(data), "users", "add", "ada", "--admin"],
                       cwd=REPO, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "cli", "--data-dir", str(data), "users", "add", "bob"],
                       cwd=REPO, input="short\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "at least" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("users", "list", data_dir=data)
    assert "ada" in r.stdout and "admin" in r.stdout
    assert accounts.verify(Store(data), "ada", PASSWORD)
    r = run_cli("share", "--project", "Nope", "--user", "ada", "--role", "viewer", data_dir=data)
    assert r.returncode == 2 and "No project named" in r.stderr


# ------------------------------------------------------------------ sign-in on every route
def _urls(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every route of the server, with made-up but well-formed ids, and its method."""
    fill = {"project_id": "p-000000000000", "document_id": "d-000000000000", "page_id": "pg-000000000000",
            "line_id": "ln-000000000000", "job_id": "j-000000000000", "name": "x.png", "fmt": "txt", "path": "x",
            "filename": "kalamos.css", "package_name": "dash", "fingerprinted_path": "dash.js"}
    out = []
    for rule in app.server.url_map.iter_rules():
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", fill.get(arg, "x")).replace(f"<path:{arg}>", fill.get(arg, "x"))
            url = url.replace(f"<string:{arg}>", fill.get(arg, "x"))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, url))
    return out


def test_with_accounts_on_every_route_wants_a_session(tmp_path: Path) -> None:
    data = tmp_path / "data"
    accounts.add_user(Store(data), "ada", PASSWORD)
    app, client = _client(data)
    checked = 0
    for method, url in _urls(app):
        if url in OPEN_PATHS:
            continue
        answer = client.open(url, method=method, headers={"Accept": "application/json"})
        assert answer.status_code == 401, (method, url, answer.status_code)
        checked += 1
    assert checked >= 20
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert client.get("/health").get_json() == {"status": "ok"}
    assert b'name="username"' in client.get("/login").data and b'name="password"' in client.get("/login").data


def test_sign_in_cookie_sign_out_and_a_changed_password(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store(data)
    accounts.add_user(store, "ada", PASSWORD)
    _, client = _client(data)
    wrong = _sign_in(client, "ada", "not the password")
    assert wrong.status_code == 401 and b"Wrong user name or password" in wrong.data
    ok = _sign_in(client, "ada")
    assert ok.status_code == 303 and ok.headers["Location"] == "/"
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "ada" in layout and "Sign out" in layout
    accounts.set_password(store, "ada", "another long password")
    assert client.get("/_dash-layout").status_code == 401  # every session of the account has ended
    assert _sign_in(client, "ada", "another long password").status_code == 303
    client.get("/logout")
    assert client.get("/_dash-layout").status_code == 401
    assert _sign_in(client, "ada", "x" * 12, ).status_code == 401
    evil = client.post("/login?next=/", data={"username": "ada", "password": "another long password"},
                       headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403  # a sign-in from another site's page
    assert _sign_in(client, "ada", "another long password").headers["Location"] == "/"
    assert client.post("/login?next=//evil.example/x", data={"username": "ada", "password": "another long password"}
                       ).headers["Location"] == "/"  # no open redirect


def test_guessing_is_refused_even_with_the_right_password(tmp_path: Path) -> None:
    data = tmp_path / "data"
    accounts.add_user(Store(data), "ada", PASSWORD)
    _, client = _client(data)
    for _ in range(accounts.FREE_FAILURES + 1):
        _sign_in(client, "ada", "guess guess guess")
    answer = _sign_in(client, "ada")
    assert answer.status_code == 429 and b"wait" in answer.data


def test_without_accounts_the_app_opens_straight(tmp_path: Path) -> None:
    _, client = _client(tmp_path / "data")
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    assert client.get("/login").status_code == 302


# ------------------------------------------------------------------ roles
@pytest.fixture()
def lab(tmp_path: Path, commentary_pages: list[Path]):  # type: ignore[no-untyped-def]
    """ada owns a project with one page and a line; bob is her editor, cleo her viewer; dan has his own."""
    data = tmp_path / "data"
    store = Store(data)
    for name in ("ada", "bob", "cleo", "dan"):
        accounts.add_user(store, name, PASSWORD)
    p = projects.create_project(store, Actor("ada"), "Ada's codex")
    d = store.create_document(p.id, "fols")
    from services import DocumentRef, documents

    [r] = documents.import_files(store, DocumentRef(p.id, d.id), [commentary_pages[0]], Config().import_limits())
    [line] = line_store.add_lines(store, p.id, d.id, r.page_ids[0], [Line("", "box", [[0, 0], [100, 0], [100, 30], [0, 30]],
                                                                        text="λόγος", status="machine")])
    projects.share(store, Actor("ada"), p.id, "bob", "editor")
    projects.share(store, Actor("ada"), p.id, "cleo", "viewer")
    own = projects.create_project(store, Actor("dan"), "Dan's own")
    return data, store, p, d, r.page_ids[0], line, own


def test_the_use_cases_check_roles(lab) -> None:  # type: ignore[no-untyped-def]
    data, store, p, d, page, line, own = lab
    assert [x.name for x in projects.projects(store, Actor("dan"))] == ["Dan's own"]
    assert {x.name for x in projects.projects(store, Actor("cleo"))} == {"Ada's codex"}
    assert {x.name for x in projects.projects(store, Actor("root", admin=True))} == {"Ada's codex", "Dan's own"}
    with pytest.raises(Forbidden):
        projects.delete_project(store, Actor("bob"), p.id)  # an editor does not delete the project
    with pytest.raises(Forbidden):
        projects.create_document(store, Actor("cleo"), p.id, "more")
    with pytest.raises(Forbidden, match="not shared with you"):
        projects.documents(store, Actor("dan"), p.id)
    with pytest.raises(Forbidden):
        projects.share(store, Actor("bob"), p.id, "dan", "editor")
    assert projects.create_document(store, Actor("bob"), p.id, "more").name == "more"


def _dash(client, app, output_part: str, inputs: list, state: list):  # type: ignore[no-untyped-def]
    [key] = [k for k in app.callback_map if output_part in k]
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]} for o in key.strip(".").split("...")]
    body = {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs, "state": state,
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
    return client.post("/_dash-update-component", json=body)


def test_a_viewer_replaying_an_editors_request_changes_nothing(lab) -> None:  # type: ignore[no-untyped-def]
    data, store, p, d, page, line, own = lab
    app, editor = _client(data)
    _sign_in(editor, "bob")
    selection = [{"id": "shell-selection", "property": "data", "value": {"project": p.id, "document": d.id}}]
    material = [{"id": "train-material", "property": "value", "value": "manuscript"}]
    assert _dash(editor, app, "train-minutes.value", material, selection).status_code == 200
    assert store.get_project(p.id).settings["material"] == "manuscript"
    _, viewer = _client(data)
    _sign_in(viewer, "cleo")
    store.update_project(p.id, lambda pr: pr.settings.__setitem__("material", "print"))
    answer = _dash(viewer, app, "train-minutes.value", material, selection)
    assert answer.status_code == 403 and "viewer" in answer.get_json()["message"]
    assert store.get_project(p.id).settings["material"] == "print"  # nothing written
    save = viewer.post(f"/api/lines/{p.id}/{d.id}/{page}/{line.id}", json={"text": "λόγοι", "rev": line.rev})
    assert save.status_code == 403 and line_store.list_lines(store, p.id, d.id, page)[0].text == "λόγος"
    assert viewer.get(f"/files/{p.id}/{d.id}/{page}/thumb.jpg").status_code == 200  # but sees
    assert viewer.get(f"/transcript/{p.id}/{d.id}/txt").status_code == 200  # and exports
    ok = editor.post(f"/api/lines/{p.id}/{d.id}/{page}/{line.id}", json={"text": "λόγοι", "rev": line.rev})
    assert ok.status_code == 200 and ok.get_json()["status"] == "saved"
    from services import PageRef, editing

    assert editing.history(store, PageRef(p.id, d.id, page), line.id)[0].who == "bob"  # who changed it, kept


def test_another_users_private_project_is_invisible(lab) -> None:  # type: ignore[no-untyped-def]
    data, store, p, d, page, line, own = lab
    app, dan = _client(data)
    _sign_in(dan, "dan")
    listed = _dash(dan, app, "shell-project-select.options", [{"id": "shell-catalog-rev", "property": "data", "value": 0}],
                   [{"id": "shell-selection", "property": "data", "value": {"project": p.id, "document": d.id}}])
    assert listed.status_code == 200
    text = listed.get_data(as_text=True)
    assert "Dan's own" in text and "Ada" not in text and p.id not in text
    for url in (f"/files/{p.id}/{d.id}/{page}/thumb.jpg", f"/files/{p.id}/{d.id}/{page}/image",
                f"/transcript/{p.id}/{d.id}/txt", f"/export/{p.id}/{d.id}/page.zip", f"/export/{p.id}/all/alto.zip"):
        answer = dan.get(url)
        assert answer.status_code == 403 and "not shared with you" in answer.get_json()["message"], url
    docs = _dash(dan, app, "shell-document-select.options", [{"id": "shell-project-select", "property": "value",
                                                              "value": p.id},
                                                             {"id": "shell-catalog-rev", "property": "data", "value": 0}],
                 [{"id": "shell-selection", "property": "data", "value": {"project": p.id, "document": d.id}}])
    assert docs.status_code == 200 and "fols" not in docs.get_data(as_text=True)
    pending = {"action": "delete-project", "project": p.id}
    gone = _dash(dan, app, "shell-notice.children", [{"id": "shell-confirm-ok", "property": "n_clicks", "value": 1}],
                 [{"id": "shell-confirm-pending", "property": "data", "value": pending},
                  {"id": "shell-catalog-rev", "property": "data", "value": 0},
                  {"id": "upload-pages-rev", "property": "data", "value": 0}])
    assert gone.status_code == 200 and store.get_project(p.id).name == "Ada's codex"  # a forged delete: refused


# ------------------------------------------------------------------ backups
def test_a_backup_taken_while_lines_are_saved_holds_every_earlier_save(tmp_path: Path, commentary_pages: list[Path]) -> None:
    """A client saves in a loop while ``kalamos backup`` runs: the restored copy holds every save acknowledged
    before the backup began, and every record in it parses."""
    import json
    import threading

    from services import DocumentRef, documents

    data = tmp_path / "data"
    store = Store(data)
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    [r] = documents.import_files(store, DocumentRef(p.id, d.id), [commentary_pages[0]], Config().import_limits())
    page = r.page_ids[0]
    [line] = line_store.add_lines(store, p.id, d.id, page, [Line("", "box", [[0, 0], [100, 0], [100, 30], [0, 30]])])
    acknowledged: list[int] = []
    stop = threading.Event()

    def saver() -> None:
        rev = line.rev
        n = 0
        while not stop.is_set():
            n += 1
            rev = line_store.update_line(store, p.id, d.id, page, line.id, rev, text=f"save {n}").rev
            acknowledged.append(n)

    thread = threading.Thread(target=saver)
    thread.start()
    import time

    while len(acknowledged) < 20:
        time.sleep(0.01)
    before = acknowledged[-1]  # acknowledged before the backup began
    r = run_cli("backup", "--out", str(tmp_path / "b.tar.gz"), data_dir=data)
    stop.set()
    thread.join()
    assert r.returncode == 0 and "file(s)" in r.stdout, r.stderr
    r = run_cli("restore", str(tmp_path / "b.tar.gz"), "--data-dir", str(tmp_path / "data"), data_dir=tmp_path / "x")
    assert r.returncode == 2 and "not empty" in r.stderr
    r = run_cli("restore", str(tmp_path / "b.tar.gz"), "--data-dir", str(tmp_path / "copy"), data_dir=tmp_path / "x")
    assert r.returncode == 0, r.stderr
    copy = Store(tmp_path / "copy")
    [restored] = line_store.list_lines(copy, p.id, d.id, page)
    assert int(restored.text.split()[1]) >= before
    for path in (tmp_path / "copy").rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # every record parses
    assert copy.get_page(p.id, d.id, page).width > 0 and not (tmp_path / "copy" / "cache").exists()
    bad = tmp_path / "bad.tar.gz"
    import tarfile

    with tarfile.open(bad, "w:gz") as tar:
        evil = tmp_path / "evil.txt"
        evil.write_text("x")
        tar.add(evil, arcname="../evil.txt")
    r = run_cli("restore", str(bad), "--data-dir", str(tmp_path / "copy2"), data_dir=tmp_path / "x")
    assert r.returncode == 2 and "not a Kalamos backup" in r.stderr and not (tmp_path / "evil2.txt").exists()


def test_serve_with_workers_runs_gunicorn_and_answers(tmp_path: Path) -> None:
    """``kalamos serve --workers 2``: one master and two worker processes; /health answers without a session,
    the app asks for one (an account exists). Stopped by its process group."""
    import os
    import signal
    import time
    import urllib.error
    import urllib.request

    from tests.conftest import _free_port

    data = tmp_path / "data"
    accounts.add_user(Store(data), "ada", PASSWORD)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cli", "--data-dir", str(data), "serve", "--workers", "2", "--port",
                             str(port)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, health = time.monotonic() + 60, None
        while time.monotonic() < deadline and health is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
                    health = answer.read()
            except OSError:
                time.sleep(0.3)
        assert health == b'{"status":"ok"}\n' or b'"ok"' in (health or b""), health
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-layout", timeout=5)
        assert refused.value.code == 401
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 2, children  # gunicorn's master is this process (exec), with two workers
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
