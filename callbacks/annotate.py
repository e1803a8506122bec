"""Annotate tab, the page: loading it, selecting lines, the selected line's details, and others'
changes. What the page shows (figure, lists) is ``callbacks/annotate_page.py``; line operations are ``callbacks/annotate_lines.py``, machine help and ground-truth
exchange ``callbacks/annotate_help.py``; the decisions are in ``services.annotation`` and ``services.editing``.

How the tab keeps ground truth honest (services/editing.py holds the rules): the text field is
driven by ``assets/editor.js``, which saves what is typed straight to ``/api/lines/…`` (as *edited*;
Enter and ✓ confirm, *verified*), one save per line at a time, each with the revision the editor
showed, and reports each save to the ``annotate-saved`` store. Nothing here saves text when a line
is opened, clicked or left.

How the tab stays light: the browser keeps the page's lines (``annotate-lines``); the figure and the
lists are drawn whole only when a page or view is opened or the regions change (``annotate-draw``);
a selection, a save, a line drawn, deleted, reshaped or moved changes them with a ``Patch``
(callbacks/annotate_page.py), and the selected line's details are computed in the browser
(``annotate-current``, assets/annotate.js).
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, no_update

from callbacks.common import model_options, page_options, project_of, selected_document
from callbacks.urls import BLANK_IMAGE, base_preview_url, line_url, processed_view_url
from callbacks.wiring import Access, Wiring
from config import Config
from layout import ids
from layout.annotate import STATUS_BADGES, variants_view
from ocr.greek import check_line
from ocr.geometry import apply
from services import DocumentRef, PageRef, annotation, editing
from services import regions as layout_service
from storage import KalamosError, Store
from storage.lineimages import Band
from storage.models import Line, Region

__all__ = ["register", "wiring", "view_lines", "load_page", "say", "MESSAGE", "NO_MESSAGE", "lines_of", "with_lines",
           "page_ref", "undo_of", "view_regions"]

MESSAGE = [Output(ids.AN_MESSAGE, "children", allow_duplicate=True), Output(ids.AN_MESSAGE, "color", allow_duplicate=True),
           Output(ids.AN_MESSAGE, "is_open", allow_duplicate=True)]
NO_MESSAGE = (no_update, no_update, no_update)


def say(text: Any, colour: str = "info") -> tuple[Any, str, bool]:
    return text, colour, True


def lines_of(data: dict | None) -> list[Line]:
    """The lines of the page the browser holds (``annotate-lines``)."""
    return [Line.from_dict(d) for d in (data or {}).get("lines", [])]


def with_lines(data: dict, lines: list[Line]) -> dict:
    return {**data, "lines": [ln.to_dict() for ln in lines]}


def page_ref(selection: dict | None, data: dict | None) -> PageRef | None:
    where = selected_document(selection)
    return PageRef(where[0], where[1], data["page"]) if where and data else None


def undo_of(before: Line, after: Line, page: str) -> dict[str, Any]:
    return editing.UndoRecord("update", page, line=before.to_dict(), rev=after.rev).to_dict()


def view_lines(data: dict) -> list[dict[str, Any]]:
    """Lines with their points in view coordinates, for the figure and the list."""
    lines = lines_of(data)
    shapes = annotation.outlines(lines, Band(**data["band"]), data["matrix"])
    return [{"id": ln.id, "kind": ln.kind, "status": ln.status, "text": ln.text, "number": n,
             "view_points": points, "view_outline": outline,
             "attention": bool(ln.status == "aligned" and (ln.aligned or {}).get("attention"))}
            for n, (ln, (points, outline)) in enumerate(zip(lines, shapes), 1)]


def load_page(store: Store, where: DocumentRef, page_id: str, view: str) -> tuple[dict, str | None]:
    """What the tab holds of a page: its lines, the view (original or preprocessed) and its matrix."""
    shown = annotation.open_page(store, PageRef(*where, page_id), view == "processed")
    url = processed_view_url(*where, page_id, shown.key) if shown.processed else base_preview_url(*where, page_id)
    return ({"page": page_id, "view": view, "key": shown.key, "url": url, "matrix": shown.matrix, "width": shown.width,
             "height": shown.height, "band": {"above": shown.band.above, "below": shown.band.below},
             "lines": [ln.to_dict() for ln in shown.lines], "regions": [r.to_dict() for r in shown.regions]}, shown.note)


def with_layout(store: Store, where: PageRef, data: dict) -> dict:
    """The page's lines and regions as they are now on disk."""
    lines, regions = layout_service.page_layout(store, where)
    return {**data, "lines": [ln.to_dict() for ln in lines], "regions": [r.to_dict() for r in regions]}


