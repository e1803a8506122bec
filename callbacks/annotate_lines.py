"""Annotate tab, line operations: verify a page's lines at once, delete, move in the reading order,
the band around a baseline, shapes drawn/erased/dragged on the page, undo. Each callback is a
module-level function; the rules are ``services.editing`` and ``services.annotation``."""

from __future__ import annotations

from dash import Dash, Input, Output, State, no_update

from callbacks.annotate import MESSAGE, NO_MESSAGE, lines_of, page_ref, say, undo_of, with_layout, with_lines
from callbacks.annotate_page import NOT_SHOWN, SHOWN, SHOWN_STATE, shown_after
from callbacks.common import selected_document
from callbacks.permissions import current_actor
from callbacks.wiring import Access, Wiring
from config import Config
from layout import ids
from callbacks.line_history import history_children, restore_clicked
from services import PageRef, annotation, editing
from services import regions as layout_service
from storage import KalamosError, Store
from storage.models import Line, Region

__all__ = ["register", "wiring", "LINE_CHANGED"]

NONE = (*NOT_SHOWN, no_update)  # nothing shown changes, nor the undo record

#: What a line operation changes: the page's lines and what shows them (patched, ``shown_after``), the undo
#: record, the message.
LINE_CHANGED = [*SHOWN, Output(ids.AN_UNDO_STORE, "data", allow_duplicate=True), *MESSAGE]

wiring = Wiring()


def regions_of(data: dict | None) -> list[Region]:
    return [Region.from_dict(r) for r in (data or {}).get("regions") or []]


def current(data: dict | None, selected: str | None) -> Line | None:
    return next((ln for ln in lines_of(data) if ln.id == selected), None)


def fresh(store: Store, where: PageRef, data: dict) -> dict:
    """The page's lines and regions as they are now on disk."""
    return with_layout(store, where, data)


@wiring.callback(*LINE_CHANGED, Input(f"{ids.AN_VERIFY_ALL}-confirm", "submit_n_clicks"), State(ids.AN_LINES, "data"),
                 State(ids.SELECTION, "data"), State(ids.EDITOR_ID, "data"), State(ids.AN_DRAW, "data"), *SHOWN_STATE,
                 prevent_initial_call=True, writes=True)
def verify_all(store: Store, _n: int, data: dict | None, selection: dict | None, editor: str | None, draw: int,
               show: list[str] | None, shown: str | None):
    where = page_ref(selection, data)
    if not (where and data):
        return *NONE, *say("Choose a page first.", "warning")
    todo = {ln.id: ln.rev for ln in lines_of(data) if ln.text and ln.status in ("machine", "aligned", "edited")}
    if not todo:
        return *NONE, *say("No line of this page waits for verification.", "secondary")
    before = {ln.id: ln for ln in lines_of(data)}
    result = editing.verify_lines(store, where, todo, editor, current_actor().user)
    text = f"Verified {len(result.done)} line(s) (↶ Undo takes it back)."
    if result.skipped:
        text += " Left as they were: " + "; ".join(result.skipped[:8])
    undo = editing.UndoRecord("bulk", data["page"], lines=tuple(
        (before[ln.id].to_dict(), ln.rev) for ln in result.done)).to_dict() if result.done else None
    return (*shown_after(data, fresh(store, where, data), draw, show, shown), undo,
            *say(text, "warning" if result.skipped else "success"))


@wiring.callback(*LINE_CHANGED, Output(ids.AN_SELECTED, "data", allow_duplicate=True),
                 Input(ids.AN_DELETE, "n_clicks"), State(ids.AN_SELECTED, "data"), State(ids.AN_LINES, "data"),
                 State(ids.SELECTION, "data"), State(ids.EDITOR_ID, "data"), State(ids.AN_DRAW, "data"), *SHOWN_STATE,
                 prevent_initial_call=True, writes=True)
def delete(store: Store, _n: int, selected: str | None, data: dict | None, selection: dict | None, editor: str | None, draw: int,
           show: list[str] | None, shown: str | None):
    where, line = page_ref(selection, data), current(data, selected)
    if not (where and line and data):
        return *NONE, *say("Select a line first.", "warning"), no_update
    index = [ln.id for ln in lines_of(data)].index(line.id)
    outcome = editing.delete_line(store, where, line.id, line.rev, editor)
    if outcome.status != "saved":
        return *shown_after(data, fresh(store, where, data), draw, show, shown), no_update, *say(outcome.message, "danger"), \
            no_update
    rest = [ln for ln in lines_of(data) if ln.id != line.id]
    nxt = rest[min(index, len(rest) - 1)].id if rest else None
    undo = editing.UndoRecord("delete", data["page"], line=(outcome.line or line).to_dict(), index=index).to_dict()
    return *shown_after(data, with_lines(data, rest), draw, show, shown, nxt), undo, *say(outcome.message, "info"), nxt


