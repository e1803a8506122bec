"""Annotate tab, regions: find them with the lines in them, choose their type and subtype, move
them in the reading order, delete them, show one on the page. Drawing and reshaping regions goes
through the figure's shapes (``callbacks.annotate_lines.shapes_changed``). The rules are
``services.regions``."""

from __future__ import annotations

from dash import Dash, Input, Output, State, no_update

from callbacks.annotate import MESSAGE, NO_MESSAGE, page_ref, say, with_layout
from callbacks.common import relayed, selected_document
from callbacks.wiring import Access, Wiring
from config import Config
from layout import ids
from ocr.regions import SEGMONTO_ZONES
from services import regions as layout_service
from storage import KalamosError, Store

__all__ = ["register", "wiring"]

wiring = Wiring()

#: What a region operation changes: the page's lines and regions, the redraw counter, the message.
LAYOUT_CHANGED = [Output(ids.AN_LINES, "data", allow_duplicate=True), Output(ids.AN_DRAW, "data", allow_duplicate=True),
                  *MESSAGE]
UNDO = Output(ids.AN_UNDO_STORE, "data", allow_duplicate=True)


@wiring.callback(*LAYOUT_CHANGED, UNDO, Output(ids.AN_FIND_REGIONS_REPLACE, "value"),
                 Input(ids.AN_FIND_REGIONS, "n_clicks"), State(ids.AN_PREFILL_LANG, "value"),
                 State(ids.AN_FIND_REGIONS_REPLACE, "value"), State(ids.AN_LINES, "data"), State(ids.SELECTION, "data"),
                 State(ids.AN_DRAW, "data"), prevent_initial_call=True, writes=True)
def find_regions(store: Store, _n: int, lang: str | None, replace: bool | None, data: dict | None, selection: dict | None,
                 draw: int):
    """“Find regions and lines”: typed regions in reading order, with the lines in them (a person's lines
    stay); “replace” applies to this click only."""
    where = page_ref(selection, data)
    if not (where and data):
        return no_update, no_update, *say("Choose a page first.", "warning"), no_update, no_update
    try:
        report = layout_service.find_regions_and_lines(store, where, lang or "grc", bool(replace))
    except KalamosError as exc:
        return no_update, no_update, *say(str(exc), "danger"), no_update, no_update
    if report.skipped or report.refused:
        return no_update, no_update, *say(report.message(), "warning"), no_update, False
    undo = report.undo.to_dict() if report.undo else no_update
    return with_layout(store, where, data), (draw or 0) + 1, *say(report.message(), "success"), undo, False


# A row's buttons and fields reach the server through stores set by the browser's own click and change
# events (assets/relay.js): the list is drawn anew after every change, and a callback with the rows as
# inputs, fired again by the new rows, would drop the answer to a click still on its way (the change on
# disk, not on the page nor in the undo record) and merge a choice made meanwhile into the new rows' firing.
ACTIONS = ("select", "earlier", "later", "delete")


@wiring.callback(*LAYOUT_CHANGED, Output(ids.AN_REGION_SELECTED, "data", allow_duplicate=True), UNDO,
                 Input(ids.AN_REGION_CLICK, "data"), State(ids.AN_LINES, "data"), State(ids.SELECTION, "data"),
                 State(ids.AN_DRAW, "data"), State(ids.AN_REGION_SELECTED, "data"), prevent_initial_call=True,
                 writes=True)
def region_action(store: Store, click: dict | None, data: dict | None, selection: dict | None, draw: int,
                  chosen: str | None):
    """A region row's button: show it on the page, move it earlier or later in the reading order, delete it."""
    where = page_ref(selection, data)
    nothing = (no_update, no_update, *NO_MESSAGE, no_update, no_update)
    button = relayed(click, ids.AN_REGION_ACTION)
    if not (where and data and button):
        return nothing
    region_id, action = button.get("region"), button.get("action")
    if not isinstance(region_id, str) or action not in ACTIONS:
        return nothing
    undo = no_update
    try:
        if action == "select":
            return no_update, (draw or 0) + 1, *NO_MESSAGE, (None if chosen == region_id else region_id), no_update
        if action in ("earlier", "later"):
            layout_service.move_region(store, where, region_id, -1 if action == "earlier" else 1)
            message = ("", "info", False)
        else:
            freed, record = layout_service.delete_region(store, where, region_id)
            undo = record.to_dict()
            message = say(f"Region deleted; its {len(freed)} line(s) stay on the page (↶ Undo brings it back).", "info")
    except KalamosError as exc:
        return with_layout(store, where, data), (draw or 0) + 1, *say(str(exc), "danger"), no_update, no_update
    return with_layout(store, where, data), (draw or 0) + 1, *message, region_id if action != "delete" else None, undo


@wiring.callback(*LAYOUT_CHANGED, Input(ids.AN_REGION_EDIT, "data"), State(ids.AN_LINES, "data"),
                 State(ids.SELECTION, "data"), State(ids.AN_DRAW, "data"), prevent_initial_call=True, writes=True)
def region_type(store: Store, edit: dict | None, data: dict | None, selection: dict | None, draw: int):
    """A region's type or subtype chosen in its row (set again if it is already the stored one: the browser's
    regions may be a change behind)."""
    where = page_ref(selection, data)
    if not (where and data and isinstance(edit, dict)):
        return no_update, no_update, *NO_MESSAGE
    field_id = relayed(edit, ids.AN_REGION_TYPE) or relayed(edit, ids.AN_REGION_SUBTYPE) or {}
    region_id, value = field_id.get("region"), edit.get("value")
    field = "type" if field_id.get("type") == ids.AN_REGION_TYPE else "subtype"
    if not isinstance(region_id, str) or not isinstance(value, str):
        return no_update, no_update, *NO_MESSAGE
    try:
        if field == "type":
            layout_service.update_region(store, where, region_id, type_=value)
        else:
            layout_service.update_region(store, where, region_id, subtype=value)
    except KalamosError as exc:
        return with_layout(store, where, data), (draw or 0) + 1, *say(str(exc), "danger")
    return with_layout(store, where, data), (draw or 0) + 1, "", "info", False


@wiring.callback(Output(ids.AN_NEW_REGION_TYPE, "options"), Input(ids.SELECTION, "data"), Input(ids.AN_DRAW, "data"))
def type_choices(store: Store, selection: dict | None, _draw: int):
    """SegmOnto's types and the project's own, for regions drawn next."""
    where = selected_document(selection)
    types = layout_service.region_types(store, where[0]) if where else SEGMONTO_ZONES
    return [{"label": t, "value": t} for t in types]


@wiring.callback(Output(ids.AN_DRAW, "data", allow_duplicate=True), *MESSAGE, Output(ids.AN_OWN_TYPE, "value"),
                 Input(ids.AN_OWN_TYPE_ADD, "n_clicks"), State(ids.AN_OWN_TYPE, "value"), State(ids.SELECTION, "data"),
                 State(ids.AN_DRAW, "data"), prevent_initial_call=True, writes=True)
def add_type(store: Store, _n: int, name: str | None, selection: dict | None, draw: int):
    """A region type of the project's own, offered from then on beside SegmOnto's."""
    where = selected_document(selection)
    if not where:
        return no_update, *say("Choose a project first.", "warning"), no_update
    try:
        layout_service.add_region_type(store, where[0], name)
    except KalamosError as exc:
        return no_update, *say(str(exc), "danger"), no_update
    return (draw or 0) + 1, *say(f"{name.strip() if name else ''} is a region type of this project now.", "success"), ""


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)
