"""The Flask routes (ids validated, nothing served outside the data directory) and the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from config import Config
from storage import Store

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def client_and_store(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = create_app(Config(data_dir=tmp_path / "data"))
    return app.server.test_client(), Store(tmp_path / "data")


def test_upload_route_and_image_routes(client_and_store, commentary_pages: list[Path]) -> None:  # type: ignore[no-untyped-def]
    client, store = client_and_store
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    data = commentary_pages[0].read_bytes()
    r = client.post(f"/api/upload/{p.id}/{d.id}?dpi=300", data=data,
                    headers={"X-Kalamos-Filename": "f%C3%BAllo%201.png"})
    body = r.get_json()
    assert r.status_code == 200 and body["status"] == "imported", body
    page_id = body["page_ids"][0]
    assert store.get_page(p.id, d.id, page_id).source.filename == "fúllo 1.png"
    thumb = client.get(f"/files/{p.id}/{d.id}/{page_id}/thumb.jpg")
    assert thumb.status_code == 200 and thumb.data[:3] == b"\xff\xd8\xff"
    full = client.get(f"/files/{p.id}/{d.id}/{page_id}/image")
    assert full.status_code == 200 and len(full.data) > 10_000
    # a removed thumbnail is made again
    (store.page_dir(p.id, d.id, page_id) / "thumb.jpg").unlink()
    assert client.get(f"/files/{p.id}/{d.id}/{page_id}/thumb.jpg").status_code == 200


@pytest.mark.parametrize("url", [
    "/files/../../etc/passwd",
    "/files/p-0123456789ab/d-0123456789ab/pg-0123456789ab/image",
    "/files/..%2F..%2Fetc/d-0123456789ab/pg-0123456789ab/image",
    "/files/p-0123456789ab/d-0123456789ab/..%2f..%2fstore.json/image",
    "/files/p-../d-../pg-../thumb.jpg",
])
def test_image_routes_refuse_bad_ids(client_and_store, url: str) -> None:  # type: ignore[no-untyped-def]
    client, _ = client_and_store
    r = client.get(url)
    # either our 404 with a message, or (for paths outside /files/<id>/<id>/<id>/) Dash's own page
    assert r.status_code == 404 or (r.status_code == 200 and b"_dash-config" in r.data), r.data[:200]
    assert b"root:" not in r.data and b"kalamos-data" not in r.data and b"schema_version" not in r.data


def test_upload_route_bad_requests(client_and_store) -> None:  # type: ignore[no-untyped-def]
    client, store = client_and_store
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    r = client.post(f"/api/upload/{p.id}/d-0123456789ab", data=b"x")
    assert r.status_code == 404 and "No document" in r.get_json()["message"]
    r = client.post(f"/api/upload/{p.id}/{d.id}?dpi=9000", data=b"x")
    assert r.status_code == 400 and "between 72 and 1200" in r.get_json()["message"]
    r = client.post(f"/api/upload/{p.id}/{d.id}", data=b"", headers={"X-Kalamos-Filename": "e.png"})
    assert r.get_json()["message"] == "e.png: the file is empty (0 bytes)"


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", "--data-dir", str(data_dir), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=120)


def test_cli_import_reports_each_file_and_fails_when_one_fails(tmp_path: Path, commentary_pages: list[Path]) -> None:
    data = tmp_path / "data"
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really")
    r = run_cli("import", "--project", "Ajax", "--document", "Lobeck", *map(str, commentary_pages), str(bad), data_dir=data)
    assert r.returncode == 1, r.stderr
    assert "created project 'Ajax'" in r.stdout and "2 page(s) imported from 2 of 3 file(s); 1 failed" in r.stdout
    assert "FAILED   bad.jpg:" in r.stderr
    store = Store(data)
    project = store.find_project("Ajax")
    assert len(store.find_document(project.id, "Lobeck").page_ids) == 2
    # importing into the same document again: skipped, not failed
    r = run_cli("import", "--project", "Ajax", "--document", "Lobeck", str(commentary_pages[0]), data_dir=data)
    assert r.returncode == 0 and "SKIPPED" in r.stdout
    listing = run_cli("list", data_dir=data)
    assert "Lobeck  (2 pages)" in listing.stdout


def test_cli_refuses_a_bad_name_without_traceback(tmp_path: Path, commentary_pages: list[Path]) -> None:
    r = run_cli("import", "--project", "   ", "--document", "D", str(commentary_pages[0]), data_dir=tmp_path / "d")
    assert r.returncode == 2 and "The project name is empty." in r.stderr and "Traceback" not in r.stderr


def test_cli_import_gt_then_export_gt(tmp_path: Path, shared_data: Path) -> None:
    data = tmp_path / "data"
    tsv = shared_data / "gt4histcomment" / "cu31924087948174" / "cu31924087948174_training.tsv"
    r = run_cli("import-gt", "--project", "Campbell", "--document", "Ajax", str(tsv), data_dir=data)
    assert r.returncode == 0, r.stderr
    assert "464 line(s) on 7 page(s) imported; 7 page image(s) added; 0 problem(s)" in r.stdout
    out = tmp_path / "gt"
    r = run_cli("export-gt", "--project", "Campbell", "--format", "tesstrain", "--out", str(out), data_dir=data)
    assert r.returncode == 0 and "464 line(s) from 7 page(s)" in r.stdout, r.stderr
    assert len(list(out.glob("*.gt.txt"))) == 464 and len(list(out.glob("*.png"))) == 464
    r = run_cli("export-gt", "--project", "Campbell", "--document", "Ajax", "--format", "page", "--out",
                str(tmp_path / "page"), data_dir=data)
    assert r.returncode == 0 and len(list((tmp_path / "page").glob("*.xml"))) == 7
    # a second import does not duplicate lines
    r = run_cli("import-gt", "--project", "Campbell", "--document", "Ajax", str(tsv), data_dir=data)
    assert "0 line(s)" in r.stdout and "already" in r.stdout
    bad = tmp_path / "bad.xml"
    bad.write_text("<nope")
    r = run_cli("import-gt", "--project", "Campbell", "--document", "Ajax", str(bad), data_dir=data)
    assert r.returncode == 1 and "bad.xml: not well-formed XML" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("export-gt", "--project", "Nobody", "--out", str(tmp_path / "x"), data_dir=data)
    assert r.returncode == 2 and "No project named 'Nobody'" in r.stderr


def test_the_cli_and_the_app_export_the_same_ground_truth(tmp_path: Path, shared_data: Path) -> None:
    """``kalamos export-gt`` and the Annotate tab's export links go through one use case: same files, same bytes
    (but for the moment each was written)."""
    import io
    import re
    import zipfile

    data = tmp_path / "data"
    tsv = shared_data / "gt4histcomment" / "cu31924087948174" / "cu31924087948174_training.tsv"
    assert run_cli("import-gt", "--project", "Campbell", "--document", "Ajax", str(tsv), data_dir=data).returncode == 0
    store = Store(data)
    [project] = store.list_projects()
    [document] = store.list_documents(project.id)
    client = create_app(Config(data_dir=data)).server.test_client()
    stamp = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?")
    for fmt in ("page", "alto"):
        out = tmp_path / f"cli-{fmt}"
        r = run_cli("export-gt", "--project", "Campbell", "--document", "Ajax", "--format", fmt, "--out", str(out),
                    data_dir=data)
        assert r.returncode == 0, r.stderr
        answer = client.get(f"/export/{project.id}/{document.id}/{fmt}.zip")
        assert answer.status_code == 200
        with zipfile.ZipFile(io.BytesIO(answer.data)) as z:
            from_app = {Path(n).name: stamp.sub(b"T", z.read(n)) for n in z.namelist() if n.endswith(".xml")}
        from_cli = {p.name: stamp.sub(b"T", p.read_bytes()) for p in out.glob("*.xml")}
        assert len(from_cli) == 7 and from_cli == from_app, fmt
