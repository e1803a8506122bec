"""Annotate tab, what the page shows: the figure, the line list and the region list. They are drawn
whole when a page or view is opened or the regions change (``annotate-draw``); otherwise they are
changed in place: a line selected (a ``Patch`` of two shapes), a text saved (a ``Patch`` of one line's
colour and hover text), and a line drawn, deleted, reshaped or moved (``shown_after``: what changed,
computed from the lines the browser holds and the lines after the change, as operations the browser
applies to the figure and ``Patch``es of the lists; a few KB, not the whole page)."""

from __future__ import annotations

import uuid
from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, Patch, State, html, no_update

from callbacks.annotate import view_lines, view_regions
from callbacks.common import selected_document
from callbacks.wiring import Access, Wiring
from config import Config
from layout import ids
from layout.annotate import line_rows, page_figure, region_rows, selection_patch, status_patch
from layout.patching import as_json, operations
from services import regions as layout_service
from storage import Store

__all__ = ["register", "wiring", "drawing", "shown_after", "lines_digest", "SHOWN", "SHOWN_STATE", "NOT_SHOWN"]

wiring = Wiring()

# a line operation's changes, applied in the browser to what it holds, if it still holds what they were computed
# from (else the page is loaded again: two operations at once, a save merged meanwhile)
wiring.clientside(ClientsideFunction("kalamos", "applyChange"),
                  Output(ids.AN_LINES, "data", allow_duplicate=True), Output(ids.AN_GRAPH, "figure", allow_duplicate=True),
                  Output(ids.AN_LIST, "children", allow_duplicate=True),
                  Output(ids.AN_REGION_LIST, "children", allow_duplicate=True), Output(ids.AN_REV, "data", allow_duplicate=True),
                  Input(ids.AN_CHANGE, "data"), State(ids.AN_LINES, "data"), State(ids.AN_GRAPH, "figure"),
                  State(ids.AN_LIST, "children"), State(ids.AN_REGION_LIST, "children"), State(ids.AN_REV, "data"),
                  prevent_initial_call=True)


def drawing(data: dict, selected: str | None, show: list[str] | None, viewport: dict | None = None,
            region_selected: str | None = None, types: list[str] | None = None) -> tuple[Any, Any, Any]:
    """The figure, the line list and the region list of a page the browser holds."""
    lines = view_lines(data)
    key = f"{data['page']}-{data['view']}"
    view = {"page": key, "url": data["url"], "width": data["width"], "height": data["height"]}
    rows = line_rows(lines, selected) if lines else html.Div(
        "No lines yet: draw them on the page, or use “Find lines for me”.", className="text-muted small")
    kept = viewport if (viewport or {}).get("page") == key else {"dragmode": (viewport or {}).get("dragmode")}
    regions = view_regions(data)
    figure = page_figure(view, lines, selected, kept, regions, show if show is not None else ("lines", "regions"),
                         region_selected)
    return figure, rows, region_rows(regions, types or [], region_selected)


@wiring.callback(Output(ids.AN_GRAPH, "figure"), Output(ids.AN_LIST, "children"), Output(ids.AN_SHOWN, "data"),
                 Output(ids.AN_REGION_LIST, "children"),
                 Input(ids.AN_DRAW, "data"), Input(ids.AN_SHOW, "value"), State(ids.AN_LINES, "data"),
                 State(ids.AN_SELECTED, "data"), State(ids.AN_VIEWPORT, "data"), State(ids.AN_REGION_SELECTED, "data"),
                 State(ids.SELECTION, "data"))
def draw(store: Store, _draw: int, show: list[str] | None, data: dict | None, selected: str | None, viewport: dict | None,
         region_selected: str | None, selection: dict | None):
    if not data:
        return page_figure(None, [], None), html.Div("No page: upload pages first.", className="text-muted small"), None, \
            region_rows([], [], None)
    where = selected_document(selection)
    types = list(layout_service.region_types(store, where[0])) if where else []
    figure, rows, regions = drawing(data, selected, show, viewport, region_selected, types)
    return figure, rows, selected, regions


#: What a change of the page's lines sends (``shown_after``): the lines and the full-redraw counter (a whole
#: new drawing), or the changes the browser applies (``annotate-change``); and the line the figure shows selected.
SHOWN = [Output(ids.AN_LINES, "data", allow_duplicate=True), Output(ids.AN_DRAW, "data", allow_duplicate=True),
         Output(ids.AN_CHANGE, "data", allow_duplicate=True), Output(ids.AN_SHOWN, "data", allow_duplicate=True)]
