"""Finding text lines on a page: Tesseract's layout analysis (hOCR), or horizontal projection
profiles for single-column manuscripts where Tesseract finds too little."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from ocr.deskew import foreground_mask
from ocr.hocr import parse_hocr
from ocr.tesseract import check_language, run_on_array

__all__ = ["Detected", "detect_lines", "parse_hocr_lines", "METHODS"]

METHODS = ("tesseract", "projection")


@dataclass
class Detected:
    baseline: list[list[float]]  #: two or more points, left to right, in the image's pixels
    above: float
    below: float
    text: str = ""


def parse_hocr_lines(hocr: bytes | str) -> list[Detected]:
    """Lines of an hOCR document as baselines with the band their box gives above and below."""
    out = []
    for line in parse_hocr(hocr):
        x0, y0, x1, y1 = line.bbox
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        (_, ya), (_, yb) = line.baseline
        out.append(Detected(line.baseline, max(4.0, min(ya, yb) - y0), max(2.0, y1 - max(ya, yb) + 2), line.text))
    return out


def _tesseract(img: np.ndarray, lang: str) -> list[Detected]:
    check_language(lang)
    return parse_hocr_lines(run_on_array(img, lang, 3, "hocr"))


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
