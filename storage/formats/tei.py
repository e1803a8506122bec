"""TEI P5: the whole document in one file, its text tied to the page images. ``teiHeader`` says where
the document came from (the IIIF manifest, its label, attribution, rights and licence); ``facsimile``
has one ``surface`` per page (image pixels; ``@sameAs`` the IIIF canvas when the page was fetched from
one) with a ``zone`` per region and, inside it, a ``zone`` per line (lines in no region: directly in
the surface); ``text/body/div`` has the text: ``pb`` per page, ``ab`` per region, ``lb`` per line,
each pointing at its surface or zone with ``@facs``.

The result is valid against ``tei_all`` (TEI P5 4.x). Only the lines the export hands over are written
(``Row``s): a line without text still gets its zone and its ``lb``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from lxml import etree

from ocr.geometry import bbox
from storage.formats import PageLines, field_of, region_groups
from storage.formats.xmlcommon import points_attr, xml_safe

__all__ = ["NS", "write_tei"]

NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
_SPACE = re.compile(r"\s+")


def _e(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NS}}}{tag}", {k: xml_safe(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_safe(text)
    return el


def _token(label: str) -> str:
    """A region label as a TEI ``@type`` (one token: ``MainZone:commentary``; spaces become ``_``)."""
    return _SPACE.sub("_", xml_safe(label).strip()) or "region"


def _url(value: str) -> bool:
    return value.startswith(("http://", "https://")) and not _SPACE.search(value)


def _zone(parent: etree._Element, zone_id: str, type_: str, points: Sequence[Sequence[float]],
          size: tuple[int, int]) -> etree._Element:
    """A zone with its outline (``@points``) and its box, both clamped inside the surface (0..size)."""
    x0, y0, x1, y1 = bbox(points)
    w, h = size
    box = [min(max(0, int(round(v))), limit) for v, limit in ((x0, w), (y0, h), (x1, w), (y1, h))]
    return _e(parent, "zone", **{f"{{{XML_NS}}}id": zone_id, "type": type_, "ulx": str(box[0]), "uly": str(box[1]),
                                 "lrx": str(box[2]), "lry": str(box[3]), "points": points_attr(points, size)})


def _header(root: etree._Element, pages: Sequence[PageLines], stem: str) -> None:
    source: Mapping[str, Any] = pages[0].source if pages else {}
    manifest, label = field_of(source, "manifest"), field_of(source, "label")
    attribution, rights, licence = field_of(source, "attribution"), field_of(source, "rights"), field_of(source, "license")
    file_desc = _e(_e(root, "teiHeader"), "fileDesc")
    _e(_e(file_desc, "titleStmt"), "title", label or stem)
    _e(_e(file_desc, "publicationStmt"), "p", f"Exported by Kalamos on {datetime.now(timezone.utc).date().isoformat()}.")
    source_desc = _e(file_desc, "sourceDesc")
    if not (manifest or label or attribution or rights or licence):
        _e(source_desc, "p", "Transcribed in Kalamos from the page images " +
           ", ".join(p.image_name for p in pages) + ".")
        return
    # the digitised source, with its own rights and licence: those of the images, which say nothing of the
    # transcription's (publicationStmt would claim them for this file)
    bibl = _e(source_desc, "bibl")
    if label:
        _e(bibl, "title", label)
    if manifest:
        _e(bibl, "idno", manifest, type="IIIF-manifest")
        if _url(manifest):
            _e(bibl, "ref", manifest, target=manifest, type="IIIF-manifest")
    if attribution:
        _e(bibl, "note", attribution, type="attribution")
    if rights or licence:
        attrs = {"target": rights} if _url(rights) else {}
        _e(_e(bibl, "availability"), "licence", licence or rights, **attrs)


def write_tei(pages: Sequence[PageLines], stem: str) -> dict[str, bytes]:
    """The pages (in their order) in one TEI file, ``{stem}.tei.xml``."""
    root = etree.Element(f"{{{NS}}}TEI", nsmap={None: NS})
    _header(root, pages, stem)
    facsimile = _e(root, "facsimile")
    div = _e(_e(_e(root, "text"), "body"), "div", type="transcription")
    blocks = 0
    for p in pages:
        size = (int(p.page.width), int(p.page.height))
        surface_id = f"surface-{p.number}"
        canvas = p.page.iiif or {}
        canvas_id, canvas_label = field_of(canvas, "canvas"), xml_safe(field_of(canvas, "label")).strip()
        surface = _e(facsimile, "surface", **{f"{{{XML_NS}}}id": surface_id, "n": str(p.number), "ulx": "0", "uly": "0",
                                              "lrx": str(size[0]), "lry": str(size[1])})
        if _url(canvas_id):
            surface.set("sameAs", xml_safe(canvas_id))  # the same surface as the IIIF canvas
        if canvas_label:
            _e(surface, "label", canvas_label)
        _e(surface, "graphic", url=quote(p.image_name), width=f"{size[0]}px", height=f"{size[1]}px")
        image_url = field_of(canvas, "image")
        if _url(image_url):
            _e(surface, "graphic", url=image_url, width=f"{size[0]}px", height=f"{size[1]}px")
        _e(div, "pb", n=canvas_label or str(p.number), facs=f"#{surface_id}")
        line_no = 0
        for k, (region, rows) in enumerate(region_groups(p.rows, p.regions), 1):
            if region is not None:
                region_id = f"zone-{p.number}-r{k}"
                parent = _zone(surface, region_id, _token(region.label), region.points, size)
                block = _e(div, "ab", type=_token(region.label), facs=f"#{region_id}")
            else:  # the lines in no region: their zones in the surface, their text in a block of its own
                parent, block = surface, _e(div, "ab")
            blocks += 1
            block.text = "\n"
            for line, outline, _ in rows:
                line_no += 1
                line_id = f"zone-{p.number}-l{line_no}"
                _zone(parent, line_id, "line", outline, size)
                # the line's text after its lb, then a line end (TEI reads it as a space; it keeps the file readable)
                _e(block, "lb", facs=f"#{line_id}", n=str(line_no)).tail = xml_safe(line.text) + "\n"
    if not blocks:
        _e(div, "ab")  # a div holds some text block (TEI), even when no page has lines
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return {f"{stem}.tei.xml": data}
