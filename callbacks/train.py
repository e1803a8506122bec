"""Train tab: start a fine-tuning job in the background, draw its curve, stop it, list the models."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, html, no_update

from callbacks.common import model_options
from layout import ids
from layout.train import curve_figure, models_table
from ocr.tesseract import TesseractError
from storage import KalamosError, Store
from storage.ocrmodels import list_models
from storage.training import TrainSpec, create_job, request_stop, run_job

__all__ = ["register"]


def register(app: Dash, store: Store) -> None:
    @app.callback(Output(ids.TN_DOCUMENTS, "options"), Input(ids.SELECTION, "data"))
    def documents(selection: dict | None):
        project = (selection or {}).get("project")
        if not project:
            return []
        try:
            return [{"label": d.name, "value": d.id} for d in store.list_documents(project)]
        except KalamosError:
            return []

    @app.callback(Output(ids.TN_BASE, "options"), Input(ids.TABS, "active_tab"))
    def bases(_tab: str):
        return model_options()

    @app.callback(Output(ids.TN_MODELS, "children"), Input(ids.SELECTION, "data"), Input(ids.TN_MODELS_REV, "data"))
    def models(selection: dict | None, _rev: int):
        project = (selection or {}).get("project")
        return models_table(list_models(store, project)) if project else ""

    @app.callback(
        Output(ids.TN_STATUS, "children"), Output(ids.TN_MODELS_REV, "data"),
        Input(ids.TN_START, "n_clicks"),
        State(ids.SELECTION, "data"), State(ids.TN_DOCUMENTS, "value"), State(ids.TN_BASE, "value"),
        State(ids.TN_NAME, "value"), State(ids.TN_ITERATIONS, "value"), State(ids.TN_MINUTES, "value"),
        State(ids.TN_RATE, "value"), State(ids.TN_MODELS_REV, "data"),
        background=True,
        running=[(Output(ids.TN_START, "disabled"), True, False), (Output(ids.TN_STOP, "disabled"), False, True)],
        progress=[Output(ids.TN_PROGRESS, "value"), Output(ids.TN_PROGRESS, "max"), Output(ids.TN_PROGRESS, "label"),
                  Output(ids.TN_CURVE, "figure"), Output(ids.TN_JOB, "data")],
        prevent_initial_call=True,
    )
    def start(set_progress, _n: int, selection: dict | None, documents: list[str] | None, base: str | None,  # type: ignore[no-untyped-def]
              name: str | None, iterations: float | None, minutes: float | None, rate: float | None, rev: int):
        project = (selection or {}).get("project")
        if not project:
            return dbc.Alert("Choose a project first.", color="warning"), no_update
        try:
            spec = TrainSpec((name or "").strip(), base or "grc", int(iterations or 3000), float(minutes or 10),
                             float(rate or 0.0001))
            job = create_job(store, project, spec, None, documents or None)
        except (KalamosError, TesseractError, ValueError) as exc:
            return dbc.Alert(str(exc), color="danger", className="kalamos-train-error"), no_update
        sm = job["summary"]
        points: list[dict[str, Any]] = []
        set_progress((0, spec.max_iterations, "preparing the training data…", curve_figure([]), job["id"]))

        def progress(point, _job) -> None:  # type: ignore[no-untyped-def]
            points.append(asdict(point))
            set_progress((point.iteration, spec.max_iterations, f"iteration {point.iteration} / {spec.max_iterations}",
                          curve_figure(points), job["id"]))

        job = run_job(store, project, job["id"], progress)
        if job["status"] != "done":
            return dbc.Alert(f"Training failed: {job['error']}", color="danger", className="kalamos-train-error"), no_update
        [model] = [m for m in list_models(store, project) if m["id"] == job["model"]]
        ev = model["eval"]
        added = " ".join(job["summary"].get("missing_characters") or {}) or "none"
        body = [html.Strong(f"Model {model['name']} is ready"), f" (trained on {sm['train_lines']} lines, "
                f"evaluated on {ev['lines']}; characters added: {added}). ",
                f"CER {ev['base']['CER %']}% with {model['base']} → {ev['new']['CER %']}% with {model['name']}."]
        if job.get("stopped_early"):
            body.append(" Stopped before the end: the best checkpoint was kept.")
        return dbc.Alert(body, color="success", className="kalamos-train-done py-2"), (rev or 0) + 1

    @app.callback(Output(ids.TN_STATUS, "children", allow_duplicate=True), Input(ids.TN_STOP, "n_clicks"),
                  State(ids.TN_JOB, "data"), State(ids.SELECTION, "data"), prevent_initial_call=True)
    def stop(_n: int, job_id: str | None, selection: dict | None):
        project = (selection or {}).get("project")
        if not (job_id and project):
            return no_update
        try:
            request_stop(store, project, job_id)
        except KalamosError as exc:
            return str(exc)
        return dbc.Alert("Stopping: the best checkpoint becomes the model…", color="info", className="py-2")
