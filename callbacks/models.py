"""Train tab, its models part: the project's and the installed models, their evaluation (base against
new, worst lines with a link to Annotate), rename, delete, import a file, download from the lab's list."""

from __future__ import annotations

import time

from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

from callbacks.common import alert, job_slot, project_of, upload_spec
from callbacks.urls import job_line_url
from callbacks.wiring import Access, Wiring
from config import Config
from layout import ids
from layout.train import evaluation_view, models_table
from services import models as models_uc
from storage import KalamosError, Store

__all__ = ["register", "wiring"]

wiring = Wiring()


@wiring.callback(Output(ids.TN_MODELS, "children"), Output(ids.TN_EVAL_MODEL, "options"), Output(ids.TN_SOURCE, "options"),
                 Input(ids.SELECTION, "data"), Input(ids.TN_MODELS_REV, "data"), Input(ids.TABS, "active_tab"))
def models(store: Store, config: Config, selection: dict | None, _rev: int, _tab: str):
    own = models_uc.own(store, project_of(selection))
    options = [{"label": m.name, "value": m.id} for m in own]
    srcs = [{"label": f"{s['name']}: {s['description'] or s['url']}", "value": s["name"]} for s in config.model_sources]
    return models_table(own + models_uc.installed()), options, srcs


@wiring.callback(Output(ids.TN_EVAL_MODEL, "value"), Input(ids.TN_EVAL_MODEL, "options"), State(ids.TN_EVAL_MODEL, "value"))
def keep_model_choice(options: list[dict], current: str | None) -> str | None:
    return keep_choice(options, current)


@wiring.callback(Output(ids.TN_SOURCE, "value"), Input(ids.TN_SOURCE, "options"), State(ids.TN_SOURCE, "value"))
def keep_source_choice(options: list[dict], current: str | None) -> str | None:
    return keep_choice(options, current)


def keep_choice(options: list[dict], current: str | None) -> str | None:
    values = [o["value"] for o in options or []]
    return current if current in values else (values[0] if values else None)


@wiring.callback(Output(ids.TN_EVAL, "children"), Input(ids.TN_EVAL_MODEL, "value"), State(ids.SELECTION, "data"))
def evaluation(store: Store, model_id: str | None, selection: dict | None):
    project = project_of(selection)
    if not (project and model_id):
        return html.Div("No model of this project yet: train, import or download one.", className="text-muted")
    try:
        found = models_uc.evaluation(store, project, model_id)
    except KalamosError as exc:
        return str(exc)
    job = found.job_id
    images = {r["line"]: job_line_url(project, job, r["line"]) for r in found.rows} if job else {}
    return evaluation_view(found.model, found.rows, images=images, sources=found.sources)


@wiring.callback(Output(ids.DOCUMENT_SELECT, "value", allow_duplicate=True), Output(ids.TABS, "active_tab", allow_duplicate=True),
                 Output(ids.AN_GOTO, "data", allow_duplicate=True), Output(ids.AN_PAGE, "value", allow_duplicate=True),
                 Input({"type": ids.TN_OPEN_LINE, "document": ALL, "page": ALL, "line": ALL}, "n_clicks"),
                 prevent_initial_call=True)
def open_line(clicks: list[int | None]):
    """A worst line of the evaluation, opened in the Annotate tab to look at (or correct) its ground
    truth: the navbar shows its document, the tab its page and the line."""
    if not (ctx.triggered_id and any(clicks)):
        return no_update, no_update, no_update, no_update
    target = ctx.triggered_id
    goto = {"document": target["document"], "page": target["page"], "line": target["line"]}
    return target["document"], "annotate", goto, target["page"]


@wiring.callback(Output(ids.TN_MANAGE_STATUS, "children"), Output(ids.TN_MODELS_REV, "data", allow_duplicate=True),
                 Input(ids.TN_RENAME, "n_clicks"), State(ids.TN_EVAL_MODEL, "value"), State(ids.TN_RENAME_NAME, "value"),
                 State(ids.SELECTION, "data"), prevent_initial_call=True, writes=True)
