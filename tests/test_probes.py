"""The outside probes, in a bounded form that runs with every ``make test`` (RELIABILITY.md has the
full runs and their figures): hundreds of generated bad uploads through the HTTP upload route and
some through gunicorn, hostile values in every route that takes an id or a name (enumerated from
Flask's URL map, so a new route cannot slip by), and script payloads in names and transcriptions
read back from every export."""

from __future__ import annotations

import io
import json
import os
import random
import struct
import zlib
from pathlib import Path
from urllib.parse import quote

import pytest
from lxml import etree, html as lxml_html
from PIL import Image

from app import create_app
from config import Config
from storage import Store
from storage import lines as line_store
from storage.models import Line

SEED = 20261129
#: Generated uploads per run: bounded for ``make test``; RELIABILITY.md reports a run with 4,000.
CASES = int(os.environ.get("KALAMOS_PROBE_CASES", "500"))  # the lab-server issue asks for at least 500


# ------------------------------------------------------------------ samples and their mutations
def _png(mode: str, size: tuple[int, int] = (240, 160)) -> bytes:
    buf = io.BytesIO()
    img = Image.new(mode, size, 200 if mode in ("L", "P") else (200,) * len(mode))
    img.save(buf, "PNG")
    return buf.getvalue()


def _samples() -> dict[str, bytes]:
    out = {f"png-{m}": _png(m) for m in ("L", "RGB", "RGBA", "P", "1")}
    for fmt, ext in (("JPEG", "jpg"), ("WEBP", "webp")):
        buf = io.BytesIO()
        Image.new("RGB", (240, 160), (180, 170, 150)).save(buf, fmt)
        out[ext] = buf.getvalue()
    buf = io.BytesIO()
    frames = [Image.new("L", (120, 80), v) for v in (100, 150, 200)]
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    out["tif"] = buf.getvalue()
    from pypdfium2 import PdfDocument

    pdf = PdfDocument.new()
    for _ in range(2):
        pdf.new_page(72, 72)
    buf = io.BytesIO()
    pdf.save(buf)
    out["pdf"] = buf.getvalue()
    return out


def _png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header announcing a huge image, with a tiny body."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def _bomb(side: int) -> bytes:
    row = b"\x00" + b"\xff" * side
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


HOSTILE_NAMES = ["../../etc/passwd", "..\\..\\boot.ini", "a\x00b.png", "CON.png", "x" * 1000 + ".png", "..", ".",
                 "<script>alert(1)</script>.png", "%2e%2e%2fx.png", "\u202egnp.exe", "\n\r\t.png", "page\u0000.jpg",
                 "/absolute/path.tif", "ok name.png", "ὀδυσσεύς.jpg", "'\";--.pdf"]


def bad_uploads(n: int) -> list[tuple[str, bytes]]:
    """``n`` generated bad or odd files (name, bytes), reproducibly."""
    rng = random.Random(SEED)
    samples = _samples()
    cases: list[tuple[str, bytes]] = [("empty.png", b""), ("zero.jpg", b"\x00" * 4096),
                                      ("huge-header.png", _png_claiming(200_000, 200_000)),
                                      ("huge-header-2.png", _png_claiming(1, 2**31 - 1)),
                                      ("bomb.png", _bomb(6000)), ("html.jpg", b"<html><script>alert(1)</script></html>"),
                                      ("pdf-later.pdf", b"garbage" * 20 + samples["pdf"]),
                                      ("gif.png", b"GIF89a" + bytes(100)), ("zip.tif", b"PK\x03\x04" + bytes(100))]
    cases += [(name, samples["png-L"]) for name in HOSTILE_NAMES]
    kinds = list(samples)
    while len(cases) < n:
        kind = rng.choice(kinds)
        data = bytearray(samples[kind])
        how = rng.choice(["truncate", "flip", "zero", "splice", "random", "rename"])
        if how == "truncate":
            data = data[: rng.randrange(1, len(data))]
        elif how == "flip":
            for _ in range(rng.randint(1, 20)):
                i = rng.randrange(len(data))
                data[i] ^= 1 << rng.randrange(8)
        elif how == "zero":
            i = rng.randrange(len(data))
            data[i:i + rng.randint(1, 200)] = bytes(min(len(data) - i, rng.randint(1, 200)))
        elif how == "splice":
            other = samples[rng.choice(kinds)]
            i = rng.randrange(len(data))
            data = data[:i] + other[rng.randrange(len(other)):]
        elif how == "random":
            data = bytearray(rng.randbytes(rng.randint(1, 5000)))
        ext = rng.choice(["png", "jpg", "tif", "webp", "pdf", "txt", "exe"]) if how == "rename" else kind.split("-")[0]
        cases.append((f"{how}-{len(cases)}.{ext}", bytes(data)))
    return cases[:n]


