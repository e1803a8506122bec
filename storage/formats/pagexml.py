"""PAGE XML: writing the 2019-07-15 version, reading 2013 to 2019 (eScriptorium, Transkribus,
OCR4all, kraken)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from lxml import etree

from ocr.geometry import bbox
from storage.formats import FormatError, ImportedPage, image_size
from storage.formats.xmlcommon import local, parse_points, parse_xml, points_attr
from storage.models import Line

__all__ = ["NS", "write_page_xml", "read_page_xml"]

NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def write_page_xml(image_filename: str, width: int, height: int, lines: Sequence[tuple[Line, list[list[float]], list[list[float]] | None]]) -> bytes:
    """One page. ``lines``: (line, boundary polygon, baseline or None) in reading order, page pixels."""
    stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    root = etree.Element(f"{{{NS}}}PcGts", nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{NS} {NS}/pagecontent.xsd")
    meta = etree.SubElement(root, f"{{{NS}}}Metadata")
    etree.SubElement(meta, f"{{{NS}}}Creator").text = "Kalamos"
    etree.SubElement(meta, f"{{{NS}}}Created").text = stamp
    etree.SubElement(meta, f"{{{NS}}}LastChange").text = stamp
    page = etree.SubElement(root, f"{{{NS}}}Page", imageFilename=image_filename,
                            imageWidth=str(int(width)), imageHeight=str(int(height)))
    if lines:
        ro = etree.SubElement(page, f"{{{NS}}}ReadingOrder")
        group = etree.SubElement(ro, f"{{{NS}}}OrderedGroup", id="ro_1")
        etree.SubElement(group, f"{{{NS}}}RegionRefIndexed", index="0", regionRef="r_1")
        all_pts = [p for _, poly, _ in lines for p in poly]
        x0, y0, x1, y1 = bbox(all_pts)
        region = etree.SubElement(page, f"{{{NS}}}TextRegion", id="r_1", type="paragraph")
        etree.SubElement(region, f"{{{NS}}}Coords",
                         points=points_attr([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], (width, height)))
        for line, poly, base in lines:
            el = etree.SubElement(region, f"{{{NS}}}TextLine", id=line.id.replace("-", "_"),
                                  custom=f"kalamos {{status:{line.status};}}")
            etree.SubElement(el, f"{{{NS}}}Coords", points=points_attr(poly, (width, height)))
            if base:
                etree.SubElement(el, f"{{{NS}}}Baseline", points=points_attr(base, (width, height)))
            eq = etree.SubElement(el, f"{{{NS}}}TextEquiv")
            etree.SubElement(eq, f"{{{NS}}}Unicode").text = line.text
        eq = etree.SubElement(region, f"{{{NS}}}TextEquiv")
        etree.SubElement(eq, f"{{{NS}}}Unicode").text = "\n".join(line.text for line, _, _ in lines)
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


def read_page_xml(data: bytes, name: str) -> ImportedPage:
    root = parse_xml(data, name)
    if local(root) != "PcGts" or "primaresearch.org/PAGE" not in (etree.QName(root).namespace or ""):
        raise FormatError(f"{name}: not a PAGE XML file (root element {local(root)})")
    page = next((c for c in root if local(c) == "Page"), None)
    if page is None:
        raise FormatError(f"{name}: no Page element")
    width = image_size(page.get("imageWidth"), "imageWidth", name)
    height = image_size(page.get("imageHeight"), "imageHeight", name)
    result = ImportedPage(page.get("imageFilename", ""), width or None, height or None)
    for i, el in enumerate(page.iter(f"{{{etree.QName(page).namespace}}}TextLine"), 1):
        coords = next((c for c in el if local(c) == "Coords"), None)
        base_el = next((c for c in el if local(c) == "Baseline"), None)
        where = f"{name}, line {el.get('id', i)}"
        polygon = parse_points(coords.get("points") if coords is not None else None, where)
        baseline = parse_points(base_el.get("points") if base_el is not None else None, where)
        if len(polygon) < 3 and len(baseline) < 2:
            raise FormatError(f"{where}: neither a polygon (Coords) nor a baseline")
        text = _text_of(el)
        if len(polygon) >= 3:
            line = Line(id="", kind="polygon", points=polygon, baseline=baseline if len(baseline) >= 2 else None)
        else:
            line = Line(id="", kind="baseline", points=baseline)
        line.text, line.source = text, "imported:page-xml"
        result.lines.append(line)
    return result
