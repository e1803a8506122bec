"""Upload validation: every bad input gets a message naming the file and the reason, the good files
of the batch are imported, and nothing half-written stays on disk. These call ``import_stream`` /
``import_paths``: the functions behind both the upload route and ``kalamos import``."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from storage import Store
from storage.ingest import ImportLimits, clean_filename, import_paths, import_stream

RES = Path(__file__).resolve().parent / "resources"
LIMITS = ImportLimits()


@pytest.fixture
def doc(tmp_path: Path) -> tuple[Store, str, str]:
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    return store, p.id, d.id


def files_on_disk(store: Store) -> set[Path]:
    """Everything under the data directory except lock files (folder locks, import slots)."""
    return {p for p in store.root.rglob("*") if p.is_file() and p.suffix != ".lock" and p.name != ".lock"}


def png_bytes(size: tuple[int, int] = (300, 200), mode: str = "L") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, 255).save(buf, "PNG")
    return buf.getvalue()


def imp(doc: tuple[Store, str, str], data: bytes, name: str, limits: ImportLimits = LIMITS):  # type: ignore[no-untyped-def]
    store, p, d = doc
    return import_stream(store, p, d, io.BytesIO(data), name, limits, declared_size=None)


def assert_refused_cleanly(doc: tuple[Store, str, str], data: bytes, name: str, reason: str,
                           limits: ImportLimits = LIMITS) -> None:
    store, p, d = doc
    before = files_on_disk(store)
    result = imp(doc, data, name, limits)
    assert result.status == "failed", result
    assert result.message.startswith(clean_filename(name)[0] + ":"), result.message
    assert reason in result.message, result.message
    assert files_on_disk(store) == before, "something was left on disk"
    assert [e for e in (store.root / "tmp").iterdir() if not e.name.startswith(".")] == []
    assert store.get_document(p, d).page_ids == []


def test_good_image_keeps_original_byte_for_byte(doc, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    store, p, d = doc
    src = shared_data / "gazis-pages" / "page-00.jpg"
    result = imp(doc, src.read_bytes(), src.name)
    assert result.status == "imported" and len(result.page_ids) == 1
    page = store.get_page(p, d, result.page_ids[0])
    kept = store.document_dir(p, d) / page.source.original
    assert kept.read_bytes() == src.read_bytes()
    import hashlib
    assert page.source.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert store.page_image_path(p, d, page) == kept.resolve()  # a plain JPEG is read as uploaded
    with Image.open(src) as im:
        assert (page.width, page.height) == im.size
    assert (store.page_dir(p, d, page.id) / "thumb.jpg").stat().st_size > 1000


def test_same_file_twice_is_skipped_with_a_message(doc) -> None:  # type: ignore[no-untyped-def]
    data = png_bytes()
    assert imp(doc, data, "a.png").status == "imported"
    again = imp(doc, data, "copy of a.png")
    assert again.status == "skipped" and "already page 1" in again.message


def test_multipage_tiff_becomes_several_pages(doc) -> None:  # type: ignore[no-untyped-def]
    store, p, d = doc
    frames = [Image.new("L", (400, 300 + 10 * i), 200) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw")
    result = imp(doc, buf.getvalue(), "folio.tif")
    assert result.status == "imported" and "3 pages" in result.message
    pages = store.list_pages(p, d)
    assert [pg.height for pg in pages] == [300, 310, 320]
    assert [pg.label for pg in pages] == [f"folio.tif (frame {i}/3)" for i in (1, 2, 3)]
    assert len({pg.source.original for pg in pages}) == 1  # one original shared by its frames


def test_pdf_pages_are_rasterised_at_the_chosen_dpi(doc) -> None:  # type: ignore[no-untyped-def]
    store, p, d = doc
    result = imp(doc, (RES / "two-pages.pdf").read_bytes(), "scan.pdf", ImportLimits(pdf_dpi=150))
    assert result.status == "imported", result.message
    pages = store.list_pages(p, d)
    assert len(pages) == 2 and all(pg.dpi == 150 for pg in pages)
    assert abs(pages[0].width - 900) <= 1 and abs(pages[0].height - 1200) <= 1  # 6×8 in at 150 dpi


def test_webp_and_rgba_png_are_accepted(doc) -> None:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    Image.new("RGB", (200, 100), (200, 180, 150)).save(buf, "WEBP")
    assert imp(doc, buf.getvalue(), "photo.webp").status == "imported"
    assert imp(doc, png_bytes(mode="RGBA"), "alpha.png").status == "imported"


def test_exif_rotated_photo_is_stored_upright(doc) -> None:  # type: ignore[no-untyped-def]
    store, p, d = doc
    img = Image.new("RGB", (400, 200), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: display rotated by 90°
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    result = imp(doc, buf.getvalue(), "phone.jpg")
    page = store.get_page(p, d, result.page_ids[0])
    assert (page.width, page.height) == (200, 400) and page.image == "image.png"


# ------------------------------------------------------------------ one test per bad input
def test_empty_file(doc) -> None:  # type: ignore[no-untyped-def]
    assert_refused_cleanly(doc, b"", "empty.jpg", "the file is empty")


def test_not_an_image(doc) -> None:  # type: ignore[no-untyped-def]
    assert_refused_cleanly(doc, "Μῆνιν ἄειδε, θεά\n".encode() * 10, "notes.png", "unsupported type: a text file")


def test_unsupported_type_is_named(doc) -> None:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    Image.new("P", (20, 20)).save(buf, "GIF")
    assert_refused_cleanly(doc, buf.getvalue(), "anim.gif", "unsupported type: a GIF image")
    assert_refused_cleanly(doc, b"PK\x03\x04" + b"\0" * 100, "thesis.docx", "ZIP archive")


def test_truncated_jpeg(doc, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    data = (shared_data / "gazis-pages" / "page-00.jpg").read_bytes()
    assert_refused_cleanly(doc, data[: len(data) // 3], "cut.jpg", "truncated")


def test_corrupt_png(doc) -> None:  # type: ignore[no-untyped-def]
    data = bytearray(png_bytes((500, 500)))
    data[60:120] = b"\x00" * 60  # damage the compressed data inside IDAT
    assert_refused_cleanly(doc, bytes(data), "damaged.png", "damaged")


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width``×``height`` pixels: the classic decompression bomb."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding(doc) -> None:  # type: ignore[no-untyped-def]
    bomb = _png_header_only(40_000, 40_000)  # 1600 MP claimed in 1 KB
    assert len(bomb) < 2000
    assert_refused_cleanly(doc, bomb, "bomb.png", "1600 megapixels, over the limit of 300")


def test_pixel_limit_is_configurable(doc) -> None:  # type: ignore[no-untyped-def]
    assert_refused_cleanly(doc, png_bytes((2000, 1000)), "big.png", "over the limit of 1", ImportLimits(max_pixels=1_000_000))


def test_file_over_the_size_limit(doc) -> None:  # type: ignore[no-untyped-def]
    data = png_bytes((800, 800), "RGB") + b"\0" * 5000
    assert_refused_cleanly(doc, data, "huge.png", "larger than the limit", ImportLimits(max_bytes=4000))
    store, p, d = doc  # the declared size is checked before anything is read
    r = import_stream(store, p, d, io.BytesIO(b""), "declared.png", ImportLimits(max_bytes=10), declared_size=11)
    assert r.status == "failed" and "larger than the limit" in r.message


def test_name_with_path_parts_is_cleaned_never_used_as_a_path(doc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, p, d = doc
    result = imp(doc, png_bytes(), "../../../outside.png")
    assert result.status == "imported"
    assert result.warnings and "'outside.png'" in result.warnings[0]
    assert not (tmp_path / "outside.png").exists() and not (store.root.parent / "outside.png").exists()
    assert all(store.root in f.parents for f in files_on_disk(store))
    assert store.get_page(p, d, result.page_ids[0]).source.filename == "outside.png"


@pytest.mark.parametrize("raw,shown", [
    ("C:\\scans\\folio 1r.png", "folio 1r.png"),
    ("evil\x00name\n.png", "evilname.png"),
    ("..", "unnamed"),
    ("", "unnamed"),
    ("φύλλον\u200b 2.png", "φύλλον 2.png"),
])
def test_odd_names(raw: str, shown: str) -> None:
    name, warning = clean_filename(raw)
    assert name == shown and warning is not None


def test_pdf_without_pages(doc) -> None:  # type: ignore[no-untyped-def]
    assert_refused_cleanly(doc, (RES / "no-pages.pdf").read_bytes(), "empty.pdf", "the PDF has no pages")


def test_pdf_with_password(doc) -> None:  # type: ignore[no-untyped-def]
    assert_refused_cleanly(doc, (RES / "password.pdf").read_bytes(), "secret.pdf", "protected by a password")


def test_damaged_pdf(doc) -> None:  # type: ignore[no-untyped-def]
    data = (RES / "two-pages.pdf").read_bytes()
    assert_refused_cleanly(doc, data[:300], "half.pdf", "damaged")


def test_bad_files_do_not_stop_the_good_ones(doc, commentary_pages: list[Path], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, p, d = doc
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"II*\x00" + b"\xff" * 64)
    missing = tmp_path / "gone.png"
    results = import_paths(store, p, d, [commentary_pages[0], bad, missing, commentary_pages[1]], LIMITS)
    assert [r.status for r in results] == ["imported", "failed", "failed", "imported"]
    assert "bad.tif:" in results[1].message and "gone.png: cannot be read" in results[2].message
    assert len(store.get_document(p, d).page_ids) == 2


def test_palette_png_scans_are_read_as_uploaded(doc, commentary_pages: list[Path]) -> None:  # type: ignore[no-untyped-def]
    """A decoded 8-bit copy of a palette scan would only be bigger and slower for Tesseract."""
    store, p, d = doc
    [r] = import_paths(store, p, d, [commentary_pages[0]], LIMITS)
    page = store.get_page(p, d, r.page_ids[0])
    assert page.image.startswith("../../originals/") and page.image.endswith(".png")
    assert store.page_image_path(p, d, page).read_bytes() == commentary_pages[0].read_bytes()
