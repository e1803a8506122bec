"""Tesseract's outputs read into lines with boxes, baselines and confidences (hOCR and TSV)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import html as lxml_html

__all__ = ["OcrWord", "OcrLine", "parse_hocr", "parse_tsv", "parse_tsv_pages"]

_BBOX = re.compile(r"bbox (-?\d+) (-?\d+) (-?\d+) (-?\d+)")
_BASELINE = re.compile(r"baseline (-?[\d.]+) (-?[\d.]+)")
_XSIZE = re.compile(r"x_size ([\d.]+)")
_WCONF = re.compile(r"x_wconf (-?[\d.]+)")
LINE_CLASSES = ("ocr_line", "ocr_textfloat", "ocr_header", "ocr_caption")


@dataclass
class OcrWord:
    bbox: list[float]  #: x0, y0, x1, y1
    text: str
    conf: float  #: 0–100


@dataclass
class OcrLine:
    bbox: list[float]
    baseline: list[list[float]]  #: two points, left to right
    text: str
    conf: float  #: mean word confidence weighted by length, 0–100 (-1: unknown)
    words: list[OcrWord] = field(default_factory=list)
    size: float = 0.0  #: Tesseract's estimate of the line's type size (hOCR ``x_size``; 0: unknown)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "OcrLine":
        return cls(d["bbox"], d["baseline"], d["text"], d["conf"], [OcrWord(**w) for w in d.get("words", [])],
                   float(d.get("size") or 0.0))


def _conf(words: list[OcrWord]) -> float:
    weights = [max(1, len(w.text)) for w in words]
    return round(sum(w.conf * k for w, k in zip(words, weights)) / sum(weights), 1) if words else -1.0


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def parse_hocr(hocr: bytes | str) -> list[OcrLine]:
    """Lines of an hOCR document in document order; baseline from ``baseline m c`` (bbox bottom-left)."""
    data = hocr if isinstance(hocr, bytes) else hocr.encode("utf-8")
    if not data.strip():
        return []
    doc = lxml_html.fromstring(data)
    cond = " or ".join(f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')" for c in LINE_CLASSES)
    out = []
    for el in doc.xpath(f"//*[{cond}]"):
        title = el.get("title", "")
        box = _BBOX.search(title)
        if not box:
            continue
        x0, y0, x1, y1 = (float(v) for v in box.groups())
        b = _BASELINE.search(title)
        m, c = (float(b.group(1)), float(b.group(2))) if b else (0.0, 0.0)
        words = []
        for w in el.xpath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' ocrx_word ')]"):
            wt = w.get("title", "")
            wb = _BBOX.search(wt)
            text = _nfc("".join(w.itertext()))
            if wb and text:
                wc = _WCONF.search(wt)
                words.append(OcrWord([float(v) for v in wb.groups()], text, float(wc.group(1)) if wc else -1.0))
        text = " ".join(w.text for w in words) if words else _nfc("".join(el.itertext()))
        xs = _XSIZE.search(title)
        out.append(OcrLine([x0, y0, x1, y1], [[x0, y1 + c], [x1, y1 + c + m * (x1 - x0)]], text, _conf(words), words,
                           float(xs.group(1)) if xs else 0.0))
    return out


def parse_tsv(tsv: str) -> list[OcrLine]:
    """Lines of Tesseract's TSV output (level 5 rows are words, grouped by block/paragraph/line)."""
    return [line for pages in parse_tsv_pages(tsv).values() for line in pages]


def parse_tsv_pages(tsv: str) -> dict[int, list[OcrLine]]:
    """The lines of each page (``page_num``, 1-based) of a TSV output for several images (a list file)."""
    rows = [r.split("\t") for r in tsv.splitlines()]
    if not rows or rows[0][:1] != ["level"]:
        return {}
    head = rows[0]
    col = {name: i for i, name in enumerate(head)}
    lines: dict[tuple[str, str, str, str], OcrLine] = {}
    for r in rows[1:]:
        if len(r) < len(head):
            continue
        key = (r[col["page_num"]], r[col["block_num"]], r[col["par_num"]], r[col["line_num"]])
        x, y, w, h = (float(r[col[k]]) for k in ("left", "top", "width", "height"))
        if r[col["level"]] == "4":
            lines[key] = OcrLine([x, y, x + w, y + h], [[x, y + h], [x + w, y + h]], "", -1.0)
        elif r[col["level"]] == "5" and key in lines:
            text = _nfc(r[col["text"]])
            if text:
                lines[key].words.append(OcrWord([x, y, x + w, y + h], text, float(r[col["conf"]])))
    out: dict[int, list[OcrLine]] = {}
    for key, line in lines.items():
        if line.words:
            line.text = " ".join(w.text for w in line.words)
            line.conf = _conf(line.words)
            out.setdefault(int(key[0]), []).append(line)
    return out
