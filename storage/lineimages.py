"""The image of a text line as the engine sees it, cut from the page (preprocessed when it was).

Lines are stored in original page pixels; when the page has a full-resolution preprocessing
result, its matrix maps the line into that image, and the line is cut from there.
"""

from __future__ import annotations

from collections.abc import Sequence

from dataclasses import dataclass

import numpy as np

from ocr.geometry import apply, band_polygon, masked_crop, pad, scale_of, straighten_band
from ocr.images import load_array
from ocr.textsize import estimate_xheight
from storage.models import Line, Page
from storage.processing import preview_base, processed_path
from storage.store import Store

__all__ = ["Band", "page_band", "line_outline", "line_baseline", "WorkImage", "work_image", "cut_line", "cut_lines",
           "line_image"]

PAD = 4


@dataclass(frozen=True)
class Band:
    above: float
    below: float


def page_band(store: Store, project_id: str, document_id: str, page: Page) -> Band:
    """Default band heights around a baseline, from the page's x-height (measured once, cached)."""
    xh = page.xheight
    if xh is None:
        small, scale = preview_base(store, project_id, document_id, page)
        est = estimate_xheight(small)
        xh = round(est / scale, 1) if est else round(max(page.height, page.width) / 120, 1)

        def remember(p: Page) -> None:
            p.xheight = xh

        store.update_page(project_id, document_id, page.id, remember)
    return Band(above=round(2.0 * xh, 1), below=round(0.8 * xh, 1))


def line_baseline(line: Line) -> list[list[float]] | None:
    if line.kind == "baseline":
        return line.points
    return line.baseline


def line_outline(line: Line, band: Band) -> list[list[float]]:
    """The polygon around the line in page pixels (a baseline's band, or the box/polygon itself)."""
    if line.kind == "baseline":
        return band_polygon(line.points, line.above or band.above, line.below or band.below)
    return line.points


@dataclass
class WorkImage:
    pixels: np.ndarray
    matrix: np.ndarray  #: page pixels → these pixels
    processed: bool


def work_image(store: Store, project_id: str, document_id: str, page: Page, prefer_processed: bool = True) -> WorkImage:
    path = processed_path(store, project_id, document_id, page) if prefer_processed else None
    if path is not None and page.processed and page.processed.get("matrix"):
        return WorkImage(load_array(path), np.asarray(page.processed["matrix"], dtype=np.float64), True)
    return WorkImage(load_array(store.page_image_path(project_id, document_id, page)), np.eye(3), False)


def cut_line(work: WorkImage, line: Line, band: Band) -> np.ndarray:
    """Cut one line out of a work image (straightened band for baselines, masked crop otherwise)."""
    if line.kind == "baseline":
        k = scale_of(work.matrix)
        img = straighten_band(work.pixels, apply(work.matrix, line.points), (line.above or band.above) * k,
                              (line.below or band.below) * k)
    else:
        img = masked_crop(work.pixels, apply(work.matrix, line.points))
    return pad(img, PAD)


def cut_lines(work: WorkImage, lines: Sequence[Line], band: Band) -> tuple[list[np.ndarray], dict[int, str]]:
    """Every line cut out of a work image, for one Tesseract to read them all (``ocr.tesseract.ocr_lines``):
    a line that cannot be cut (outside the image, degenerate) is an empty image, which reads as nothing;
    the second value says why, by the line's position."""
    images: list[np.ndarray] = []
    problems: dict[int, str] = {}
    for i, line in enumerate(lines):
        try:
            images.append(cut_line(work, line, band))
        except ValueError as exc:
            problems[i] = str(exc)
            images.append(np.zeros((0, 0), np.uint8))
    return images, problems


def line_image(store: Store, project_id: str, document_id: str, page: Page, line: Line) -> np.ndarray:
    """One line's image (loads the page: for many lines use ``work_image`` once and ``cut_line``)."""
    return cut_line(work_image(store, project_id, document_id, page), line, page_band(store, project_id, document_id, page))


