"""Finding text lines on a page: Tesseract's layout analysis (hOCR), or horizontal projection
profiles for single-column manuscripts where Tesseract finds too little."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import pytesseract
from lxml import html as lxml_html
from PIL import Image

from ocr.deskew import foreground_mask
from ocr.tesseract import check_language

__all__ = ["Detected", "detect_lines", "parse_hocr_lines", "METHODS"]

METHODS = ("tesseract", "projection")


@dataclass
class Detected:
    baseline: list[list[float]]  #: two or more points, left to right, in the image's pixels
    above: float
    below: float
    text: str = ""


_BBOX = re.compile(r"bbox (-?\d+) (-?\d+) (-?\d+) (-?\d+)")
_BASELINE = re.compile(r"baseline (-?[\d.]+) (-?[\d.]+)")


def parse_hocr_lines(hocr: bytes | str) -> list[Detected]:
    """Lines of an hOCR document with their baselines (``baseline m c`` from the bbox's bottom-left)."""
    doc = lxml_html.fromstring(hocr if isinstance(hocr, bytes) else hocr.encode("utf-8"))
    out = []
    for el in doc.xpath("//*[contains(concat(' ', @class, ' '), ' ocr_line ') or contains(@class, 'ocr_textfloat') "
                        "or contains(@class, 'ocr_header') or contains(@class, 'ocr_caption')]"):
        title = el.get("title", "")
        box = _BBOX.search(title)
        if not box:
            continue
        x0, y0, x1, y1 = (int(v) for v in box.groups())
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        m, c = (float(v) for v in _BASELINE.search(title).groups()) if _BASELINE.search(title) else (0.0, 0.0)
        ya, yb = y1 + c, y1 + c + m * (x1 - x0)
        text = " ".join(" ".join(w.itertext()).strip() for w in el.xpath(".//*[contains(@class, 'ocrx_word')]")).strip()
        above = max(4.0, min(ya, yb) - y0)
        below = max(2.0, y1 - max(ya, yb) + 2)
        out.append(Detected([[float(x0), ya], [float(x1), yb]], above, below, " ".join(text.split())))
    return out


def _tesseract(img: np.ndarray, lang: str) -> list[Detected]:
    check_language(lang)
    hocr = pytesseract.image_to_pdf_or_hocr(Image.fromarray(img), extension="hocr", lang=lang, config="--psm 3")
    return parse_hocr_lines(hocr)


def _projection(img: np.ndarray) -> list[Detected]:
    ink = foreground_mask(img).astype(np.float32)
    h, w = ink.shape
    # ignore columns at the margins where borders and stains sit
    profile = cv2.GaussianBlur(ink.mean(axis=1).reshape(-1, 1), (1, 0), sigmaX=1, sigmaY=max(1.0, h / 800)).ravel()
    threshold = max(0.01, 0.25 * float(np.percentile(profile, 90)))
    rows = profile > threshold
    out = []
    y = 0
    while y < h:
        if not rows[y]:
            y += 1
            continue
        start = y
        while y < h and rows[y]:
            y += 1
        top, bottom = start, y
        if bottom - top < 4:
            continue
        band = ink[top:bottom]
        cols = np.nonzero(band.mean(axis=0) > 0.02)[0]
        if len(cols) < 10:
            continue
        # the baseline: the lowest row where the band is still dense (descenders are sparse)
        dens = band.mean(axis=1)
        dense = np.nonzero(dens > 0.5 * dens.max())[0]
        base = top + int(dense.max()) + 1
        out.append(Detected([[float(cols.min()), float(base)], [float(cols.max()), float(base)]],
                            above=float(base - top), below=float(max(2, bottom - base))))
    return out


def detect_lines(img: np.ndarray, method: Literal["tesseract", "projection"] = "tesseract", lang: str = "grc") -> list[Detected]:
    """Text lines of a page image, top to bottom."""
    found = _tesseract(img, lang) if method == "tesseract" else _projection(img)
    return sorted(found, key=lambda d: (min(p[1] for p in d.baseline), d.baseline[0][0]))
