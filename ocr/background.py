"""Background flattening: divide an image by its estimated paper/parchment background."""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["flatten_background"]


def _flatten_channel(ch: np.ndarray, size: int) -> np.ndarray:
    h, w = ch.shape
    f = max(1.0, size / 15.0)  # estimate where the kernel is about 15 px: cheap at any resolution
    small = cv2.resize(ch, (max(1, int(w / f)), max(1, int(h / f))), interpolation=cv2.INTER_AREA)
    k = max(3, int(round(size / f)) | 1)
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    bg = cv2.GaussianBlur(bg, (0, 0), k / 2)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(ch, np.maximum(bg, 1), scale=255)


def flatten_background(img: np.ndarray, size: int) -> np.ndarray:
    """Remove tint, stains and uneven light: each channel divided by its background.

    The background is a morphological closing (which erases dark strokes thinner than ``size``
    pixels) computed at reduced resolution, then blurred and brought back to full size.
    """
    if img.ndim == 2:
        return _flatten_channel(img, size)
    return np.dstack([_flatten_channel(np.ascontiguousarray(img[:, :, c]), size) for c in range(img.shape[2])])
