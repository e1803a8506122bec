"""Preprocess tab: edit the pipeline, preview at once, crop and try OCR by drawing, apply to all pages."""

from __future__ import annotations

from typing import Any

import cv2
import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, html, no_update

from callbacks.permissions import may_change
from callbacks.wiring import Access, Wiring
from callbacks.common import clicked, job_slot, model_options, page_options, selected_document
from callbacks.urls import base_preview_url, preview_url
from config import Config
from layout import ids
from layout.preprocess import figure, figure_update, step_cards
from ocr.pipeline import PipelineError, default_pipeline, new_step, to_json, validate
from ocr.tesseract import TesseractError
from services import preprocessing
from services.preprocessing import (Rect, document_pipeline, list_presets, page_pipeline, preset_steps, save_preset,
                                    set_page_pipeline)
from storage import InvalidInput, KalamosError, Store

__all__ = ["register"]


wiring = Wiring()

restructure = [Output(ids.PP_PIPELINE, "data", allow_duplicate=True),
               Output(ids.PP_STRUCT_REV, "data", allow_duplicate=True)]


@wiring.callback(
    Output(ids.PP_PAGE, "options"),
    Output(ids.PP_PAGE, "value"),
    Input(ids.SELECTION, "data"),
    Input(ids.PAGES_REV, "data"),
    State(ids.PP_PAGE, "value"),
)
def pages(store: Store, selection: dict | None, _rev: int, current: str | None):
    return page_options(store, selection, current)


@wiring.callback(Output(ids.PP_OCR_LANG, "options"), Input(ids.TABS, "active_tab"), Input(ids.SELECTION, "data"))
def ocr_languages(store: Store, _tab: str, selection: dict | None):
    return model_options(store, (selection or {}).get("project"))


@wiring.callback(
    Output(ids.PP_PIPELINE, "data", allow_duplicate=True),
    Output(ids.PP_SCOPE, "value"),
    Output(ids.PP_STRUCT_REV, "data", allow_duplicate=True),
    Output(ids.PP_ERROR, "children", allow_duplicate=True),
    Input(ids.PP_PAGE, "value"),
    State(ids.SELECTION, "data"),
    State(ids.PP_STRUCT_REV, "data"),
    prevent_initial_call="initial_duplicate",
)
def load_pipeline(store: Store, page_id: str | None, selection: dict | None, rev: int):
    where = selected_document(selection)
    if not (page_id and where):
        return None, "document", (rev or 0) + 1, ""
    page = store.get_page(*where, page_id)
    error = ""
    try:
        steps, own = page_pipeline(store, *where, page)
    except InvalidInput as exc:
        steps, own, error = default_pipeline(), page.pipeline is not None, f"{exc}. Showing the default pipeline."
    scope = "page" if own else "document"
    return {"page": page_id, "scope": scope, "steps": to_json(steps)}, scope, (rev or 0) + 1, error


@wiring.callback(
    Output(ids.PP_PIPELINE, "data", allow_duplicate=True),
    Output(ids.PP_STRUCT_REV, "data", allow_duplicate=True),
    Input(ids.PP_SCOPE, "value"),
    State(ids.PP_PIPELINE, "data"),
    State(ids.SELECTION, "data"),
    State(ids.PP_STRUCT_REV, "data"),
    prevent_initial_call=True,
    writes=True,
)
def change_scope(store: Store, scope: str, pipe: dict | None, selection: dict | None, rev: int):
    where = selected_document(selection)
    if not pipe or not where or pipe.get("scope") == scope:
        return no_update, no_update
    if scope == "page":  # the page starts from what it showed
        set_page_pipeline(store, *where, pipe["page"], validate(pipe["steps"]))
        return {**pipe, "scope": "page"}, no_update
    set_page_pipeline(store, *where, pipe["page"], None)
    steps = document_pipeline(store, *where)
    return {**pipe, "scope": "document", "steps": to_json(steps)}, (rev or 0) + 1


@wiring.callback(Output(ids.PP_STEPS, "children"), Input(ids.PP_STRUCT_REV, "data"), State(ids.PP_PIPELINE, "data"))
def render_steps(_rev: int, pipe: dict | None):
    return step_cards(pipe["steps"]) if pipe else []


# a slider, number box, choice or switch: the pipeline changes in the browser (assets/preprocess.js)
wiring.clientside(ClientsideFunction("kalamos_preprocess", "editValues"),
                  Output(ids.PP_PIPELINE, "data", allow_duplicate=True),
                  Input({"type": ids.PP_PARAM, "index": ALL, "param": ALL}, "value"),
                  Input({"type": ids.PP_STEP_ON, "index": ALL}, "value"),
                  State(ids.PP_PIPELINE, "data"),
                  prevent_initial_call=True)


