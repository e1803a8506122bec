"""The IIIF Web Annotations export: one AnnotationPage per page, an annotation per line with text,
targeting the page's canvas with the line's box scaled to canvas coordinates."""

from __future__ import annotations

import json
import re
from pathlib import Path

from storage.formats import PageLines
from storage.formats.registry import get, media_type
from storage.formats.webanno import CONTEXT, write_web_annotations
from storage.models import Line, Region
from test_tei import SOURCE, _box, _row, page

CANVAS = "https://example.org/iiif/ms-1/canvas/f1r"
XYWH = re.compile(r"^(?P<source>.+)#xywh=(\d+),(\d+),(\d+),(\d+)$")


def pages(source: dict | None = None) -> list[PageLines]:  # type: ignore[type-arg]
    """Page 1 from a 1000×1500 canvas whose image was fetched at 2000×3000, with a region read first;
    page 2 uploaded (no canvas)."""
    region = Region("r1", "MainZone", _box(100, 1000, 1900, 2000), "commentary")
    rows1 = [_row("a", "μῆνιν ἄειδε θεὰ", _box(200, 300, 600, 400)),
             _row("b", "", _box(200, 500, 600, 600)),
             _row("c", 'scholion <&"\'>', _box(150, 1100, 1800, 1180), "r1"),
             _row("d", "off the page", [[-50, 2900], [2100, 2900], [2100, 3100], [-50, 3100]])]
    iiif = {"canvas": CANVAS, "label": "f. 1r", "width": 1000, "height": 1500,
            "image": "https://example.org/iiif/image/f1r/full/max/0/default.jpg"}
    rows2 = [_row("e", "Πηληϊάδεω Ἀχιλῆος", _box(10, 20, 310, 60))]
    return [page(1, rows1, (region,), iiif, source, size=(2000, 3000)), page(2, rows2, (), None, source, size=(400, 300))]


def written(chosen: list[PageLines], stem: str = "Iliad") -> dict[str, dict]:  # type: ignore[type-arg]
    return {name: json.loads(data) for name, data in write_web_annotations(chosen, stem).items()}


def boxes(annotation_page: dict) -> list[tuple[str, tuple[int, ...]]]:  # type: ignore[type-arg]
    out = []
    for a in annotation_page["items"]:
        found = XYWH.match(a["target"])
        assert found, a["target"]
        out.append((found["source"], tuple(int(v) for v in found.groups()[1:])))
    return out


def test_one_annotation_page_per_page_with_the_lines_text() -> None:
    files = written(pages(SOURCE))
    assert list(files) == ["Iliad_p0001.annotations.json", "Iliad_p0002.annotations.json"]
    for name, ap in files.items():
        assert ap["@context"] == CONTEXT and ap["type"] == "AnnotationPage" and ap["id"] == name
        assert ap["partOf"] == [{"id": SOURCE["manifest"], "type": "Manifest", "label": {"none": [SOURCE["label"]]}}]
        for a in ap["items"]:
            assert a["type"] == "Annotation" and a["motivation"] == "supplementing" and a["id"].startswith(name + "#")
            assert a["body"]["type"] == "TextualBody" and a["body"]["format"] == "text/plain"
    first = files["Iliad_p0001.annotations.json"]
    # lines with text only, in reading order: the region's line first, then those in no region
    assert [a["body"]["value"] for a in first["items"]] == ['scholion <&"\'>', "μῆνιν ἄειδε θεὰ", "off the page"]
    assert len({a["id"] for ap in files.values() for a in ap["items"]}) == 4
    assert files["Iliad_p0002.annotations.json"]["items"][0]["body"]["value"] == "Πηληϊάδεω Ἀχιλῆος"


def test_targets_are_the_canvas_in_canvas_coordinates() -> None:
    first, second = written(pages()).values()
    # canvas 1000×1500, image 2000×3000: everything halved, and kept inside the canvas
    assert boxes(first) == [(CANVAS, (75, 550, 825, 40)), (CANVAS, (100, 150, 200, 50)), (CANVAS, (0, 1450, 1000, 50))]
    for _, (x, y, w, h) in boxes(first):
        assert x >= 0 and y >= 0 and w >= 1 and h >= 1 and x + w <= 1000 and y + h <= 1500
    # a page from no canvas still gets its file: its image by name, page pixels
    assert boxes(second) == [("folio2.png", (10, 20, 300, 40))]
    assert "partOf" not in first and first["label"] == {"none": ["Transcription of f. 1r"]}


def test_a_canvas_record_without_a_size_keeps_page_pixels_and_a_page_without_text_has_no_items() -> None:
    iiif = {"canvas": CANVAS, "width": None, "height": "?"}
    [ap] = written([page(1, [_row("a", "x", _box(10, 20, 30, 40))], (), iiif)]).values()
    assert boxes(ap) == [(CANVAS, (10, 20, 20, 20))]
    [ap] = written([page(1, [_row("a", "", _box(10, 20, 30, 40))], (), {"canvas": CANVAS})]).values()
    assert ap["items"] == []


def test_registered_with_its_extension_and_media_type() -> None:
    fmt = get("webanno")
    assert (fmt.label, fmt.extension, fmt.transcript is not None) == ("IIIF Web Annotations", ".annotations.json", True)
    assert media_type("Iliad_p0001.annotations.json").startswith("application/ld+json")


def test_export_of_a_page_of_a_document_from_iiif(tmp_path: Path, shared_data: Path) -> None:
    """Through the export use case: one page's file is named after it; the zip of all formats has the
    TEI and Web Annotations folders."""
    import io
    import zipfile

    from conftest import page_with_lines

    from services.exports import transcript_download

    store, ref = page_with_lines(tmp_path, shared_data, [Line("", "box", _box(100, 100, 600, 150), text="ἀρχὴ",
                                                              status="verified")])
    image = store.get_page(*ref)
    store.update_document(ref.project, ref.document, lambda d: setattr(d, "source", dict(SOURCE)))
    store.update_page(*ref, lambda p: setattr(p, "iiif", {"canvas": CANVAS, "width": image.width * 2,
                                                          "height": image.height * 2}))
    found = transcript_download(store, ref.project, ref.document, "webanno", [ref.page])
    assert found.name == "D_p0001.annotations.json" and found.media_type.startswith("application/ld+json")
    ap = json.loads(found.data)
    assert boxes(ap) == [(CANVAS, (200, 200, 1000, 100))] and ap["partOf"][0]["id"] == SOURCE["manifest"]
    names = zipfile.ZipFile(io.BytesIO(transcript_download(store, ref.project, ref.document, "zip").data)).namelist()
    assert {"tei/D.tei.xml", "webanno/D_p0001.annotations.json", "page/D_p0001.page.xml"} <= set(names)
