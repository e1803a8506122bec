"""Preprocessing pipelines: an ordered list of steps, each a pure function on a numpy image.

A pipeline is JSON: ``[{"op": "binarize", "on": true, "params": {"method": "sauvola", ...}}, ...]``.
``validate`` turns untrusted JSON (a stored file, a request) into checked ``Step``s or raises
``PipelineError`` naming the step and the parameter. ``run`` applies the steps to an image; sizes
that are measured in pixels are given in full-resolution page pixels and scaled by ``scale`` when
the pipeline runs on a downscaled preview, so the preview looks like the full-resolution result.

Images are ``uint8`` arrays, ``H×W`` (grey) or ``H×W×3`` (RGB). The input is never modified.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import cv2
import numpy as np

from ocr.background import flatten_background
from ocr.deskew import estimate_skew, rotate, rotation
from ocr.textsize import estimate_xheight

__all__ = [
    "PipelineError", "Param", "StepDef", "Step", "Report", "STEPS", "validate", "run", "to_json",
    "pipeline_key", "default_pipeline", "new_step",
]


class PipelineError(ValueError):
    """A pipeline that cannot be run: unknown step, missing or out-of-range parameter."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: Literal["int", "float", "choice"]
    default: Any
    label: str
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    #: a length in full-resolution pixels: scaled down with the image on previews
    pixels: bool = False


@dataclass
class Report:
    """What the steps found while running (shown in the UI), e.g. the deskew angle, and the affine
    map from input to output pixel coordinates that the geometric steps composed."""

    notes: list[str] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)
    matrix: np.ndarray = field(default_factory=lambda: np.eye(3))

    def then(self, affine: np.ndarray) -> None:
        """Compose a further 2×3 or 3×3 map after the current one."""
        m = np.eye(3)
        m[: affine.shape[0], :] = affine
        self.matrix = m @ self.matrix

    def to_json(self) -> dict[str, Any]:
        return {"notes": list(self.notes), "values": dict(self.values), "matrix": self.matrix.tolist()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "Report":
        return cls(list(raw["notes"]), {k: float(v) for k, v in raw["values"].items()},
                   np.asarray(raw["matrix"], dtype=np.float64).reshape(3, 3))


@dataclass(frozen=True)
class Context:
    scale: float  #: working image size / full-resolution size (1.0 when applying)
    report: Report

    def px(self, value: float, odd: bool = False, minimum: int = 1) -> int:
        n = max(minimum, int(round(value * self.scale)))
        return n + 1 if odd and n % 2 == 0 else n


StepFn = Callable[[np.ndarray, dict[str, Any], Context], np.ndarray]


@dataclass(frozen=True)
class StepDef:
    op: str
    label: str
    help: str
    params: tuple[Param, ...]
    fn: StepFn


@dataclass(frozen=True)
class Step:
    op: str
    params: dict[str, Any]
    on: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "on": self.on, "params": dict(self.params)}


# --------------------------------------------------------------------------- helpers
def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img


def _lut(img: np.ndarray, table: np.ndarray) -> np.ndarray:
    return cv2.LUT(img, np.clip(table, 0, 255).astype(np.uint8))


