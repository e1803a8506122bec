"""Ground truth in and out: PAGE XML 2019 and ALTO 4.4 validate against their schemas and
round-trip; files from eScriptorium, Transkribus, Tesseract import; the GT4HistComment TSV imports
with the right boxes; the tesstrain export is what tesstrain reads."""

from __future__ import annotations

import csv
import shutil
import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pytest
from lxml import etree

from storage import Store
from storage import lines as line_store
from storage.formats import FormatError
from storage.formats.alto import read_alto
from storage.formats.pagexml import read_page_xml
from storage.groundtruth import export_tesstrain, export_xml, import_gt, read_gt_file
from storage.ingest import ImportLimits, import_paths
from storage.models import Line

RES = Path(__file__).resolve().parent / "resources"
SCHEMAS = RES / "schemas"


def schema(name: str) -> etree.XMLSchema:
    text = (SCHEMAS / name).read_text(encoding="utf-8")
    text = text.replace('schemaLocation="http://www.loc.gov/standards/xlink/xlink.xsd"',
                        f'schemaLocation="{(SCHEMAS / "xlink.xsd").as_uri()}"')
    return etree.XMLSchema(etree.fromstring(text.encode(), base_url=(SCHEMAS / name).as_uri()))


def validate(path: Path, xsd: str) -> None:
    s = schema(xsd)
    doc = etree.parse(str(path))
    assert s.validate(doc), s.error_log


