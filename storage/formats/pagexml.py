"""PAGE XML: writing the 2019-07-15 version, reading 2013 to 2019 (eScriptorium, Transkribus,
OCR4all, kraken)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from lxml import etree

from ocr.geometry import bbox
from storage.formats import FormatError, ImportedPage, field_of, image_size, region_groups, zone_of
from storage.formats.xmlcommon import local, parse_points, parse_xml, points_attr, xml_safe
from storage.models import MAX_SUBTYPE, Line, Region

__all__ = ["NS", "write_page_xml", "read_page_xml", "source_items"]

NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


#: SegmOnto type (or type:subtype) → the PAGE TextRegion type that fits; the SegmOnto label itself goes
#: into ``@custom`` (``structure {type:MainZone:commentary;}``, as eScriptorium and Transkribus write it).
PAGE_TYPES = {"MainZone:title": "heading", "RunningTitleZone": "header", "NumberingZone:page": "page-number",
              "MarginTextZone:footnote": "footnote", "MarginTextZone": "marginalia", "DropCapitalZone": "drop-capital",
              "QuireMarksZone": "signature-mark", "MainZone": "paragraph"}
#: And back, for files that give only the PAGE type.
FROM_PAGE_TYPES = {"heading": ("MainZone", "title"), "header": ("RunningTitleZone", ""), "page-number": ("NumberingZone", "page"),
                   "footnote": ("MarginTextZone", "footnote"), "footnote-continued": ("MarginTextZone", "footnote"),
                   "marginalia": ("MarginTextZone", ""), "drop-capital": ("DropCapitalZone", ""),
                   "signature-mark": ("QuireMarksZone", ""), "catch-word": ("QuireMarksZone", "catchword"),
                   "paragraph": ("MainZone", ""), "footer": ("RunningTitleZone", "footer"), "caption": ("MainZone", "caption"),
                   "credit": ("MainZone", "credit"), "floating": ("MainZone", "floating"), "endnote": ("MarginTextZone", "endnote"),
                   "TOC-entry": ("MainZone", "toc"), "list-label": ("MainZone", "list-label"), "other": ("CustomZone", "")}
_STRUCTURE = re.compile(r"structure\s*\{[^}]*type\s*:\s*([^;}]+)")


def page_type(region: Region) -> str:
    return PAGE_TYPES.get(region.label) or PAGE_TYPES.get(region.type) or "other"


def source_items(source: Mapping[str, Any] | None, canvas: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(name, value) of the ``MetadataItem``s that say where the page came from: the document's IIIF
    manifest, label, attribution, rights and licence (``Document.source``), the page's canvas, its label
    and size (canvas coordinates) and the image URL fetched (``Page.iiif``); only those with a value."""
    items = [("iiif-manifest", field_of(source, "manifest")), ("iiif-canvas", field_of(canvas, "canvas")),
             ("iiif-canvas-label", field_of(canvas, "label")), ("iiif-canvas-width", field_of(canvas, "width")),
             ("iiif-canvas-height", field_of(canvas, "height")), ("iiif-image", field_of(canvas, "image")),
             ("source-label", field_of(source, "label")), ("source-attribution", field_of(source, "attribution")),
             ("source-rights", field_of(source, "rights")), ("source-license", field_of(source, "license"))]
    return [(name, xml_safe(value)) for name, value in items if value]