#: What ``shown_after`` needs to know of the page as drawn: the layers shown and the line shown selected.
SHOWN_STATE = [State(ids.AN_SHOW, "value"), State(ids.AN_SHOWN, "data")]
NOT_SHOWN = (no_update,) * len(SHOWN)
#: the parts of the page's data that, changed, make a whole new drawing (another page or view, regions)
_WHOLE = ("page", "view", "key", "url", "width", "height", "matrix", "band", "regions")


def lines_digest(data: dict) -> str:
    """The page's lines in a word, as assets/annotate.js ``linesDigest`` makes it: page, line ids, revisions."""
    return f"{data['page']}:" + ",".join(f"{ln['id'][-6:]}.{ln['rev']}" for ln in data.get("lines") or [])


def shown_after(before: dict | None, after: dict, draw: int | None, show: list[str] | None, shown: str | None,
                selected: Any = no_update, browser_shapes: list[dict] | None = None) -> tuple[Any, ...]:
    """The values of ``SHOWN`` after a change of the page's lines from ``before`` (what the browser
    holds) to ``after``. When only lines changed: the operations that turn the lines, the figure and
    the lists the browser holds into the new ones (``layout.patching.operations``: a line drawn,
    deleted, reshaped or moved sends that line, not the page: a few KB, not 100), with the digest
    of the lines they start from; the browser applies them only if it still holds those lines
    (assets/annotate.js ``applyChange``; else it loads the page again). Otherwise the new lines and a
    full redraw. ``selected``: the line selected after the change, when it moves. ``browser_shapes``:
    the figure's shapes as the browser holds them, when the person drew or erased one (Plotly put the
    drawn shape in the figure itself: the change takes it out again)."""
    if not before or any(before.get(k) != after.get(k) for k in _WHOLE):
        return after, (draw or 0) + 1, no_update, no_update
    now = shown if selected is no_update else selected
    old, new = (as_json(drawing(d, s, show)) for d, s in ((before, shown), (after, now)))
    if browser_shapes is not None:
        old[0]["layout"]["shapes"] = browser_shapes
    change = {"base": lines_digest(before), "n": uuid.uuid4().hex[:8], "lines": operations(as_json(before), as_json(after)),
              **{part: operations(a, b) for part, a, b in zip(("figure", "rows", "regions"), old, new)}}
    if not any(change[part] for part in ("lines", "figure", "rows", "regions")):
        return no_update, no_update, no_update, no_update if now == shown else now
    return no_update, no_update, change, no_update if now == shown else now


@wiring.callback(Output(ids.AN_GRAPH, "figure", allow_duplicate=True), Output(ids.AN_SHOWN, "data", allow_duplicate=True),
                 Input(ids.AN_SELECTED, "data"), State(ids.AN_SHOWN, "data"), State(ids.AN_ORDER, "data"),
                 State(ids.AN_SHOW, "value"), prevent_initial_call=True)
def show_selection(selected: str | None, shown: str | None, order: list[str] | None, show: list[str] | None = None):
    """The selection changed: thicken one shape and thin another (a Patch of two shapes)."""
    order = order or []
    if selected == shown or selected not in order:
        return no_update, no_update
    fig = Patch()
    for line_id, on in ((shown, False), (selected, True)):
        if line_id in order:
            selection_patch(fig, order.index(line_id), on, show is None or "lines" in show)
    return fig, selected


@wiring.callback(Output(ids.AN_GRAPH, "figure", allow_duplicate=True),
                 Input(ids.AN_SAVED, "data"), State(ids.AN_ORDER, "data"), prevent_initial_call=True)
def show_save(saved: dict | None, order: list[str] | None):
    """A line's text or status changed: its colour and hover text on the page (a Patch)."""
    saved = saved or {}
    line = (saved.get("outcome") or {}).get("line")
    order = order or []
    if not line or line["id"] not in order:
        return no_update
    fig = Patch()
    # earlier saves Dash folded into this one (two answers close together) are shown too
    earlier = [r["line"] for r in saved.get("recent") or [] if isinstance(r, dict) and r.get("page") == saved.get("page")
               and isinstance(r.get("line"), dict) and r["line"].get("id") in order and r["line"]["id"] != line["id"]
               and isinstance(r["line"].get("text"), str) and isinstance(r["line"].get("status"), str)]
    for ln in [*earlier, line]:
        index = order.index(ln["id"])
        status_patch(fig, index, {**ln, "number": index + 1})
    return fig


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)