# --------------------------------------------------------------------------- steps
def _crop(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    h, w = img.shape[:2]
    x0, x1 = sorted((p["x0"], p["x1"]))
    y0, y1 = sorted((p["y0"], p["y1"]))
    c0, c1 = int(round(x0 * w)), max(int(round(x0 * w)) + 1, int(round(x1 * w)))
    r0, r1 = int(round(y0 * h)), max(int(round(y0 * h)) + 1, int(round(y1 * h)))
    ctx.report.then(np.array([[1.0, 0, -c0], [0, 1.0, -r0]]))
    return img[r0:r1, c0:c1].copy()


def _rotate90(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    turns = {"0": None, "90": cv2.ROTATE_90_CLOCKWISE, "180": cv2.ROTATE_180, "270": cv2.ROTATE_90_COUNTERCLOCKWISE}
    code = turns[p["angle"]]
    h, w = img.shape[:2]
    maps = {"0": [[1, 0, 0], [0, 1, 0]], "90": [[0, -1, h], [1, 0, 0]], "180": [[-1, 0, w], [0, -1, h]],
            "270": [[0, 1, 0], [-1, 0, w]]}
    ctx.report.then(np.array(maps[p["angle"]], dtype=np.float64))
    return img.copy() if code is None else cv2.rotate(img, code)


def _turn(img: np.ndarray, angle: float, ctx: Context) -> np.ndarray:
    if abs(angle) < 1e-6:
        return img.copy()
    h, w = img.shape[:2]
    ctx.report.then(rotation(w, h, angle)[0])
    return rotate(img, angle)


def _rotate(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    return _turn(img, float(p["angle"]), ctx)


def _deskew(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    angle = estimate_skew(img, max_angle=float(p["max_angle"]))
    ctx.report.values["deskew_angle"] = angle
    ctx.report.notes.append(f"Deskew: the text was turned by {angle + 0.0:+.2f}°; corrected." if angle else "Deskew: the text is level.")
    return _turn(img, -angle, ctx) if abs(angle) >= 0.01 else img.copy()


def _grayscale(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    return _gray(img).copy()


def _invert(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    return cv2.bitwise_not(img)


def _brightness_contrast(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    x = np.arange(256, dtype=np.float32)
    return _lut(img, (x - 127.5) * float(p["contrast"]) + 127.5 + float(p["brightness"]))


def _gamma(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    x = np.arange(256, dtype=np.float32) / 255.0
    return _lut(img, 255.0 * np.power(x, float(p["gamma"])))


def _clahe(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    tiles = int(p["tiles"])
    clahe = cv2.createCLAHE(clipLimit=float(p["clip"]), tileGridSize=(tiles, tiles))
    if img.ndim == 2:
        return clahe.apply(img)
    lab = cv2.cvtColor(img, cv2.COLOR_RGB2LAB)
    lab[:, :, 0] = clahe.apply(np.ascontiguousarray(lab[:, :, 0]))
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def _denoise(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    if p["method"] == "median":
        k = min(ctx.px(p["size"], odd=True, minimum=3), 255 if img.ndim == 2 else 5)
        return cv2.medianBlur(img, k)
    h = float(p["strength"])
    if img.ndim == 2:
        return cv2.fastNlMeansDenoising(img, None, h=h, templateWindowSize=7, searchWindowSize=21)
    return cv2.fastNlMeansDenoisingColored(img, None, h, h, 7, 21)


def _flatten(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    return flatten_background(img, ctx.px(p["size"], minimum=3))


def sauvola_binarize(gray: np.ndarray, window: int, k: float, r: float = 128.0) -> np.ndarray:
    """Sauvola: white where the pixel is above T = m · (1 + k · (s / R − 1)) over a ``window`` square.

    Box filters make it O(1) per pixel; OpenCV operations in place keep a 24-megapixel page
    near 0.2 s (numpy temporaries of that size cost more than the arithmetic).
    """
    mean = cv2.boxFilter(gray, cv2.CV_32F, (window, window), borderType=cv2.BORDER_REFLECT)
    std = cv2.sqrBoxFilter(gray, cv2.CV_32F, (window, window), borderType=cv2.BORDER_REFLECT)
    cv2.subtract(std, cv2.multiply(mean, mean), dst=std)
    cv2.max(std, 0.0, dst=std)
    cv2.sqrt(std, dst=std)
    std *= k / r
    std += 1.0 - k
    threshold = cv2.multiply(mean, std, dst=mean)
    return cv2.compare(gray.astype(np.float32), threshold, cv2.CMP_GT)


def _binarize(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    g = _gray(img)
    method = p["method"]
    if method == "otsu":
        _, out = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        return out
    window = ctx.px(p["window"], odd=True, minimum=3)
    if method == "adaptive":
        return cv2.adaptiveThreshold(g, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, window, float(p["offset"]))
    return sauvola_binarize(g, window, float(p["k"]))


def _morphology(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    k = ctx.px(p["size"], minimum=1)
    if k < 2 and ctx.scale < 1:
        return img.copy()
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    # on dark text over white, "open" removes small dark specks: it is a closing of the white
    op = cv2.MORPH_CLOSE if p["operation"] == "open" else cv2.MORPH_OPEN
    return cv2.morphologyEx(img, op, kernel)


def _remove_borders(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    """Paint white the large dark regions that touch the image edge (scanner bed, binding shadow)."""
    g = _gray(img)
    _, dark = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    h, w = g.shape
    min_area = float(p["min_area"]) / 100.0 * h * w
    x, y, bw, bh, area = (stats[:, i] for i in range(5))
    touching = (x == 0) | (y == 0) | (x + bw >= w) | (y + bh >= h)
    big = (area >= min_area) & touching
    big[0] = False
    if not big.any():
        return img.copy()
    mask = big[labels]
    out = img.copy()
    out[mask] = 255
    ctx.report.notes.append(f"Borders: {int(mask.sum() / mask.size * 100)}% of the image painted white.")
    return out


def _rescale(img: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    factor = float(p["factor"])
    if factor == 0:  # auto: from the estimated x-height, in full-resolution pixels
        xh = estimate_xheight(img)
        if xh is None:
            ctx.report.notes.append("Rescale: no text found to measure; left as is.")
            return img.copy()
        full_xh = xh / ctx.scale
        factor = float(p["target"]) / full_xh
        ctx.report.values["xheight"] = full_xh
        ctx.report.notes.append(f"Rescale: x-height about {full_xh:.0f} px, scaled by {factor:.2f} to {p['target']} px.")
    ctx.report.values["rescale"] = factor
    if abs(factor - 1) < 0.01:
        return img.copy()
    h, w = img.shape[:2]
    size = (max(1, int(round(w * factor))), max(1, int(round(h * factor))))
    ctx.report.then(np.array([[size[0] / w, 0, 0], [0, size[1] / h, 0]]))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)


def _f(name: str, label: str, default: float, lo: float, hi: float, step: float, pixels: bool = False) -> Param:
    return Param(name, "float", default, label, lo, hi, step, pixels=pixels)


def _i(name: str, label: str, default: int, lo: int, hi: int, step: int = 1, pixels: bool = False) -> Param:
    return Param(name, "int", default, label, lo, hi, step, pixels=pixels)


def _c(name: str, label: str, default: str, *choices: str) -> Param:
    return Param(name, "choice", default, label, choices=choices)


_DEFS = [
    StepDef("crop", "Crop", "Keep a rectangle (fractions of the width and height; draw it on the original).",
            (_f("x0", "left", 0.0, 0, 1, 0.001), _f("y0", "top", 0.0, 0, 1, 0.001),
             _f("x1", "right", 1.0, 0, 1, 0.001), _f("y1", "bottom", 1.0, 0, 1, 0.001)), _crop),
    StepDef("rotate90", "Rotate by quarter turns", "Turn the page clockwise.",
            (_c("angle", "clockwise", "90", "0", "90", "180", "270"),), _rotate90),
    StepDef("rotate", "Rotate (fine)", "Turn by a small angle, counter-clockwise positive.",
            (_f("angle", "degrees", 0.0, -45, 45, 0.05),), _rotate),
    StepDef("deskew", "Deskew (automatic)", "Find the angle of the text lines and level them.",
            (_f("max_angle", "search ±degrees", 5.0, 1, 15, 0.5),), _deskew),
    StepDef("grayscale", "Grayscale", "Drop the colour.", (), _grayscale),
    StepDef("invert", "Invert", "Light text on dark ground becomes dark on light.", (), _invert),
    StepDef("brightness_contrast", "Brightness / contrast", "Linear change of the grey levels.",
            (_f("brightness", "brightness", 0.0, -100, 100, 1), _f("contrast", "contrast", 1.0, 0.2, 3, 0.05)),
            _brightness_contrast),
    StepDef("gamma", "Gamma", "Below 1 lightens faded ink's surroundings less than the ink; above 1 darkens.",
            (_f("gamma", "gamma", 1.0, 0.2, 5, 0.05),), _gamma),
    StepDef("clahe", "Local contrast (CLAHE)", "Equalise contrast tile by tile: faded or uneven ink.",
            (_f("clip", "clip limit", 2.0, 0.5, 10, 0.1), _i("tiles", "tiles per side", 8, 2, 32)), _clahe),
    StepDef("denoise", "Denoise", "Median removes specks; non-local means smooths grain and keeps strokes.",
            (_c("method", "method", "median", "median", "nlm"), _i("size", "median size (px)", 3, 3, 15, 2, pixels=True),
             _f("strength", "NLM strength", 10.0, 1, 30, 1)), _denoise),
    StepDef("flatten", "Flatten background", "Divide by the background: removes stains, tint and uneven light.",
            (_i("size", "background scale (px)", 81, 15, 501, 2, pixels=True),), _flatten),
    StepDef("binarize", "Binarise", "Black text on white. Sauvola copes best with uneven parchment.",
            (_c("method", "method", "sauvola", "sauvola", "otsu", "adaptive"),
             _i("window", "window (px)", 41, 3, 401, 2, pixels=True), _f("k", "Sauvola k", 0.2, 0.01, 0.6, 0.01),
             _f("offset", "adaptive offset", 10.0, -30, 30, 1)), _binarize),
    StepDef("morphology", "Morphology", "Open removes small specks; close fills broken strokes.",
            (_c("operation", "operation", "open", "open", "close"), _i("size", "size (px)", 2, 1, 15, pixels=True)),
            _morphology),
    StepDef("remove_borders", "Remove dark borders", "Whiten large dark regions touching the edge.",
            (_f("min_area", "min. area (% of page)", 0.5, 0.05, 20, 0.05),), _remove_borders),
    StepDef("rescale", "Rescale to text height", "Tesseract reads best with an x-height near 30 px. Factor 0 = auto.",
            (_i("target", "target x-height (px)", 30, 10, 80), _f("factor", "factor (0 = auto)", 0.0, 0, 4, 0.05)),
            _rescale),
]

#: The step catalogue, by op name, in the order the UI offers them.
STEPS: dict[str, StepDef] = {d.op: d for d in _DEFS}


def _check_value(op: str, spec: Param, value: Any) -> Any:
    where = f"step {op!r}, parameter {spec.name!r}"
    if spec.kind == "choice":
        value = str(value)
        if value not in spec.choices:
            raise PipelineError(f"{where}: {value!r} is not one of {', '.join(spec.choices)}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PipelineError(f"{where}: {value!r} is not a number")
    if spec.kind == "int":
        if float(value) != int(value):
            raise PipelineError(f"{where}: {value!r} is not a whole number")
        value = int(value)
    else:
        value = float(value)
    if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
        raise PipelineError(f"{where}: {value} is outside {spec.min:g}…{spec.max:g}")
    return value


def new_step(op: str) -> Step:
    """A step with its default parameters."""
    if op not in STEPS:
        raise PipelineError(f"unknown step {op!r}; known: {', '.join(STEPS)}")
    return Step(op, {p.name: p.default for p in STEPS[op].params})


def validate(raw: Any) -> list[Step]:
    """Check untrusted pipeline JSON; missing parameters take their defaults.

    Raises:
        PipelineError: with a message naming the step (by position and name) and the parameter.
    """
    if not isinstance(raw, list):
        raise PipelineError("a pipeline must be a list of steps")
    if len(raw) > 50:
        raise PipelineError(f"a pipeline of {len(raw)} steps is too long (at most 50)")
    steps = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not isinstance(item.get("op"), str):
            raise PipelineError(f"step {i} is not of the form {{'op': name, 'params': {{...}}}}")
        op = item["op"]
        if op not in STEPS:
            raise PipelineError(f"step {i}: unknown step {op!r}; known: {', '.join(STEPS)}")
        params = item.get("params") or {}
        if not isinstance(params, dict):
            raise PipelineError(f"step {i} ({op}): params must be an object")
        specs = {p.name: p for p in STEPS[op].params}
        unknown = set(params) - set(specs)
        if unknown:
            raise PipelineError(f"step {i} ({op}): unknown parameter(s) {', '.join(sorted(unknown))}")
        checked = {name: _check_value(op, spec, params.get(name, spec.default)) for name, spec in specs.items()}
        steps.append(Step(op, checked, bool(item.get("on", True))))
    return steps


def to_json(steps: list[Step]) -> list[dict[str, Any]]:
    return [s.to_dict() for s in steps]


def pipeline_key(steps: list[Step]) -> str:
    """A short stable hash of the steps that are switched on (what determines the result)."""
    canon = json.dumps([s.to_dict() for s in steps if s.on], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


def default_pipeline() -> list[Step]:
    """What a new document starts with: level, grey, even background, then Otsu.

    Once the background is flattened a global threshold is enough, and it leaves no speckle in
    blank areas; measured on the shared synthetic manuscripts it lowers Tesseract's CER where
    Sauvola (k 0.2) raised it (BENCHMARKS.md). Sauvola stays the binarisation step's default
    method for pages whose ink itself varies.
    """
    binarize = new_step("binarize")
    return [new_step("deskew"), new_step("grayscale"), new_step("flatten"),
            Step("binarize", {**binarize.params, "method": "otsu"})]


def run(img: np.ndarray, steps: list[Step], scale: float = 1.0, report: Report | None = None) -> tuple[np.ndarray, Report]:
    """Apply the steps that are on, in order. ``scale`` = working size / full-resolution size.

    ``report``: what earlier steps found when ``img`` is their result (the run goes on from there;
    the report is not changed)."""
    if img.dtype != np.uint8 or img.ndim not in (2, 3):
        raise PipelineError("the image must be 8-bit grey or RGB")
    report = Report() if report is None else Report.from_json(report.to_json())
    ctx = Context(scale=scale, report=report)
    out = img
    for step in steps:
        if step.on:
            out = STEPS[step.op].fn(out, step.params, ctx)
    return (out.copy() if out is img else out), report
