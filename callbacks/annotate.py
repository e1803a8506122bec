"""Annotate tab: lines drawn, selected, transcribed and saved at once; machine help; GT exchange.

How the tab keeps ground truth honest (services/editing.py holds the rules): the text field is
driven by ``assets/editor.js``, which saves what is typed straight to ``/api/lines/…`` (as *edited*;
Enter and ✓ confirm, *verified*), one save per line at a time, each with the revision the editor
showed, and reports each save to the ``annotate-saved`` store. Nothing here saves text when a line
is opened, clicked or left.

How the tab stays light: the browser keeps the page's lines (``annotate-lines``); the figure and the
list are drawn whole only when the page or its shapes change (``annotate-draw``); a selection or a
save changes them with a ``Patch`` (two shapes, one line's colour and hover text, one row), and the
selected line's details are computed in the browser (``annotate-current``, assets/annotate.js).
"""

from __future__ import annotations

import re
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Dash, Input, Output, Patch, State, ctx, html, no_update

from callbacks.common import clicked, job_slot, model_options, page_options, selected_document, upload_spec
from callbacks.routes import export_url, line_url, processed_view_url
from storage.formats import registry
from config import Config
from layout import ids
from layout.annotate import STATUS_BADGES, line_rows, page_figure, selection_patch, status_patch
from ocr.geometry import apply, invert
from ocr.greek import LUNATE_CHOICES, Normalisation, check_line
from ocr.tesseract import TesseractError
from services import PageRef, editing
from storage import KalamosError, Store
from storage import lines as line_store
from storage.autolines import find_lines, prefill_lines
from storage.lineimages import Band, line_outline, page_band
from storage.models import Line
from storage.processing import PREVIEW_SIDE

__all__ = ["register", "path_points", "shape_geometry", "view_lines", "load_page"]

MESSAGE = [Output(ids.AN_MESSAGE, "children", allow_duplicate=True), Output(ids.AN_MESSAGE, "color", allow_duplicate=True),
           Output(ids.AN_MESSAGE, "is_open", allow_duplicate=True)]
NO_MESSAGE = (no_update, no_update, no_update)


def say(text: Any, colour: str = "info") -> tuple[Any, str, bool]:
    return text, colour, True


_NUM = re.compile(r"-?\d+(?:\.\d+)?")


def path_points(path: str) -> list[list[float]]:
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


def _lines(data: dict | None) -> list[Line]:
    return [Line.from_dict(d) for d in (data or {}).get("lines", [])]


def _with(data: dict, lines: list[Line]) -> dict:
    return {**data, "lines": [ln.to_dict() for ln in lines]}


def view_lines(data: dict) -> list[dict[str, Any]]:
    """Lines with their points in view coordinates, for the figure and the list."""
    m = data["matrix"]
    band = Band(**data["band"])
    out = []
    for n, ln in enumerate(_lines(data), 1):
        out.append({"id": ln.id, "kind": ln.kind, "status": ln.status, "text": ln.text, "number": n,
                    "view_points": apply(m, ln.points), "view_outline": apply(m, line_outline(ln, band))})
    return out


def load_page(store: Store, where: tuple[str, str], page_id: str, view: str) -> tuple[dict, str | None]:
    """What the tab holds of a page: its lines, the view (original or preprocessed) and its matrix."""
    page = store.get_page(*where, page_id)
    band = page_band(store, *where, page)
    note = None
    if view == "processed" and page.processed and page.processed.get("matrix"):
        key = page.processed["key"]
        url, matrix = processed_view_url(*where, page_id, key), page.processed["matrix"]
        width, height = page.processed["width"], page.processed["height"]
    else:
        if view == "processed":
            note = "This page has no preprocessed image yet (Preprocess tab › Apply): showing the original."
        url = f"/files/{where[0]}/{where[1]}/{page_id}/preview/base-{PREVIEW_SIDE}.jpg"
        matrix, width, height = [[1, 0, 0], [0, 1, 0], [0, 0, 1]], page.width, page.height
    lines = line_store.list_lines(store, *where, page_id)
    return ({"page": page_id, "view": view, "key": page.processed["key"] if page.processed else "orig",
             "url": url, "matrix": matrix, "width": width, "height": height,
             "band": {"above": band.above, "below": band.below}, "lines": [ln.to_dict() for ln in lines]}, note)


