"""Preprocess tab: edit the pipeline, preview at once, crop and try OCR by drawing, apply to all pages."""

from __future__ import annotations

import copy
from typing import Any

import cv2
import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

from callbacks.common import clicked, job_slot, model_options, page_options, selected_document
from callbacks.routes import preview_url
from config import Config
from layout import ids
from layout.preprocess import figure, step_cards
from ocr.pipeline import PipelineError, default_pipeline, new_step, to_json, validate
from ocr.tesseract import TesseractError, recognize
from storage.ocrmodels import project_tessdata
from storage import InvalidInput, KalamosError, Store
from storage.processing import (PREVIEW_SIDE, apply_to_document, document_pipeline, full_result, list_presets,
                                page_pipeline, preset_steps, render_preview, save_preset, set_document_pipeline,
                                set_page_pipeline)

__all__ = ["register"]


def register(app: Dash, store: Store, config: Config) -> None:
    @app.callback(
        Output(ids.PP_PAGE, "options"),
        Output(ids.PP_PAGE, "value"),
        Input(ids.SELECTION, "data"),
        Input(ids.PAGES_REV, "data"),
        State(ids.PP_PAGE, "value"),
    )
    def pages(selection: dict | None, _rev: int, current: str | None):
        return page_options(store, selection, current)

    @app.callback(Output(ids.PP_OCR_LANG, "options"), Input(ids.TABS, "active_tab"), Input(ids.SELECTION, "data"))
    def ocr_languages(_tab: str, selection: dict | None):
        return model_options(store, (selection or {}).get("project"))

    @app.callback(
        Output(ids.PP_PIPELINE, "data", allow_duplicate=True),
        Output(ids.PP_SCOPE, "value"),
        Output(ids.PP_STRUCT_REV, "data", allow_duplicate=True),
        Output(ids.PP_ERROR, "children", allow_duplicate=True),
        Input(ids.PP_PAGE, "value"),
        State(ids.SELECTION, "data"),
        State(ids.PP_STRUCT_REV, "data"),
        prevent_initial_call="initial_duplicate",
    )
    def load_pipeline(page_id: str | None, selection: dict | None, rev: int):
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

    @app.callback(
        Output(ids.PP_PIPELINE, "data", allow_duplicate=True),
        Output(ids.PP_STRUCT_REV, "data", allow_duplicate=True),
        Input(ids.PP_SCOPE, "value"),
        State(ids.PP_PIPELINE, "data"),
        State(ids.SELECTION, "data"),
        State(ids.PP_STRUCT_REV, "data"),
        prevent_initial_call=True,
    )
    def change_scope(scope: str, pipe: dict | None, selection: dict | None, rev: int):
        where = selected_document(selection)
        if not pipe or not where or pipe.get("scope") == scope:
            return no_update, no_update
        if scope == "page":  # the page starts from what it showed
            set_page_pipeline(store, *where, pipe["page"], validate(pipe["steps"]))
            return {**pipe, "scope": "page"}, no_update
        set_page_pipeline(store, *where, pipe["page"], None)
        steps = document_pipeline(store, *where)
        return {**pipe, "scope": "document", "steps": to_json(steps)}, (rev or 0) + 1

    @app.callback(Output(ids.PP_STEPS, "children"), Input(ids.PP_STRUCT_REV, "data"), State(ids.PP_PIPELINE, "data"))
    def render_steps(_rev: int, pipe: dict | None):
        return step_cards(pipe["steps"]) if pipe else []

    @app.callback(
        Output(ids.PP_PIPELINE, "data", allow_duplicate=True),
        Input({"type": ids.PP_PARAM, "index": ALL, "param": ALL}, "value"),
        Input({"type": ids.PP_STEP_ON, "index": ALL}, "value"),
        State(ids.PP_PIPELINE, "data"),
        prevent_initial_call=True,
    )
    def edit_values(_values: list[Any], _on: list[Any], pipe: dict | None):
        if not pipe:
            return no_update
        steps = copy.deepcopy(pipe["steps"])
        for item in ctx.inputs_list[0]:
            i, name, value = item["id"]["index"], item["id"]["param"], item.get("value")
            if value is not None and i < len(steps) and name in steps[i]["params"]:
                steps[i]["params"][name] = value
        for item in ctx.inputs_list[1]:
            i = item["id"]["index"]
            if i < len(steps) and item.get("value") is not None:
                steps[i]["on"] = bool(item["value"])
        return no_update if steps == pipe["steps"] else {**pipe, "steps": steps}

    restructure = [Output(ids.PP_PIPELINE, "data", allow_duplicate=True),
                   Output(ids.PP_STRUCT_REV, "data", allow_duplicate=True)]

    @app.callback(*restructure, Input({"type": ids.PP_STEP_ACTION, "index": ALL, "action": ALL}, "n_clicks"),
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

    @app.callback(*restructure, Input(ids.PP_ADD, "n_clicks"), State(ids.PP_ADD_OP, "value"),
                  State(ids.PP_PIPELINE, "data"), State(ids.PP_STRUCT_REV, "data"), prevent_initial_call=True)
    def add_step(_n: int, op: str, pipe: dict | None, rev: int):
        if not pipe:
            return no_update, no_update
        step = new_step(op).to_dict()
        steps = [step, *pipe["steps"]] if op in ("crop", "rotate90") else [*pipe["steps"], step]
        return {**pipe, "steps": steps}, (rev or 0) + 1

    @app.callback(*restructure, Input(ids.PP_RESET, "n_clicks"), State(ids.PP_PIPELINE, "data"),
                  State(ids.PP_STRUCT_REV, "data"), prevent_initial_call=True)
    def reset(_n: int, pipe: dict | None, rev: int):
        if not pipe:
            return no_update, no_update
        return {**pipe, "steps": to_json(default_pipeline())}, (rev or 0) + 1

    @app.callback(*restructure, Output(ids.PP_ERROR, "children", allow_duplicate=True),
                  Input(ids.PP_PRESET_APPLY, "n_clicks"), State(ids.PP_PRESET, "value"), State(ids.PP_PIPELINE, "data"),
                  State(ids.SELECTION, "data"), State(ids.PP_STRUCT_REV, "data"), prevent_initial_call=True)
    def use_preset(_n: int, name: str | None, pipe: dict | None, selection: dict | None, rev: int):
        where = selected_document(selection)
        if not (pipe and name and where):
            return no_update, no_update, "Choose a preset first."
        try:
            steps = preset_steps(store, where[0], name)
        except KalamosError as exc:
            return no_update, no_update, str(exc)
        return {**pipe, "steps": to_json(steps)}, (rev or 0) + 1, ""

    @app.callback(
        Output(ids.PP_PRESET_REV, "data"),
        Output(ids.PP_PRESET_NAME, "value"),
        Output(ids.PP_ERROR, "children", allow_duplicate=True),
        Input(ids.PP_PRESET_SAVE, "n_clicks"),
        State(ids.PP_PRESET_NAME, "value"),
        State(ids.PP_PIPELINE, "data"),
        State(ids.SELECTION, "data"),
        State(ids.PP_PRESET_REV, "data"),
        prevent_initial_call=True,
    )
    def save_as_preset(_n: int, name: str | None, pipe: dict | None, selection: dict | None, rev: int):
        where = selected_document(selection)
        if not (pipe and where):
            return no_update, no_update, "Choose a page first."
        try:
            save_preset(store, where[0], name or "", validate(pipe["steps"]))
        except (KalamosError, PipelineError) as exc:
            return no_update, no_update, str(exc)
        return (rev or 0) + 1, "", ""

    @app.callback(Output(ids.PP_PRESET, "options"), Input(ids.SELECTION, "data"), Input(ids.PP_PRESET_REV, "data"))
    def preset_options(selection: dict | None, _rev: int):
        where = selected_document(selection)
        if not where:
            return []
        try:
            return [{"label": n, "value": n} for n in sorted(list_presets(store, where[0]))]
        except KalamosError:
            return []

    @app.callback(
        Output(ids.PP_GRAPH, "figure"),
        Output(ids.PP_INFO, "children"),
        Output(ids.PP_ERROR, "children", allow_duplicate=True),
        Input(ids.PP_PIPELINE, "data"),
        State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def save_and_preview(pipe: dict | None, selection: dict | None):
        where = selected_document(selection)
        if not (pipe and pipe.get("page") and where):
            return figure(None), "", ""
        try:
            steps = validate(pipe["steps"])
            page = store.get_page(*where, pipe["page"])
            if pipe["scope"] == "page":
                if page.pipeline != to_json(steps):
                    set_page_pipeline(store, *where, page.id, steps)
            elif store.get_document(*where).settings.get("pipeline") != to_json(steps):
                set_document_pipeline(store, *where, steps)
            pv = render_preview(store, *where, page, steps)
        except (PipelineError, KalamosError) as exc:
            return no_update, no_update, str(exc)
        except (OSError, ValueError, cv2.error) as exc:
            return no_update, no_update, f"This page cannot be processed: {exc}"
        view = {
            "page": page.id, "width": page.width, "height": page.height,
            "before": preview_url(*where, page.id, f"base-{PREVIEW_SIDE}.jpg"),
            "after": preview_url(*where, page.id, pv.path.name),
            "after_width": round(pv.width / pv.scale), "after_height": round(pv.height / pv.scale),
        }
        info = " ".join([*pv.notes, f"Preview {pv.width}×{pv.height} px, {pv.size_bytes / 1024:.0f} KB, "
                         f"computed in {pv.millis:.0f} ms."])
        return figure(view), info, ""

    @app.callback(
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
    def drawn(relayout: dict | None, pipe: dict | None, selection: dict | None, lang: str | None, rev: int):
        shapes = (relayout or {}).get("shapes")
        where = selected_document(selection)
        if not (shapes and pipe and where) or shapes[-1].get("type") != "rect":
            return no_update, no_update, no_update
        shape = shapes[-1]
        x0, x1 = sorted((float(shape["x0"]), float(shape["x1"])))
        y0, y1 = sorted((float(shape["y0"]), float(shape["y1"])))
        page = store.get_page(*where, pipe["page"])
        if shape.get("xref", "x") == "x":  # drawn on the original: crop

            def frac(v: float, size: int) -> float:
                return round(min(1.0, max(0.0, v / size)), 4)

            crop = new_step("crop").to_dict()
            crop["params"] = {"x0": frac(x0, page.width), "y0": frac(y0, page.height),
                              "x1": frac(x1, page.width), "y1": frac(y1, page.height)}
            if crop["params"]["x1"] - crop["params"]["x0"] < 0.01 or crop["params"]["y1"] - crop["params"]["y0"] < 0.01:
                return no_update, no_update, "The crop rectangle is too small."
            steps = [crop, *[s for s in pipe["steps"] if s["op"] != "crop"]]
            return {**pipe, "steps": steps}, (rev or 0) + 1, no_update
        try:  # drawn on the result: what does Tesseract read there?
            result = full_result(store, *where, page, validate(pipe["steps"]))
            h, w = result.shape[:2]
            r0, r1 = max(0, int(y0)), min(h, int(y1) + 1)
            c0, c1 = max(0, int(x0)), min(w, int(x1) + 1)
            if r1 - r0 < 8 or c1 - c0 < 8:
                return no_update, no_update, "Draw a larger rectangle over some text."
            text = recognize(result[r0:r1, c0:c1], lang or "grc", psm=6, tessdata_dir=project_tessdata(store, where[0]))
        except (TesseractError, PipelineError, KalamosError) as exc:
            return no_update, no_update, str(exc)
        return no_update, no_update, text or "(Tesseract found no text here)"

    @app.callback(
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
    )
    def apply_document(set_progress, _n: int, selection: dict | None, rev: int):  # type: ignore[no-untyped-def]
        where = selected_document(selection)
        if not where:
            return dbc.Alert("Choose a document first.", color="warning"), no_update
        try:
            with job_slot(store, config, "job", lambda text: set_progress((0, 1, text))):
                report = apply_to_document(store, *where, lambda i, n: set_progress((i, max(1, n), f"{i} / {n}")))
        except KalamosError as exc:
            return dbc.Alert(str(exc), color="danger"), no_update
        done = f"Applied to {report.done} of {report.total} page(s)."
        if report.failed:
            items = [html.Li(f) for f in report.failed]
            return dbc.Alert([done, " These failed:", html.Ul(items, className="mb-0")], color="warning",
                             className="kalamos-apply-done py-2"), (rev or 0) + 1
        return dbc.Alert(done, color="success", className="kalamos-apply-done py-2"), (rev or 0) + 1
