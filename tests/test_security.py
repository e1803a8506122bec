"""What an attacker or an unlucky user tried (issue 11), each as a test that failed before its fix:
forged background-job handles, cut-off uploads through gunicorn, resource exhaustion inside the
limits, hostile numbers in ground truth, symbolic links in the data directory, markup in line text,
server paths in messages, debris of killed writers, and the smaller holes."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import socket
import stat
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image

from app import create_app
from callbacks.security import IssuedJobs, _guard, host_allowed, same_origin
from conftest import REPO, GunicornServer, Server
from config import Config
from ocr.images import sniff
from storage import Store
from storage.formats import FormatError
from storage.formats.alto import read_alto
from storage.formats.pagexml import read_page_xml
from storage.formats.tsv import read_tsv
from storage.groundtruth import import_gt
from storage.ingest import ImportLimits, import_stream
from storage.store import check_id

PUBLIC_KEY = "kalamos-local-secret"  # the default key of earlier versions, printed in their source


# ------------------------------------------------------------------ 1. forged job handles
def _sign(key: str, scope: str, value: str) -> str:
    mac = hmac.new(key.encode(), f"{scope}\x00{value}".encode(), hashlib.sha256).hexdigest()
    return f"{value}~{mac}"


def _background_body(base_url: str) -> dict:
    """The JSON body of a real background callback of the app (Preprocess › Apply)."""
    import urllib.request

    with urllib.request.urlopen(base_url + "/_dash-dependencies", timeout=10) as r:
        deps = json.load(r)
    dep = next(d for d in deps if d.get("background") and d["inputs"][0]["id"] == "preprocess-apply")

    def prop(spec: str) -> dict:
        ident, _, name = spec.split("@")[0].rpartition(".")
        return {"id": ident, "property": name}

    outputs = [prop(o) for o in dep["output"].strip(".").split("...")]
    return {"output": dep["output"], "outputs": outputs,
            "inputs": [{**i, "value": None} for i in dep["inputs"]],
            "state": [{**s, "value": None} for s in dep["state"]], "changedPropIds": []}


def _forge(base_url: str, key: str, pid: int) -> int:
    import urllib.error
    import urllib.request

    end = _sign(key, "end", "attacker")
    query = f"oldJob={quote(_sign(key, 'job:attacker', str(pid)))}&oldJob={quote(_sign(key, 'job:', str(pid)))}&endId={quote(end)}"
    req = urllib.request.Request(f"{base_url}/_dash-update-component?{query}", method="POST",
                                 data=json.dumps(_background_body(base_url)).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize("configured_key", [None, "a-key-the-attacker-has-read-in-a-config-file"])
def test_a_forged_job_handle_kills_nothing(tmp_path: Path, configured_key: str | None) -> None:
    victim = subprocess.Popen(["sleep", "300"], start_new_session=True)
    env = {"KALAMOS_SECRET_KEY": configured_key} if configured_key else {}
    srv = Server(tmp_path / "data", env)
    try:
        for key in {PUBLIC_KEY, configured_key or PUBLIC_KEY}:
            _forge(srv.url, key, victim.pid)
        time.sleep(1.0)
        assert victim.poll() is None, "a forged handle killed a process the server never started"
        if configured_key is None:  # a private key was made for this data directory
            secret = tmp_path / "data" / "secret_key"
            assert stat.S_IMODE(secret.stat().st_mode) == 0o600
            assert len(secret.read_text().strip()) >= 32 and PUBLIC_KEY not in secret.read_text()
    finally:
        srv.stop()
        victim.kill()
        victim.wait()


def test_a_public_or_short_configured_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="KALAMOS_SECRET_KEY"):
        create_app(Config(data_dir=tmp_path / "d", secret_key=PUBLIC_KEY))
    with pytest.raises(SystemExit, match="at least 16"):
        create_app(Config(data_dir=tmp_path / "d", secret_key="short"))


def test_two_apps_on_one_data_directory_share_the_generated_key(tmp_path: Path) -> None:
    a = create_app(Config(data_dir=tmp_path / "d")).server.secret_key
    b = create_app(Config(data_dir=tmp_path / "d")).server.secret_key
    assert a == b and a != PUBLIC_KEY


class _FakeManager:
    """Stands for Dash's diskcache manager: records what it was asked to kill."""

    def __init__(self) -> None:
        self.killed: list[str] = []

    def call_job_fn(self, key, job_fn, args, context):  # type: ignore[no-untyped-def]
        return job_fn

    def terminate_job(self, job):  # type: ignore[no-untyped-def]
        self.killed.append(str(job))

    def terminate_unhealthy_job(self, job):  # type: ignore[no-untyped-def]
        self.terminate_job(job)
        return True

    def job_running(self, job):  # type: ignore[no-untyped-def]
        return True