@pytest.fixture
def folio(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A document with one 1200×800 page named folio.png, with three verified lines and an empty one."""
    img = np.full((800, 1200), 255, np.uint8)
    for y in (150, 250, 350):
        cv2.putText(img, "Lorem ipsum dolor sit amet", (120, y), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 0, 3)
    src = tmp_path / "folio.png"
    cv2.imwrite(str(src), img)
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    [r] = import_paths(store, p.id, d.id, [src], ImportLimits())
    pg = r.page_ids[0]
    line_store.add_lines(store, p.id, d.id, pg, [
        Line("", "baseline", [[110, 150], [700, 152], [1100, 150]], text="μῆνιν ἄειδε θεὰ", status="verified"),
        Line("", "box", [[110, 210], [1100, 210], [1100, 265], [110, 265]], text="Πηληϊάδεω Ἀχιλῆος", status="verified"),
        Line("", "polygon", [[110, 310], [1100, 305], [1100, 365], [110, 370]], text="οὐλομένην, ἣ μυρί’", status="verified"),
        Line("", "box", [[110, 400], [600, 400], [600, 450], [110, 450]]),
    ])
    return store, p.id, d.id, pg, src


@pytest.mark.parametrize("fmt,xsd,reader", [("page", "pagecontent-2019-07-15.xsd", read_page_xml),
                                            ("alto", "alto-4-4.xsd", read_alto)])
def test_xml_export_validates_and_round_trips(folio, tmp_path: Path, fmt: str, xsd: str, reader) -> None:  # type: ignore[no-untyped-def]
    store, p, d, pg, _ = folio
    report = export_xml(store, p, [d], tmp_path / fmt, fmt)
    assert (report.pages, report.lines) == (1, 3)  # the empty line is not ground truth
    [xml] = sorted((tmp_path / fmt).glob("*.xml"))
    validate(xml, xsd)
    back = reader(xml.read_bytes(), xml.name)
    assert (tmp_path / fmt / back.image_filename).exists() and (back.width, back.height) == (1200, 800)
    originals = [ln for ln in line_store.list_lines(store, p, d, pg) if ln.text]
    assert [ln.text for ln in back.lines] == [ln.text for ln in originals]
    # geometry survives: the box comes back as the same rectangle, the baseline as the same points
    assert back.lines[1].points == [[110, 210], [1100, 210], [1100, 265], [110, 265]]
    assert back.lines[0].baseline == [[110, 150], [700, 152], [1100, 150]]
    # export → import into a fresh document gives the same lines
    store2 = Store(tmp_path / "data2")
    p2 = store2.create_project("P")
    d2 = store2.create_document(p2.id, "D")
    rep = import_gt(store2, p2.id, d2.id, [xml])
    assert (rep.pages, rep.lines, rep.images_imported, rep.failed) == (1, 3, 1, [])
    [page2] = store2.list_pages(p2.id, d2.id)
    again = line_store.list_lines(store2, p2.id, d2.id, page2.id)
    assert [ln.text for ln in again] == [ln.text for ln in originals]
    assert all(ln.status == "verified" for ln in again)
    assert again[1].points == originals[1].points


def test_page_and_alto_of_a_document_from_iiif_name_its_manifest_and_canvas(folio, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A document imported from a IIIF manifest: its PAGE and ALTO still validate and say where the page
    came from (PAGE: Metadata items; ALTO: sourceImageInformation), ground truth and transcript alike."""
    from services.exports import transcript_files

    store, p, d, pg, _ = folio
    manifest, canvas = "https://example.org/iiif/ms-1/manifest.json?a=1&b=2", "https://example.org/iiif/ms-1/canvas/f1r"
    store.update_document(p, d, lambda doc: setattr(doc, "source", {
        "kind": "iiif", "manifest": manifest, "version": 3, "label": "Venetus A <scholia>", "attribution": "Marciana",
        "rights": "http://creativecommons.org/licenses/by/4.0/", "license": "", "imported": "2024-05-01T10:00:00+00:00"}))
    store.update_page(p, d, pg, lambda page: setattr(page, "iiif", {
        "canvas": canvas, "label": "f. 1r", "width": 600, "height": 400, "image": "https://example.org/img/f1r.jpg"}))
    for fmt, xsd, reader in (("page", "pagecontent-2019-07-15.xsd", read_page_xml), ("alto", "alto-4-4.xsd", read_alto)):
        export_xml(store, p, [d], tmp_path / fmt, fmt)
        [xml] = sorted((tmp_path / fmt).glob("*.xml"))
        validate(xml, xsd)
        [(_, transcript)] = transcript_files(store, p, d, fmt).items()
        for data in (xml.read_bytes(), transcript):
            root = etree.fromstring(data)
            assert schema(xsd).validate(root)
            if fmt == "page":
                items = {i.get("name"): i.get("value") for i in root.iter("{*}MetadataItem")}
                assert items == {"iiif-manifest": manifest, "iiif-canvas": canvas, "iiif-canvas-label": "f. 1r",
                                 "iiif-canvas-width": "600", "iiif-canvas-height": "400",
                                 "iiif-image": "https://example.org/img/f1r.jpg", "source-label": "Venetus A <scholia>",
                                 "source-attribution": "Marciana", "source-rights": "http://creativecommons.org/licenses/by/4.0/"}
                assert root.find("{*}Metadata").get("externalRef") == manifest
            else:
                info = root.find("{*}Description/{*}sourceImageInformation")
                assert {f.get("fileIdentifierLocation"): f.text for f in info.iter("{*}fileIdentifier")} == {
                    "iiif-canvas": canvas, "iiif-image": "https://example.org/img/f1r.jpg"}
                assert info.find("{*}documentIdentifier").text == manifest
                assert info.find("{*}documentIdentifier").get("documentIdentifierLocation") == "iiif-manifest"
            back = reader(data, xml.name)  # and they still read back
            assert [ln.text for ln in back.lines if ln.text] == ["μῆνιν ἄειδε θεὰ", "Πηληϊάδεω Ἀχιλῆος", "οὐλομένην, ἣ μυρί’"]
    # hOCR and the searchable PDF carry the source too (Dublin Core meta; the PDF's information)
    [(_, hocr)] = transcript_files(store, p, d, "hocr").items()
    meta = {m.get("name"): m.get("content") for m in etree.fromstring(hocr).iter("{*}meta")}
    assert meta["DC.source"] == manifest and meta["DC.title"] == "Venetus A <scholia>" and meta["DC.publisher"] == "Marciana"
    [(_, pdf)] = transcript_files(store, p, d, "pdf").items()
    from pypdfium2 import PdfDocument

    info = PdfDocument(pdf).get_metadata_dict()
    assert info["Title"] == "Venetus A <scholia>" and manifest in info["Subject"] and "Marciana" in info["Subject"]


def test_importing_files_from_other_tools(folio) -> None:  # type: ignore[no-untyped-def]
    store, p, d, pg, _ = folio
    line_store.replace_lines(store, p, d, pg, [])
    expected = {
        "escriptorium-page.xml": (["μῆνιν ἄειδε θεὰ", "Πηληϊάδεω Ἀχιλῆος"], [[100, 150], [600, 152], [1100, 150]]),
        # Transkribus page at twice the resolution: scaled to the page; index 0 is the reading kept;
        # a line without TextEquiv takes its words
        "transkribus-2013.xml": (["οὐλομένην, ἣ", "μυρί’ Ἀχαιοῖς"], [[100, 150], [1100, 150]]),
        "escriptorium-alto.xml": (["μῆνιν ἄειδε θεὰ"], [[100, 150], [1100, 150]]),
        "tesseract-alto.xml": (["μῆνιν ἄειδε"], None),
    }
    for name, (texts, first_baseline) in expected.items():
        rep = import_gt(store, p, d, [RES / "gt" / name], replace=True)
        assert rep.failed == [] and rep.lines == len(texts), (name, rep)
        got = line_store.list_lines(store, p, d, pg)
        assert [ln.text for ln in got] == texts, name
        assert (got[0].points if got[0].kind == "baseline" else got[0].baseline) == first_baseline, name
    # without --replace, a page with lines is left alone, with a message
    rep = import_gt(store, p, d, [RES / "gt" / "escriptorium-page.xml"])
    assert rep.lines == 0 and "already" in rep.messages[0]


def test_gt4histcomment_tsv_import(tmp_path: Path, shared_data: Path) -> None:
    tsv = shared_data / "gt4histcomment" / "cu31924087948174" / "cu31924087948174_training.tsv"
    rows = [r for r in csv.reader(tsv.open(encoding="utf-8"), delimiter="\t", quoting=csv.QUOTE_NONE) if len(r) >= 3]
    store = Store(tmp_path / "data")
    p = store.create_project("Campbell")
    d = store.create_document(p.id, "Ajax 1881")
    rep = import_gt(store, p.id, d.id, [tsv])
    assert rep.failed == [] and rep.lines == len(rows) and rep.images_imported == len({r[0] for r in rows})
    first = rows[0]
    page = next(pg for pg in store.list_pages(p.id, d.id) if pg.source.filename == first[0])
    line = line_store.list_lines(store, p.id, d.id, page.id)[0]
    x0, y0, x1, y1 = (float(v) for v in first[1].split())
    assert line.kind == "box" and line.points == [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    assert line.text == unicodedata.normalize("NFC", first[2]).strip() and line.status == "verified"


def test_tesstrain_export(folio, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, p, d, pg, _ = folio
    out = tmp_path / "gt"
    report = export_tesstrain(store, p, None, out)
    assert report.lines == 3 and not report.problems
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 3 and all(png.with_suffix("").with_suffix(".gt.txt").exists() for png in pngs)
    texts = [png.with_suffix("").with_suffix(".gt.txt").read_text(encoding="utf-8") for png in pngs]
    assert texts[0] == "μῆνιν ἄειδε θεὰ\n" and all(t == unicodedata.normalize("NFC", t) and t.count("\n") == 1 for t in texts)
    img = cv2.imread(str(pngs[0]), cv2.IMREAD_UNCHANGED)
    band = store.get_page(p, d, pg).xheight
    assert band and img.shape[1] > 990 and img.shape[0] == pytest.approx(2.8 * band + 8, abs=2)
    assert (img < 128).mean() > 0.02  # the text is in it
    box = cv2.imread(str(pngs[1]), cv2.IMREAD_UNCHANGED)
    assert box.shape[:2] == (56 + 8, 991 + 8)


@pytest.mark.parametrize("content,message", [
    (b"<PcGts><Page", "not well-formed XML"),
    (b"<html><body/></html>", "neither PAGE nor ALTO"),
    (b"img.png\t10 20\ttext\n", "is not four numbers"),
    (b"img.png\t10 20 5 30\ttext\n", "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not PAGE XML, ALTO or TSV"),
])
def test_bad_gt_files_are_refused_by_name(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / ("bad.xml" if content.startswith(b"<") else "bad.tsv" if b"\t" in content else "bad.bin")
    path.write_bytes(content)
    with pytest.raises(FormatError, match=message):
        read_gt_file(path)


def test_xml_entities_are_not_expanded(tmp_path: Path) -> None:
    evil = tmp_path / "evil.xml"
    evil.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                    '<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"><Page imageFilename="a.png" '
                    'imageWidth="10" imageHeight="10"><TextRegion id="r"><TextLine id="l"><Coords points="0,0 9,0 9,9"/>'
                    '<TextEquiv><Unicode>&e;</Unicode></TextEquiv></TextLine></TextRegion></Page></PcGts>')
    [page] = read_gt_file(evil)
    assert "root:" not in page.lines[0].text


def test_missing_image_and_damaged_file_are_reported_the_rest_imported(folio, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, p, d, pg, _ = folio
    line_store.replace_lines(store, p, d, pg, [])
    other = tmp_path / "other.xml"
    other.write_bytes((RES / "gt" / "escriptorium-page.xml").read_bytes().replace(b"folio.png", b"missing.png"))
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<alto")
    good = tmp_path / "good.xml"
    shutil.copy(RES / "gt" / "escriptorium-page.xml", good)
    rep = import_gt(store, p, d, [other, broken, good])
    assert rep.lines == 2 and len(rep.failed) == 2
    assert "missing.png" in rep.failed[0] and "not found beside the file" in rep.failed[0]
    assert rep.failed[1].startswith("broken.xml:")


def test_a_books_tsv_onto_some_of_its_pages_says_once_what_was_left_out(tmp_path: Path, shared_data: Path) -> None:
    src = shared_data / "gt4histcomment" / "cu31924087948174"
    rows = (src / "cu31924087948174_training.tsv").read_text(encoding="utf-8").splitlines()
    names = sorted({r.split("\t", 1)[0] for r in rows})
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    import_paths(store, p.id, d.id, [src / "imgs" / names[0]], ImportLimits())
    tsv = tmp_path / "book.tsv"  # no images beside it
    tsv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    rep = import_gt(store, p.id, d.id, [tsv])
    assert rep.pages == 1 and rep.lines == sum(r.startswith(names[0]) for r in rows) and not rep.failed
    [left] = [m for m in rep.messages if "not in the document" in m]
    assert f"{len(names) - 1} page image(s)" in left and names[1] in left


def test_page_and_alto_drop_what_xml_cannot_hold() -> None:
    """A control character typed or pasted into a line (the store keeps it) does not break the export."""
    from storage.formats.alto import write_alto
    from storage.formats.pagexml import write_page_xml

    box = [[10.0, 10.0], [300.0, 10.0], [300.0, 40.0], [10.0, 40.0]]
    rows = [(Line("l1", "box", box, text="bell\x07 and\x0b <&>", status="verified"), box, None)]
    page = write_page_xml("f\x01.png", 400, 100, rows, source={"manifest": "https://e.org/m\x00"})
    assert schema("pagecontent-2019-07-15.xsd").validate(etree.fromstring(page))
    assert read_page_xml(page, "p.xml").lines[0].text == "bell and <&>"
    alto = write_alto("f.png", 400, 100, rows, canvas={"canvas": "https://e.org/c\x1f"})
    assert schema("alto-4-4.xsd").validate(etree.fromstring(alto))
    assert read_alto(alto, "a.xml").lines[0].text == "bell and <&>"
