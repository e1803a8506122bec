"""A searchable PDF: each page image with its text as an invisible layer (render mode 3), line by line
on its baseline, stretched to the line's width (so that a selection covers the words)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from ocr.geometry import bbox
from storage.errors import InvalidInput
from storage.formats import PageLines, source_metadata

__all__ = ["write_pdf", "find_font", "FONTS"]

FONTS = [Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
         Path("/Library/Fonts/Arial Unicode.ttf"), Path("/System/Library/Fonts/Supplemental/Arial Unicode.ttf")]


def find_font() -> Path:
    for f in FONTS:
        if f.exists():
            return f
    raise InvalidInput("The PDF export needs a Unicode TrueType font: install fonts-dejavu-core (Debian).")


def write_pdf(pages: Sequence[PageLines], stem: str) -> dict[str, bytes]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font = "KalamosText"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, str(find_font())))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pageCompression=1)
    meta = dict(source_metadata(pages[0].source if pages else None))  # where the pages came from (IIIF)
    pdf.setTitle(meta.get("DC.title", "Kalamos transcription"))
    pdf.setCreator("Kalamos")
    if meta:
        pdf.setSubject("; ".join(f"{name[3:].lower()}: {value}" for name, value in meta.items() if name != "DC.title"))
    for p in pages:
        page = p.page
        k = 72.0 / (page.dpi or 300)  # points per pixel
        w, h = page.width * k, page.height * k
        pdf.setPageSize((w, h))
        pdf.drawImage(str(p.image), 0, 0, width=w, height=h)
        for ln, outline, base in p.rows:
            if not ln.text:
                continue
            x0, y0, x1, y1 = bbox(outline)
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
    return {f"{stem}.pdf": buf.getvalue()}
