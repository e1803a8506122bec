"""W3C Web Annotations, as IIIF Presentation 3 ``AnnotationPage``s: one file per page, one
``supplementing`` annotation per line with text (a ``TextualBody``), targeting the region of the page's
IIIF canvas the line covers. A canvas's ``annotations`` may name these files (Mirador 3 shows them as
the canvas's transcription), or they can be loaded beside the manifest.

The target is written in its simplest form, ``<canvas id>#xywh=x,y,w,h`` (the line's box in canvas
coordinates, whole numbers), not a ``SpecificResource`` with a ``FragmentSelector`` and an
``SvgSelector`` for the polygon: every IIIF viewer that shows annotations reads it (Mirador 2 and 3,
the Universal Viewer, Annotorious), where support for the selector forms varies.

Page pixels (what ``Row`` outlines are in) are scaled to the canvas's own coordinate space
(``Page.iiif``'s width and height), which need not be the size of the image fetched. A page that came
from no canvas (an uploaded file) still gets its file, targeting its image by name in page pixels.

Identifiers are relative: the page's ``id`` is its file name, a line's that name with ``#`` and the
line's id; they resolve to absolute URLs against wherever the files are published."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ocr.geometry import bbox
from storage.formats import PageLines, field_of, region_groups

__all__ = ["CONTEXT", "canvas_of", "annotation_page", "write_web_annotations"]

CONTEXT = "http://iiif.io/api/presentation/3/context.json"


def canvas_of(page: PageLines) -> tuple[str, float, float]:
    """What the page's annotations target: (the canvas id, x scale, y scale from page pixels to canvas
    coordinates); for a page from no canvas (or one whose record lacks its id), the page image's name and
    no scaling. A canvas record without a usable size is taken to be the size of the page."""
    canvas = page.page.iiif or {}
    canvas_id = field_of(canvas, "canvas")
    if not canvas_id:
        return quote(page.image_name), 1.0, 1.0

    def scale(key: str, pixels: int) -> float:
        try:
            size = float(canvas.get(key) or 0)
        except (TypeError, ValueError):
            size = 0.0
        return size / pixels if size > 0 and pixels > 0 else 1.0
    return canvas_id, scale("width", page.page.width), scale("height", page.page.height)


def _xywh(outline: Sequence[Sequence[float]], sx: float, sy: float, width: int, height: int) -> str:
    """The outline's box in canvas coordinates: whole numbers, inside the canvas, at least 1×1."""
    x0, y0, x1, y1 = bbox(outline)
    left = min(max(0, int(round(x0 * sx))), max(0, width - 1))
    top = min(max(0, int(round(y0 * sy))), max(0, height - 1))
    right = min(max(left + 1, int(round(x1 * sx))), max(left + 1, width))
    bottom = min(max(top + 1, int(round(y1 * sy))), max(top + 1, height))
    return f"{left},{top},{right - left},{bottom - top}"


def annotation_page(page: PageLines, page_id: str) -> dict[str, Any]:
    """The page's lines with text, in reading order, as an ``AnnotationPage`` named ``page_id``."""
    target, sx, sy = canvas_of(page)
    width, height = int(round(page.page.width * sx)), int(round(page.page.height * sy))
    label = field_of(page.page.iiif, "label") or page.image_name
    items = [{"id": f"{page_id}#{line.id}", "type": "Annotation", "motivation": "supplementing",
              "body": {"type": "TextualBody", "value": line.text, "format": "text/plain"},
              "target": f"{target}#xywh={_xywh(outline, sx, sy, width, height)}"}
             for _, rows in region_groups(page.rows, page.regions) for line, outline, _ in rows if line.text]
    result: dict[str, Any] = {"@context": CONTEXT, "id": page_id, "type": "AnnotationPage",
                              "label": {"none": [f"Transcription of {label}"]}}
    manifest = field_of(page.source, "manifest")
    if manifest:
        result["partOf"] = [_manifest(page.source, manifest)]
    result["items"] = items
    return result


def _manifest(source: Mapping[str, Any], manifest: str) -> dict[str, Any]:
    ref: dict[str, Any] = {"id": manifest, "type": "Manifest"}
    if field_of(source, "label"):
        ref["label"] = {"none": [field_of(source, "label")]}
    return ref


def write_web_annotations(pages: Sequence[PageLines], stem: str) -> dict[str, bytes]:
    """One ``{stem}_p0001.annotations.json`` per page (an ``AnnotationPage``), every page even without text."""
    files = {}
    for p in pages:
        name = f"{stem}_p{p.number:04d}.annotations.json"
        # a lone surrogate (JSON's \ud800 escape can bring one into a line's text) becomes "?"
        files[name] = json.dumps(annotation_page(p, name), ensure_ascii=False, indent=2).encode("utf-8", "replace") + b"\n"
    return files
