"""Preprocessing, as a person does it: a pipeline of steps for the document or for one page, previews
that follow every change, named presets, a crop drawn on the page, "what does Tesseract read here?"
drawn on the result, and the pipeline applied to every page in the background."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ocr.pipeline import Step, new_step, to_json
from ocr.tesseract import recognize
from services import models as models_uc
from services.context import DocumentRef, PageRef
from storage import InvalidInput, Store
from storage.models import Page
from storage.processing import (PREVIEW_SIDE, ApplyReport, Preview, apply_to_document, document_pipeline, full_result,
                                list_presets, page_pipeline, preset_steps, render_preview, save_preset,
                                set_document_pipeline, set_page_pipeline)

__all__ = ["PREVIEW_SIDE", "Rect", "crop_step", "try_ocr", "save_and_render", "document_pipeline", "page_pipeline",
           "set_page_pipeline", "list_presets", "save_preset", "preset_steps", "apply_to_document", "apply", "with_crop", "ApplyReport",
           "Preview"]


@dataclass(frozen=True)
class Rect:
    """A rectangle drawn on the figure, in the pixels of the image it was drawn on."""

    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def from_shape(cls, shape: dict[str, Any]) -> "Rect":
        x0, x1 = sorted((float(shape["x0"]), float(shape["x1"])))
        y0, y1 = sorted((float(shape["y0"]), float(shape["y1"])))
        return cls(x0, y0, x1, y1)


def crop_step(page: Page, rect: Rect) -> dict[str, Any]:
    """A crop step (fractions of the page) from a rectangle drawn on the original; InvalidInput when tiny."""
    def frac(v: float, size: int) -> float:
        return round(min(1.0, max(0.0, v / size)), 4)

    crop = new_step("crop").to_dict()
    crop["params"] = {"x0": frac(rect.x0, page.width), "y0": frac(rect.y0, page.height),
                      "x1": frac(rect.x1, page.width), "y1": frac(rect.y1, page.height)}
    if crop["params"]["x1"] - crop["params"]["x0"] < 0.01 or crop["params"]["y1"] - crop["params"]["y0"] < 0.01:
        raise InvalidInput("The crop rectangle is too small.")
    return crop


def with_crop(steps: list[dict[str, Any]], crop: dict[str, Any]) -> list[dict[str, Any]]:
    """The pipeline with ``crop`` first, in place of any crop it had."""
    return [crop, *[s for s in steps if s["op"] != "crop"]]


def try_ocr(store: Store, ref: PageRef, steps: list[Step], rect: Rect, lang: str = "grc") -> str:
    """What Tesseract reads in a rectangle drawn on the full-resolution result of ``steps``."""
    result = full_result(store, ref.project, ref.document, store.get_page(*ref), steps)
    h, w = result.shape[:2]
    r0, r1 = max(0, int(rect.y0)), min(h, int(rect.y1) + 1)
    c0, c1 = max(0, int(rect.x0)), min(w, int(rect.x1) + 1)
    if r1 - r0 < 8 or c1 - c0 < 8:
        raise InvalidInput("Draw a larger rectangle over some text.")
    return recognize(result[r0:r1, c0:c1], lang, psm=6, tessdata_dir=models_uc.tessdata(store, ref.project))


def save_and_render(store: Store, ref: PageRef, steps: list[Step], page_scope: bool,
                    may_save: bool = True) -> tuple[Page, Preview]:
    """Keep the pipeline (the page's own, or the document's) when it changed, and render its preview.
    ``may_save`` False (a viewer of the project): only the preview, nothing kept."""
    page = store.get_page(*ref)
    if not may_save:
        pass
    elif page_scope:
        if page.pipeline != to_json(steps):
            set_page_pipeline(store, *ref, steps)
    elif store.get_document(ref.project, ref.document).settings.get("pipeline") != to_json(steps):
        set_document_pipeline(store, ref.project, ref.document, steps)
    return page, render_preview(store, ref.project, ref.document, page, steps)


def apply(store: Store, doc: DocumentRef, progress: Callable[[int, int], None] | None = None) -> ApplyReport:
    """Every page's pipeline at full resolution; a page that fails is reported, the others go on."""
    return apply_to_document(store, *doc, progress)