@wiring.callback(*restructure, Input({"type": ids.PP_STEP_ACTION, "index": ALL, "action": ALL}, "n_clicks"),
                 State(ids.PP_PIPELINE, "data"), State(ids.PP_STRUCT_REV, "data"), prevent_initial_call=True)
def move_or_remove(_clicks: list[Any], pipe: dict | None, rev: int):
    if not (pipe and clicked()):
        return no_update, no_update
    i, action = ctx.triggered_id["index"], ctx.triggered_id["action"]
    steps = list(pipe["steps"])
    if not 0 <= i < len(steps):
        return no_update, no_update
    if action == "remove":
        steps.pop(i)
    else:
        j = i - 1 if action == "up" else i + 1
        if 0 <= j < len(steps):
            steps[i], steps[j] = steps[j], steps[i]
    return {**pipe, "steps": steps}, (rev or 0) + 1


@wiring.callback(*restructure, Input(ids.PP_ADD, "n_clicks"), State(ids.PP_ADD_OP, "value"),
                 State(ids.PP_PIPELINE, "data"), State(ids.PP_STRUCT_REV, "data"), prevent_initial_call=True)
def add_step(_n: int, op: str, pipe: dict | None, rev: int):
    if not pipe:
        return no_update, no_update
    step = new_step(op).to_dict()
    steps = [step, *pipe["steps"]] if op in ("crop", "rotate90") else [*pipe["steps"], step]
    return {**pipe, "steps": steps}, (rev or 0) + 1


@wiring.callback(*restructure, Input(ids.PP_RESET, "n_clicks"), State(ids.PP_PIPELINE, "data"),
                 State(ids.PP_STRUCT_REV, "data"), prevent_initial_call=True)
def reset(_n: int, pipe: dict | None, rev: int):
    if not pipe:
        return no_update, no_update
    return {**pipe, "steps": to_json(default_pipeline())}, (rev or 0) + 1


@wiring.callback(*restructure, Output(ids.PP_ERROR, "children", allow_duplicate=True),
                 Input(ids.PP_PRESET_APPLY, "n_clicks"), State(ids.PP_PRESET, "value"), State(ids.PP_PIPELINE, "data"),
                 State(ids.SELECTION, "data"), State(ids.PP_STRUCT_REV, "data"), prevent_initial_call=True)
def use_preset(store: Store, _n: int, name: str | None, pipe: dict | None, selection: dict | None, rev: int):
    where = selected_document(selection)
    if not (pipe and name and where):
        return no_update, no_update, "Choose a preset first."
    try:
        steps = preset_steps(store, where[0], name)
    except KalamosError as exc:
        return no_update, no_update, str(exc)
    return {**pipe, "steps": to_json(steps)}, (rev or 0) + 1, ""


@wiring.callback(
    Output(ids.PP_PRESET_REV, "data"),
    Output(ids.PP_PRESET_NAME, "value"),
    Output(ids.PP_ERROR, "children", allow_duplicate=True),
    Input(ids.PP_PRESET_SAVE, "n_clicks"),
    State(ids.PP_PRESET_NAME, "value"),
    State(ids.PP_PIPELINE, "data"),
    State(ids.SELECTION, "data"),
    State(ids.PP_PRESET_REV, "data"),
    prevent_initial_call=True,
    writes=True,
)
def save_as_preset(store: Store, _n: int, name: str | None, pipe: dict | None, selection: dict | None, rev: int):
    where = selected_document(selection)
    if not (pipe and where):
        return no_update, no_update, "Choose a page first."
    try:
        save_preset(store, where[0], name or "", validate(pipe["steps"]))
    except (KalamosError, PipelineError) as exc:
        return no_update, no_update, str(exc)
    return (rev or 0) + 1, "", ""


@wiring.callback(Output(ids.PP_PRESET, "options"), Input(ids.SELECTION, "data"), Input(ids.PP_PRESET_REV, "data"))
def preset_options(store: Store, selection: dict | None, _rev: int):
    where = selected_document(selection)
    if not where:
        return []
    try:
        return [{"label": n, "value": n} for n in sorted(list_presets(store, where[0]))]
    except KalamosError:
        return []


