"""The transcription of pages, out: plain text, hOCR, ALTO 4.4, PAGE XML 2019 and a searchable PDF
(the page image with an invisible text layer). All lines with text are exported, in reading order,
with their current (corrected) text."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from ocr.geometry import bbox
from storage import lines as line_store
from storage.errors import InvalidInput
from storage.groundtruth import page_xml_bytes
from storage.lineimages import line_baseline, line_outline, page_band
from storage.models import Line, Page
from storage.store import Store

__all__ = ["FORMATS", "page_text", "hocr_bytes", "pdf_bytes", "export_files", "zip_files", "find_font"]

FORMATS = ("txt", "hocr", "alto", "page", "pdf")
FONTS = [Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
         Path("/Library/Fonts/Arial Unicode.ttf"), Path("/System/Library/Fonts/Supplemental/Arial Unicode.ttf")]


def _pages(store: Store, project_id: str, document_id: str, page_ids: Sequence[str] | None) -> list[tuple[int, Page]]:
    pages = list(enumerate(store.list_pages(project_id, document_id), 1))
    if page_ids is not None:
        pages = [(n, p) for n, p in pages if p.id in set(page_ids)]
    if not pages:
        raise InvalidInput("No such page in this document.")
    return pages


def _lines(store: Store, project_id: str, document_id: str, page: Page) -> list[Line]:
    return [ln for ln in line_store.list_lines(store, project_id, document_id, page.id) if ln.text]


def page_text(store: Store, project_id: str, document_id: str, page: Page) -> str:
    return "\n".join(ln.text for ln in _lines(store, project_id, document_id, page)) + "\n"


def _hocr_quoted(name: str) -> str:
    """A file name inside an hOCR ``title`` property: its quotes and semicolons would end the value."""
    return name.replace('"', "'").replace(";", ",")


def hocr_bytes(store: Store, project_id: str, document_id: str, pages: list[tuple[int, Page]]) -> bytes:
    ns = "http://www.w3.org/1999/xhtml"
    root = etree.Element(f"{{{ns}}}html", nsmap={None: ns})
    head = etree.SubElement(root, f"{{{ns}}}head")
    etree.SubElement(head, f"{{{ns}}}title").text = "Kalamos transcription"
    etree.SubElement(head, f"{{{ns}}}meta", attrib={"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"})
    etree.SubElement(head, f"{{{ns}}}meta", name="ocr-system", content="Kalamos")
    etree.SubElement(head, f"{{{ns}}}meta", name="ocr-capabilities", content="ocr_page ocr_carea ocr_line")
    body = etree.SubElement(root, f"{{{ns}}}body")
    for number, page in pages:
        div = etree.SubElement(body, f"{{{ns}}}div", attrib={"class": "ocr_page", "id": f"page_{number}",
                               "title": f'image "{_hocr_quoted(page.source.filename)}"; bbox 0 0 {page.width} {page.height}; '
                                        f'ppageno {number - 1}'})
        band = page_band(store, project_id, document_id, page)
        for i, ln in enumerate(_lines(store, project_id, document_id, page), 1):
            x0, y0, x1, y1 = (int(round(v)) for v in bbox(line_outline(ln, band)))
            title = f"bbox {max(0, x0)} {max(0, y0)} {x1} {y1}"
            base = line_baseline(ln)
            if base:
                (bx0, by0), (bx1, by1) = base[0], base[-1]
                slope = (by1 - by0) / (bx1 - bx0) if bx1 != bx0 else 0.0
                title += f"; baseline {slope:.4f} {by0 + slope * (x0 - bx0) - y1:.1f}"
            if ln.conf is not None:
                title += f"; x_wconf {ln.conf:.0f}"
            span = etree.SubElement(div, f"{{{ns}}}span", attrib={"class": "ocr_line", "id": f"line_{number}_{i}", "title": title})
            span.text = ln.text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True,
                          doctype='<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
                                  '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">')


def find_font() -> Path:
    for f in FONTS:
        if f.exists():
            return f
    raise InvalidInput("The PDF export needs a Unicode TrueType font: install fonts-dejavu-core (Debian).")


def pdf_bytes(store: Store, project_id: str, document_id: str, pages: list[tuple[int, Page]]) -> bytes:
    """The page images with the text as an invisible layer (render mode 3), line by line on its baseline."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font = "KalamosText"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, str(find_font())))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pageCompression=1)
    pdf.setTitle("Kalamos transcription")
    pdf.setCreator("Kalamos")
    for _, page in pages:
        k = 72.0 / (page.dpi or 300)  # points per pixel
        w, h = page.width * k, page.height * k
        pdf.setPageSize((w, h))
        pdf.drawImage(str(store.page_image_path(project_id, document_id, page)), 0, 0, width=w, height=h)
        band = page_band(store, project_id, document_id, page)
        for ln in _lines(store, project_id, document_id, page):
            x0, y0, x1, y1 = bbox(line_outline(ln, band))
            base = line_baseline(ln)
            bx, by = (base[0] if base else (x0, y1 - 0.2 * (y1 - y0)))
            size = max(1.0, 0.7 * (y1 - y0) * k)
            text = pdf.beginText()
            text.setTextRenderMode(3)
            text.setFont(font, size)
            natural = pdfmetrics.stringWidth(ln.text, font, size)
            if natural > 0:
                text.setHorizScale(100.0 * (x1 - x0) * k / natural)
            text.setTextOrigin(bx * k, h - by * k)
            text.textOut(ln.text)
            pdf.drawText(text)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def export_files(store: Store, project_id: str, document_id: str, fmt: str,
                 page_ids: Sequence[str] | None = None) -> dict[str, bytes]:
    """File name → content for one format (``txt``, ``hocr``, ``alto``, ``page``, ``pdf``)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    pages = _pages(store, project_id, document_id, page_ids)
    name = store.get_document(project_id, document_id).name
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "document"
    if fmt == "txt":
        files = {f"{stem}_p{n:04d}.txt": page_text(store, project_id, document_id, p).encode() for n, p in pages}
        if len(pages) > 1:
            files[f"{stem}.txt"] = "\n".join(page_text(store, project_id, document_id, p) for _, p in pages).encode()
        return files
    if fmt == "hocr":
        return {f"{stem}.hocr": hocr_bytes(store, project_id, document_id, pages)}
    if fmt == "pdf":
        return {f"{stem}.pdf": pdf_bytes(store, project_id, document_id, pages)}
    files = {}
    for n, p in pages:
        image = store.page_image_path(project_id, document_id, p)
        data, _ = page_xml_bytes(store, project_id, document_id, p, f"{stem}_p{n:04d}{image.suffix}", fmt, statuses=None)
        files[f"{stem}_p{n:04d}.{fmt}.xml"] = data
    return files


def zip_files(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    stamp = datetime.now(timezone.utc).timetuple()[:6]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=stamp), data)
    return buf.getvalue()