def move(store: Store, step: int, selected: str | None, data: dict | None, selection: dict | None, draw: int,
         show: list[str] | None, shown: str | None):
    """Move the selected line one place up (``step`` -1) or down (+1) in the reading order (among
    the lines of its region, when the page has regions)."""
    where, line = page_ref(selection, data), current(data, selected)
    if not (where and line and data):
        return *NONE, *NO_MESSAGE
    try:
        new_order = layout_service.move_line(store, where, line.id, step)
    except KalamosError as exc:
        return *NONE, *say(str(exc), "danger")
    by_id = {ln.id: ln for ln in lines_of(data)}
    after = with_lines(data, [by_id[i] for i in new_order if i in by_id])
    return *shown_after(data, after, draw, show, shown), no_update, *NO_MESSAGE


@wiring.callback(*LINE_CHANGED, Input(ids.AN_UP, "n_clicks"), State(ids.AN_SELECTED, "data"), State(ids.AN_LINES, "data"),
                 State(ids.SELECTION, "data"), State(ids.AN_DRAW, "data"), *SHOWN_STATE, prevent_initial_call=True, writes=True)
def move_up(store: Store, _n: int, selected: str | None, data: dict | None, selection: dict | None, draw: int,
            show: list[str] | None, shown: str | None):
    return move(store, -1, selected, data, selection, draw, show, shown)


@wiring.callback(*LINE_CHANGED, Input(ids.AN_DOWN, "n_clicks"), State(ids.AN_SELECTED, "data"), State(ids.AN_LINES, "data"),
                 State(ids.SELECTION, "data"), State(ids.AN_DRAW, "data"), *SHOWN_STATE, prevent_initial_call=True, writes=True)
def move_down(store: Store, _n: int, selected: str | None, data: dict | None, selection: dict | None, draw: int,
              show: list[str] | None, shown: str | None):
    return move(store, 1, selected, data, selection, draw, show, shown)


@wiring.callback(*LINE_CHANGED, Input(ids.AN_ABOVE, "value"), Input(ids.AN_BELOW, "value"),
                 State(ids.AN_EDITING, "data"), State(ids.AN_CURRENT, "data"), State(ids.AN_LINES, "data"),
                 State(ids.SELECTION, "data"), State(ids.EDITOR_ID, "data"), State(ids.AN_DRAW, "data"), *SHOWN_STATE,
                 prevent_initial_call=True, writes=True)
def band(store: Store, above: float | None, below: float | None, editing_now: dict | None, current_line: dict | None,
         data: dict | None, selection: dict | None, editor: str | None, draw: int, show: list[str] | None, shown: str | None):
    """The band around a baseline, typed: only the line changed travels (Patches of the lines and the figure)."""
    line = (current_line or {}).get("line") or {}
    where = selected_document(selection)
    if not (where and line and current_line and data) or line.get("id") != (editing_now or {}).get("line") \
            or line.get("kind") != "baseline" or above is None or below is None or data.get("page") != current_line["page"]:
        return *NONE, *NO_MESSAGE
    default = current_line.get("band") or {}
    if (line.get("above") or default.get("above")) == above and (line.get("below") or default.get("below")) == below:
        return *NONE, *NO_MESSAGE  # set by selecting the line, not typed
    ref_ = PageRef(where[0], where[1], current_line["page"])
    before = next((ln for ln in editing.page_lines(store, ref_) if ln.id == line["id"]), None)
    outcome = editing.set_band(store, ref_, line["id"], line["rev"], above, below, editor, current_actor().user)
    held = lines_of(data)
    if outcome.status != "saved" or outcome.line is None or before is None or line["id"] not in [ln.id for ln in held]:
        return *shown_after(data, fresh(store, ref_, data), draw, show, shown), no_update, \
            *say(outcome.message or "The line is gone.", "danger")
    after = with_lines(data, [outcome.line if ln.id == line["id"] else ln for ln in held])
    return *shown_after(data, after, draw, show, shown), undo_of(before, outcome.line, current_line["page"]), *NO_MESSAGE


@wiring.callback(*LINE_CHANGED, Output(ids.AN_SELECTED, "data", allow_duplicate=True),
                 Input(ids.AN_GRAPH, "relayoutData"), State(ids.AN_LINES, "data"), State(ids.SELECTION, "data"),
                 State(ids.EDITOR_ID, "data"), State(ids.AN_DRAW, "data"), State(ids.AN_LAYER, "value"),
                 State(ids.AN_NEW_REGION_TYPE, "value"), *SHOWN_STATE, prevent_initial_call=True, writes=True)