def view_regions(data: dict) -> list[dict[str, Any]]:
    """Regions in view coordinates, numbered in reading order, with how many lines each holds."""
    counts: dict[str, int] = {}
    for ln in data.get("lines") or []:
        if ln.get("region"):
            counts[ln["region"]] = counts.get(ln["region"], 0) + 1
    out = []
    for n, r in enumerate(data.get("regions") or [], 1):
        region = Region.from_dict(r)
        out.append({"id": region.id, "type": region.type, "subtype": region.subtype, "label": region.label,
                    "number": n, "lines": counts.get(region.id, 0), "view_points": apply(data["matrix"], region.points)})
    return out


wiring = Wiring()

# what only rearranges data the browser holds is done there (assets/annotate.js): the selected line,
# the order, the editor's state, a save merged into the page's lines, the counts, the list's rows
wiring.clientside(ClientsideFunction("kalamos", "currentLine"), Output(ids.AN_CURRENT, "data"),
                  Input(ids.AN_SELECTED, "data"), Input(ids.AN_LINES, "data"))
wiring.clientside(ClientsideFunction("kalamos", "lineOrder"), Output(ids.AN_ORDER, "data"),
                  Input(ids.AN_LINES, "data"), State(ids.AN_ORDER, "data"))
wiring.clientside(ClientsideFunction("kalamos", "editState"), Output(ids.AN_EDIT_STATE, "children"),
                  Input(ids.AN_CURRENT, "data"), Input(ids.AN_ORDER, "data"), State(ids.SELECTION, "data"),
                  State(ids.AN_EDIT_STATE, "id"), State(ids.AN_TEXT, "id"), State(ids.AN_LINES, "data"))
wiring.clientside(ClientsideFunction("kalamos", "mergeSaved"), Output(ids.AN_LINES, "data", allow_duplicate=True),
                  Output(ids.AN_UNDO_STORE, "data", allow_duplicate=True),
                  Input(ids.AN_SAVED, "data"), State(ids.AN_LINES, "data"), State(ids.AN_UNDO_STORE, "data"),
                  prevent_initial_call=True)
wiring.clientside(ClientsideFunction("kalamos", "statusCounts"), Output(ids.AN_COUNTS, "children"),
                  Input(ids.AN_LINES, "data"))
wiring.clientside(ClientsideFunction("kalamos", "rowClasses"),
                  Output({"type": ids.AN_ROW, "line": ALL}, "className"), Input(ids.AN_SELECTED, "data"),
                  State({"type": ids.AN_ROW, "line": ALL}, "id"))
wiring.clientside(ClientsideFunction("kalamos", "rowParts"),
                  Output({"type": ids.AN_ROW_BADGE, "line": ALL}, "children"),
                  Output({"type": ids.AN_ROW_BADGE, "line": ALL}, "className"),
                  Output({"type": ids.AN_ROW_TEXT, "line": ALL}, "children"),
                  Input(ids.AN_LINES, "data"), State({"type": ids.AN_ROW_BADGE, "line": ALL}, "id"),
                  prevent_initial_call=True)
wiring.clientside(ClientsideFunction("kalamos", "verifyAllQuestion"),
                  Output(f"{ids.AN_VERIFY_ALL}-confirm", "message"), Input(ids.AN_LINES, "data"))
