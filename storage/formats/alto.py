"""ALTO: writing version 4.4, reading versions 2 to 4 (eScriptorium, Transkribus, Tesseract, kraken)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree

from ocr.geometry import bbox
from storage.formats import FormatError, ImportedPage, field_of, image_size, number, region_groups, zone_of
from storage.formats.xmlcommon import local, parse_points, parse_xml, points_attr, xml_safe
from storage.models import Line, Region

__all__ = ["NS", "write_alto", "read_alto"]

NS = "http://www.loc.gov/standards/alto/ns-v4#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _box(el: etree._Element, x0: float, y0: float, x1: float, y1: float) -> None:
    el.set("HPOS", str(int(round(x0))))
    el.set("VPOS", str(int(round(y0))))
    el.set("WIDTH", str(max(1, int(round(x1 - x0)))))
    el.set("HEIGHT", str(max(1, int(round(y1 - y0)))))


def write_alto(image_filename: str, width: int, height: int,
               lines: Sequence[tuple[Line, list[list[float]], list[list[float]] | None]],
               regions: Sequence[Region] = (), *, source: Mapping[str, Any] | None = None,
               canvas: Mapping[str, Any] | None = None) -> bytes:
    """One page. ``lines``: (line, boundary polygon, baseline or None) in reading order, page pixels;
    ``regions`` in reading order: one TextBlock each, in that order, typed by a ``Tags/OtherTag`` with
    the SegmOnto label (``TAGREFS``, as eScriptorium writes it); lines in no region in one more block.
    ``canvas`` (the page's ``Page.iiif``) and ``source`` (the document's ``Document.source``), when
    given, name the page's origin in ``sourceImageInformation``: its IIIF canvas and the image URL
    fetched as ``fileIdentifier`` (``fileIdentifierLocation`` ``iiif-canvas``, ``iiif-image``), the
    manifest as ``documentIdentifier`` (``documentIdentifierLocation="iiif-manifest"``). ALTO has no
    place for the label, attribution or rights (PAGE and TEI carry them)."""
    root = etree.Element(f"{{{NS}}}alto", nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{NS} http://www.loc.gov/standards/alto/v4/alto-4-4.xsd")
    desc = etree.SubElement(root, f"{{{NS}}}Description")
    etree.SubElement(desc, f"{{{NS}}}MeasurementUnit").text = "pixel"
    src = etree.SubElement(desc, f"{{{NS}}}sourceImageInformation")
    etree.SubElement(src, f"{{{NS}}}fileName").text = xml_safe(image_filename)
    for location, value in (("iiif-canvas", field_of(canvas, "canvas")), ("iiif-image", field_of(canvas, "image"))):
        if value:
            etree.SubElement(src, f"{{{NS}}}fileIdentifier", fileIdentifierLocation=location).text = xml_safe(value)
    if manifest := field_of(source, "manifest"):
        etree.SubElement(src, f"{{{NS}}}documentIdentifier", documentIdentifierLocation="iiif-manifest").text = \
            xml_safe(manifest)
    proc = etree.SubElement(desc, f"{{{NS}}}OCRProcessing", ID="OCR_0")
    step = etree.SubElement(proc, f"{{{NS}}}ocrProcessingStep")
    sw = etree.SubElement(step, f"{{{NS}}}processingSoftware")
    etree.SubElement(sw, f"{{{NS}}}softwareName").text = "Kalamos"
    groups = region_groups(lines, regions)
    labels = sorted({r.label for r in regions})
    if labels:
        tags = etree.SubElement(root, f"{{{NS}}}Tags")
        for k, label in enumerate(labels, 1):
            etree.SubElement(tags, f"{{{NS}}}OtherTag", ID=f"BT{k}", LABEL=label, DESCRIPTION=f"block type {label}")
    tag_id = {label: f"BT{k}" for k, label in enumerate(labels, 1)}
    layout = etree.SubElement(root, f"{{{NS}}}Layout")
    page = etree.SubElement(layout, f"{{{NS}}}Page", ID="page_1", PHYSICAL_IMG_NR="1",
                            WIDTH=str(int(width)), HEIGHT=str(int(height)))
    space = etree.SubElement(page, f"{{{NS}}}PrintSpace")
    _box(space, 0, 0, width, height)
    for k, (region, rows) in enumerate(groups, 1):
        block = etree.SubElement(space, f"{{{NS}}}TextBlock", ID=f"block_{k}")
        if region is not None:
            _box(block, *bbox(region.points))
            block.set("TAGREFS", tag_id[region.label])
            shape = etree.SubElement(block, f"{{{NS}}}Shape")
            etree.SubElement(shape, f"{{{NS}}}Polygon", POINTS=points_attr(region.points, (width, height)))
        else:
            _box(block, *bbox([p for _, poly, _ in rows for p in poly]))
        for line, poly, base in rows:
            x0, y0, x1, y1 = bbox(poly)
            el = etree.SubElement(block, f"{{{NS}}}TextLine", ID=line.id.replace("-", "_"))
            _box(el, x0, y0, x1, y1)
            if base:
                el.set("BASELINE", points_attr(base, (width, height)))
            shape = etree.SubElement(el, f"{{{NS}}}Shape")
            etree.SubElement(shape, f"{{{NS}}}Polygon", POINTS=points_attr(poly, (width, height)))
            words = xml_safe(line.text).split() or [""]
            for j, word in enumerate(words):
                if j:
                    etree.SubElement(el, f"{{{NS}}}SP")
                etree.SubElement(el, f"{{{NS}}}String", CONTENT=word)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _f(el: etree._Element, attr: str, where: str) -> float:
    return number(el.get(attr, ""), attr, where)


def read_alto(data: bytes, name: str, known_types: Sequence[str] = ()) -> ImportedPage:
    root = parse_xml(data, name)
    if local(root) != "alto":
        raise FormatError(f"{name}: not an ALTO file (root element {local(root)})")
    ns = etree.QName(root).namespace
    q = (lambda tag: f"{{{ns}}}{tag}") if ns else (lambda tag: tag)
    unit = root.find(f"{q('Description')}/{q('MeasurementUnit')}")
    if unit is not None and (unit.text or "").strip() not in ("pixel", ""):
        raise FormatError(f"{name}: coordinates in {unit.text.strip()}; Kalamos reads ALTO in pixels")
    fname = root.find(f"{q('Description')}/{q('sourceImageInformation')}/{q('fileName')}")
    page = root.find(f"{q('Layout')}/{q('Page')}")
    if page is None:
        raise FormatError(f"{name}: no Layout/Page element")
    width = image_size(page.get("WIDTH"), "Page WIDTH", name)
    height = image_size(page.get("HEIGHT"), "Page HEIGHT", name)
    result = ImportedPage((fname.text or "").strip() if fname is not None else "", width, height)
    # regions: the TextBlocks in document order (ALTO's reading order), typed by the OtherTag their
    # TAGREFS name (eScriptorium writes the SegmOnto type as its LABEL); lines join their block
    labels = {t.get("ID"): (t.get("LABEL") or "").strip() for t in root.iter(q("OtherTag")) if t.get("ID")}
    block_of: dict[int, int] = {}
    blocks = list(page.iter(q("TextBlock")))  # held: lxml keeps one proxy per element only while it lives
    for b, block in enumerate(blocks, 1):
        where = f"{name}, block {block.get('ID', b)}"
        poly_el = block.find(f"{q('Shape')}/{q('Polygon')}")
        outline = parse_points(poly_el.get("POINTS") if poly_el is not None else None, where)
        if len(outline) < 3:
            try:
                x, y, w, h = (_f(block, a, where) for a in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
            except FormatError:
                result.messages.append(f"{where}: no outline; its lines are kept without a region")
                continue
            outline = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
        label = next((labels[t] for t in (block.get("TAGREFS") or "").split() if labels.get(t)), "")
        # a block without a type (or with a subtype only) is main text
        type_, subtype = zone_of(label if label.partition(":")[0] else "MainZone" + label, known_types, where,
                                 result.messages)
        block_of[id(block)] = len(result.regions)
        result.regions.append(Region("", type_, outline, subtype, "imported:alto"))
    for i, el in enumerate(page.iter(q("TextLine")), 1):
        where = f"{name}, line {el.get('ID', i)}"
        words = []
        for child in el:
            tag = local(child)
            if tag == "String":
                words.append(child.get("CONTENT", ""))
            elif tag == "SP":
                words.append(" ")
            elif tag == "HYP":
                words.append(child.get("CONTENT", "-"))
        text = "".join(_join(words)).strip()
        polygon_el = el.find(f"{q('Shape')}/{q('Polygon')}")
        polygon = parse_points(polygon_el.get("POINTS") if polygon_el is not None else None, where)
        # ALTO before 4.2 gave BASELINE as one number (a height); only a points list is a baseline
        raw_base = el.get("BASELINE") or ""
        baseline = parse_points(raw_base, where) if len(raw_base.replace(",", " ").split()) >= 4 else []
        if len(polygon) < 3:
            x, y, w, h = (_f(el, a, where) for a in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
            line = Line(id="", kind="box", points=[[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
        else:
            line = Line(id="", kind="polygon", points=polygon)
        line.baseline = baseline if len(baseline) >= 2 else None
        line.text, line.source = text, "imported:alto"
        result.lines.append(line)
        parent = el.getparent()
        result.line_regions.append(block_of.get(id(parent)) if parent is not None else None)
    if result.regions and len(result.regions) == 1 and result.regions[0].type == "MainZone" and not labels:
        result.regions, result.line_regions = [], [None] * len(result.lines)  # one untyped block: no layout to keep
    return result


def _join(parts: list[str]) -> list[str]:
    """Words and explicit spaces: add a space between two words that have none (some writers omit SP)."""
    out: list[str] = []
    for p in parts:
        if out and p != " " and out[-1] != " ":
            out.append(" ")
        out.append(p)
    return out
