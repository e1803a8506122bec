"""IIIF import against a IIIF server started by the test (tests/iiifserver.py): v2 and v3 manifests,
ranges and sizes, faults per canvas, politeness, resumption after a kill, and the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services import DocumentRef, iiif
from storage import InvalidInput, Store
from storage.iiif import HttpClient, IIIFError, parse_manifest
from storage.ingest import ImportLimits
from tests.iiifserver import IIIFServer

REPO = Path(__file__).resolve().parent.parent


def _doc(tmp_path: Path) -> tuple[Store, DocumentRef]:
    store = Store(tmp_path / "data")
    p = store.create_project("Codices")
    d = store.create_document(p.id, "Vat. gr.")
    return store, DocumentRef(p.id, d.id)


def _client() -> HttpClient:
    return HttpClient(timeout_s=10, backoff_s=0.05)


def test_v2_range_at_a_width_keeps_order_and_metadata(tmp_path: Path) -> None:
    store, doc = _doc(tmp_path)
    with IIIFServer(n=6) as srv:
        manifest, _ = iiif.read_manifest(srv.url(2), _client())
        assert manifest.version == 2 and len(manifest.canvases) == 6 and manifest.label == "Vat. gr. 1 (test)"
        assert manifest.attribution == "Test Library (CC BY)"  # HTML stripped
        report = iiif.import_canvases(store, doc, manifest, iiif.choose(manifest, 2, 4), 600, ImportLimits(), _client())
    assert [r.status for r in report.results] == ["imported"] * 3
    pages = store.list_pages(*doc)
    assert [p.iiif["canvas"].rsplit("/", 1)[1] for p in pages] == ["c002", "c003", "c004"]
    assert [p.source.filename for p in pages] == ["f. 2r", "f. 3r", "f. 4r"]
    assert all(p.width == 600 and p.height == 800 for p in pages)
    assert all("/full/600,/0/default.jpg" in p.iiif["image"] for p in pages)
    source = store.get_document(*doc).source
    assert source["manifest"] == srv.url(2) and source["label"] == "Vat. gr. 1 (test)"
    assert source["rights"] == "https://creativecommons.org/licenses/by/4.0/"


def test_v3_faults_each_say_why_the_rest_is_imported_politely_and_a_second_run_finishes(tmp_path: Path) -> None:
    store, doc = _doc(tmp_path)
    with IIIFServer(n=8, broken={"c003"}, flaky={"c005"}, liar={"c006"}, html_image={"c007"}, delay_s=0.05) as srv:
        manifest, data = iiif.read_manifest(srv.url(3), _client())
        assert manifest.version == 3 and manifest.label == "Barocci 59 (test)" and manifest.attribution == "Test Libraries"
        iiif.remember_manifest(store, doc, manifest, data)
        seen: list[tuple[int, int]] = []
        report = iiif.import_canvases(store, doc, manifest, iiif.choose(manifest), None, ImportLimits(), _client(),
                                      workers=3, progress=lambda d, t, m: seen.append((d, t)))
        by = {r.filename: r for r in report.results}
        assert by["3v"].status == "failed" and "HTTP 500" in by["3v"].message and "after 4 tries" in by["3v"].message
        assert by["5v"].status == "imported"  # 503 twice, then served: retried with back-off
        assert by["6v"].status == "imported" and "proportions" in by["6v"].message
        assert by["7v"].status == "failed" and "unsupported type" in by["7v"].message
        assert report.count("imported") == 6 and seen[-1] == (8, 8)
        assert srv.most_at_once <= 3
        # the thumbnails come through Kalamos (the browser loads nothing from the library)
        thumb = iiif.canvas_thumbnail(store, doc, 2, _client())
        assert thumb.read_bytes()[:2] == b"\xff\xd8"
        # the server is mended: the same import again fetches only the two that failed, and puts them in place
        srv.broken.clear()
        srv.html_image.clear()
        before = len(srv.requests)
        again = iiif.import_canvases(store, doc, manifest, iiif.choose(manifest), None, ImportLimits(), _client())
        fetched = [r for r in srv.requests[before:] if "/full/max/" in r]
    assert again.count("skipped") == 6 and again.count("imported") == 2
    assert sorted(fetched) == ["/iiif/3/c003/full/max/0/default.jpg", "/iiif/3/c007/full/max/0/default.jpg"]
    pages = store.list_pages(*doc)
    assert [p.source.filename for p in pages] == [f"{i}v" for i in range(1, 9)]  # in the manifest's order
    assert len({p.iiif["canvas"] for p in pages}) == 8


@pytest.mark.parametrize("path, expected", [
    ("/login/manifest.json", "asks for a login"),
    ("/html/manifest.json", "the server sent an HTML page, not JSON"),
    ("/plain/manifest.json", "not a IIIF Presentation manifest"),
    ("/collection.json", "a collection of 1 manifests"),
    ("/nothing.json", "HTTP 404"),
])
def test_a_bad_manifest_gets_a_clear_message(path: str, expected: str) -> None:
    with IIIFServer(n=1) as srv, pytest.raises(IIIFError, match=expected):
        iiif.read_manifest(srv.base + path, _client())


def test_bad_addresses_and_choices_are_refused_before_any_fetch(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not an http"):
        iiif.read_manifest("file:///etc/passwd", _client())
    with pytest.raises(InvalidInput, match="not an http"):
        iiif.read_manifest(str(tmp_path), _client())  # files only from the command line
    with IIIFServer(n=3) as srv:
        manifest, _ = iiif.read_manifest(srv.url(2), _client())
        with pytest.raises(InvalidInput, match="between 1 and 3"):
            iiif.choose(manifest, 2, 9)
        with pytest.raises(InvalidInput, match="comes after"):
            iiif.choose(manifest, 3, 2)
        store, doc = _doc(tmp_path)
        with pytest.raises(InvalidInput, match="between 100 and"):
            iiif.import_canvases(store, doc, manifest, manifest.canvases, 5, ImportLimits(), _client())
    assert store.list_pages(*doc) == []
    # a manifest whose image points to a file is left out, not read
    bad = b'{"@context": "http://iiif.io/api/presentation/3/context.json", "type": "Manifest", "id": "x", ' \
          b'"items": [{"id": "c", "type": "Canvas", "items": [{"items": [{"body": {"id": "file:///etc/passwd"}}]}]}]}'
    with pytest.raises(IIIFError, match="no canvas with an image"):
        parse_manifest(bad, "x")


def test_a_shared_server_fetches_no_address_of_its_own_network(tmp_path: Path) -> None:
    """A user's "manifest" address must not make the server read the services beside it (a cloud's
    metadata address, an admin page on localhost): refused before any request, unless configured."""
    from config import Config

    with IIIFServer(n=1) as srv:
        client = Config(data_dir=tmp_path).http_client()  # the web app's, by default
        for url in (srv.url(3), srv.url(3).replace("127.0.0.1", "localhost"), "http://169.254.169.254/latest/meta-data/",
                    "http://[::1]:9/manifest.json", "http://10.0.0.7/iiif/manifest.json"):
            with pytest.raises(IIIFError, match="this server's own network"):
                iiif.read_manifest(url, client)
        assert srv.requests == []
        with pytest.raises(IIIFError, match="unknown"):
            iiif.read_manifest("http://no-such-host.invalid/manifest.json", client)
        assert Config(data_dir=tmp_path, iiif_private=True).http_client().get(srv.url(2), 10**6).startswith(b"{")
        assert Config(data_dir=tmp_path).http_client(allow_private=True).get(srv.url(2), 10**6).startswith(b"{")


def test_a_library_without_image_service_numbering_with_gaps_and_the_users_own_order(tmp_path: Path) -> None:
    """A "level 0" library (static images), a manifest listing canvases without an image, HTML with a
    script in the attribution; the user reorders the pages, then imports the rest."""
    store, doc = _doc(tmp_path)
    attribution = "Bodleian <script>alert('x')</script>Libraries , Oxford"
    with IIIFServer(n=6, level0=True, imageless={"c002"}, attribution=attribution) as srv:
        manifest, data = iiif.read_manifest(srv.url(2), _client())
        assert manifest.attribution == "Bodleian Libraries, Oxford"
        assert manifest.total == 6 and [c.index for c in manifest.canvases] == [1, 3, 4, 5, 6]
        assert "no IIIF image service" in iiif.describe(manifest) and "6 canvas(es) (5 with an image)" in iiif.describe(manifest)
        assert [c.index for c in iiif.choose(manifest, 2, 4)] == [3, 4]  # the numbers the thumbnails show
        with pytest.raises(InvalidInput, match="No canvas between 2 and 2 has an image"):
            iiif.choose(manifest, 2, 2)
        iiif.remember_manifest(store, doc, manifest, data)
        assert iiif.canvas_thumbnail(store, doc, 3, _client()).read_bytes()[:2] == b"\xff\xd8"  # made from the image
        report = iiif.import_canvases(store, doc, manifest, iiif.choose(manifest, 3, 5), 600, ImportLimits(), _client())
        assert report.count("imported") == 3 and not any(r.warnings for r in report.results)  # no width to ask for
        pages = store.list_pages(*doc)
        assert [p.width for p in pages] == [1200] * 3  # the library's own size
        # the user puts f. 5r first; importing the rest places each new page by its neighbours (f. 1r before
        # the first later canvas, f. 6r after the last earlier one) and keeps the order the user gave the others
        store.move_page(*doc, pages[2].id, 0)
        iiif.import_canvases(store, doc, manifest, iiif.choose(manifest), None, ImportLimits(), _client())
    assert [p.source.filename for p in store.list_pages(*doc)] == ["f. 1r", "f. 5r", "f. 3r", "f. 4r", "f. 6r"]


def test_a_failed_import_does_not_bind_the_document(tmp_path: Path) -> None:
    store, doc = _doc(tmp_path)
    with IIIFServer(n=1, broken={"c001"}) as srv:
        v3, _ = iiif.read_manifest(srv.url(3), _client())
        assert iiif.import_canvases(store, doc, v3, v3.canvases, 300, ImportLimits(), _client()).count("failed") == 1
        assert store.get_document(*doc).source is None
        srv.broken.clear()
        v2, data = iiif.read_manifest(srv.url(2), _client())
        iiif.remember_manifest(store, doc, v2, data)
        assert iiif.import_canvases(store, doc, v2, v2.canvases, 300, ImportLimits(), _client()).count("imported") == 1
        with pytest.raises(InvalidInput, match="another manuscript"):  # refused at reading, the one kept stays
            iiif.remember_manifest(store, doc, v3, b"{}")
    assert iiif.remembered_manifest(store, doc).url == srv.url(2)


def test_a_document_of_another_manuscript_is_refused(tmp_path: Path) -> None:
    store, doc = _doc(tmp_path)
    with IIIFServer(n=2) as srv:
        v2, _ = iiif.read_manifest(srv.url(2), _client())
        v3, _ = iiif.read_manifest(srv.url(3), _client())
        iiif.import_canvases(store, doc, v2, v2.canvases[:1], 300, ImportLimits(), _client())
        with pytest.raises(InvalidInput, match="another manuscript"):
            iiif.import_canvases(store, doc, v3, v3.canvases, 300, ImportLimits(), _client())
    assert len(store.list_pages(*doc)) == 1


def _cli(data: Path, *args: str, **kw) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "KALAMOS_IIIF_BACKOFF_S": "0.05"}
    return subprocess.Popen([sys.executable, "-m", "cli", "--data-dir", str(data), "import", "--project", "P",
                             "--document", "D", *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, **kw)


def test_cli_import_killed_midway_then_run_again_leaves_every_canvas_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with IIIFServer(n=10, delay_s=0.4) as srv:
        proc = _cli(data, "--iiif", srv.url(3), "--width", "400", "--workers", "2")
        store = Store(data)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until some pages are in, then kill it hard
            docs = [d for p in store.list_projects() for d in store.list_documents(p.id)]
            if docs and len(docs[0].page_ids) >= 3:
                break
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        [doc] = docs
        partial = len(store.get_document(doc.project_id, doc.id).page_ids)
        assert 3 <= partial < 10
        srv.delay_s = 0
        second = _cli(data, "--iiif", srv.url(3), "--width", "400")
        out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert f"{10 - partial} imported, {partial} already there (skipped)" in out
    pages = store.list_pages(doc.project_id, doc.id)
    assert [p.source.filename for p in pages] == [f"{i}v" for i in range(1, 11)]
    assert not list((data / "tmp").glob("*/upload")) if (data / "tmp").exists() else True


def test_cli_refuses_files_and_iiif_together_and_reports_a_failed_canvas(tmp_path: Path) -> None:
    data = tmp_path / "data"
    both = _cli(data, "--iiif", "http://127.0.0.1:9/m.json", str(tmp_path / "a.jpg"))
    _out, err = both.communicate(timeout=60)
    assert both.returncode == 2 and "not both" in err
    with IIIFServer(n=3, broken={"c002"}) as srv:
        run = _cli(data, "--iiif", srv.url(2), "--first", "1", "--last", "3", "--width", "300")
        out, err = run.communicate(timeout=120)
    assert run.returncode == 1
    assert "FAILED   f. 2r:" in err and "HTTP 500" in err
    assert "2 page(s) imported from 2 of 3 canvas(es); 1 failed" in out


# ---- the Upload tab: the thumbnail route, and the callbacks as plain functions

def test_the_canvas_thumbnail_route_serves_kalamos_copies_to_those_who_may_read(tmp_path: Path) -> None:
    from app import create_app
    from config import Config
    from services import projects
    from services.projects import Actor
    from storage import accounts

    password = "correct horse battery"
    data = tmp_path / "data"
    store = Store(data)
    for name in ("ada", "dan"):
        accounts.add_user(store, name, password)
    p = projects.create_project(store, Actor("ada"), "Codices")
    d = store.create_document(p.id, "Barocci")
    other = store.create_document(p.id, "nothing read")
    app = create_app(Config(data_dir=data, iiif_backoff_s=0.01, iiif_private=True))

    def signed_in(name: str):  # type: ignore[no-untyped-def]
        client = app.server.test_client()
        assert client.post("/login?next=/", data={"username": name, "password": password}).status_code == 303
        return client

    with IIIFServer(n=3, broken={"c003"}) as srv:
        manifest, raw = iiif.read_manifest(srv.url(3), _client())
        iiif.remember_manifest(store, DocumentRef(p.id, d.id), manifest, raw)
        ada, dan = signed_in("ada"), signed_in("dan")
        url = f"/files/{p.id}/{d.id}/iiif/thumb/2.jpg"
        r = ada.get(url)
        assert r.status_code == 200 and r.mimetype == "image/jpeg" and r.data[:3] == b"\xff\xd8\xff"
        assert r.headers["Cache-Control"].startswith("private")
        assert "/iiif/3/c002/full/120,/0/default.jpg" in srv.requests  # the manifest's own thumbnail, by the server
        before = len(srv.requests)
        assert ada.get(url).status_code == 200 and len(srv.requests) == before  # kept: the library is asked once
        for n in (0, 4, 99):
            missing = ada.get(f"/files/{p.id}/{d.id}/iiif/thumb/{n}.jpg")
            assert missing.status_code == 404 and missing.get_json()["message"] == "No such canvas.", n
        unread = ada.get(f"/files/{p.id}/{other.id}/iiif/thumb/1.jpg")
        assert unread.status_code == 404 and "Read a manifest first" in unread.get_json()["message"]
        failing = ada.get(f"/files/{p.id}/{d.id}/iiif/thumb/3.jpg")  # the library answers 500
        assert failing.status_code == 502 and "HTTP 500" in failing.get_json()["message"]
        refused = dan.get(url)  # a project not shared with him: refused as every /files/ route
        assert refused.status_code == 403 and "not shared with you" in refused.get_json()["message"]
        assert app.server.test_client().get(url, headers={"Accept": "application/json"}).status_code == 401


def test_the_upload_tabs_callbacks_refuse_bad_choices_with_a_message_and_import_nothing(tmp_path: Path) -> None:
    from dash import no_update

    from callbacks import upload
    from config import Config

    store, doc = _doc(tmp_path)
    config = Config(data_dir=tmp_path / "data", iiif_backoff_s=0.01, iiif_private=True)
    selection = {"project": doc.project, "document": doc.document}
    steps: list[tuple] = []  # type: ignore[type-arg]

    def text(outputs: tuple) -> str:  # type: ignore[type-arg]
        return str(outputs[0].children)

    no_doc = upload.read_manifest(store, config, 1, None, "https://example.org/m.json", {}, 0)
    assert "Choose a document first" in text(no_doc) and no_doc[1] is no_update
    assert "Read a manifest first" in text(upload.import_canvases(store, config, steps.append, 1, None, None, "full",
                                                                  None, selection, 0))
    with IIIFServer(n=3) as srv:
        bad = upload.read_manifest(store, config, 1, None, srv.base + "/html/manifest.json", selection, 0)
        assert "the server sent an HTML page, not JSON" in text(bad) and bad[1] is no_update
        assert "not a valid address" in text(upload.read_manifest(store, config, 1, None, "http://[oops", selection, 0))
        ok = upload.read_manifest(store, config, 1, None, f"  {srv.url(2)} ", selection, 4)
        assert "Read 3 canvas(es)" in text(ok) and ok[1] == 5
        for first, last, size, width, expected in [
            (3, 2, "full", None, "comes after"),
            (2, 9, "full", None, "between 1 and 3"),
            (0, 2, "full", None, "between 1 and 3"),
            (1.5, 2, "full", None, "whole number"),
            (1, 3, "width", 50, "between 100 and"),
            (1, 3, "width", None, "Give the width"),
        ]:
            refused = upload.import_canvases(store, config, steps.append, 1, first, last, size, width, selection, 0)
            assert expected in text(refused), (first, last, size, width, text(refused))
        assert store.list_pages(*doc) == [] and store.get_document(*doc).source is None
        done = upload.import_canvases(store, config, steps.append, 1, 2, None, "width", 300, selection, 7)
    assert done[1] == 8 and "2 imported" in str(done[0][0].children)
    assert steps[-1][:3] == (2, 2, "2 / 2")
    assert [p.iiif["label"] for p in store.list_pages(*doc)] == ["f. 2r", "f. 3r"]
    line = upload.document_source(store, selection, 0)
    assert "Vat. gr. 1 (test)" in str(line) and "noopener" in str(line)
