"""Skew of text lines: estimation by projection profiles, and rotation that keeps the whole page."""

from __future__ import annotations

import cv2
import numpy as np

from ocr.background import flatten_background

__all__ = ["estimate_skew", "rotate", "rotation", "foreground_mask"]


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img


def foreground_mask(img: np.ndarray, max_side: int | None = None) -> np.ndarray:
    """Dark ink as a boolean mask, on a copy downscaled to ``max_side`` if given.

    The background is flattened first (``ocr.background``), so tinted, stained or unevenly lit
    pages and the white corners a rotation leaves do not fool the global (Otsu) threshold.
    """
    g = _gray(img)
    if max_side and max(g.shape) > max_side:
        f = max_side / max(g.shape)
        g = cv2.resize(g, (max(1, int(g.shape[1] * f)), max(1, int(g.shape[0] * f))), interpolation=cv2.INTER_AREA)
    flat = flatten_background(g, max(15, max(g.shape) // 30))
    _, ink = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink > 0


def _profile_score(xs: np.ndarray, ys: np.ndarray, angle_deg: float) -> float:
    t = np.deg2rad(angle_deg)
    proj = ys * np.cos(t) + xs * np.sin(t)
    hist = np.bincount((proj - proj.min()).astype(np.int64))
    return float(np.dot(hist, hist))


def estimate_skew(img: np.ndarray, max_angle: float = 5.0, work_size: int = 1200, max_points: int = 80_000) -> float:
    """The angle (degrees, counter-clockwise positive) by which the text lines are turned.

    Rotating the image by minus this angle levels the lines. The search maximises the sharpness of
    the horizontal projection profile of the ink, coarse to fine (0.5°, 0.05°, 0.01°). It works at
    ``work_size`` pixels whatever the input size, so a preview and the full page give the same angle.
    Returns 0.0 when there is too little ink to tell.
    """
    ink = foreground_mask(img, work_size)
    ys, xs = np.nonzero(ink)
    if len(xs) < 200 or ink.mean() > 0.5:
        return 0.0
    if len(xs) > max_points:
        pick = np.random.default_rng(0).choice(len(xs), max_points, replace=False)
        xs, ys = xs[pick], ys[pick]
    xs = xs.astype(np.float64) - xs.mean()
    ys = ys.astype(np.float64) - ys.mean()
    best = 0.0
    for step, span in ((0.5, max_angle), (0.05, 0.5), (0.01, 0.05)):
        lo, hi = max(-max_angle, best - span), min(max_angle, best + span)
        angles = np.arange(lo, hi + step / 2, step)
        scores = [_profile_score(xs, ys, a) for a in angles]
        best = float(angles[int(np.argmax(scores))])
    return round(best, 2)


def rotation(width: int, height: int, angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The 2×3 matrix turning an image counter-clockwise by ``angle`` degrees onto a canvas that
    holds all of it, and that canvas's size."""
    m = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(round(height * sin + width * cos)), int(round(height * cos + width * sin))
    m[0, 2] += nw / 2 - width / 2
    m[1, 2] += nh / 2 - height / 2
    return m, (nw, nh)


def rotate(img: np.ndarray, angle: float, fill: int = 255) -> np.ndarray:
    """Rotate counter-clockwise by ``angle`` degrees on a canvas large enough for the whole page."""
    if abs(angle) < 1e-6:
        return img.copy()
    h, w = img.shape[:2]
    m, size = rotation(w, h, angle)
    border = (fill, fill, fill) if img.ndim == 3 else fill
    return cv2.warpAffine(img, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border)