def write_page_xml(image_filename: str, width: int, height: int, lines: Sequence[tuple[Line, list[list[float]], list[list[float]] | None]],
                   regions: Sequence[Region] = (), *, source: Mapping[str, Any] | None = None,
                   canvas: Mapping[str, Any] | None = None) -> bytes:
    """One page. ``lines``: (line, boundary polygon, baseline or None) in reading order, page pixels;
    ``regions`` in reading order (lines name theirs). Lines in no region go into one more region.
    ``source`` (the document's, ``Document.source``) and ``canvas`` (the page's ``Page.iiif``), when
    given, go into ``Metadata`` as ``MetadataItem type="other"`` (``source_items``), the manifest also
    as its ``@externalRef``."""
    stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    root = etree.Element(f"{{{NS}}}PcGts", nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{NS} {NS}/pagecontent.xsd")
    meta = etree.SubElement(root, f"{{{NS}}}Metadata")
    etree.SubElement(meta, f"{{{NS}}}Creator").text = "Kalamos"
    etree.SubElement(meta, f"{{{NS}}}Created").text = stamp
    etree.SubElement(meta, f"{{{NS}}}LastChange").text = stamp
    for name, value in source_items(source, canvas):
        etree.SubElement(meta, f"{{{NS}}}MetadataItem", type="other", name=name, value=value)
        if name == "iiif-manifest":
            meta.set("externalRef", value)
    page = etree.SubElement(root, f"{{{NS}}}Page", imageFilename=xml_safe(image_filename),
                            imageWidth=str(int(width)), imageHeight=str(int(height)))
    groups = region_groups(lines, regions)
    if not groups:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    ro = etree.SubElement(page, f"{{{NS}}}ReadingOrder")
    group = etree.SubElement(ro, f"{{{NS}}}OrderedGroup", id="ro_1")
    for k, (region, rows) in enumerate(groups):
        rid = f"r_{k + 1}"
        etree.SubElement(group, f"{{{NS}}}RegionRefIndexed", index=str(k), regionRef=rid)
        if region is not None:
            el = etree.SubElement(page, f"{{{NS}}}TextRegion", id=rid, type=page_type(region),
                                  custom=f"readingOrder {{index:{k};}} structure {{type:{region.label};}}")
            outline = region.points
        else:
            el = etree.SubElement(page, f"{{{NS}}}TextRegion", id=rid, type="paragraph", custom=f"readingOrder {{index:{k};}}")
            x0, y0, x1, y1 = bbox([p for _, poly, _ in rows for p in poly])
            outline = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
        etree.SubElement(el, f"{{{NS}}}Coords", points=points_attr(outline, (width, height)))
        for n, (line, poly, base) in enumerate(rows):
            tl = etree.SubElement(el, f"{{{NS}}}TextLine", id=line.id.replace("-", "_"),
                                  custom=f"readingOrder {{index:{n};}} kalamos {{status:{line.status};}}")
            etree.SubElement(tl, f"{{{NS}}}Coords", points=points_attr(poly, (width, height)))
            if base:
                etree.SubElement(tl, f"{{{NS}}}Baseline", points=points_attr(base, (width, height)))
            if line.text:
                eq = etree.SubElement(tl, f"{{{NS}}}TextEquiv")
                etree.SubElement(eq, f"{{{NS}}}Unicode").text = xml_safe(line.text)
        if any(line.text for line, _, _ in rows):
            eq = etree.SubElement(el, f"{{{NS}}}TextEquiv")
            etree.SubElement(eq, f"{{{NS}}}Unicode").text = xml_safe("\n".join(line.text for line, _, _ in rows))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _text_of(line_el: etree._Element) -> str:
    """The line's TextEquiv (the one with the lowest index, else the first); Word texts otherwise."""
    equivs = [c for c in line_el if local(c) == "TextEquiv"]
    if equivs:
        equivs.sort(key=lambda e: int(e.get("index", "0")) if e.get("index", "0").lstrip("-").isdigit() else 0)
        for e in equivs:
            for u in e:
                if local(u) == "Unicode":
                    return u.text or ""
    words = []
    for w in line_el:
        if local(w) == "Word":
            for e in w:
                if local(e) == "TextEquiv":
                    words.extend((u.text or "") for u in e if local(u) == "Unicode")
                    break
    return " ".join(words)


def read_page_xml(data: bytes, name: str, known_types: Sequence[str] = ()) -> ImportedPage:
    """One page: its regions (types from ``@custom``'s ``structure``, else from ``@type``; SegmOnto and
    ``known_types`` are kept, others become ``CustomZone`` with their name as subtype, with a message),
    their reading order, and the lines in them."""
    root = parse_xml(data, name)
    if local(root) != "PcGts" or "primaresearch.org/PAGE" not in (etree.QName(root).namespace or ""):
        raise FormatError(f"{name}: not a PAGE XML file (root element {local(root)})")
    page = next((c for c in root if local(c) == "Page"), None)
    if page is None:
        raise FormatError(f"{name}: no Page element")
    width = image_size(page.get("imageWidth"), "imageWidth", name)
    height = image_size(page.get("imageHeight"), "imageHeight", name)
    result = ImportedPage(page.get("imageFilename", ""), width or None, height or None)
    ns = etree.QName(page).namespace
    # regions: every TextRegion (nested ones too), in the ReadingOrder where the file gives one
    region_els = list(page.iter(f"{{{ns}}}TextRegion"))
    rank: dict[str, float] = {}
    for ref in page.iter(f"{{{ns}}}RegionRefIndexed", f"{{{ns}}}RegionRef"):
        rid = ref.get("regionRef")
        if rid and rid not in rank:
            idx = ref.get("index")
            rank[rid] = float(idx) if idx and idx.lstrip("-").isdigit() else float(len(rank))
    position = {id(el): n for n, el in enumerate(region_els)}
    region_els.sort(key=lambda el: (rank.get(el.get("id", ""), float("inf")), position[id(el)]))
    index_of: dict[int, int] = {}
    for el in region_els:
        where = f"{name}, region {el.get('id', '?')}"
        coords = next((c for c in el if local(c) == "Coords"), None)
        outline = parse_points(coords.get("points") if coords is not None else None, where)
        if len(outline) < 3:
            result.messages.append(f"{where}: no outline (Coords); its lines are kept without it")
            continue
        found = _STRUCTURE.search(el.get("custom", "") or "")
        label = found.group(1).strip() if found else ""
        if label:
            type_, subtype = zone_of(label, known_types, where, result.messages)
        else:  # no SegmOnto label: the PAGE type says what it is
            type_, subtype = FROM_PAGE_TYPES.get(el.get("type", "paragraph") or "paragraph", ("CustomZone", el.get("type", "")))
        index_of[id(el)] = len(result.regions)
        result.regions.append(Region("", type_, outline, subtype.strip()[:MAX_SUBTYPE], "imported:page-xml"))
    seen: set[str] = set()
    line_no = 0
    for el in region_els + [page]:
        parent_index = index_of.get(id(el))
        children = [c for c in el if local(c) == "TextLine"] if el is not page else \
            [c for c in page.iter(f"{{{ns}}}TextLine") if c.getparent() is not None and local(c.getparent()) != "TextRegion"]
        for line_el in children:
            line_no += 1
            lid = line_el.get("id") or f"#{line_no}"
            if lid in seen:
                result.messages.append(f"{name}, line {lid}: appears in two regions; kept once, in the first")
                continue
            seen.add(lid)
            line = _read_line(line_el, f"{name}, line {lid}")
            result.lines.append(line)
            result.line_regions.append(parent_index)
    return result


def _read_line(el: etree._Element, where: str) -> Line:
    coords = next((c for c in el if local(c) == "Coords"), None)
    base_el = next((c for c in el if local(c) == "Baseline"), None)
    polygon = parse_points(coords.get("points") if coords is not None else None, where)
    baseline = parse_points(base_el.get("points") if base_el is not None else None, where)
    if len(polygon) < 3 and len(baseline) < 2:
        raise FormatError(f"{where}: neither a polygon (Coords) nor a baseline")
    if len(polygon) >= 3:
        line = Line(id="", kind="polygon", points=polygon, baseline=baseline if len(baseline) >= 2 else None)
    else:
        line = Line(id="", kind="baseline", points=baseline)
    line.text, line.source = _text_of(el), "imported:page-xml"
    return line