def rename(store: Store, _n: int, model_id: str | None, name: str | None, selection: dict | None):
    project = project_of(selection)
    if not (project and model_id):
        return alert("Choose a model of the project first.", "warning"), no_update
    try:
        model = models_uc.rename(store, project, model_id, name or "")
    except KalamosError as exc:
        return alert(str(exc), "danger"), no_update
    return alert(f"Renamed to {model.name}.", "success"), time.time()


@wiring.callback(Output(ids.TN_MANAGE_STATUS, "children", allow_duplicate=True),
                 Output(ids.TN_MODELS_REV, "data", allow_duplicate=True),
                 Input(f"{ids.TN_DELETE}-confirm", "submit_n_clicks"), State(ids.TN_EVAL_MODEL, "value"),
                 State(ids.SELECTION, "data"), prevent_initial_call=True, writes=True)
def delete(store: Store, _n: int, model_id: str | None, selection: dict | None):
    project = project_of(selection)
    if not (project and model_id):
        return alert("Choose a model of the project first.", "warning"), no_update
    try:
        model = models_uc.delete(store, project, model_id)
    except KalamosError as exc:
        return alert(str(exc), "danger"), no_update
    return alert(f"{model.name} moved to the trash.", "success"), time.time()


@wiring.callback(Output(ids.TN_IMPORT_SPEC, "children"), Input(ids.SELECTION, "data"))
def import_target(config: Config, selection: dict | None):
    project = project_of(selection)
    if not project:
        return ""
    return upload_spec(f"/api/models/{project}/import", config, "each", {"name": ids.TN_IMPORT_NAME})


@wiring.callback(Output(ids.TN_MANAGE_STATUS, "children", allow_duplicate=True),
                 Output(ids.TN_MODELS_REV, "data", allow_duplicate=True),
                 Input(ids.TN_IMPORT_RESULT, "data"), prevent_initial_call=True)
def imported(batch: dict | None):
    results = (batch or {}).get("results") or []
    if not results:
        return no_update, no_update
    [result] = results[-1:]
    if result.get("status") != "imported":
        return alert(result.get("message", "The import failed."), "danger", "kalamos-model-error"), no_update
    return alert(result["message"], "success", "kalamos-model-done"), time.time()


@wiring.callback(
    Output(ids.TN_MANAGE_STATUS, "children", allow_duplicate=True), Output(ids.TN_MODELS_REV, "data", allow_duplicate=True),
    Input(ids.TN_DOWNLOAD, "n_clicks"), State(ids.TN_SOURCE, "value"), State(ids.TN_DOWNLOAD_NAME, "value"),
    State(ids.SELECTION, "data"),
    background=True, running=[(Output(ids.TN_DOWNLOAD, "disabled"), True, False)],
    progress=[Output(ids.TN_DOWNLOAD_PROGRESS, "value"), Output(ids.TN_DOWNLOAD_PROGRESS, "max")],
    prevent_initial_call=True,
    writes=True,
)
def download(store: Store, config: Config, set_progress, _n: int, source_name: str | None, name: str | None, selection: dict | None):  # type: ignore[no-untyped-def]
    project = project_of(selection)
    source = next((s for s in config.model_sources if s["name"] == source_name), None)
    if not (project and source):
        return alert("Choose a project and a model to download.", "warning"), no_update
    try:
        with job_slot(store, config, "job"):
            model = models_uc.download(store, project, source["url"], (name or "").strip() or source["name"],
                                       source.get("sha256"), lambda done, total: set_progress((done, total or done)))
    except KalamosError as exc:
        return alert(str(exc), "danger", "kalamos-model-error"), no_update
    checked = "checksum verified" if source.get("sha256") else "no checksum configured for it"
    return alert(f"Downloaded {model.name} ({model.kind}, {model.unicharset_size} characters; {checked}).",
                  "success", "kalamos-model-done"), time.time()


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)