_FakeManager.__name__ = "DiskcacheManager"


def test_the_job_guard_acts_only_on_jobs_it_started(tmp_path: Path) -> None:
    manager = _guard(_FakeManager)()
    manager.issued = IssuedJobs(tmp_path / "issued")
    own = subprocess.Popen(["sleep", "60"])
    other = subprocess.Popen(["sleep", "60"])
    try:
        assert manager.call_job_fn("k", own.pid, None, None) == own.pid  # "started" by the server
        for forged in (other.pid, 1, os.getpid(), "../../etc", "1\n", None):
            manager.terminate_job(forged)
            assert not manager.terminate_unhealthy_job(forged) if forged is not None else True
        assert manager.killed == []
        assert manager.job_running(own.pid) and not manager.job_running(other.pid)
        manager.terminate_job(own.pid)
        assert manager.killed == [str(own.pid)]
        manager.terminate_job(own.pid)  # acted on once; the handle is spent
        assert manager.killed == [str(own.pid)]
    finally:
        for p in (own, other):
            p.kill()
            p.wait()


def test_a_recycled_process_id_is_not_the_job(tmp_path: Path) -> None:
    manager = _guard(_FakeManager)()
    manager.issued = IssuedJobs(tmp_path / "issued")
    proc = subprocess.Popen(["sleep", "60"])
    manager.call_job_fn("k", proc.pid, None, None)
    record = json.loads((tmp_path / "issued" / str(proc.pid)).read_text())
    record["started"] -= 100  # as if the id had belonged to a process that ended, and was given again
    (tmp_path / "issued" / str(proc.pid)).write_text(json.dumps(record))
    try:
        manager.terminate_job(proc.pid)
        assert manager.killed == []
    finally:
        proc.kill()
        proc.wait()


