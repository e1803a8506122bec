"""Line-image augmentation: more training lines from few, so that a model learns a hand rather than
the lines by heart. Each variant of a line keeps its text; what changes is what a scribe, a scan or
a photograph changes: a slight slant or rotation, the size and width of the letters, the thickness
of the ink, blur, noise and contrast.

Deterministic for a given seed, so a job that is resumed makes the same lines again.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["augment_line", "variants"]


def _grey(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def augment_line(img: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """One variant of a grey (or RGB) line image: white background, dark ink, about the same size."""
    grey = _grey(img)
    h, w = grey.shape
    background = int(np.percentile(grey, 90))
    # geometry: shear (slant), small rotation, horizontal and vertical scale, in one affine map
    shear = rng.uniform(-0.12, 0.12) * strength
    angle = math.radians(rng.uniform(-1.2, 1.2) * strength)
    sx = 1.0 + rng.uniform(-0.12, 0.12) * strength
    sy = 1.0 + rng.uniform(-0.08, 0.08) * strength
    cos, sin = math.cos(angle), math.sin(angle)
    m = np.array([[sx * cos, -sin + shear, 0.0], [sin, sy * cos, 0.0]])
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], dtype=np.float64) @ m.T
    m[:, 2] -= corners.min(axis=0)
    size = np.ceil(corners.max(axis=0) - corners.min(axis=0)).astype(int)
    out = cv2.warpAffine(grey, m, (max(8, int(size[0])), max(8, int(size[1]))), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=background)
    # ink thickness: a little thinner or thicker (dark ink on a light ground: erode thickens it)
    k = rng.choice([-1, 0, 0, 1]) if strength > 0 else 0
    if k:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2, 2))
        out = cv2.erode(out, kernel) if k > 0 else cv2.dilate(out, kernel)
    # blur, contrast, noise
    if rng.random() < 0.5 * strength:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.0))
    alpha = 1.0 + rng.uniform(-0.25, 0.25) * strength
    beta = rng.uniform(-20, 20) * strength
    out = cv2.convertScaleAbs(out, alpha=alpha, beta=beta)
    if rng.random() < 0.5 * strength:
        noise = rng.normal(0, 6 * strength, out.shape)
        out = np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return out


def variants(img: np.ndarray, count: int, seed: int, strength: float = 1.0) -> list[np.ndarray]:
    """``count`` variants of one line image (seeded: the same each time for the same seed)."""
    rng = np.random.default_rng(seed)
    return [augment_line(img, rng, strength) for _ in range(count)]
