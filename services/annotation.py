"""Annotation, as a person does it on the page: what the tab shows of a page (original or preprocessed
view, with the matrix between them), shapes drawn, erased or dragged with the figure's tools turned into
lines, machine help (find lines, pre-fill with OCR), and whether someone else changed the page.
The editing rules themselves (revisions, conflicts, statuses, undo) are ``services.editing``."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ocr.geometry import apply, invert
from services import editing
from services.context import PageRef
from storage import KalamosError, Store
from storage import lines as line_store
from storage import regions as region_store
from storage.autolines import PrefillReport, find_lines, prefill_lines
from storage.lineimages import Band, line_outline, page_band
from storage.models import Line, Page, Region

__all__ = ["path_points", "shape_geometry", "AnnotationPage", "open_page", "DrawOutcome", "apply_drawing",
           "ReshapeOutcome", "apply_reshapes", "digest", "page_digest", "find", "prefill", "outlines"]

IDENTITY = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
_NUM = re.compile(r"-?\d+(?:\.\d+)?")
_SHAPE_KEY = re.compile(r"shapes\[(\d+)\]\.(\w+)")


def path_points(path: str) -> list[list[float]]:
    """The points of an SVG path as Plotly writes a drawn polygon (``M x,y L x,y … Z``)."""
    nums = [float(v) for v in _NUM.findall(path or "")]
    return [[nums[i], nums[i + 1]] for i in range(0, len(nums) - 1, 2)]


def shape_geometry(shape: dict[str, Any]) -> tuple[str, list[list[float]]] | None:
    """(kind, points in view coordinates) of a shape drawn with Plotly's tools."""
    t = shape.get("type")
    if t == "line":
        pts = [[shape["x0"], shape["y0"]], [shape["x1"], shape["y1"]]]
        return "baseline", sorted(pts, key=lambda p: p[0])
    if t == "rect":
        x0, x1 = sorted((shape["x0"], shape["x1"]))
        y0, y1 = sorted((shape["y0"], shape["y1"]))
        return "box", [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    if t == "path":
        pts = path_points(shape.get("path", ""))
        return ("polygon", pts) if len(pts) >= 3 else None
    return None


@dataclass(frozen=True)
class AnnotationPage:
    """A page as the Annotate tab draws it: in the original's pixels or the preprocessed image's
    (``matrix`` maps page pixels to view pixels), with the default band around baselines."""

    page: Page
    lines: list[Line]
    band: Band
    processed: bool  #: the view is the preprocessed image
    matrix: list[list[float]] = field(default_factory=lambda: [row[:] for row in IDENTITY])
    width: int = 0
    height: int = 0
    note: str | None = None  #: why the view asked for is not the one shown
    regions: list[Region] = field(default_factory=list)  #: in reading order

    @property
    def key(self) -> str:
        """Which processed result line images are cut from ("orig": none)."""
        return self.page.processed["key"] if self.page.processed else "orig"


def open_page(store: Store, ref: PageRef, processed: bool) -> AnnotationPage:
    page = store.get_page(*ref)
    band = page_band(store, ref.project, ref.document, page)
    layout = line_store.load(store, *ref)
    lines = layout.ordered()
    if processed and page.processed and page.processed.get("matrix"):
        return AnnotationPage(page, lines, band, True, page.processed["matrix"], page.processed["width"],
                              page.processed["height"], regions=layout.regions)
    note = "This page has no preprocessed image yet (Preprocess tab › Apply): showing the original." if processed else None
    return AnnotationPage(page, lines, band, False, [row[:] for row in IDENTITY], page.width, page.height, note,
                          layout.regions)


def outlines(lines: Sequence[Line], band: Band, matrix: list[list[float]]) -> list[tuple[list[list[float]], list[list[float]]]]:
    """(points, outline) of each line in view coordinates."""
    return [(apply(matrix, ln.points), apply(matrix, line_outline(ln, band))) for ln in lines]


@dataclass(frozen=True)
class DrawOutcome:
    """What drawing or erasing on the page did: the lines added (in reading order), what could not be done."""

    page: str
    added: list[Line]
    problems: list[str]
    regions: list[Region] = field(default_factory=list)  #: regions drawn

    @property
    def undo(self) -> editing.UndoRecord | None:
        """Undo takes the drawn lines away again."""
        return editing.UndoRecord("add", self.page, ids=tuple(ln.id for ln in self.added)) if self.added else None


def apply_drawing(store: Store, ref: PageRef, shown: Sequence[Line], shapes: Sequence[dict[str, Any]],
                  matrix: list[list[float]], editor: str | None = None, layer: str = "lines",
                  regions: Sequence[Region] = (), region_type: str = "MainZone") -> DrawOutcome:
    """The figure's shapes after a draw or an erase: lines (and regions) whose shape is gone are
    deleted (a line unless someone changed it meanwhile; a region's lines stay), new shapes become
    lines placed in the reading order by their top, or, drawing on the ``regions`` layer, regions of
    ``region_type`` placed in the default reading order (the lines inside join them)."""
    names = {s.get("name") for s in shapes}
    problems = []
    for gone in [ln for ln in shown if ln.id not in names]:
        outcome = editing.delete_line(store, ref, gone.id, gone.rev, editor)
        if outcome.status != "saved":
            problems.append(outcome.message)
    for region in [r for r in regions if f"region:{r.id}" not in names]:
        try:
            region_store.delete_region(store, *ref, region.id)
        except KalamosError as exc:
            problems.append(str(exc))
    back = invert(matrix)
    drawn, boxes = [], []
    for shape in shapes:
        geometry = None if shape.get("name") else shape_geometry(shape)
        if not geometry:
            continue
        if layer == "regions":
            pts = apply(back, geometry[1])
            if geometry[0] == "baseline":
                problems.append("A region is drawn as a box or a closed shape, not a line.")
                continue
            boxes.append(pts)
        else:
            drawn.append(Line("", geometry[0], apply(back, geometry[1]), source="drawn"))  # type: ignore[arg-type]
    added_regions = []
    for pts in boxes:
        try:
            added_regions.append(region_store.add_region(store, *ref, pts, region_type))
        except KalamosError as exc:
            problems.append(str(exc))
    try:
        added = editing.add_drawn_lines(store, ref, drawn)
    except KalamosError as exc:
        added, problems = [], [*problems, str(exc)]
    return DrawOutcome(ref.page, added, problems, added_regions)


@dataclass(frozen=True)
class ReshapeOutcome:
    """What dragging shapes did: the undo record of the last line reshaped, or why it was refused."""

    undo: editing.UndoRecord | None
    refused: str | None = None


def reshape_changes(relayout: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Plotly's ``relayoutData`` after a drag (``shapes[3].x0`` …), grouped by shape index."""
    edited: dict[int, dict[str, Any]] = {}
    for key, value in relayout.items():
        m = _SHAPE_KEY.match(key)
        if m:
            edited.setdefault(int(m.group(1)), {})[m.group(2)] = value
    return edited


def apply_reshapes(store: Store, ref: PageRef, shown: Sequence[Line], edited: dict[int, dict[str, Any]],
                   matrix: list[list[float]], editor: str | None = None, user: str | None = None,
                   regions: Sequence[Region] = ()) -> ReshapeOutcome:
    """Shapes dragged or reshaped: lines (the first shapes of the figure) and regions (after them)."""
    back = invert(matrix)
    undo = None
    for index, change in edited.items():
        if "path" in change:
            pts = path_points(change["path"])
        elif {"x0", "y0", "x1", "y1"} <= set(change):
            pts = sorted([[change["x0"], change["y0"]], [change["x1"], change["y1"]]], key=lambda p: p[0])
        else:
            continue
        if index >= len(shown):
            k = index - len(shown)
            if k < len(regions) and "path" in change:
                try:
                    region_store.update_region(store, *ref, regions[k].id, points=apply(back, pts))
                except KalamosError as exc:
                    return ReshapeOutcome(None, str(exc))
            continue
        line = shown[index]
        try:
            outcome = editing.reshape_line(store, ref, line.id, line.rev, apply(back, pts), editor, user)
        except KalamosError as exc:
            return ReshapeOutcome(None, str(exc))
        if outcome.status != "saved" or outcome.line is None:
            return ReshapeOutcome(None, outcome.message)
        undo = editing.UndoRecord("update", ref.page, line=line.to_dict(), rev=outcome.line.rev)
    return ReshapeOutcome(undo)


def digest(page_id: str, lines: Sequence[Line]) -> str:
    """A short fingerprint of a page's lines (ids and revisions), the same as assets/annotate.js makes."""
    return page_id + ":" + ",".join(f"{ln.id[-6:]}.{ln.rev}" for ln in lines)


def page_digest(store: Store, ref: PageRef) -> str:
    return digest(ref.page, line_store.list_lines(store, *ref))


def find(store: Store, ref: PageRef, method: str = "projection", lang: str = "grc") -> list[Line]:
    """Detect the page's text lines and add the new ones (the page's own lines are kept)."""
    return find_lines(store, *ref, method, lang)


def prefill(store: Store, ref: PageRef, lang: str = "grc", progress: Callable[[int, int], None] | None = None) -> PrefillReport:
    """OCR every empty line of the page; the text is "machine" until a person confirms it."""
    return prefill_lines(store, *ref, lang, progress)