# ------------------------------------------------------------------ 2. cut-off uploads, through gunicorn
def _raw_post(port: int, path: str, headers: dict[str, str], body: bytes, *, close_early: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        s.sendall(head.encode() + b"\r\n" + body)
        if close_early:
            s.shutdown(socket.SHUT_WR)  # the client goes away: no more bytes will come
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        return answer


def test_a_cut_off_upload_is_not_stored(gunicorn: GunicornServer, shared_data: Path) -> None:
    store, port = Store(gunicorn.data_dir), gunicorn.port
    p = store.create_project("P").id
    d = store.create_document(p, "D").id
    # a phone's "motion photo": a JPEG followed by a video; cut in the video, the JPEG still decodes
    jpeg = (shared_data / "gazis-pages" / "page-00.jpg").read_bytes()
    data = jpeg + b"\x00\x00\x00\x18ftypmp42" + os.urandom(300_000)
    answer = _raw_post(port, f"/api/upload/{p}/{d}", {"Content-Length": str(len(data)), "X-Kalamos-Filename": "page.jpg",
                                                      "Content-Type": "application/octet-stream"}, data[: len(jpeg) + 100_000])
    assert b"cut off" in answer and b'"imported"' not in answer, answer[-400:]
    assert store.get_document(p, d).page_ids == []
    assert list((store.document_dir(p, d) / "originals").iterdir()) == []
    # a chunked body that ends without its last (empty) chunk
    part = data[:50_000]
    chunked = f"{len(part):x}\r\n".encode() + part + b"\r\n"
    answer = _raw_post(port, f"/api/upload/{p}/{d}", {"Transfer-Encoding": "chunked", "X-Kalamos-Filename": "page.jpg"}, chunked)
    assert b'"imported"' not in answer
    assert store.get_document(p, d).page_ids == []
    # the whole file afterwards is imported, and the next copy is recognised as a duplicate
    for expected in (b'"imported"', b'"skipped"'):
        answer = _raw_post(port, f"/api/upload/{p}/{d}", {"Content-Length": str(len(data)), "X-Kalamos-Filename": "page.jpg",
                                                          "Connection": "close"}, data, close_early=False)
        assert expected in answer, answer[-400:]
    [page] = store.list_pages(p, d)
    assert (store.document_dir(p, d) / page.source.original).read_bytes() == data


def test_cut_off_stream_in_process(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    buf = io.BytesIO()
    Image.new("L", (200, 100), 255).save(buf, "PNG")
    data = buf.getvalue()
    r = import_stream(store, p.id, d.id, io.BytesIO(data[:100]), "x.png", ImportLimits(), declared_size=len(data))
    assert r.status == "failed" and "cut off" in r.message and "100 bytes" in r.message

    class Broken(io.BytesIO):
        def read(self, n: int = -1) -> bytes:
            raise OSError("connection reset by peer")

    r = import_stream(store, p.id, d.id, Broken(), "y.png", ImportLimits())
    assert r.status == "failed" and "interrupted" in r.message
    assert store.get_document(p.id, d.id).page_ids == []


# ------------------------------------------------------------------ 3. resources
def _huge_png(side: int, mode: str = "RGBA") -> bytes:
    """A PNG of side² pixels that compresses to almost nothing (a decompression-cost probe)."""
    channels, colour = {"RGBA": (4, 6), "L": (1, 0)}[mode]
    row = b"\x00" + bytes([200]) * (side * channels)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, colour, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def test_a_big_rgba_page_is_decoded_in_bounded_memory(tmp_path: Path) -> None:
    """A 36 MP RGBA page (a 300 MP one takes minutes under the suite's load): peak memory of the
    import stays within 9 bytes a pixel (it was 20: three RGBA copies for the white background)."""
    data = _huge_png(6000)
    script = f"""
import io, resource, sys
sys.path.insert(0, {str(REPO)!r})
from storage import Store
from storage.ingest import ImportLimits, import_stream
s = Store({str(tmp_path / 'data')!r}); p = s.create_project('P'); d = s.create_document(p.id, 'D')
data = open({str(tmp_path / 'big.png')!r}, 'rb').read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = import_stream(s, p.id, d.id, io.BytesIO(data), 'big.png', ImportLimits())
assert r.status == 'imported', r.message
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
    (tmp_path / "big.png").write_bytes(data)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    before, after = (int(v) * 1024 for v in out.stdout.split())
    assert after - before < 9 * 6000 * 6000, f"{(after - before) / 36e6:.1f} bytes a pixel"


def _tiff_with_frames(n: int) -> bytes:
    frames = [Image.new("L", (8, 8), 255) for _ in range(n)]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


def test_too_many_pages_in_one_file_are_refused_quickly(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    t0 = time.perf_counter()
    r = import_stream(store, p.id, d.id, io.BytesIO(_tiff_with_frames(3000)), "many.tif", ImportLimits(max_pages=50))
    assert r.status == "failed" and "more pages than the limit of 50" in r.message and "KALAMOS_MAX_PAGES" in r.message
    assert time.perf_counter() - t0 < 20
    r = import_stream(store, p.id, d.id, io.BytesIO(_tiff_with_frames(5)), "few.tif", ImportLimits(max_pages=5))
    assert r.status == "imported" and "5 pages" in r.message
    from pypdfium2 import PdfDocument

    pdf = PdfDocument.new()
    for _ in range(30):
        pdf.new_page(100, 100)
    buf = io.BytesIO()
    pdf.save(buf)
    r = import_stream(store, p.id, d.id, io.BytesIO(buf.getvalue()), "many.pdf", ImportLimits(max_pages=20))
    assert r.status == "failed" and "30 pages" in r.message


def test_only_a_few_imports_decode_at_once(tmp_path: Path) -> None:
    from storage.errors import Busy

    store = Store(tmp_path / "data")
    with store.slot("import", 1, 0):
        with pytest.raises(Busy, match="busy"):
            with store.slot("import", 1, 0.3):
                pass
    with store.slot("import", 1, 0):  # released again
        pass


def test_callback_requests_have_a_size_limit(tmp_path: Path) -> None:
    client = create_app(Config(data_dir=tmp_path / "d", max_request_mb=1)).server.test_client()
    r = client.post("/_dash-update-component", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "KALAMOS_MAX_REQUEST_MB" in r.get_json()["message"]


# ------------------------------------------------------------------ 4. HTTP 500 instead of a reason
@pytest.mark.parametrize("value", ["abc", "nan", "inf", "-inf", "1e999", "-5"])
def test_hostile_numbers_in_ground_truth_are_named(value: str) -> None:
    alto = (f'<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page WIDTH="{value}" HEIGHT="100">'
            '<PrintSpace><TextBlock><TextLine HPOS="1" VPOS="1" WIDTH="10" HEIGHT="5"><String CONTENT="a"/></TextLine>'
            '</TextBlock></PrintSpace></Page></Layout></alto>').encode()
    page = (f'<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"><Page imageFilename="a.png" '
            f'imageWidth="{value}" imageHeight="100"><TextRegion id="r"><TextLine id="l"><Coords points="1,1 5,1 5,5"/>'
            '</TextLine></TextRegion></Page></PcGts>').encode()
    line = (f'<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page WIDTH="100" HEIGHT="100"><PrintSpace>'
            f'<TextBlock><TextLine HPOS="{value}" VPOS="1" WIDTH="10" HEIGHT="5"><String CONTENT="a"/></TextLine>'
            '</TextBlock></PrintSpace></Page></Layout></alto>').encode()
    cases = [(read_alto, alto), (read_page_xml, page)] + ([(read_alto, line)] if value != "-5" else [])  # -5: a coordinate
    for reader, data in cases:
        with pytest.raises(FormatError, match=r"f\.xml.*(not a number|not a usable number|not a positive size)"):
            reader(data, "f.xml")
    with pytest.raises(FormatError, match="row 1"):
        read_tsv(f"a.png\t1 2 {value} 9\ttext".encode(), "f.tsv")  # (-5: an empty box)
    with pytest.raises(FormatError, match="not a usable number"):
        read_page_xml(page.replace(b'imageWidth="' + value.encode() + b'"', b'imageWidth="10"')
                      .replace(b"1,1 5,1", b"1,1 1e999,1"), "f.xml")


def test_a_bad_file_does_not_stop_the_batch(tmp_path: Path, commentary_pages: list[Path]) -> None:
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    bad = tmp_path / "bad.xml"
    bad.write_text('<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"><Page imageFilename="x.png" '
                   'imageWidth="1e999" imageHeight="5"/></PcGts>')
    tsv = tmp_path / "good.tsv"
    (tmp_path / commentary_pages[0].name).write_bytes(commentary_pages[0].read_bytes())
    tsv.write_text(f"{commentary_pages[0].name}\t10 10 400 60\tλόγος\n")
    report = import_gt(store, p.id, d.id, [bad, tsv])
    assert report.lines == 1 and len(report.failed) == 1 and "bad.xml" in report.failed[0]


def test_a_pdf_page_that_cannot_be_loaded_gets_a_message(tmp_path: Path) -> None:
    from pypdfium2 import PdfDocument

    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    pdf = PdfDocument.new()
    for _ in range(2):
        pdf.new_page(100, 100)
    buf = io.BytesIO()
    pdf.save(buf)
    broken = buf.getvalue().replace(b"Kids[ 4 0 R  5 0 R ]", b"Kids[ 4 0 R  9 0 R ]")  # page 2: an object that is not there
    assert broken != buf.getvalue()
    r = import_stream(store, p.id, d.id, io.BytesIO(broken), "broken.pdf", ImportLimits())
    assert r.status == "failed" and r.message.startswith("broken.pdf: PDF page 2 of 2 is damaged"), r.message
    assert store.get_document(p.id, d.id).page_ids == []
    # and the PDF signature counts only at the start of the file
    assert sniff(b"junk%PDF-1.7 ...".ljust(16)) is None and sniff(b"%PDF-1.7\n") == "pdf"


# ------------------------------------------------------------------ 5. symbolic links, 7. server paths
def test_symbolic_links_in_the_data_directory_are_not_followed(tmp_path: Path, commentary_pages: list[Path]) -> None:
    app = create_app(Config(data_dir=tmp_path / "data"))
    client, store = app.server.test_client(), Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    body = client.post(f"/api/upload/{p.id}/{d.id}", data=commentary_pages[0].read_bytes(),
                       headers={"X-Kalamos-Filename": "a.png"}).get_json()
    page_id = body["page_ids"][0]
    from storage import lines as line_store
    from storage.models import Line

    [line] = line_store.add_lines(store, p.id, d.id, page_id, [Line("", "box", [[10, 10], [300, 10], [300, 60], [10, 60]])])
    cache = store.page_dir(p.id, d.id, page_id) / "cache"
    cache.mkdir(exist_ok=True)
    secret = tmp_path / "outside.txt"
    secret.write_text("root:x:0:0:secret")
    from services import PageRef, documents

    cut = documents.line_picture(store, PageRef(p.id, d.id, page_id), line.id)  # where the route keeps it
    cut.unlink()
    cut.symlink_to(secret)
    (cache / "base-1600.jpg").unlink(missing_ok=True)
    (cache / "base-1600.jpg").symlink_to(secret)
    (store.page_dir(p.id, d.id, page_id) / "thumb.jpg").unlink()
    (store.page_dir(p.id, d.id, page_id) / "thumb.jpg").symlink_to(secret)
    for url in (f"/files/{p.id}/{d.id}/{page_id}/line/{line.id}.png", f"/files/{p.id}/{d.id}/{page_id}/preview/base-1600.jpg",
                f"/files/{p.id}/{d.id}/{page_id}/thumb.jpg"):
        r = client.get(url)
        assert b"secret" not in r.data and r.status_code != 200, (url, r.status_code)
        assert str(tmp_path) not in r.get_data(as_text=True), "an absolute server path in the answer"


def test_messages_never_show_the_servers_absolute_paths(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    with pytest.raises(Exception) as info:
        store.inside(tmp_path / "data" / ".." / "elsewhere")
    assert str(tmp_path) not in str(info.value)
    p = store.create_project("P")
    where = store.delete_project(p.id)
    assert store.shown(where).startswith("trash/") and str(tmp_path) not in store.shown(where)
    (tmp_path / "data" / "projects" / "p-0123456789ab").mkdir()
    (tmp_path / "data" / "projects" / "p-0123456789ab" / "project.json").write_text("{broken")
    from storage.errors import CorruptRecord

    with pytest.raises(CorruptRecord) as info:
        store.get_project("p-0123456789ab")
    assert str(tmp_path) not in str(info.value) and "projects/p-0123456789ab/project.json" in str(info.value)


# ------------------------------------------------------------------ 6. markup in hover labels
def test_line_text_is_shown_as_text_in_figures() -> None:
    from layout.annotate import page_figure
    from layout.transcribe import review_figure

    evil = '<a href="//evil.example/x">A</a><b>B</b>'
    line = {"id": "ln-0123456789ab", "kind": "box", "view_points": [[0, 0], [10, 0], [10, 5], [0, 5]], "view_outline": [],
            "status": "machine", "text": evil, "number": 1, "outline": [[0, 0], [10, 0], [10, 5], [0, 5]], "conf": 50}
    view = {"page": "pg-0123456789ab", "url": "/x", "width": 100, "height": 100}
    for fig in (page_figure(view, [line], None), review_figure(view, [line])):
        texts = [t for tr in fig.data for t in (tr.hovertext or [])]
        assert texts and all("<a" not in t and "<b>" not in t for t in texts), texts
        assert any("&lt;a href=" in t for t in texts)


# ------------------------------------------------------------------ 8. debris and file modes
def test_debris_of_killed_writers_is_removed_at_start(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    old = store.project_dir(p.id) / ".project.json.abc123.tmp"
    fresh = store.project_dir(p.id) / ".project.json.def456.tmp"
    old.write_text("{")
    fresh.write_text("{")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    create_app(Config(data_dir=tmp_path / "data"))
    assert not old.exists() and fresh.exists(), "only old debris goes: a fresh one may be a write in progress"


def test_records_and_images_get_one_mode(tmp_path: Path, commentary_pages: list[Path]) -> None:
    script = f"""
import os, sys
os.umask(0o007)
sys.path.insert(0, {str(REPO)!r})
from pathlib import Path
from storage import Store
from storage.ingest import ImportLimits, import_paths
s = Store({str(tmp_path / 'data')!r}); p = s.create_project('P'); d = s.create_document(p.id, 'D')
import_paths(s, p.id, d.id, [Path({str(commentary_pages[0])!r})], ImportLimits())
"""
    subprocess.run([sys.executable, "-c", script], check=True, cwd=REPO, timeout=120)
    modes = {f.relative_to(tmp_path).as_posix(): stat.S_IMODE(f.stat().st_mode)
             for f in (tmp_path / "data").rglob("*") if f.is_file() and f.suffix != ".lock" and f.name != ".lock"}
    assert modes and set(modes.values()) == {0o660}, modes


# ------------------------------------------------------------------ 9. smaller
def test_ids_with_a_trailing_newline_are_refused() -> None:
    from storage.errors import InvalidInput

    assert check_id("page", "pg-0123456789ab") == "pg-0123456789ab"
    with pytest.raises(InvalidInput):
        check_id("page", "pg-0123456789ab\n")


def test_cross_origin_and_foreign_host_requests_are_refused(tmp_path: Path, commentary_pages: list[Path]) -> None:
    client = create_app(Config(data_dir=tmp_path / "data")).server.test_client()
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    data = commentary_pages[0].read_bytes()
    url = f"/api/upload/{p.id}/{d.id}"
    # a form on another site posting a file: no custom header, a foreign origin
    r = client.post(url, data=data, headers={"Origin": "http://evil.example", "Content-Type": "text/plain",
                                             "X-Kalamos-Filename": "a.png"})
    assert r.status_code == 403
    r = client.post(url, data=data, headers={"Content-Type": "text/plain"})
    assert r.status_code == 400 and "X-Kalamos-Filename" in r.get_json()["message"]
    assert store.get_document(p.id, d.id).page_ids == []
    # DNS rebinding: a page of evil.example whose name now points at this server
    r = client.get("/", headers={"Host": "evil.example:8050"})
    assert r.status_code == 400 and "KALAMOS_ALLOWED_HOSTS" in r.get_json()["message"]
    assert client.get("/", headers={"Host": "127.0.0.1:8050"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost:8050"}).status_code == 200
    # the page's own requests pass
    r = client.post(url, data=data, headers={"Origin": "http://localhost", "X-Kalamos-Filename": "a.png"})
    assert r.status_code == 200 and r.get_json()["status"] == "imported"


@pytest.mark.parametrize("host, ok", [("127.0.0.1:8050", True), ("[::1]:8050", True), ("10.1.2.3", True),
                                      ("localhost", True), ("kalamos.lab.example", True), ("evil.example", False),
                                      ("evil.example.:80", False), ("", False)])
def test_host_allow_list(host: str, ok: bool) -> None:
    assert host_allowed(host, {"localhost", "kalamos.lab.example"}) is ok


def test_same_origin() -> None:
    assert same_origin("http://127.0.0.1:8050", "127.0.0.1:8050")
    assert same_origin("https://kalamos.lab.example", "kalamos.lab.example")
    assert not same_origin("http://evil.example", "127.0.0.1:8050")
    assert not same_origin("null", "127.0.0.1:8050")


def test_an_interrupted_ocr_run_can_be_resumed(tmp_path: Path, shared_data: Path) -> None:
    from storage.ingest import import_paths
    from storage.ocrruns import RunSpec, list_runs, page_result, resume_run, run_ocr

    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    import_paths(store, p.id, d.id, sorted((shared_data / "gazis-pages").glob("*.jpg"))[:2], ImportLimits())
    # a run killed after its first page: the process dies inside the progress callback
    script = f"""
import os, sys
sys.path.insert(0, {str(REPO)!r})
from storage import Store
from storage.ocrruns import RunSpec, run_ocr
s = Store({str(tmp_path / 'data')!r})
run_ocr(s, {p.id!r}, {d.id!r}, None, RunSpec('grc', 6), 1, lambda done, total, left: os._exit(9))
"""
    assert subprocess.run([sys.executable, "-c", script], cwd=REPO, timeout=300).returncode == 9
    [run] = list_runs(store, p.id, d.id)
    assert run.state == "interrupted"
    assert sorted(st.status for st in run.pages.values()) == ["done", "waiting"]
    record = resume_run(store, p.id, d.id, run.id, 1)
    assert record.finished and all(st.status == "done" for st in record.pages.values())
    assert all(page_result(store, p.id, d.id, pid, run.id) for pid in record.order)
    [run] = list_runs(store, p.id, d.id)
    assert run.state == "finished"
    from storage.errors import InvalidInput

    with pytest.raises(InvalidInput, match="finished"):
        resume_run(store, p.id, d.id, run.id)
    del RunSpec, run_ocr


# ------------------------------------------------------------------ found by a second probe (after the fixes)
def test_uploads_larger_than_the_request_limit_but_within_the_file_limit_are_accepted(tmp_path: Path) -> None:
    client = create_app(Config(data_dir=tmp_path / "data", max_request_mb=1, max_file_mb=20)).server.test_client()
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    buf = io.BytesIO()
    Image.effect_noise((1400, 1400), 60).convert("RGB").save(buf, "TIFF")  # ~5.9 MB, uncompressed
    data = buf.getvalue()
    assert len(data) > 2 * 1024 * 1024
    r = client.post(f"/api/upload/{p.id}/{d.id}", data=data, headers={"X-Kalamos-Filename": "scan.tif"})
    assert r.status_code == 200 and r.get_json()["status"] == "imported", r.get_json()
    r = client.post(f"/api/upload/{p.id}/{d.id}", data=data * 4, headers={"X-Kalamos-Filename": "huge.tif"})
    assert r.get_json()["status"] == "failed" and r.get_json()["message"].startswith("huge.tif:") and "KALAMOS_MAX_FILE_MB" in r.get_json()["message"]
    grc = Path("/usr/share/tesseract-ocr/5/tessdata/grc.traineddata").read_bytes()
    r = client.post(f"/api/models/{p.id}/import?name=big_grc", data=grc, headers={"X-Kalamos-Filename": "grc.traineddata"})
    assert r.get_json()["status"] == "imported", r.get_json()


def test_lines_outside_the_page_are_refused_and_the_others_imported(tmp_path: Path, commentary_pages: list[Path]) -> None:
    from storage import lines as line_store
    from storage.errors import InvalidInput
    from storage.models import Line

    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    image = tmp_path / commentary_pages[0].name
    image.write_bytes(commentary_pages[0].read_bytes())
    page = (f'<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"><Page imageFilename="{image.name}">'
            '<TextRegion id="r"><TextLine id="a"><Baseline points="0,500 40000,500"/><TextEquiv><Unicode>far</Unicode></TextEquiv>'
            '</TextLine><TextLine id="b"><Baseline points="100,600 900,600"/><TextEquiv><Unicode>near</Unicode></TextEquiv>'
            '</TextLine></TextRegion></Page></PcGts>')
    xml = tmp_path / "p.xml"
    xml.write_text(page)
    report = import_gt(store, p.id, d.id, [xml])
    assert report.lines == 1 and any("outside the page" in f and "line 1" in f for f in report.failed), report
    [pg] = store.list_pages(p.id, d.id)
    [line] = line_store.list_lines(store, p.id, d.id, pg.id)
    assert line.text == "near"
    with pytest.raises(InvalidInput, match="outside the page"):
        line_store.update_line(store, p.id, d.id, pg.id, line.id, line.rev, points=[[0, 500], [1e6, 500]])
    with pytest.raises(InvalidInput, match="at most"):
        line_store.add_lines(store, p.id, d.id, pg.id, [Line("", "box", [[1, 1], [9, 1], [9, 9], [1, 9]])] * 3001)
    from services import PageRef, editing

    [drawn] = editing.add_drawn_lines(store, PageRef(p.id, d.id, pg.id), [Line("", "baseline", [[-50, 700], [pg.width + 900, 700]])])
    assert drawn.points == [[0.0, 700.0], [float(pg.width), 700.0]]  # drawn over the edge: brought back


def test_too_many_background_jobs_are_refused(tmp_path: Path) -> None:
    app = create_app(Config(data_dir=tmp_path / "data", max_jobs=1))
    client = app.server.test_client()
    manager = app._background_manager  # noqa: SLF001
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        manager.issued.add(sleeper.pid, __import__("psutil").Process(sleeper.pid).create_time())
        assert manager.issued.alive() == 1
        body = {"output": next(o for o, cb in app.callback_map.items() if cb.get("background")), "inputs": [], "state": []}
        r = client.post("/_dash-update-component", json=body)
        assert r.status_code == 429 and "KALAMOS_MAX_JOBS" in r.get_json()["message"]
    finally:
        sleeper.kill()
        sleeper.wait()
    assert manager.issued.alive() == 0  # the ended job's record is gone


@pytest.mark.parametrize("body", [b"{}", b"[]", b'{"output": 3}', b"[" * 200_000 + b"]" * 200_000, b"not json"])
def test_malformed_update_requests_get_a_reason(tmp_path: Path, body: bytes) -> None:
    client = create_app(Config(data_dir=tmp_path / "data")).server.test_client()
    r = client.post("/_dash-update-component", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "Malformed request" in r.get_json()["message"]


def test_a_damaged_image_on_disk_gets_a_reason_not_a_500(tmp_path: Path, commentary_pages: list[Path]) -> None:
    client = create_app(Config(data_dir=tmp_path / "data")).server.test_client()
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    pid = client.post(f"/api/upload/{p.id}/{d.id}", data=commentary_pages[0].read_bytes(),
                      headers={"X-Kalamos-Filename": "a.png"}).get_json()["page_ids"][0]
    page = store.get_page(p.id, d.id, pid)
    original = store.page_image_path(p.id, d.id, page)
    original.write_bytes(original.read_bytes()[:5000])  # a bad restore cut it short
    for name in ("thumb.jpg", "preview/base-1600.jpg"):
        (store.page_dir(p.id, d.id, pid) / name).unlink(missing_ok=True)
        (store.page_dir(p.id, d.id, pid) / "cache" / "base-1600.jpg").unlink(missing_ok=True)
        r = client.get(f"/files/{p.id}/{d.id}/{pid}/{name}")
        assert r.status_code == 422 and "cannot be read" in r.get_json()["message"], (name, r.status_code)
        assert str(tmp_path) not in r.get_data(as_text=True)


def test_a_pdf_after_white_space_is_a_pdf_and_a_too_big_page_says_so(tmp_path: Path) -> None:
    from pypdfium2 import PdfDocument

    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    pdf = PdfDocument.new()
    pdf.new_page(72 * 40, 72 * 40)  # 40 inches square
    buf = io.BytesIO()
    pdf.save(buf)
    r = import_stream(store, p.id, d.id, io.BytesIO(b"\n" + buf.getvalue()), "big.pdf", ImportLimits(max_pixels=50_000_000))
    assert r.status == "failed" and "over the limit of 50" in r.message and "damaged" not in r.message, r.message
