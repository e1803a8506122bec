"""Annotate tab: lines drawn, selected, transcribed and saved at once; machine help; GT exchange."""

from __future__ import annotations

import json
import re
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

from callbacks.common import clicked, model_options, page_options, selected_document
from callbacks.routes import export_url, line_url, processed_view_url
from config import Config
from layout import ids
from layout.annotate import line_rows, page_figure
from ocr.geometry import apply, invert
from ocr.greek import beta_to_greek, check_line
from ocr.tesseract import TesseractError
from storage import KalamosError, Store
from storage import lines as line_store
from storage.autolines import find_lines, prefill_lines
from storage.lineimages import Band, line_outline, page_band
from storage.lines import LineConflict
from storage.models import Line
from storage.processing import PREVIEW_SIDE

__all__ = ["register"]

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


def _replace(data: dict, line: Line) -> dict:
    return _with(data, [line if ln.id == line.id else ln for ln in _lines(data)])


def _neighbour(data: dict, line_id: str | None, step: int) -> str | None:
    order = [ln.id for ln in _lines(data)]
    if not order:
        return None
    if line_id not in order:
        return order[0]
    return order[max(0, min(len(order) - 1, order.index(line_id) + step))]


def view_lines(data: dict) -> list[dict[str, Any]]:
    """Lines with their points in view coordinates, for the figure and the list."""
    m = data["matrix"]
    band = Band(**data["band"])
    out = []
    for n, ln in enumerate(_lines(data), 1):
        out.append({"id": ln.id, "kind": ln.kind, "status": ln.status, "text": ln.text, "number": n,
                    "view_points": apply(m, ln.points), "view_outline": apply(m, line_outline(ln, band))})
    return out