def _undo_of(before: Line, after: Line, page: str) -> dict[str, Any]:
    return editing.UndoRecord("update", page, line=before.to_dict(), rev=after.rev).to_dict()


def register(app: Dash, store: Store, config: Config) -> None:  # noqa: C901 - one short function per user action
    def ref(selection: dict | None, data: dict | None) -> PageRef | None:
        where = selected_document(selection)
        return PageRef(where[0], where[1], data["page"]) if where and data else None

    @app.callback(Output(ids.AN_PAGE, "options"), Output(ids.AN_PAGE, "value"),
                  Input(ids.SELECTION, "data"), Input(ids.PAGES_REV, "data"), State(ids.AN_PAGE, "value"),
                  State(ids.AN_GOTO, "data"))
    def pages(selection: dict | None, _rev: int, current: str | None, goto: dict | None):
        if goto and goto.get("document") == (selection or {}).get("document"):
            current = goto.get("page")  # a link from another tab (a worst line of a training) opens its page
        return page_options(store, selection, current)

    @app.callback(Output(ids.AN_PREFILL_LANG, "options"), Input(ids.TABS, "active_tab"), Input(ids.SELECTION, "data"))
    def models(_tab: str, selection: dict | None):
        return model_options(store, (selection or {}).get("project"))

    @app.callback(Output(ids.AN_EXPORT_LINKS, "children"), Input(ids.SELECTION, "data"))
    def export_links(selection: dict | None):
        where = selected_document(selection)
        if not where:
            return ""
        links = [html.A(f.label, href=export_url(*where, f.key), className="me-2", id=f"annotate-export-{f.key}")
                 for f in registry.ground_truth_formats()]
        return [*links, html.Span("(zip; whole project: ", className="text-muted"),
                html.A("tesstrain", href=export_url(where[0], None, "tesstrain")), html.Span(")", className="text-muted")]

    # ------------------------------------------------------------------ loading and drawing
    @app.callback(
        Output(ids.AN_LINES, "data", allow_duplicate=True), Output(ids.AN_SELECTED, "data", allow_duplicate=True),
        Output(ids.AN_DRAW, "data", allow_duplicate=True), *MESSAGE,
        Output(ids.AN_GOTO, "data", allow_duplicate=True),
        Input(ids.AN_PAGE, "value"), Input(ids.AN_VIEW, "value"), Input(ids.AN_REV, "data"),
        State(ids.SELECTION, "data"), State(ids.AN_SELECTED, "data"), State(ids.AN_DRAW, "data"), State(ids.AN_GOTO, "data"),
        State(ids.AN_LINES, "data"), prevent_initial_call="initial_duplicate",
    )
    def load(page_id: str | None, view: str, _rev: int, selection: dict | None, selected: str | None, draw: int,
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

    @app.callback(Output(ids.AN_GRAPH, "figure"), Output(ids.AN_LIST, "children"), Output(ids.AN_SHOWN, "data"),
                  Input(ids.AN_DRAW, "data"), State(ids.AN_LINES, "data"), State(ids.AN_SELECTED, "data"),
                  State(ids.AN_VIEWPORT, "data"))
    def draw(_draw: int, data: dict | None, selected: str | None, viewport: dict | None):
        if not data:
            return page_figure(None, [], None), html.Div("No page: upload pages first.", className="text-muted small"), None
        lines = view_lines(data)
        key = f"{data['page']}-{data['view']}"
        view = {"page": key, "url": data["url"], "width": data["width"], "height": data["height"]}
        rows = line_rows(lines, selected) if lines else html.Div(
            "No lines yet: draw them on the page, or use “Find lines for me”.", className="text-muted small")
        kept = viewport if (viewport or {}).get("page") == key else {"dragmode": (viewport or {}).get("dragmode")}
        return page_figure(view, lines, selected, kept), rows, selected

    # what only rearranges data the browser holds is done there (assets/annotate.js): the selected line,
    # the order, the editor's state, a save merged into the page's lines, the counts, the list's rows
    app.clientside_callback(ClientsideFunction("kalamos", "currentLine"), Output(ids.AN_CURRENT, "data"),
                            Input(ids.AN_SELECTED, "data"), Input(ids.AN_LINES, "data"))
    app.clientside_callback(ClientsideFunction("kalamos", "lineOrder"), Output(ids.AN_ORDER, "data"),
                            Input(ids.AN_LINES, "data"), State(ids.AN_ORDER, "data"))
    app.clientside_callback(ClientsideFunction("kalamos", "editState"), Output(ids.AN_EDIT_STATE, "children"),
                            Input(ids.AN_CURRENT, "data"), Input(ids.AN_ORDER, "data"), State(ids.SELECTION, "data"),
                            State(ids.AN_EDIT_STATE, "id"), State(ids.AN_TEXT, "id"), State(ids.AN_LINES, "data"))
    app.clientside_callback(ClientsideFunction("kalamos", "mergeSaved"), Output(ids.AN_LINES, "data", allow_duplicate=True),
                            Output(ids.AN_UNDO_STORE, "data", allow_duplicate=True),
                            Input(ids.AN_SAVED, "data"), State(ids.AN_LINES, "data"), State(ids.AN_UNDO_STORE, "data"),
                            prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("kalamos", "statusCounts"), Output(ids.AN_COUNTS, "children"),
                            Input(ids.AN_LINES, "data"))
    app.clientside_callback(ClientsideFunction("kalamos", "rowClasses"),
                            Output({"type": ids.AN_ROW, "line": ALL}, "className"), Input(ids.AN_SELECTED, "data"),
                            State({"type": ids.AN_ROW, "line": ALL}, "id"))
    app.clientside_callback(ClientsideFunction("kalamos", "rowParts"),
                            Output({"type": ids.AN_ROW_BADGE, "line": ALL}, "children"),
                            Output({"type": ids.AN_ROW_BADGE, "line": ALL}, "className"),
                            Output({"type": ids.AN_ROW_TEXT, "line": ALL}, "children"),
                            Input(ids.AN_LINES, "data"), State({"type": ids.AN_ROW_BADGE, "line": ALL}, "id"),
                            prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("kalamos", "verifyAllQuestion"),
                            Output(f"{ids.AN_VERIFY_ALL}-confirm", "message"), Input(ids.AN_LINES, "data"))
    app.clientside_callback(ClientsideFunction("kalamos", "linesDigest"), Output(ids.AN_DIGEST, "data"),
                            Input(ids.AN_LINES, "data"))

    @app.callback(Output(ids.AN_POLL, "disabled"), Output(ids.AN_POLL, "interval"), Input(ids.TABS, "active_tab"))
    def poll_only_here(tab: str | None):
        return tab != "annotate", 1000 * config.poll_seconds

    @app.callback(Output(ids.AN_REV, "data", allow_duplicate=True), Input(ids.AN_POLL, "n_intervals"),
                  State(ids.AN_DIGEST, "data"), State(ids.SELECTION, "data"), State(ids.AN_REV, "data"),
                  prevent_initial_call=True)
    def others_changes(_n: int, digest: str | None, selection: dict | None, rev: int):
        """Every few seconds: has someone else changed this page's lines? Then they are loaded again
        (the figure keeps its zoom, the text field keeps what is being typed)."""
        where = selected_document(selection)
        if not (where and digest and ":" in digest):
            return no_update
        page_id = digest.split(":", 1)[0]
        try:
            lines = line_store.list_lines(store, *where, page_id)
        except KalamosError:
            return no_update
        now = page_id + ":" + ",".join(f"{ln.id[-6:]}.{ln.rev}" for ln in lines)
        return no_update if now == digest else (rev or 0) + 1

    app.clientside_callback(ClientsideFunction("kalamos", "viewport"), Output(ids.AN_VIEWPORT, "data"),
                            Input(ids.AN_GRAPH, "relayoutData"), State(ids.AN_VIEWPORT, "data"), State(ids.AN_LINES, "data"),
                            prevent_initial_call=True)

    @app.callback(Output(ids.AN_GRAPH, "figure", allow_duplicate=True), Output(ids.AN_SHOWN, "data", allow_duplicate=True),
                  Input(ids.AN_SELECTED, "data"), State(ids.AN_SHOWN, "data"), State(ids.AN_ORDER, "data"),
                  prevent_initial_call=True)
    def show_selection(selected: str | None, shown: str | None, order: list[str] | None):
        """The selection changed: thicken one shape and thin another (a Patch of two shapes)."""
        order = order or []
        if selected == shown or selected not in order:
            return no_update, no_update
        fig = Patch()
        for line_id, on in ((shown, False), (selected, True)):
            if line_id in order:
                selection_patch(fig, order.index(line_id), on)
        return fig, selected

    @app.callback(Output(ids.AN_GRAPH, "figure", allow_duplicate=True),
                  Input(ids.AN_SAVED, "data"), State(ids.AN_ORDER, "data"), prevent_initial_call=True)
    def show_save(saved: dict | None, order: list[str] | None):
        """A line's text or status changed: its colour and hover text on the page (a Patch)."""
        line = ((saved or {}).get("outcome") or {}).get("line")
        order = order or []
        if not line or line["id"] not in order:
            return no_update
        index = order.index(line["id"])
        fig = Patch()
        status_patch(fig, index, {**line, "number": index + 1})
        return fig

    @app.callback(
        Output(ids.AN_TITLE, "children"), Output(ids.AN_LINE_IMG, "src"), Output(ids.AN_WARNINGS, "children"),
        Output(ids.AN_BAND, "style"),
        Input(ids.AN_CURRENT, "data"), State(ids.SELECTION, "data"),
    )
    def details(current: dict | None, selection: dict | None):
        where = selected_document(selection)
        line = (current or {}).get("line")
        if not (line and where and current):
            return "No line selected", "", [], {"display": "none"}
        title = [f"Line {current['number']} of {current['total']} · ",
                 dbc.Badge(line["status"], className="kalamos-status", color=STATUS_BADGES.get(line["status"], "secondary"))]
        try:
            rules = editing.policy(store, where[0])
        except KalamosError:
            rules = None
        warnings = [dbc.Alert(c.message, color="warning", className="py-1 px-2 my-1 small kalamos-warning")
                    for c in check_line(line["text"], rules)]
        src = line_url(*where, current["page"], line["id"], line["rev"], current["key"])
        return title, src, warnings, {} if line["kind"] == "baseline" else {"display": "none"}

    @app.callback(Output(ids.AN_EDITING, "data"), Output(ids.AN_ABOVE, "value"), Output(ids.AN_BELOW, "value"),
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

    @app.callback(Output(ids.AN_TEXT, "className"), Input(ids.AN_BETA, "value"))
    def beta_mode(on: bool):
        return "kalamos-greek-input kalamos-betacode" if on else "kalamos-greek-input"

    # ------------------------------------------------------------------ line operations
    line_changed = [Output(ids.AN_LINES, "data", allow_duplicate=True), Output(ids.AN_DRAW, "data", allow_duplicate=True),
                    Output(ids.AN_UNDO_STORE, "data", allow_duplicate=True), *MESSAGE]

    def current(data: dict | None, selected: str | None) -> Line | None:
        return next((ln for ln in _lines(data) if ln.id == selected), None)

    def fresh(where: PageRef, data: dict) -> dict:
        return _with(data, line_store.list_lines(store, *where))

    @app.callback(*line_changed, Input(f"{ids.AN_VERIFY_ALL}-confirm", "submit_n_clicks"), State(ids.AN_LINES, "data"),
                  State(ids.SELECTION, "data"), State(ids.EDITOR_ID, "data"), State(ids.AN_DRAW, "data"),
                  prevent_initial_call=True)
    def verify_all(_n: int, data: dict | None, selection: dict | None, editor: str | None, draw: int):
        where = ref(selection, data)
        if not (where and data):
            return no_update, no_update, no_update, *say("Choose a page first.", "warning")
        todo = {ln.id: ln.rev for ln in _lines(data) if ln.text and ln.status in ("machine", "edited")}
        if not todo:
            return no_update, no_update, no_update, *say("No line of this page waits for verification.", "secondary")
        before = {ln.id: ln for ln in _lines(data)}
        result = editing.verify_lines(store, where, todo, editor)
        text = f"Verified {len(result.done)} line(s) (↶ Undo takes it back)."
        if result.skipped:
            text += " Left as they were: " + "; ".join(result.skipped[:8])
        undo = editing.UndoRecord("bulk", data["page"], lines=tuple(
            (before[ln.id].to_dict(), ln.rev) for ln in result.done)).to_dict() if result.done else None
        return fresh(where, data), (draw or 0) + 1, undo, *say(text, "warning" if result.skipped else "success")

    @app.callback(*line_changed, Output(ids.AN_SELECTED, "data", allow_duplicate=True),
                  Input(ids.AN_DELETE, "n_clicks"), State(ids.AN_SELECTED, "data"), State(ids.AN_LINES, "data"),
                  State(ids.SELECTION, "data"), State(ids.EDITOR_ID, "data"), State(ids.AN_DRAW, "data"),
                  prevent_initial_call=True)
    def delete(_n: int, selected: str | None, data: dict | None, selection: dict | None, editor: str | None, draw: int):
        where, line = ref(selection, data), current(data, selected)
        if not (where and line and data):
            return no_update, no_update, no_update, *say("Select a line first.", "warning"), no_update
        index = [ln.id for ln in _lines(data)].index(line.id)
        outcome = editing.delete_line(store, where, line.id, line.rev, editor)
        if outcome.status != "saved":
            return fresh(where, data), (draw or 0) + 1, no_update, *say(outcome.message, "danger"), no_update
        rest = [ln for ln in _lines(data) if ln.id != line.id]
        nxt = rest[min(index, len(rest) - 1)].id if rest else None
        undo = editing.UndoRecord("delete", data["page"], line=(outcome.line or line).to_dict(), index=index).to_dict()
        return _with(data, rest), (draw or 0) + 1, undo, *say(outcome.message, "info"), nxt

    def mover(step: int):
        def move(_n: int, selected: str | None, data: dict | None, selection: dict | None, draw: int):
            where, line = ref(selection, data), current(data, selected)
            if not (where and line and data):
                return no_update, no_update, no_update, *NO_MESSAGE
            order = [ln.id for ln in _lines(data)]
            try:
                new_order = editing.move_line(store, where, line.id, order.index(line.id) + step)
            except KalamosError as exc:
                return no_update, no_update, no_update, *say(str(exc), "danger")
            by_id = {ln.id: ln for ln in _lines(data)}
            return _with(data, [by_id[i] for i in new_order if i in by_id]), (draw or 0) + 1, no_update, *NO_MESSAGE
        return move

    for button, step in ((ids.AN_UP, -1), (ids.AN_DOWN, 1)):
        app.callback(*line_changed, Input(button, "n_clicks"), State(ids.AN_SELECTED, "data"),
                     State(ids.AN_LINES, "data"), State(ids.SELECTION, "data"), State(ids.AN_DRAW, "data"),
                     prevent_initial_call=True)(mover(step))

    @app.callback(Output(ids.AN_LINES, "data", allow_duplicate=True), Output(ids.AN_DRAW, "data", allow_duplicate=True),
                  Output(ids.AN_UNDO_STORE, "data", allow_duplicate=True), *MESSAGE,
                  Input(ids.AN_ABOVE, "value"), Input(ids.AN_BELOW, "value"),
                  State(ids.AN_EDITING, "data"), State(ids.AN_CURRENT, "data"), State(ids.AN_ORDER, "data"),
                  State(ids.SELECTION, "data"), State(ids.EDITOR_ID, "data"), State(ids.AN_DRAW, "data"),
                  prevent_initial_call=True)
    def band(above: float | None, below: float | None, editing_now: dict | None, current_line: dict | None,
             order: list[str] | None, selection: dict | None, editor: str | None, draw: int):
        """The band around a baseline, typed: only the line changed travels (a Patch of the page's lines)."""
        line = (current_line or {}).get("line") or {}
        where = selected_document(selection)
        if not (where and line and current_line) or line.get("id") != (editing_now or {}).get("line") \
                or line.get("kind") != "baseline" or above is None or below is None:
            return no_update, no_update, no_update, *NO_MESSAGE
        default = current_line.get("band") or {}
        if (line.get("above") or default.get("above")) == above and (line.get("below") or default.get("below")) == below:
            return no_update, no_update, no_update, *NO_MESSAGE  # set by selecting the line, not typed
        ref_ = PageRef(where[0], where[1], current_line["page"])
        before = next((ln for ln in line_store.list_lines(store, *ref_) if ln.id == line["id"]), None)
        outcome = editing.set_band(store, ref_, line["id"], line["rev"], above, below, editor)
        if outcome.status != "saved" or outcome.line is None or before is None or line["id"] not in (order or []):
            return no_update, (draw or 0) + 1, no_update, *say(outcome.message or "The line is gone.", "danger")
        lines = Patch()
        lines["lines"][(order or []).index(line["id"])] = outcome.line.to_dict()
        return lines, (draw or 0) + 1, _undo_of(before, outcome.line, current_line["page"]), *NO_MESSAGE

    @app.callback(*line_changed, Output(ids.AN_SELECTED, "data", allow_duplicate=True),
                  Input(ids.AN_GRAPH, "relayoutData"), State(ids.AN_LINES, "data"), State(ids.SELECTION, "data"),
                  State(ids.EDITOR_ID, "data"), State(ids.AN_DRAW, "data"), prevent_initial_call=True)
    def shapes_changed(relayout: dict | None, data: dict | None, selection: dict | None, editor: str | None, draw: int):
        where = ref(selection, data)
        if not (where and data and relayout):
            return no_update, no_update, no_update, *NO_MESSAGE, no_update
        back = invert(data["matrix"])
        lines = _lines(data)
        redraw = (draw or 0) + 1
        if "shapes" in relayout:  # drawn or erased
            shapes = relayout["shapes"] or []
            names = {s.get("name") for s in shapes}
            problems = []
            for gone in [ln for ln in lines if ln.id not in names]:
                outcome = editing.delete_line(store, where, gone.id, gone.rev, editor)
                if outcome.status != "saved":
                    problems.append(outcome.message)
            drawn = []
            for shape in shapes:
                geometry = None if shape.get("name") else shape_geometry(shape)
                if geometry:
                    drawn.append(Line("", geometry[0], apply(back, geometry[1]), source="drawn"))  # type: ignore[arg-type]
            try:
                added = editing.add_drawn_lines(store, where, drawn)
            except KalamosError as exc:
                added, problems = [], [*problems, str(exc)]
            undo = editing.UndoRecord("add", data["page"], ids=tuple(ln.id for ln in added)).to_dict() if added else no_update
            message = say(" ".join(problems), "danger") if problems else NO_MESSAGE
            return fresh(where, data), redraw, undo, *message, (added[-1].id if added else no_update)
        edited: dict[int, dict[str, Any]] = {}
        for key, value in relayout.items():
            m = re.match(r"shapes\[(\d+)\]\.(\w+)", key)
            if m:
                edited.setdefault(int(m.group(1)), {})[m.group(2)] = value
        if not edited:
            return no_update, no_update, no_update, *NO_MESSAGE, no_update
        undo: Any = no_update
        for index, change in edited.items():
            if index >= len(lines):
                continue
            line = lines[index]
            if "path" in change:
                pts = path_points(change["path"])
            elif {"x0", "y0", "x1", "y1"} <= set(change):
                pts = sorted([[change["x0"], change["y0"]], [change["x1"], change["y1"]]], key=lambda p: p[0])
            else:
                continue
            try:
                outcome = editing.reshape_line(store, where, line.id, line.rev, apply(back, pts), editor)
            except KalamosError as exc:
                return fresh(where, data), redraw, no_update, *say(str(exc), "danger"), no_update
            if outcome.status != "saved" or outcome.line is None:
                return fresh(where, data), redraw, no_update, *say(outcome.message, "danger"), no_update
            undo = _undo_of(line, outcome.line, data["page"])
        return fresh(where, data), redraw, undo, *NO_MESSAGE, no_update

    @app.callback(Output(ids.AN_REV, "data", allow_duplicate=True), Output(ids.AN_UNDO_STORE, "data", allow_duplicate=True),
                  *MESSAGE, Input(ids.AN_UNDO, "n_clicks"), State(ids.AN_UNDO_STORE, "data"),
                  State(ids.SELECTION, "data"), State(ids.EDITOR_ID, "data"), State(ids.AN_REV, "data"),
                  prevent_initial_call=True)
    def undo(_n: int, last: dict | None, selection: dict | None, editor: str | None, rev: int):
        where = selected_document(selection)
        if not (where and last):
            return no_update, no_update, *say("Nothing to undo.", "secondary")
        record = editing.UndoRecord.from_dict(last)
        try:
            outcome = editing.undo(store, PageRef(where[0], where[1], record.page), record, editor)
        except KalamosError as exc:
            return no_update, None, *say(f"Cannot undo: {exc}", "danger")
        if outcome.status != "saved":
            return (rev or 0) + 1, None, *say(f"Cannot undo: {outcome.message}", "danger")
        return (rev or 0) + 1, None, *say(outcome.message or "Undone.", "info")

    # ------------------------------------------------------------------ machine help, import
    @app.callback(Output(ids.AN_REV, "data", allow_duplicate=True), *MESSAGE,
                  Input(ids.AN_FIND, "n_clicks"), State(ids.AN_FIND_METHOD, "value"), State(ids.AN_PREFILL_LANG, "value"),
                  State(ids.AN_PAGE, "value"), State(ids.SELECTION, "data"), State(ids.AN_REV, "data"),
                  prevent_initial_call=True)
    def find(_n: int, method: str, lang: str | None, page_id: str | None, selection: dict | None, rev: int):
        where = selected_document(selection)
        if not (where and page_id):
            return no_update, *say("Choose a page first.", "warning")
        try:
            found = find_lines(store, *where, page_id, method or "projection", lang or "grc")
        except (KalamosError, TesseractError) as exc:
            return no_update, *say(str(exc), "danger")
        what = f"Found {len(found)} new line(s)" if found else "No new lines found (the page's lines are kept)"
        return (rev or 0) + 1, *say(f"{what}. Fix them by dragging, delete the wrong ones.", "info")

    @app.callback(
        Output(ids.AN_REV, "data", allow_duplicate=True), *MESSAGE,
        Input(ids.AN_PREFILL, "n_clicks"), State(ids.AN_PREFILL_LANG, "value"), State(ids.AN_PAGE, "value"),
        State(ids.SELECTION, "data"), State(ids.AN_REV, "data"),
        background=True, running=[(Output(ids.AN_PREFILL, "disabled"), True, False)],
        progress=[Output(ids.AN_PREFILL_PROGRESS, "value"), Output(ids.AN_PREFILL_PROGRESS, "max")],
        prevent_initial_call=True,
    )
    def prefill(set_progress, _n: int, lang: str | None, page_id: str | None, selection: dict | None, rev: int):  # type: ignore[no-untyped-def]
        where = selected_document(selection)
        if not (where and page_id):
            return no_update, *say("Choose a page first.", "warning")
        try:
            with job_slot(store, config, "job"):
                report = prefill_lines(store, *where, page_id, lang or "grc", lambda i, n: set_progress((i, max(1, n))))
        except (KalamosError, TesseractError) as exc:
            return no_update, *say(str(exc), "danger")
        text = f"Pre-filled {report.filled} line(s) with {lang}: orange until you confirm them (Enter or ✓ Verified)."
        if report.problems:
            text += " Problems: " + "; ".join(report.problems[:5])
        return (rev or 0) + 1, *say(text, "warning" if report.problems else "info")

    @app.callback(Output(ids.AN_CONV_MODAL, "is_open"), Output(ids.AN_CONV_ELISION, "value"),
                  Output(ids.AN_CONV_TELEIA, "value"), Output(ids.AN_CONV_LUNATE, "value"),
                  Input(ids.AN_CONV_OPEN, "n_clicks"), State(ids.SELECTION, "data"), prevent_initial_call=True)
    def open_conventions(_n: int, selection: dict | None):
        project = (selection or {}).get("project")
        if not project:
            return no_update, no_update, no_update, no_update
        rules = editing.policy(store, project)
        return True, rules.elision, rules.ano_teleia, rules.lunate

    @app.callback(Output(ids.AN_CONV_MODAL, "is_open", allow_duplicate=True), *MESSAGE,
                  Input(ids.AN_CONV_SAVE, "n_clicks"), State(ids.AN_CONV_ELISION, "value"),
                  State(ids.AN_CONV_TELEIA, "value"), State(ids.AN_CONV_LUNATE, "value"), State(ids.SELECTION, "data"),
                  prevent_initial_call=True)
    def save_conventions(_n: int, elision: str, teleia: str, lunate: str, selection: dict | None):
        project = (selection or {}).get("project")
        if not project:
            return False, *NO_MESSAGE
        rules = Normalisation.from_settings({"elision": elision, "ano_teleia": teleia, "lunate": lunate})
        editing.set_policy(store, project, rules)
        return False, *say(f"The project now writes elision as {rules.elision}, the ano teleia as {rules.ano_teleia}, "
                           f"sigma {LUNATE_CHOICES[rules.lunate]}. New and changed lines follow it; the Train tab "
                           "rewrites the others.", "success")

    @app.callback(Output(ids.AN_IMPORT_SPEC, "children"), Input(ids.SELECTION, "data"))
    def import_target(selection: dict | None):
        where = selected_document(selection)
        if not where:
            return ""
        return upload_spec(f"/api/import-gt/{where[0]}/{where[1]}", config, "batch",
                           {"replace": ids.AN_IMPORT_REPLACE, "status": ids.AN_IMPORT_STATUS})

    @app.callback(Output(ids.AN_REV, "data", allow_duplicate=True), Output(ids.PAGES_REV, "data", allow_duplicate=True),
                  *MESSAGE, Input(ids.AN_IMPORT_RESULT, "data"), State(ids.AN_REV, "data"), State(ids.PAGES_REV, "data"),
                  prevent_initial_call=True)
    def imported(batch: dict | None, rev: int, pages_rev: int):
        results = (batch or {}).get("results") or []
        if not results:
            return no_update, no_update, *say("", "info")
        report = results[-1]
        items = [html.Li(m) for m in report.get("messages", [])] + \
                [html.Li(f, className="text-danger") for f in report.get("failed", [])]
        body = [report["message"], html.Ul(items, className="mb-0")] if items else report["message"]
        colour = "danger" if report["status"] == "failed" else "warning" if report.get("failed") else "success"
        return (rev or 0) + 1, (pages_rev or 0) + 1, *say(body, colour)

    @app.callback(Output(ids.AN_SELECTED, "data", allow_duplicate=True), Input(ids.AN_GRAPH, "clickData"),
                  prevent_initial_call=True)
    def select_on_page(click: dict | None):
        point = ((click or {}).get("points") or [{}])[0]
        return point.get("customdata") or no_update

    @app.callback(Output(ids.AN_SELECTED, "data", allow_duplicate=True),
                  Input({"type": ids.AN_ROW, "line": ALL}, "n_clicks"), prevent_initial_call=True)
    def select_in_list(_clicks: list[int]):
        return ctx.triggered_id["line"] if clicked() else no_update