@wiring.callback(
    Output(ids.PP_GRAPH, "figure"),
    Output(ids.PP_INFO, "children"),
    Output(ids.PP_ERROR, "children", allow_duplicate=True),
    Output(ids.PP_VIEW, "data"),
    Input(ids.PP_PIPELINE, "data"),
    State(ids.SELECTION, "data"),
    State(ids.PP_VIEW, "data"),
    prevent_initial_call=True,
)
def save_and_preview(store: Store, pipe: dict | None, selection: dict | None, shown: dict | None):
    where = selected_document(selection)
    if not (pipe and pipe.get("page") and where):
        return figure(None), "", "", None
    try:
        page, pv = preprocessing.save_and_render(store, where.page(pipe["page"]), validate(pipe["steps"]), pipe["scope"] == "page",
                                                 may_save=may_change(store, where.project))
    except (PipelineError, KalamosError) as exc:
        return no_update, no_update, str(exc), no_update
    except (OSError, ValueError, cv2.error) as exc:
        return no_update, no_update, f"This page cannot be processed: {exc}", no_update
    view = {
        "page": page.id, "width": page.width, "height": page.height,
        "before": base_preview_url(*where, page.id),
        "after": preview_url(*where, page.id, pv.path.name),
        "after_width": round(pv.width / pv.scale), "after_height": round(pv.height / pv.scale),
    }
    info = " ".join([*pv.notes, f"Preview {pv.width}×{pv.height} px, {pv.size_bytes / 1024:.0f} KB, "
                     f"computed in {pv.millis:.0f} ms."])
    return figure_update(shown, view), info, "", view


@wiring.callback(
    Output(ids.PP_PIPELINE, "data", allow_duplicate=True),
    Output(ids.PP_STRUCT_REV, "data", allow_duplicate=True),
    Output(ids.PP_OCR_RESULT, "children"),
    Input(ids.PP_GRAPH, "relayoutData"),
    State(ids.PP_PIPELINE, "data"),
    State(ids.SELECTION, "data"),
    State(ids.PP_OCR_LANG, "value"),
    State(ids.PP_STRUCT_REV, "data"),
    prevent_initial_call=True,
)
def drawn(store: Store, relayout: dict | None, pipe: dict | None, selection: dict | None, lang: str | None, rev: int):
    shapes = (relayout or {}).get("shapes")
    where = selected_document(selection)
    if not (shapes and pipe and where) or shapes[-1].get("type") != "rect":
        return no_update, no_update, no_update
    shape = shapes[-1]
    rect = Rect.from_shape(shape)
    try:
        page = store.get_page(*where, pipe["page"])
        if shape.get("xref", "x") == "x":  # drawn on the original: crop
            steps = preprocessing.with_crop(pipe["steps"], preprocessing.crop_step(page, rect))
            return {**pipe, "steps": steps}, (rev or 0) + 1, no_update
        # drawn on the result: what does Tesseract read there?
        text = preprocessing.try_ocr(store, where.page(page.id), validate(pipe["steps"]), rect, lang or "grc")
    except (TesseractError, PipelineError, KalamosError) as exc:
        return no_update, no_update, str(exc)
    return no_update, no_update, text or "(Tesseract found no text here)"


@wiring.callback(
    Output(ids.PP_APPLY_STATUS, "children"),
    Output(ids.PAGES_REV, "data", allow_duplicate=True),
    Input(ids.PP_APPLY, "n_clicks"),
    State(ids.SELECTION, "data"),
    State(ids.PAGES_REV, "data"),
    background=True,
    running=[(Output(ids.PP_APPLY, "disabled"), True, False), (Output(ids.PP_CANCEL, "disabled"), False, True)],
    cancel=[Input(ids.PP_CANCEL, "n_clicks")],
    progress=[Output(ids.PP_PROGRESS, "value"), Output(ids.PP_PROGRESS, "max"), Output(ids.PP_PROGRESS, "label")],
    prevent_initial_call=True,
    writes=True,
)
def apply_document(store: Store, config: Config, set_progress, _n: int, selection: dict | None, rev: int):  # type: ignore[no-untyped-def]
    where = selected_document(selection)
    if not where:
        return dbc.Alert("Choose a document first.", color="warning"), no_update
    try:
        with job_slot(store, config, "job", lambda text: set_progress((0, 1, text))):
            report = preprocessing.apply(store, where, lambda i, n: set_progress((i, max(1, n), f"{i} / {n}")))
    except KalamosError as exc:
        return dbc.Alert(str(exc), color="danger"), no_update
    done = f"Applied to {report.done} of {report.total} page(s)."
    if report.failed:
        items = [html.Li(f) for f in report.failed]
        return dbc.Alert([done, " These failed:", html.Ul(items, className="mb-0")], color="warning",
                         className="kalamos-apply-done py-2"), (rev or 0) + 1
    return dbc.Alert(done, color="success", className="kalamos-apply-done py-2"), (rev or 0) + 1


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)