def register(app: Dash, store: Store, config: Config) -> None:  # noqa: C901 - one short function per user action
    def load_data(where: tuple[str, str], page_id: str, view: str) -> tuple[dict, str | None]:
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
            key, url = "orig", f"/files/{where[0]}/{where[1]}/{page_id}/preview/base-{PREVIEW_SIDE}.jpg"
            matrix, width, height = [[1, 0, 0], [0, 1, 0], [0, 0, 1]], page.width, page.height
        lines = line_store.list_lines(store, *where, page_id)
        return ({"page": page_id, "view": view, "key": page.processed["key"] if page.processed else "orig",
                 "url": url, "matrix": matrix, "width": width, "height": height,
                 "band": {"above": band.above, "below": band.below}, "lines": [ln.to_dict() for ln in lines]}, note)

    @app.callback(Output(ids.AN_PAGE, "options"), Output(ids.AN_PAGE, "value"),
                  Input(ids.SELECTION, "data"), Input(ids.PAGES_REV, "data"), State(ids.AN_PAGE, "value"))
    def pages(selection: dict | None, _rev: int, current: str | None):
        return page_options(store, selection, current)

    @app.callback(Output(ids.AN_PREFILL_LANG, "options"), Input(ids.TABS, "active_tab"), Input(ids.SELECTION, "data"))
    def models(_tab: str, selection: dict | None):
        return model_options(store, (selection or {}).get("project"))

    @app.callback(Output(ids.AN_EXPORT_LINKS, "children"), Input(ids.SELECTION, "data"))
    def export_links(selection: dict | None):
        where = selected_document(selection)
        if not where:
            return ""
        links = [html.A(label, href=export_url(*where, fmt), className="me-2", id=f"annotate-export-{fmt}")
                 for fmt, label in (("tesstrain", "tesstrain (PNG + .gt.txt)"), ("page", "PAGE XML"), ("alto", "ALTO"))]
        return [*links, html.Span("(zip; whole project: ", className="text-muted"),
                html.A("tesstrain", href=export_url(where[0], None, "tesstrain")), html.Span(")", className="text-muted")]

    @app.callback(
        Output(ids.AN_LINES, "data", allow_duplicate=True),
        Output(ids.AN_SELECTED, "data", allow_duplicate=True),
        *MESSAGE,
        Input(ids.AN_PAGE, "value"), Input(ids.AN_VIEW, "value"), Input(ids.AN_REV, "data"),
        State(ids.SELECTION, "data"), State(ids.AN_SELECTED, "data"),
        prevent_initial_call="initial_duplicate",
    )
    def load(page_id: str | None, view: str, _rev: int, selection: dict | None, selected: str | None):
        where = selected_document(selection)
        if not (where and page_id):
            return None, None, *NO_MESSAGE
        try:
            data, note = load_data(where, page_id, view or "original")
        except KalamosError as exc:
            return None, None, *say(str(exc), "danger")
        ids_ = [ln["id"] for ln in data["lines"]]
        # a valid selection is left alone (no_update), so that a reload in flight cannot undo a click made meanwhile
        keep = no_update if selected in ids_ else (ids_[0] if ids_ else None)
        return data, keep, *(say(note, "warning") if note else NO_MESSAGE)

    @app.callback(Output(ids.AN_GRAPH, "figure"), Output(ids.AN_LIST, "children"),
                  Input(ids.AN_LINES, "data"), Input(ids.AN_SELECTED, "data"))
    def draw(data: dict | None, selected: str | None):
        if not data:
            return page_figure(None, [], None), html.Div("No page: upload pages first.", className="text-muted small")
        lines = view_lines(data)
        view = {"page": f"{data['page']}-{data['view']}", "url": data["url"], "width": data["width"], "height": data["height"]}
        rows = line_rows(lines, selected) if lines else html.Div(
            "No lines yet: draw them on the page, or use “Find lines for me”.", className="text-muted small")
        return page_figure(view, lines, selected), rows

    @app.callback(Output(ids.AN_SELECTED, "data", allow_duplicate=True), Input(ids.AN_GRAPH, "clickData"),
                  prevent_initial_call=True)
    def select_on_page(click: dict | None):
        point = ((click or {}).get("points") or [{}])[0]
        return point.get("customdata") or no_update

    @app.callback(Output(ids.AN_SELECTED, "data", allow_duplicate=True),
                  Input({"type": ids.AN_ROW, "line": ALL}, "n_clicks"), prevent_initial_call=True)
    def select_in_list(_clicks: list[int]):
        return ctx.triggered_id["line"] if clicked() else no_update

    @app.callback(
        Output(ids.AN_TEXT, "value"), Output(ids.AN_EDITING, "data"), Output(ids.AN_ABOVE, "value"),
        Output(ids.AN_BELOW, "value"),
        Input(ids.AN_SELECTED, "data"), State(ids.AN_LINES, "data"),
    )
    def fill_editor(selected: str | None, data: dict | None):
        line = next((ln for ln in _lines(data) if ln.id == selected), None)
        if line is None:
            return "", None, None, None
        band = (data or {}).get("band", {})
        return line.text, line.id, line.above or band.get("above"), line.below or band.get("below")

    @app.callback(
        Output(ids.AN_TITLE, "children"), Output(ids.AN_LINE_IMG, "src"), Output(ids.AN_WARNINGS, "children"),
        Output(ids.AN_BAND, "style"),
        Input(ids.AN_SELECTED, "data"), Input(ids.AN_LINES, "data"), State(ids.SELECTION, "data"),
    )
    def details(selected: str | None, data: dict | None, selection: dict | None):
        lines = _lines(data)
        where = selected_document(selection)
        line = next((ln for ln in lines if ln.id == selected), None)
        if line is None or not where or not data:
            return "No line selected", "", [], {"display": "none"}
        n = [ln.id for ln in lines].index(line.id) + 1
        title = [f"Line {n} of {len(lines)} · ", dbc.Badge(line.status, className="kalamos-status",
                                                          color={"empty": "secondary", "machine": "warning",
                                                                 "verified": "success"}[line.status])]
        warnings = [dbc.Alert(c.message, color="warning", className="py-1 px-2 my-1 small kalamos-warning")
                    for c in check_line(line.text)]
        src = line_url(*where, data["page"], line.id, line.rev, data["key"])
        return title, src, warnings, {} if line.kind == "baseline" else {"display": "none"}

    # ------------------------------------------------------------------ saving text
    def save_text(where: tuple[str, str], data: dict, line_id: str, text: str, confirm: bool, beta: bool,
                  override_rev: int | None = None):
        """Save a line's text (and confirm it) if it changed; returns (data, undo, message, conflict).

        After a refusal the browser keeps the revision it had, so autosave keeps being refused;
        only Enter on that line (``override_rev``: the other version's revision) replaces it.
        """
        line = next((ln for ln in _lines(data) if ln.id == line_id), None)
        if line is None:
            return data, no_update, NO_MESSAGE, no_update
        text = beta_to_greek(text or "") if beta else (text or "")
        new_text = line_store.clean_text(text)
        if new_text == line.text and not (confirm and line.status == "machine") and override_rev is None:
            return data, no_update, NO_MESSAGE, no_update
        try:
            saved = line_store.update_line(store, *where, data["page"], line_id, override_rev or line.rev, text=new_text)
        except LineConflict as exc:
            if exc.current is None:
                return _with(data, [ln for ln in _lines(data) if ln.id != line_id]), no_update, say(str(exc), "danger"), None
            return (data, no_update, say([str(exc), " Press Enter to replace it with yours."], "danger"),
                    {"line": line_id, "rev": exc.current.rev})
        except KalamosError as exc:
            return data, no_update, say(str(exc), "danger"), no_update
        undo = {"action": "update", "page": data["page"], "line": line.to_dict(), "rev": saved.rev}
        return _replace(data, saved), undo, NO_MESSAGE, None

    @app.callback(
        Output(ids.AN_LINES, "data", allow_duplicate=True), Output(ids.AN_SELECTED, "data", allow_duplicate=True),
        Output(ids.AN_UNDO_STORE, "data", allow_duplicate=True), *MESSAGE, Output(ids.AN_CONFLICT, "data", allow_duplicate=True),
        Input(ids.AN_TEXT, "value"), Input(ids.AN_TEXT, "n_submit"),
        State(ids.AN_EDITING, "data"), State(ids.AN_LINES, "data"), State(ids.SELECTION, "data"), State(ids.AN_BETA, "value"),
        State(ids.AN_CONFLICT, "data"), prevent_initial_call=True,
    )
    def typed(text: str | None, _submit: int, editing: str | None, data: dict | None, selection: dict | None, beta: bool,
              conflict: dict | None):
        where = selected_document(selection)
        if not (where and data and editing):
            return no_update, no_update, no_update, *NO_MESSAGE, no_update
        submit = ctx.triggered_id == ids.AN_TEXT and any(t["prop_id"].endswith("n_submit") for t in ctx.triggered)
        override = conflict["rev"] if submit and conflict and conflict.get("line") == editing else None
        data, undo, message, conflict_out = save_text(where, data, editing, text or "", submit, bool(beta), override)
        refused = message is not NO_MESSAGE  # stay on a refused line: the message shows the other version
        return data, _neighbour(data, editing, 1) if submit and not refused else no_update, undo, *message, conflict_out

    def navigate(step: int):
        def go(_n: int, text: str | None, editing: str | None, data: dict | None, selection: dict | None, beta: bool,
               selected: str | None):
            where = selected_document(selection)
            if not (where and data):
                return no_update, no_update, no_update, *NO_MESSAGE
            undo: Any = no_update
            message = NO_MESSAGE
            if editing:
                data, undo, message, _ = save_text(where, data, editing, text or "", False, bool(beta))
            return data, _neighbour(data, selected, step), undo, *message
        return go

    for button, step in ((ids.AN_NEXT, 1), (ids.AN_PREV, -1)):
        app.callback(
            Output(ids.AN_LINES, "data", allow_duplicate=True), Output(ids.AN_SELECTED, "data", allow_duplicate=True),
            Output(ids.AN_UNDO_STORE, "data", allow_duplicate=True), *MESSAGE,
            Input(button, "n_clicks"), State(ids.AN_TEXT, "value"), State(ids.AN_EDITING, "data"),
            State(ids.AN_LINES, "data"), State(ids.SELECTION, "data"), State(ids.AN_BETA, "value"),
            State(ids.AN_SELECTED, "data"), prevent_initial_call=True,
        )(navigate(step))

    @app.callback(Output(ids.AN_TEXT, "className"), Input(ids.AN_BETA, "value"))
    def beta_mode(on: bool):
        return "kalamos-greek-input kalamos-betacode" if on else "kalamos-greek-input"

    # ------------------------------------------------------------------ line operations
    line_changed = [Output(ids.AN_LINES, "data", allow_duplicate=True), Output(ids.AN_UNDO_STORE, "data", allow_duplicate=True),
                    *MESSAGE]

    def current(data: dict | None, selected: str | None) -> Line | None:
        return next((ln for ln in _lines(data) if ln.id == selected), None)

    @app.callback(*line_changed, Input(ids.AN_VERIFY, "n_clicks"), State(ids.AN_SELECTED, "data"),
                  State(ids.AN_LINES, "data"), State(ids.SELECTION, "data"), prevent_initial_call=True)
    def verify(_n: int, selected: str | None, data: dict | None, selection: dict | None):
        where, line = selected_document(selection), current(data, selected)
        if not (where and line and data):
            return no_update, no_update, *say("Select a line first.", "warning")
        if not line.text:
            return no_update, no_update, *say("An empty line cannot be ground truth: type its text first.", "warning")
        try:
            saved = line_store.update_line(store, *where, data["page"], line.id, line.rev, status="verified")
        except KalamosError as exc:
            return no_update, no_update, *say(str(exc), "danger")
        return _replace(data, saved), {"action": "update", "page": data["page"], "line": line.to_dict(), "rev": saved.rev}, *NO_MESSAGE

    @app.callback(*line_changed, Output(ids.AN_SELECTED, "data", allow_duplicate=True),
                  Input(ids.AN_DELETE, "n_clicks"), State(ids.AN_SELECTED, "data"),
                  State(ids.AN_LINES, "data"), State(ids.SELECTION, "data"), prevent_initial_call=True)
    def delete(_n: int, selected: str | None, data: dict | None, selection: dict | None):
        where, line = selected_document(selection), current(data, selected)
        if not (where and line and data):
            return no_update, no_update, *say("Select a line first.", "warning"), no_update
        index = [ln.id for ln in _lines(data)].index(line.id)
        try:
            line_store.delete_line(store, *where, data["page"], line.id, line.rev)
        except KalamosError as exc:
            return no_update, no_update, *say(str(exc), "danger"), no_update
        rest = [ln for ln in _lines(data) if ln.id != line.id]
        nxt = rest[min(index, len(rest) - 1)].id if rest else None
        return (_with(data, rest), {"action": "delete", "page": data["page"], "line": line.to_dict(), "index": index},
                *say("Line deleted (↶ Undo brings it back).", "info"), nxt)

    def mover(step: int):
        def move(_n: int, selected: str | None, data: dict | None, selection: dict | None):
            where, line = selected_document(selection), current(data, selected)
            if not (where and line and data):
                return no_update, no_update, *NO_MESSAGE
            order = [ln.id for ln in _lines(data)]
            try:
                new_order = line_store.move_line(store, *where, data["page"], line.id, order.index(line.id) + step)
            except KalamosError as exc:
                return no_update, no_update, *say(str(exc), "danger")
            by_id = {ln.id: ln for ln in _lines(data)}
            return _with(data, [by_id[i] for i in new_order if i in by_id]), no_update, *NO_MESSAGE
        return move

    for button, step in ((ids.AN_UP, -1), (ids.AN_DOWN, 1)):
        app.callback(*line_changed, Input(button, "n_clicks"), State(ids.AN_SELECTED, "data"),
                     State(ids.AN_LINES, "data"), State(ids.SELECTION, "data"), prevent_initial_call=True)(mover(step))

    @app.callback(*line_changed, Input(ids.AN_ABOVE, "value"), Input(ids.AN_BELOW, "value"),
                  State(ids.AN_EDITING, "data"), State(ids.AN_LINES, "data"), State(ids.SELECTION, "data"),
                  prevent_initial_call=True)
    def band(above: float | None, below: float | None, editing: str | None, data: dict | None, selection: dict | None):
        where, line = selected_document(selection), current(data, editing)
        if not (where and line and data) or line.kind != "baseline" or above is None or below is None:
            return no_update, no_update, *NO_MESSAGE
        default = data["band"]
        if (line.above or default["above"]) == above and (line.below or default["below"]) == below:
            return no_update, no_update, *NO_MESSAGE
        try:
            saved = line_store.update_line(store, *where, data["page"], line.id, line.rev, above=float(above), below=float(below))
        except KalamosError as exc:
            return no_update, no_update, *say(str(exc), "danger")
        return _replace(data, saved), {"action": "update", "page": data["page"], "line": line.to_dict(), "rev": saved.rev}, *NO_MESSAGE

    @app.callback(*line_changed, Output(ids.AN_SELECTED, "data", allow_duplicate=True),
                  Input(ids.AN_GRAPH, "relayoutData"), State(ids.AN_LINES, "data"), State(ids.SELECTION, "data"),
                  State(ids.AN_SELECTED, "data"), prevent_initial_call=True)
    def shapes_changed(relayout: dict | None, data: dict | None, selection: dict | None, selected: str | None):
        where = selected_document(selection)
        if not (where and data and relayout):
            return no_update, no_update, *NO_MESSAGE, no_update
        back = invert(data["matrix"])
        lines = _lines(data)
        try:
            if "shapes" in relayout:  # drawn or erased
                shapes = relayout["shapes"] or []
                names = {s.get("name") for s in shapes}
                for gone in [ln for ln in lines if ln.id not in names]:
                    line_store.delete_line(store, *where, data["page"], gone.id, gone.rev)
                new = []
                for shape in shapes:
                    geometry = None if shape.get("name") else shape_geometry(shape)
                    if geometry:
                        new.append(Line("", geometry[0], apply(back, geometry[1]), source="drawn"))  # type: ignore[arg-type]
                added = []
                for ln in new:
                    top = min(p[1] for p in ln.points)
                    index = sum(1 for old in line_store.list_lines(store, *where, data["page"])
                                if min(p[1] for p in old.points) < top)
                    added += line_store.add_lines(store, *where, data["page"], [ln], index=index)
                fresh = line_store.list_lines(store, *where, data["page"])
                undo = {"action": "add", "page": data["page"], "ids": [ln.id for ln in added]} if added else no_update
                return _with(data, fresh), undo, *NO_MESSAGE, (added[-1].id if added else no_update)
            edited = {}
            for key, value in relayout.items():
                m = re.match(r"shapes\[(\d+)\]\.(\w+)", key)
                if m:
                    edited.setdefault(int(m.group(1)), {})[m.group(2)] = value
            if not edited:
                return no_update, no_update, *NO_MESSAGE, no_update
            undo = no_update
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
                saved = line_store.update_line(store, *where, data["page"], line.id, line.rev, points=apply(back, pts))
                undo = {"action": "update", "page": data["page"], "line": line.to_dict(), "rev": saved.rev}
                lines = [saved if ln.id == saved.id else ln for ln in lines]
            return _with(data, lines), undo, *NO_MESSAGE, no_update
        except KalamosError as exc:
            fresh = line_store.list_lines(store, *where, data["page"])
            return _with(data, fresh), no_update, *say(str(exc), "danger"), no_update

    @app.callback(Output(ids.AN_REV, "data", allow_duplicate=True), Output(ids.AN_UNDO_STORE, "data", allow_duplicate=True),
                  *MESSAGE, Input(ids.AN_UNDO, "n_clicks"), State(ids.AN_UNDO_STORE, "data"),
                  State(ids.SELECTION, "data"), State(ids.AN_REV, "data"), prevent_initial_call=True)
    def undo(_n: int, last: dict | None, selection: dict | None, rev: int):
        where = selected_document(selection)
        if not (where and last):
            return no_update, no_update, *say("Nothing to undo.", "secondary")
        page = last["page"]
        try:
            if last["action"] == "update":
                before = Line.from_dict(last["line"])
                line_store.update_line(store, *where, page, before.id, last["rev"], points=before.points, kind=before.kind,
                                       text=before.text, status=before.status, above=before.above, below=before.below)
            elif last["action"] == "add":
                for line in [ln for ln in line_store.list_lines(store, *where, page) if ln.id in last["ids"]]:
                    line_store.delete_line(store, *where, page, line.id, line.rev)
            elif last["action"] == "delete":
                line_store.restore_line(store, *where, page, Line.from_dict(last["line"]), last["index"])
        except KalamosError as exc:
            return no_update, None, *say(f"Cannot undo: {exc}", "danger")
        return (rev or 0) + 1, None, *say("Undone.", "info")

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
            report = prefill_lines(store, *where, page_id, lang or "grc", lambda i, n: set_progress((i, max(1, n))))
        except (KalamosError, TesseractError) as exc:
            return no_update, *say(str(exc), "danger")
        text = f"Pre-filled {report.filled} line(s) with {lang}: orange until you confirm them (Enter or ✓ Verified)."
        if report.problems:
            text += " Problems: " + "; ".join(report.problems[:5])
        return (rev or 0) + 1, *say(text, "warning" if report.problems else "info")

    @app.callback(Output(ids.AN_IMPORT_SPEC, "children"), Input(ids.SELECTION, "data"))
    def import_target(selection: dict | None):
        where = selected_document(selection)
        if not where:
            return ""
        return json.dumps({"url": f"/api/import-gt/{where[0]}/{where[1]}", "max_bytes": config.max_file_bytes,
                           "mode": "batch", "fields": {"replace": ids.AN_IMPORT_REPLACE}})

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