wiring.clientside(ClientsideFunction("kalamos", "linesDigest"), Output(ids.AN_DIGEST, "data"),
                  Input(ids.AN_LINES, "data"))
wiring.clientside(ClientsideFunction("kalamos", "viewport"), Output(ids.AN_VIEWPORT, "data"),
                  Input(ids.AN_GRAPH, "relayoutData"), State(ids.AN_VIEWPORT, "data"), State(ids.AN_LINES, "data"),
                  prevent_initial_call=True)


@wiring.callback(Output(ids.AN_PAGE, "options"), Output(ids.AN_PAGE, "value"),
                 Input(ids.SELECTION, "data"), Input(ids.PAGES_REV, "data"), State(ids.AN_PAGE, "value"),
                 State(ids.AN_GOTO, "data"))
def pages(store: Store, selection: dict | None, _rev: int, current: str | None, goto: dict | None):
    if goto and goto.get("document") == (selection or {}).get("document"):
        current = goto.get("page")  # a link from another tab (a worst line of a training) opens its page
    return page_options(store, selection, current)


@wiring.callback(Output(ids.AN_PREFILL_LANG, "options"), Input(ids.TABS, "active_tab"), Input(ids.SELECTION, "data"))
def models(store: Store, _tab: str, selection: dict | None):
    return model_options(store, project_of(selection))


# ------------------------------------------------------------------ loading and drawing
@wiring.callback(
    Output(ids.AN_LINES, "data", allow_duplicate=True), Output(ids.AN_SELECTED, "data", allow_duplicate=True),
    Output(ids.AN_DRAW, "data", allow_duplicate=True), *MESSAGE,
    Output(ids.AN_GOTO, "data", allow_duplicate=True),
    Input(ids.AN_PAGE, "value"), Input(ids.AN_VIEW, "value"), Input(ids.AN_REV, "data"),
    State(ids.SELECTION, "data"), State(ids.AN_SELECTED, "data"), State(ids.AN_DRAW, "data"), State(ids.AN_GOTO, "data"),
    State(ids.AN_LINES, "data"), prevent_initial_call="initial_duplicate",
)
def load(store: Store, page_id: str | None, view: str, _rev: int, selection: dict | None, selected: str | None, draw: int,
         goto: dict | None, before: dict | None):
    where = selected_document(selection)
    if goto and goto.get("document") != (selection or {}).get("document"):
        return no_update, no_update, no_update, *NO_MESSAGE, no_update  # the document changes first
    if not (where and page_id):
        return None, None, (draw or 0) + 1, *NO_MESSAGE, no_update
    try:
        data, note = load_page(store, where, page_id, view or "original")
    except KalamosError as exc:
        return None, None, (draw or 0) + 1, *say(str(exc), "danger"), no_update
    ids_ = [ln["id"] for ln in data["lines"]]
    if goto and goto.get("page") == page_id and goto.get("line") in ids_:
        return data, goto["line"], (draw or 0) + 1, *NO_MESSAGE, None
    # a valid selection is left alone (no_update), so that a reload in flight cannot undo a click made meanwhile
    keep = no_update if selected in ids_ else (ids_[0] if ids_ else None)
    # messages about another page go away when the person moves from one page to another (not when the
    # page list is refreshed under them, e.g. by an import whose message must stay)
    other_page = (before or {}).get("page") not in (None, page_id)
    message = say(note, "warning") if note else (("", "info", False) if other_page else NO_MESSAGE)
    return data, keep, (draw or 0) + 1, *message, no_update


# what only rearranges data the browser holds is done there (assets/annotate.js): the selected line,
# the order, the editor's state, a save merged into the page's lines, the counts, the list's rows
@wiring.callback(Output(ids.AN_POLL, "disabled"), Output(ids.AN_POLL, "interval"), Input(ids.TABS, "active_tab"))
def poll_only_here(config: Config, tab: str | None):
    return tab != "annotate", 1000 * config.poll_seconds