def shapes_changed(store: Store, relayout: dict | None, data: dict | None, selection: dict | None, editor: str | None,
                   draw: int, layer: str | None = "lines", region_type: str | None = "MainZone", show: list[str] | None = None,
                   shown: str | None = None):
    """Shapes drawn, erased or dragged with the figure's tools: lines (or, drawing on the regions
    layer, regions) added, deleted or reshaped."""
    where = page_ref(selection, data)
    if not (where and data and relayout):
        return *NONE, *NO_MESSAGE, no_update
    if "shapes" in relayout:  # drawn or erased
        drawn = annotation.apply_drawing(store, where, lines_of(data), relayout["shapes"] or [], data["matrix"], editor,
                                         layer or "lines", regions_of(data), region_type or "MainZone")
        if drawn.problems:
            message = say(" ".join(drawn.problems), "danger")
        elif drawn.regions:
            message = say(f"Region added ({', '.join(r.label for r in drawn.regions)}): the lines inside joined it.", "success")
        else:
            message = ("", "info", False)  # a line drawn: an earlier message no longer applies
        undo = drawn.undo.to_dict() if drawn.undo else no_update
        chosen = drawn.added[-1].id if drawn.added else no_update
        return (*shown_after(data, fresh(store, where, data), draw, show, shown, chosen, relayout["shapes"] or []), undo,
                *message, chosen)
    edited = annotation.reshape_changes(relayout)
    if not edited:
        return *NONE, *NO_MESSAGE, no_update
    outcome = annotation.apply_reshapes(store, where, lines_of(data), edited, data["matrix"], editor, current_actor().user,
                                        regions_of(data))
    after = shown_after(data, fresh(store, where, data), draw, show, shown)
    if outcome.refused:
        return *after, no_update, *say(outcome.refused, "danger"), no_update
    return *after, outcome.undo.to_dict() if outcome.undo else no_update, *NO_MESSAGE, no_update


@wiring.callback(Output(ids.AN_REV, "data", allow_duplicate=True), Output(ids.AN_UNDO_STORE, "data", allow_duplicate=True),
                 *MESSAGE, Input(ids.AN_UNDO, "n_clicks"), State(ids.AN_UNDO_STORE, "data"),
                 State(ids.SELECTION, "data"), State(ids.EDITOR_ID, "data"), State(ids.AN_REV, "data"),
                 prevent_initial_call=True, writes=True)
def undo(store: Store, _n: int, last: dict | None, selection: dict | None, editor: str | None, rev: int):
    where = selected_document(selection)
    if not (where and last):
        return no_update, no_update, *say("Nothing to undo.", "secondary")
    record = editing.UndoRecord.from_dict(last)
    try:
        outcome = editing.undo(store, PageRef(where[0], where[1], record.page), record, editor, current_actor().user)
    except KalamosError as exc:
        return no_update, None, *say(f"Cannot undo: {exc}", "danger")
    if outcome.status != "saved":
        return (rev or 0) + 1, None, *say(f"Cannot undo: {outcome.message}", "danger")
    return (rev or 0) + 1, None, *say(outcome.message or "Undone.", "info")


@wiring.callback(Output(ids.AN_HISTORY, "children"), Input(ids.AN_CURRENT, "data"), State(ids.SELECTION, "data"))
def show_history(store: Store, current: dict | None, selection: dict | None):
    """Who made the selected line's current version, and the earlier ones (each can be restored)."""
    return history_children(store, current, selection, ids.AN_HISTORY_RESTORE)


@wiring.callback(Output(ids.AN_REV, "data", allow_duplicate=True), *MESSAGE,
                 Input(ids.AN_HISTORY_CLICK, "data"), State(ids.AN_CURRENT, "data"),
                 State(ids.SELECTION, "data"), State(ids.EDITOR_ID, "data"), State(ids.AN_REV, "data"),
                 prevent_initial_call=True, writes=True)
def restore_version(store: Store, click: dict | None, current: dict | None, selection: dict | None, editor: str | None,
                    rev: int):
    """An earlier version of the selected line made the current one (a new version: it can be undone the same way)."""
    outcome = restore_clicked(store, click, ids.AN_HISTORY_RESTORE, current, selection, editor)
    if outcome is None:
        return no_update, *NO_MESSAGE
    return (rev or 0) + 1, *say(outcome.message, "success" if outcome.status == "saved" else "danger")


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)