def _outside_snapshot(root: Path, data_dir: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if data_dir not in (p, *p.parents)}


def _check_document(store: Store, project_id: str, document_id: str) -> int:
    """Every page listed is whole: its record reads, its image decodes; no staging folder is left."""
    pages = store.list_pages(project_id, document_id)
    assert len(pages) == len(store.get_document(project_id, document_id).page_ids)
    for page in pages:
        with Image.open(store.page_image_path(project_id, document_id, page)) as img:
            img.load()
            assert img.size == (page.width, page.height)
    assert [e for e in (store.root / "tmp").iterdir() if not e.name.startswith(".")] == []
    return len(pages)


def test_fuzzed_uploads_through_the_upload_route(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    app = create_app(Config(data_dir=data_dir, max_pixels=20_000_000, max_pages=10))
    client, store = app.server.test_client(), Store(data_dir)
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    before = _outside_snapshot(tmp_path, data_dir)
    counts = {"imported": 0, "skipped": 0, "failed": 0}
    for name, data in bad_uploads(CASES):
        r = client.post(f"/api/upload/{p.id}/{d.id}", data=data, headers={"X-Kalamos-Filename": quote(name, safe="")})
        assert r.status_code == 200, (name, r.status_code, r.data[:300])
        body = r.get_json()
        assert body["status"] in counts and body["message"], (name, body)
        assert "Traceback" not in body["message"] and str(tmp_path) not in body["message"], body["message"]
        counts[body["status"]] += 1
    assert counts["failed"] >= CASES * 0.6, counts  # most of them are broken; some flips and splices still decode
    print(f"fuzzed uploads: {counts}")
    assert _check_document(store, p.id, d.id) >= counts["imported"]
    assert _outside_snapshot(tmp_path, data_dir) == before, "a file appeared outside the data directory"
    assert client.get("/").status_code == 200


def test_fuzzed_uploads_through_gunicorn(gunicorn) -> None:  # type: ignore[no-untyped-def]
    import urllib.request

    store = Store(gunicorn.data_dir)
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    statuses = []
    for name, data in bad_uploads(400)[::8]:  # 50 of them, over real sockets
        req = urllib.request.Request(f"{gunicorn.url}/api/upload/{p.id}/{d.id}", data=data, method="POST",
                                     headers={"X-Kalamos-Filename": quote(name, safe=""), "Content-Type": "application/octet-stream"})
        with urllib.request.urlopen(req, timeout=60) as r:
            body = json.load(r)
        assert body["message"] and body["status"] in ("imported", "skipped", "failed"), body
        statuses.append(body["status"])
    assert statuses.count("failed") >= 30
    _check_document(store, p.id, d.id)
    with urllib.request.urlopen(gunicorn.url + "/", timeout=10) as r:
        assert r.status == 200


# ------------------------------------------------------------------ traversal and id tampering
HOSTILE_VALUES = ["..", "../..", "..%2f..%2fetc%2fpasswd", "%2e%2e", "%2e%2e%2f%2e%2e%2fstore.json", "p-0123456789ab%0a",
                  "P-0123456789AB", "p-0123456789ab%00", "p-../../../", "x" * 3000, "%E1%BD%80", "~root", "*", "%20",
                  "pg-0123456789ab", "ln-0123456789ab", "d-0123456789ab", "store.json", "..%5c..%5cwin.ini",
                  "%252e%252e%252f", "con", "-1", "0"]
SECRETS = (b"root:x:", b"kalamos-data", b"schema_version", b"secret_key")


@pytest.fixture
def populated(tmp_path: Path, commentary_pages: list[Path]):  # type: ignore[no-untyped-def]
    (tmp_path / "outside.txt").write_text("root:x:0:0:outside")
    data_dir = tmp_path / "data"
    app = create_app(Config(data_dir=data_dir))
    client, store = app.server.test_client(), Store(data_dir)
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    body = client.post(f"/api/upload/{p.id}/{d.id}", data=commentary_pages[0].read_bytes(),
                       headers={"X-Kalamos-Filename": "a.png"}).get_json()
    page_id = body["page_ids"][0]
    [line] = line_store.add_lines(store, p.id, d.id, page_id, [Line("", "box", [[10, 10], [300, 10], [300, 60], [10, 60]],
                                                                    text="λόγος", status="verified")])
    valid = {"project_id": p.id, "document_id": d.id, "page_id": page_id, "line_id": line.id, "fmt": "txt",
             "name": "base-1600.jpg", "filename": "kalamos.css", "path": "x", "package_name": "dash",
             "fingerprinted_path": "dash-renderer/build/dash_renderer.min.js"}
    return app, client, valid, tmp_path


def test_traversal_and_tampering_on_every_route(populated) -> None:  # type: ignore[no-untyped-def]
    app, client, valid, tmp_path = populated
    cases = 0
    for rule in app.server.url_map.iter_rules():
        if not rule.arguments:
            continue
        method = "POST" if "POST" in rule.methods else "GET"
        for arg in sorted(rule.arguments):
            for hostile in HOSTILE_VALUES:
                values = {**valid, arg: "HOSTILE"}
                url = rule.rule
                for key, value in values.items():
                    url = url.replace(f"<{key}>", value).replace(f"<path:{key}>", value).replace(f"<string:{key}>", value)
                url = url.replace("HOSTILE", hostile)
                r = client.open(url, method=method, data=b"x", headers={"X-Kalamos-Filename": "x.png"})
                cases += 1
                assert r.status_code < 500, (url, r.status_code, r.data[:300])
                assert not any(s in r.data for s in SECRETS), (url, r.data[:300])
                assert str(tmp_path).encode() not in r.data, (url, "an absolute server path in the answer")
    assert cases >= 300, cases
    print(f"traversal requests: {cases}")


# ------------------------------------------------------------------ stored scripts
PAYLOADS = ["<script>alert('x')</script>", '"><img src=x onerror=alert(1)>', "<a href=\"//evil.example/x\">A</a>",
            "javascript:alert(1)", "]]><!--", "&lt;b&gt;", "<svg/onload=alert(1)>", "{{7*7}}"]


def test_script_payloads_are_text_in_every_export(tmp_path: Path, commentary_pages: list[Path]) -> None:
    from storage.groundtruth import export_xml
    from services.exports import transcript_files as export_files
    from storage.formats.registry import transcript_formats

    data_dir = tmp_path / "data"
    app = create_app(Config(data_dir=data_dir))
    client, store = app.server.test_client(), Store(data_dir)
    p = store.create_project(PAYLOADS[0])
    d = store.create_document(p.id, PAYLOADS[1])
    body = client.post(f"/api/upload/{p.id}/{d.id}", data=commentary_pages[0].read_bytes(),
                       headers={"X-Kalamos-Filename": quote(PAYLOADS[2] + ".png", safe="")}).get_json()
    page_id = body["page_ids"][0]
    lines = [Line("", "box", [[10, 10 + 40 * i], [300, 10 + 40 * i], [300, 45 + 40 * i], [10, 45 + 40 * i]],
                  text=text, status="verified") for i, text in enumerate(PAYLOADS)]
    line_store.add_lines(store, p.id, d.id, page_id, lines)
    for fmt in [f.key for f in transcript_formats()]:
        [(name, data)] = export_files(store, p.id, d.id, fmt).items()
        assert "/" not in name and ".." not in name, name
        if fmt == "txt":
            assert data.decode().splitlines() == PAYLOADS
        elif fmt == "hocr":
            doc = lxml_html.fromstring(data)
            assert not doc.xpath("//script|//img|//svg|//a"), "markup from a transcription became an element"
            assert not [a for el in doc.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]
            assert [el.text_content() for el in doc.xpath("//*[@class='ocr_line']")] == PAYLOADS
        elif fmt in ("alto", "page"):
            root = etree.fromstring(data)
            if fmt == "alto":
                texts = [" ".join(s.get("CONTENT") for s in ln.iter("{*}String")) for ln in root.iter("{*}TextLine")]
            else:
                texts = [ln.find("{*}TextEquiv/{*}Unicode").text for ln in root.iter("{*}TextLine")]
            assert texts == PAYLOADS
    out = tmp_path / "gt"
    export_xml(store, p.id, [d.id], out, "page")
    assert all("<script" not in f.name for f in out.rglob("*"))
    for f in out.glob("*.xml"):
        etree.fromstring(f.read_bytes())  # well-formed whatever the names held
    r = client.get(f"/transcript/{p.id}/{d.id}/zip")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    assert "<" not in r.headers["Content-Disposition"].split("''", 1)[-1]  # the name is percent-encoded