@wiring.callback(Output(ids.AN_REV, "data", allow_duplicate=True), Input(ids.AN_POLL, "n_intervals"),
                 State(ids.AN_DIGEST, "data"), State(ids.SELECTION, "data"), State(ids.AN_REV, "data"),
                 prevent_initial_call=True)
def others_changes(store: Store, _n: int, digest: str | None, selection: dict | None, rev: int):
    """Every few seconds: has someone else changed this page's lines? Then they are loaded again
    (the figure keeps its zoom, the text field keeps what is being typed)."""
    where = selected_document(selection)
    if not (where and digest and ":" in digest):
        return no_update
    try:
        now = annotation.page_digest(store, where.page(digest.split(":", 1)[0]))
    except KalamosError:
        return no_update
    return no_update if now == digest else (rev or 0) + 1


@wiring.callback(
    Output(ids.AN_TITLE, "children"), Output(ids.AN_LINE_IMG, "src"), Output(ids.AN_WARNINGS, "children"),
    Output(ids.AN_BAND, "style"),
    Input(ids.AN_CURRENT, "data"), State(ids.SELECTION, "data"),
)
def details(store: Store, current: dict | None, selection: dict | None):
    where = selected_document(selection)
    line = (current or {}).get("line")
    if not (line and where and current):
        return "No line selected", BLANK_IMAGE, [], {"display": "none"}
    title = [f"Line {current['number']} of {current['total']} · ",
             dbc.Badge(line["status"], className="kalamos-status", color=STATUS_BADGES.get(line["status"], "secondary"))]
    try:
        rules = editing.policy(store, where[0])
    except KalamosError:
        rules = None
    warnings = [dbc.Alert(c.message, color="warning", className="py-1 px-2 my-1 small kalamos-warning")
                for c in check_line(line["text"], rules)]
    aligned = line.get("aligned") or {}
    if aligned and line["status"] in ("aligned", "edited") and isinstance(aligned.get("reading"), str):
        score = aligned.get("score")
        warnings.insert(0, variants_view(line["text"], aligned["reading"],
                                         score if isinstance(score, (int, float)) else None))
    src = line_url(*where, current["page"], line["id"], line["rev"], current["key"])
    return title, src, warnings, {} if line["kind"] == "baseline" else {"display": "none"}


@wiring.callback(Output(ids.AN_EDITING, "data"), Output(ids.AN_ABOVE, "value"), Output(ids.AN_BELOW, "value"),
                 Input(ids.AN_CURRENT, "data"), State(ids.AN_EDITING, "data"))
def band_fields(current: dict | None, editing_now: dict | None):
    line = (current or {}).get("line")
    if not line:
        return None, None, None
    band = (current or {}).get("band") or {}
    shown = {"line": line["id"], "above": line.get("above") or band.get("above"),
             "below": line.get("below") or band.get("below")}
    if shown == editing_now:
        return no_update, no_update, no_update
    return shown, shown["above"], shown["below"]


@wiring.callback(Output(ids.AN_TEXT, "className"), Input(ids.AN_BETA, "value"))
def beta_mode(on: bool):
    return "kalamos-greek-input kalamos-betacode" if on else "kalamos-greek-input"


# ------------------------------------------------------------------ line operations
@wiring.callback(Output(ids.AN_SELECTED, "data", allow_duplicate=True), Input(ids.AN_GRAPH, "clickData"),
                 prevent_initial_call=True)
def select_on_page(click: dict | None):
    point = ((click or {}).get("points") or [{}])[0]
    return point.get("customdata") or no_update


# a row clicked selects its line, in the browser: a server callback with the rows as inputs, fired again by
# a list drawn anew, would drop the answer to a click still on its way (assets/annotate.js rowLine)
wiring.clientside(ClientsideFunction("kalamos", "rowLine"), Output(ids.AN_SELECTED, "data", allow_duplicate=True),
                  Input({"type": ids.AN_ROW, "line": ALL}, "n_clicks"), prevent_initial_call=True)


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)
