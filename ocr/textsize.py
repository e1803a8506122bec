"""Text size estimates: the x-height of the writing, from the heights of its connected components."""

from __future__ import annotations

import cv2
import numpy as np

from ocr.deskew import foreground_mask

__all__ = ["estimate_xheight"]


def estimate_xheight(img: np.ndarray, min_components: int = 20) -> float | None:
    """Median height (px, at this image's resolution) of letter-sized ink components, or None.

    Letters without ascenders or descenders are the majority in Greek and Latin text, so the median
    component height is close to the x-height; noise, rules and large initials are filtered out.
    """
    ink = foreground_mask(img).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return None
    w, h, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_AREA]
    img_h = ink.shape[0]
    keep = (h >= 3) & (area >= 6) & (h <= img_h / 15) & (w <= 4 * h) & (w * h >= area)
    heights = h[keep]
    if len(heights) < min_components:
        return None
    # drop the smallest third (dots, accents, breathings) before taking the median
    heights = np.sort(heights)[len(heights) // 3:]
    return float(np.median(heights))
