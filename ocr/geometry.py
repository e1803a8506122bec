"""Line geometry: affine transforms between page and processed images, baseline bands, and the
line images the engine sees (a straightened band along a baseline, or a masked box/polygon)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

__all__ = [
    "Points", "identity", "apply", "invert", "scale_of", "bbox", "point_in_polygon", "polygon_area", "polyline_length", "band_polygon",
    "straighten_band", "masked_crop", "pad", "resample",
]

Points = Sequence[Sequence[float]]


def identity() -> np.ndarray:
    return np.eye(3)


def apply(matrix: np.ndarray | Sequence[Sequence[float]], points: Points) -> list[list[float]]:
    """Map points through a 3×3 affine matrix."""
    m = np.asarray(matrix, dtype=np.float64)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    out = pts @ m[:2, :2].T + m[:2, 2]
    return out.tolist()


def invert(matrix: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    return np.linalg.inv(np.asarray(matrix, dtype=np.float64))


def scale_of(matrix: np.ndarray | Sequence[Sequence[float]]) -> float:
    """The length scale of an affine map (1 for rotations and translations)."""
    m = np.asarray(matrix, dtype=np.float64)
    return float(math.sqrt(abs(np.linalg.det(m[:2, :2]))))


def bbox(points: Points) -> tuple[float, float, float, float]:
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


def point_in_polygon(point: Sequence[float], polygon: Points) -> bool:
    """Whether a point lies inside a polygon (even-odd rule)."""
    x, y = point
    hit = False
    n = len(polygon)
    for k in range(n):
        (xa, ya), (xb, yb) = polygon[k], polygon[(k + 1) % n]
        if (ya > y) != (yb > y) and x < xa + (y - ya) * (xb - xa) / (yb - ya):
            hit = not hit
    return hit


def polygon_area(polygon: Points) -> float:
    """The area a polygon encloses (shoelace formula)."""
    n = len(polygon)
    return abs(sum(polygon[k][0] * polygon[(k + 1) % n][1] - polygon[(k + 1) % n][0] * polygon[k][1] for k in range(n))) / 2


def polyline_length(points: Points) -> float:
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return float(np.sum(np.hypot(*np.diff(pts, axis=0).T))) if len(pts) > 1 else 0.0


def resample(points: Points, step: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``step`` pixels along a polyline, and the unit normal (pointing down) at each."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    seg = np.diff(pts, axis=0)
    lengths = np.hypot(seg[:, 0], seg[:, 1])
    keep = lengths > 1e-9
    pts = np.vstack([pts[:1], pts[1:][keep]])
    seg, lengths = seg[keep], lengths[keep]
    if len(lengths) == 0:
        raise ValueError("a baseline needs two distinct points")
    cum = np.concatenate([[0.0], np.cumsum(lengths)])
    s = np.arange(0.0, cum[-1] + 1e-9, step)
    x = np.interp(s, cum, pts[:, 0])
    y = np.interp(s, cum, pts[:, 1])
    idx = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    tangent = seg[idx] / lengths[idx, None]
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)  # (dx, dy) → (-dy, dx): downwards for a left-to-right line
    return np.stack([x, y], axis=1), normal


def band_polygon(baseline: Points, above: float, below: float) -> list[list[float]]:
    """The outline of the band ``above`` pixels over and ``below`` under a baseline."""
    pts = np.asarray(baseline, dtype=np.float64).reshape(-1, 2)
    samples, normals = resample(pts, max(1.0, polyline_length(pts) / 200))
    top = samples - normals * above
    bottom = samples + normals * below
    # keep the corners and the vertices' neighbourhoods: a few points per segment are enough
    pick = np.unique(np.linspace(0, len(samples) - 1, min(len(samples), max(2, len(pts) * 2))).round().astype(int))
    return np.vstack([top[pick], bottom[pick][::-1]]).round(1).tolist()


MAX_STRIP = 30_000  #: longest line image (OpenCV's remap stops at 32,767 px)


def straighten_band(img: np.ndarray, baseline: Points, above: float, below: float, fill: int = 255) -> np.ndarray:
    """The band around a (possibly curved or slanted) baseline, resampled into a straight strip."""
    samples, normals = resample(baseline, 1.0)
    if len(samples) > MAX_STRIP or above + below > MAX_STRIP:
        raise ValueError(f"the line is too long to cut ({len(samples)} px; at most {MAX_STRIP})")
    offsets = np.arange(-above, below, 1.0)
    map_x = (samples[None, :, 0] + offsets[:, None] * normals[None, :, 0]).astype(np.float32)
    map_y = (samples[None, :, 1] + offsets[:, None] * normals[None, :, 1]).astype(np.float32)
    border = (fill, fill, fill) if img.ndim == 3 else fill
    return cv2.remap(img, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def masked_crop(img: np.ndarray, polygon: Points, fill: int | None = None) -> np.ndarray:
    """The bounding box of a polygon, with everything outside the polygon painted ``fill``; None: the
    ground the writing lies on (the brightest fifth of the pixels inside, per channel), so that a
    photographed parchment does not get white cut-outs with edges the engine would read as strokes."""
    h, w = img.shape[:2]
    pts = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    x0, y0, x1, y1 = bbox(pts)
    c0, r0 = max(0, int(math.floor(x0))), max(0, int(math.floor(y0)))
    c1, r1 = min(w, int(math.ceil(x1)) + 1), min(h, int(math.ceil(y1)) + 1)
    if c1 <= c0 or r1 <= r0:
        raise ValueError("the line lies outside the image")
    crop = img[r0:r1, c0:c1].copy()
    mask = np.zeros(crop.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(pts - [c0, r0]).astype(np.int32)], 255)
    if fill is None:
        inside = crop[mask > 0]
        ground = np.percentile(inside, 80, axis=0) if inside.size else np.full(crop.shape[2:] or (), 255.0)
        crop[mask == 0] = np.asarray(ground).round().astype(crop.dtype)
    else:
        crop[mask == 0] = fill
    return crop


def pad(img: np.ndarray, margin: int, fill: int = 255) -> np.ndarray:
    border = (fill, fill, fill) if img.ndim == 3 else fill
    return cv2.copyMakeBorder(img, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=border)
