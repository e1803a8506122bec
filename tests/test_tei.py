"""The TEI P5 export: one file for the document, its header naming the IIIF source, a surface per page
with a zone per region and per line (inside the surface), and the text with pb/ab/lb pointing at them."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from storage.formats import PageLines, Row
from storage.formats.registry import get, media_type
from storage.formats.tei import NS, write_tei
from storage.models import Line, Page, PageSource, Region

T = f"{{{NS}}}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
SOURCE = {"kind": "iiif", "manifest": "https://example.org/iiif/ms-1/manifest.json", "version": 3,
          "label": "Venetus A & <scholia>", "attribution": "Biblioteca Marciana", "rights": "http://creativecommons.org/licenses/by/4.0/",
          "license": "CC BY 4.0", "imported": "2024-05-01T10:00:00+00:00"}


def _box(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def _row(line_id: str, text: str, outline: list[list[float]], region: str | None = None) -> Row:
    return (Line(line_id, "polygon", outline, text=text, status="verified" if text else "empty", region=region), outline, None)


def page(number: int, rows: list[Row], regions: tuple[Region, ...] = (), iiif: dict | None = None,  # type: ignore[type-arg]
         source: dict | None = None, size: tuple[int, int] = (1200, 800)) -> PageLines:  # type: ignore[type-arg]
    record = Page(f"pg{number}", "doc", PageSource(f"folio{number}.png", "0" * 64, "x", "png"), "image.png", size[0], size[1],
                  None, "2024-01-01T00:00:00+00:00", iiif=iiif)
    return PageLines(number, record, Path("image.png"), f"folio{number}.png", rows, regions, source or {})


def two_pages(source: dict | None = None) -> list[PageLines]:  # type: ignore[type-arg]
    """Page 1: regions in reading order right column first, a line in no region, an empty line, a line
    running off the page; page 2: no regions."""
    right = Region("r-right", "MainZone", _box(650, 100, 1150, 700), "commentary")
    left = Region("r-left", "MainZone", _box(50, 100, 550, 700))
    rows1 = [_row("a", "τὸν δ’ ἀπαμειβόμενος", _box(660, 120, 1140, 160), "r-right"),
             _row("b", "", _box(660, 180, 1140, 220), "r-right"),
             _row("c", "μῆνιν ἄειδε θεὰ", _box(60, 120, 540, 160), "r-left"),
             _row("d", "off the page", [[-40, 720], [1300, 720], [1300, 900], [-40, 900]])]
    rows2 = [_row("e", "Πηληϊάδεω", _box(100, 100, 500, 140)), _row("f", "Ἀχιλῆος", _box(100, 160, 500, 200))]
    iiif = {"canvas": "https://example.org/iiif/ms-1/canvas/f1r", "label": "f. 1r", "width": 600, "height": 400,
            "image": "https://example.org/iiif/image/f1r/full/max/0/default.jpg"}
    return [page(1, rows1, (right, left), iiif, source), page(2, rows2, (), None, source)]


def tei(pages: list[PageLines], stem: str = "Iliad") -> etree._Element:
    files = write_tei(pages, stem)
    assert list(files) == [f"{stem}.tei.xml"]
    return etree.fromstring(files[f"{stem}.tei.xml"])


def lb_texts(root: etree._Element) -> list[str]:
    return [(lb.tail or "").strip() for lb in root.iter(f"{T}lb")]


def test_every_pointer_resolves_and_zones_lie_inside_their_surface() -> None:
    root = tei(two_pages())
    assert etree.QName(root).localname == "TEI" and etree.QName(root).namespace == NS
    surfaces = {s.get(XML_ID): s for s in root.iter(f"{T}surface")}
    zones = {z.get(XML_ID): z for z in root.iter(f"{T}zone")}
    assert list(surfaces) == ["surface-1", "surface-2"] and len(zones) == 2 + 4 + 2
    assert len(set(zones) | set(surfaces)) == len(zones) + len(surfaces)  # ids are unique
    for pb in root.iter(f"{T}pb"):
        assert pb.get("facs")[1:] in surfaces and pb.get("n")
    for ab in root.iter(f"{T}ab"):
        if ab.get("facs") is not None:
            zone = zones[ab.get("facs")[1:]]
            assert zone.get("type") == ab.get("type") != "line"
    for lb in root.iter(f"{T}lb"):
        assert zones[lb.get("facs")[1:]].get("type") == "line"
    for surface in surfaces.values():
        lrx, lry = int(surface.get("lrx")), int(surface.get("lry"))
        assert (surface.get("ulx"), surface.get("uly")) == ("0", "0")
        for zone in surface.iter(f"{T}zone"):
            points = [tuple(map(int, p.split(","))) for p in zone.get("points").split()]
            assert len(points) >= 3 and all(0 <= x <= lrx and 0 <= y <= lry for x, y in points), zone.get(XML_ID)
            assert 0 <= int(zone.get("ulx")) <= int(zone.get("lrx")) <= lrx
            assert 0 <= int(zone.get("uly")) <= int(zone.get("lry")) <= lry
    assert [int(s.get("lrx")) for s in surfaces.values()] == [1200, 1200]
    # the line running off the page is clamped to it
    off = zones[root.findall(f".//{T}lb")[3].get("facs")[1:]]
    assert off.get("points") == "0,720 1200,720 1200,800 0,800"


def test_text_follows_the_reading_order_with_regions_and_without() -> None:
    root = tei(two_pages())
    assert lb_texts(root) == ["τὸν δ’ ἀπαμειβόμενος", "", "μῆνιν ἄειδε θεὰ", "off the page", "Πηληϊάδεω", "Ἀχιλῆος"]
    body = root.find(f"{T}text/{T}body/{T}div")
    assert [etree.QName(c).localname for c in body] == ["pb", "ab", "ab", "ab", "pb", "ab"]
    assert [ab.get("type") for ab in body.iter(f"{T}ab")] == ["MainZone:commentary", "MainZone", None, None]
    # a region's line zones are inside its zone; lines in no region directly in the surface
    s1 = root.find(f"{T}facsimile/{T}surface")
    assert [z.get("type") for z in s1.findall(f"{T}zone")] == ["MainZone:commentary", "MainZone", "line"]
    assert [len(z.findall(f"{T}zone")) for z in s1.findall(f"{T}zone")] == [2, 1, 0]
    # the page from a IIIF canvas is the same surface as the canvas, with its label and image
    assert s1.get("sameAs") == "https://example.org/iiif/ms-1/canvas/f1r" and s1.find(f"{T}label").text == "f. 1r"
    assert [g.get("url") for g in s1.findall(f"{T}graphic")] == ["folio1.png", "https://example.org/iiif/image/f1r/full/max/0/default.jpg"]
    assert [pb.get("n") for pb in body.iter(f"{T}pb")] == ["f. 1r", "2"]
    s2 = root.findall(f"{T}facsimile/{T}surface")[1]
    assert s2.get("sameAs") is None and [g.get("url") for g in s2.findall(f"{T}graphic")] == ["folio2.png"]


def test_the_header_names_the_iiif_source() -> None:
    header = tei(two_pages(SOURCE)).find(f"{T}teiHeader/{T}fileDesc")
    assert header.find(f"{T}titleStmt/{T}title").text == "Venetus A & <scholia>"
    assert "Kalamos" in header.find(f"{T}publicationStmt/{T}p").text
    bibl = header.find(f"{T}sourceDesc/{T}bibl")
    assert bibl.find(f"{T}title").text == "Venetus A & <scholia>"
    assert bibl.find(f"{T}idno[@type='IIIF-manifest']").text == SOURCE["manifest"]
    assert bibl.find(f"{T}ref").get("target") == SOURCE["manifest"]
    assert bibl.find(f"{T}note[@type='attribution']").text == "Biblioteca Marciana"
    licence = bibl.find(f"{T}availability/{T}licence")
    assert (licence.get("target"), licence.text) == (SOURCE["rights"], "CC BY 4.0")
    # an uploaded document: titled by its name, its source the page images
    plain = tei(two_pages(), "Lobeck_1835").find(f"{T}teiHeader/{T}fileDesc")
    assert plain.find(f"{T}titleStmt/{T}title").text == "Lobeck_1835"
    assert plain.find(f".//{T}bibl") is None and "folio1.png, folio2.png" in plain.find(f"{T}sourceDesc/{T}p").text
    # some fields only: no empty elements, a rights statement that is no URL is the licence's text
    some = tei(two_pages({"kind": "iiif", "rights": "All rights reserved", "label": ""}), "D")
    assert some.find(f".//{T}bibl/{T}title") is None and some.find(f".//{T}idno") is None
    licence = some.find(f".//{T}licence")
    assert licence.get("target") is None and licence.text == "All rights reserved"


def test_hostile_text_and_names_stay_text() -> None:
    hostile = ['<&"\'>', "]]><!--", "<script>alert(1)</script>", "bell\x07 and\x0b tab\tend", "&amp;"]
    rows = [_row(str(i), text, _box(10, 10 + 40 * i, 300, 45 + 40 * i)) for i, text in enumerate(hostile)]
    bad = {"kind": "iiif", "manifest": 'https://e.org/m?a=1&b="2"', "label": "<b>x</b>\x00", "attribution": "]]>"}
    root = tei([page(1, rows, (), {"canvas": "not a url <x>", "label": "\x01<i>"}, bad)], 'x"><img src=x>')
    assert lb_texts(root) == ['<&"\'>', "]]><!--", "<script>alert(1)</script>", "bell and tab\tend", "&amp;"]
    assert not root.xpath("//*[local-name()='script' or local-name()='img' or local-name()='b' or local-name()='i']")
    assert root.find(f".//{T}titleStmt/{T}title").text == "<b>x</b>"
    assert root.find(f".//{T}idno").text == 'https://e.org/m?a=1&b="2"'
    surface = root.find(f".//{T}surface")
    assert surface.get("sameAs") is None and surface.find(f"{T}label").text == "<i>"


def test_an_empty_document_is_still_a_tei_file() -> None:
    root = tei([page(1, [])])
    assert root.find(f".//{T}surface") is not None and root.find(f".//{T}body/{T}div/{T}ab") is not None


def test_registered_with_its_extension_and_media_type() -> None:
    fmt = get("tei")
    assert (fmt.label, fmt.extension, fmt.transcript is not None) == ("TEI P5", ".tei.xml", True)
    assert media_type("Iliad.tei.xml") == "application/tei+xml" and media_type("Iliad_p0001.page.xml") == "application/xml"


def test_export_of_a_document_and_of_one_page(tmp_path: Path, shared_data: Path) -> None:
    """Through the export use case: the document's source and the page's canvas reach the file; one
    page's export is named after the page."""
    from conftest import page_with_lines

    from services.exports import transcript_download

    store, ref = page_with_lines(tmp_path, shared_data, [
        Line("", "box", _box(100, 100, 600, 150), text="ἀρχὴ", status="verified"),
        Line("", "box", _box(100, 200, 600, 250), text="", status="empty")])
    store.update_document(ref.project, ref.document, lambda d: setattr(d, "source", dict(SOURCE)))
    store.update_page(*ref, lambda p: setattr(p, "iiif", {"canvas": "https://example.org/c/1", "label": "1r",
                                                          "width": 100, "height": 100}))
    whole = transcript_download(store, ref.project, ref.document, "tei")
    assert whole.name == "D.tei.xml" and whole.media_type == "application/tei+xml"
    root = etree.fromstring(whole.data)
    assert lb_texts(root) == ["ἀρχὴ", ""]  # every line the export hands over, the empty one as layout
    assert root.find(f".//{T}idno").text == SOURCE["manifest"]
    assert root.find(f".//{T}surface").get("sameAs") == "https://example.org/c/1"
    one = transcript_download(store, ref.project, ref.document, "tei", [ref.page])
    assert one.name == "D_p0001.tei.xml" and etree.fromstring(one.data) is not None
