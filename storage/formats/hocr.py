"""hOCR 1.2 (XHTML): pages, lines with their boxes, baselines and confidences."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from ocr.geometry import bbox
from storage.formats import PageLines, source_metadata
from storage.formats.xmlcommon import xml_safe

__all__ = ["write_hocr"]

NS = "http://www.w3.org/1999/xhtml"


def _quoted(name: str) -> str:
    """A file name inside an hOCR ``title`` property: its quotes and semicolons would end the value."""
    return name.replace('"', "'").replace(";", ",")


def write_hocr(pages: Sequence[PageLines], stem: str) -> dict[str, bytes]:
    root = etree.Element(f"{{{NS}}}html", nsmap={None: NS})
    head = etree.SubElement(root, f"{{{NS}}}head")
    etree.SubElement(head, f"{{{NS}}}title").text = "Kalamos transcription"
    etree.SubElement(head, f"{{{NS}}}meta", attrib={"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"})
    etree.SubElement(head, f"{{{NS}}}meta", name="ocr-system", content="Kalamos")
    etree.SubElement(head, f"{{{NS}}}meta", name="ocr-capabilities", content="ocr_page ocr_carea ocr_line")
    for name, value in source_metadata(pages[0].source if pages else None):  # where the pages came from (IIIF)
        etree.SubElement(head, f"{{{NS}}}meta", name=name, content=xml_safe(value))
    body = etree.SubElement(root, f"{{{NS}}}body")
    for p in pages:
        page, number = p.page, p.number
        div = etree.SubElement(body, f"{{{NS}}}div", attrib={"class": "ocr_page", "id": f"page_{number}",
                               "title": f'image "{_quoted(page.source.filename)}"; bbox 0 0 {page.width} {page.height}; '
                                        f'ppageno {number - 1}'})
        for i, (ln, outline, base) in enumerate([r for r in p.rows if r[0].text], 1):
            x0, y0, x1, y1 = (int(round(v)) for v in bbox(outline))
            title = f"bbox {max(0, x0)} {max(0, y0)} {x1} {y1}"
            if base:
                (bx0, by0), (bx1, by1) = base[0], base[-1]
                slope = (by1 - by0) / (bx1 - bx0) if bx1 != bx0 else 0.0
                title += f"; baseline {slope:.4f} {by0 + slope * (x0 - bx0) - y1:.1f}"
            if ln.conf is not None:
                title += f"; x_wconf {ln.conf:.0f}"
            span = etree.SubElement(div, f"{{{NS}}}span", attrib={"class": "ocr_line", "id": f"line_{number}_{i}", "title": title})
            span.text = ln.text
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True,
                          doctype='<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
                                  '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">')
    return {f"{stem}.hocr": data}
