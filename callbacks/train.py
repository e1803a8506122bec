"""Train tab: prepare a job (the project's kind of pages, the base compared on the held-out lines),
run (or resume) it in the background, draw its curves from disk, stop or cancel it. The models part
of the tab is ``callbacks/models.py``."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

from callbacks.common import job_slot
from config import Config
from layout import ids
from layout.train import (
    base_table,
    curve_figure,
    jobs_table,
    summary_view,
)
from ocr.greek import SCRIPTS
from ocr.tesseract import TesseractError
from services import editing
from services import training as training_uc
from storage import KalamosError, Store
from storage import ocrmodels as models_store
from storage.training import (
    BEST_BASE,
    MATERIALS,
    RESUMABLE,
    JobBusy,
    TrainSpec,
    compare_bases,
    create_job,
    curve,
    discard_job,
    gain_estimate,
    get_job,
    is_running,
    list_jobs,
    preview,
    recipe,
    request_stop,
    run_job,
)

__all__ = ["register"]


def _project(selection: dict | None) -> str | None:
    return (selection or {}).get("project")


def _script(value: str | None) -> str | None:
    return value if value in SCRIPTS else None


def _alert(text: Any, color: str, cls: str = "") -> dbc.Alert:
    return dbc.Alert(text, color=color, className=f"py-2 mb-1 {cls}".strip())


def _done_message(store: Store, project: str, job: dict[str, Any]) -> dbc.Alert:
    if job["status"] == "cancelled":
        return _alert("Training cancelled: no model was registered.", "secondary", "kalamos-train-cancelled")
    if job["status"] != "done":
        return _alert(f"Training failed: {job['error']}", "danger", "kalamos-train-error")
    model = models_store.get_model(store, project, job["model"])
    ev = model["eval"]
    added = " ".join(job["summary"].get("missing_characters") or {}) or "none"
    base = f"CER {ev['base']['CER %']}% with {model['base']} → " if ev.get("base") else ""
    body: list[Any] = [html.Strong(f"Model {model['name']} is ready"),
                       f" (trained on {job['summary']['train_lines']} lines, evaluated on {ev['lines']}; characters added: "
                       f"{added}). {base}{ev['new']['CER %']}% with {model['name']}."]
    if ev.get("second"):
        s = ev["second"]
        body.append(f" Second set: {s['base']['CER %'] if s.get('base') else '–'}% → {s['new']['CER %']}%.")
    if job.get("stop_reason"):
        body.append(f" Stopped early: {job['stop_reason']}.")
    elif job.get("stopped_early"):
        body.append(" Stopped before the end.")
    if job.get("selected"):
        body.append(f" The model is the checkpoint of iteration {job['selected']['iteration']}, the one with the lowest "
                    f"error on the held-out lines ({job['selected']['heldout_cer']} %).")
    if ev.get("base") and ev["new"]["CER %"] >= ev["base"]["CER %"] and not (job.get("final_pass") or {}).get("status") == "done":
        body.append(html.Div(f"It reads the held-out lines no better than {model['base']}: keep using {model['base']} "
                             "(or delete this model), and look at the worst lines below and at the ground truth; more "
                             "lines, a longer budget or another base may help.", className="fw-bold kalamos-train-worse"))
        return _alert(body, "warning", "kalamos-train-done")
    return _alert(body, "success", "kalamos-train-done")


def register(app: Dash, store: Store, config: Config) -> None:
    # ------------------------------------------------------------------ the form
    @app.callback(Output(ids.TN_DOCUMENTS, "options"), Output(ids.TN_COMPARE, "options"), Input(ids.SELECTION, "data"))
    def documents(selection: dict | None):
        project = _project(selection)
        try:
            options = [{"label": d.name, "value": d.id} for d in store.list_documents(project)] if project else []
        except KalamosError:
            options = []
        return options, options

    @app.callback(Output(ids.TN_BASE, "options"), Input(ids.TABS, "active_tab"), Input(ids.SELECTION, "data"),
                  Input(ids.TN_MODELS_REV, "data"))
    def bases(_tab: str, selection: dict | None, _rev: int):
        try:
            found = models_store.all_models(store, _project(selection))
        except KalamosError:
            found = models_store.system_models()
        return [{"label": "best for these lines (compared first)", "value": BEST_BASE}] + [
            {"label": f"{m['name']} ({m['kind']}{', ' + m['origin'] if m['origin'] != 'system' else ''})", "value": m["name"]}
            for m in found if m["kind"] != "legacy"]

    @app.callback(Output(ids.TN_BASE_TABLE, "children"), Output(ids.TN_BASE, "value", allow_duplicate=True),
                  Input(ids.TN_COMPARE_BASES, "n_clicks"), State(ids.SELECTION, "data"), State(ids.TN_DOCUMENTS, "value"),
                  State(ids.TN_SCRIPT, "value"), State(ids.TN_EDITED, "value"),
                  background=True, running=[(Output(ids.TN_COMPARE_BASES, "disabled"), True, False)],
                  progress=[Output(ids.TN_COMPARE_PROGRESS, "value"), Output(ids.TN_COMPARE_PROGRESS, "max")],
                  prevent_initial_call=True)
    def compare(set_progress, _n: int, selection: dict | None, documents: list[str] | None, script: str | None,  # type: ignore[no-untyped-def]
                edited: bool):
        project = _project(selection)
        if not project:
            return _alert("Choose a project first.", "warning"), no_update
        spec = TrainSpec("x", script=_script(script), include_edited=bool(edited))
        try:
            with job_slot(store, config, "job"):
                rows = compare_bases(store, project, documents or None, spec,
                                     progress=lambda i, n, _name: set_progress((i, max(1, n))))
        except (KalamosError, TesseractError) as exc:
            return _alert(str(exc), "danger"), no_update
        best = next((r["model"] for r in rows if "CER %" in r), None)
        return base_table(rows), best or no_update

    @app.callback(Output(ids.TN_MATERIAL, "value"), Input(ids.SELECTION, "data"), Input(ids.TABS, "active_tab"))
    def load_material(selection: dict | None, _tab: str):
        project = _project(selection)
        try:
            return training_uc.material(store, project) if project else "print"
        except KalamosError:
            return "print"

    @app.callback(Output(ids.TN_MINUTES, "value"), Input(ids.TN_MATERIAL, "value"), State(ids.SELECTION, "data"),
                  prevent_initial_call=True)
    def material_changed(value: str, selection: dict | None):
        """The project's pages said (print or manuscript): remembered, and the time budget follows."""
        project = _project(selection)
        try:
            if project and training_uc.material(store, project) != value:
                training_uc.set_material(store, project, value)
        except KalamosError:
            pass
        return recipe(value if value in MATERIALS else "print").max_minutes

    @app.callback(Output("train-base-field", "style"), Output("train-network-field", "style"), Output(ids.TN_RATE, "value"),
                  Input(ids.TN_MODE, "value"), State(ids.TN_MATERIAL, "value"), prevent_initial_call=True)
    def mode(value: str, material: str | None):
        scratch = value == "scratch"
        rate = 0.002 if scratch else None  # fine-tune: empty, chosen by the number of lines
        return {"display": "none"} if scratch else {}, {} if scratch else {"display": "none"}, rate

    @app.callback(Output(ids.TN_SUMMARY, "children"), Input(ids.SELECTION, "data"), Input(ids.TN_DOCUMENTS, "value"),
                  Input(ids.TN_BASE, "value"), Input(ids.TN_MODE, "value"), Input(ids.TN_SCRIPT, "value"),
                  Input(ids.TN_EDITED, "value"), Input(ids.TABS, "active_tab"), Input(ids.TN_UNIFY_STATUS, "children"),
                  Input(ids.TN_MODELS_REV, "data"))
    def summary(selection: dict | None, documents: list[str] | None, base: str | None, how: str, script: str | None,
                edited: bool, _tab: str, _unified: Any, _models: Any):
        project = _project(selection)
        if not project:
            return ""
        base = None if how == "scratch" or base == BEST_BASE else base
        statuses = ("verified", "edited") if edited else ("verified",)
        try:
            found = preview(store, project, documents or None, base, _script(script), statuses)
            return summary_view(found, base, gain_estimate(store, project, found["lines"], found["pages"],
                                                           script=_script(script)))
        except KalamosError as exc:
            return str(exc)

    @app.callback(Output(ids.TN_UNIFY_STATUS, "children"), Input({"type": ids.TN_UNIFY, "index": ALL}, "n_clicks"),
                  State(ids.SELECTION, "data"), State(ids.TN_DOCUMENTS, "value"), State(ids.EDITOR_ID, "data"),
                  prevent_initial_call=True)
    def unify_forms(clicks: list[int | None], selection: dict | None, documents: list[str] | None, editor: str | None):
        project = _project(selection)
        if not (project and any(clicks)):
            return no_update
        try:
            report = editing.unify(store, project, documents or None, editor)
        except KalamosError as exc:
            return _alert(str(exc), "danger")
        text = f"Rewrote {report.lines} line(s) the project's way" + (": " + "; ".join(report.changes) if report.changes else ".")
        if report.skipped:
            text += f" Skipped (changed meanwhile): {len(report.skipped)}."
        return _alert(text, "success")

    # ------------------------------------------------------------------ jobs
    @app.callback(Output(ids.TN_RUN, "data"), Output(ids.TN_JOB, "data"), Output(ids.TN_STATUS, "children"),
                  Input(ids.TN_START, "n_clicks"),
                  State(ids.SELECTION, "data"), State(ids.TN_DOCUMENTS, "value"), State(ids.TN_MODE, "value"),
                  State(ids.TN_BASE, "value"), State(ids.TN_NETWORK, "value"), State(ids.TN_NAME, "value"),
                  State(ids.TN_ITERATIONS, "value"), State(ids.TN_MINUTES, "value"), State(ids.TN_RATE, "value"),
                  State(ids.TN_COMPARE, "value"), State(ids.TN_INTEGER, "value"), State(ids.TN_SCRIPT, "value"),
                  State(ids.TN_EDITED, "value"), State(ids.TN_MATERIAL, "value"), State(ids.TN_AUGMENT, "value"),
                  State(ids.TN_NEW_TOP, "value"), State(ids.TN_FINAL_PASS, "value"), prevent_initial_call=True)
    def start(_n: int, selection: dict | None, documents: list[str] | None, how: str, base: str | None, network: str | None,
              name: str | None, iterations: float | None, minutes: float | None, rate: float | None,
              compare: list[str] | None, integer: bool, script: str | None, edited: bool, material: str | None,
              augment: str | None, new_top: bool, final_pass: bool):
        project = _project(selection)
        if not project:
            return no_update, no_update, _alert("Choose a project first.", "warning")
        for value, what in ((iterations, "number of iterations"), (minutes, "time budget")):
            if value is None:
                return no_update, no_update, _alert(f"The {what} is empty or not a number.", "danger", "kalamos-train-error")
        try:
            spec = TrainSpec((name or "").strip(), base or "grc", max_iterations=int(iterations),  # type: ignore[arg-type]
                             max_minutes=float(minutes), learning_rate=None if rate in (None, "") else float(rate),
                             scratch=how == "scratch", network=network or "small", integer=bool(integer),
                             script=_script(script), include_edited=bool(edited), material=material or "print",
                             augment=None if augment in (None, "auto") else int(augment), new_top=bool(new_top),
                             final_pass=bool(final_pass))
            job = create_job(store, project, spec, None, documents or None, compare_documents=compare or None)
        except (KalamosError, TesseractError, ValueError) as exc:
            return no_update, no_update, _alert(str(exc), "danger", "kalamos-train-error")
        problems = job["problems"]
        note = _alert([f"Notes on the ground truth ({len(problems)}): ", html.Ul([html.Li(p) for p in problems[:8]], className="mb-0")],
                      "warning") if problems else ""
        return {"job": job["id"], "at": time.time()}, job["id"], note

    @app.callback(Output(ids.TN_RUN, "data", allow_duplicate=True), Output(ids.TN_JOB, "data", allow_duplicate=True),
                  Input({"type": "train-resume", "job": ALL}, "n_clicks"), prevent_initial_call=True)
    def resume(clicks: list[int | None]):
        if not any(clicks) or not isinstance(ctx.triggered_id, dict):
            return no_update, no_update
        job_id = ctx.triggered_id["job"]
        return {"job": job_id, "at": time.time()}, job_id

    @app.callback(Output(ids.TN_JOB, "data", allow_duplicate=True), Input({"type": "train-show", "job": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def show(clicks: list[int | None]):
        if not any(clicks) or not isinstance(ctx.triggered_id, dict):
            return no_update
        return ctx.triggered_id["job"]

    @app.callback(
        Output(ids.TN_STATUS, "children", allow_duplicate=True), Output(ids.TN_MODELS_REV, "data"),
        Input(ids.TN_RUN, "data"), State(ids.SELECTION, "data"),
        background=True,
        running=[(Output(ids.TN_START, "disabled"), True, False), (Output(ids.TN_STOP, "disabled"), False, True),
                 (Output(ids.TN_CANCEL, "disabled"), False, True)],
        progress=[Output(ids.TN_PROGRESS, "value"), Output(ids.TN_PROGRESS, "max"), Output(ids.TN_PROGRESS, "label")],
        prevent_initial_call=True,
    )
    def run(set_progress, order: dict | None, selection: dict | None):  # type: ignore[no-untyped-def]
        project = _project(selection)
        if not (order and project):
            return no_update, no_update
        try:
            job = get_job(store, project, order["job"])
        except KalamosError as exc:
            return _alert(str(exc), "danger", "kalamos-train-error"), no_update
        total, budget = job["spec"]["max_iterations"], job["spec"]["max_minutes"]
        set_progress((0, total, "preparing the training data…"))
        started = time.monotonic() - float(job.get("trained_seconds") or 0)

        def progress(point, _job) -> None:  # type: ignore[no-untyped-def]
            if point is not None and point.train_cer is not None:
                minutes = (time.monotonic() - started) / 60
                set_progress((point.iteration, total, f"iteration {point.iteration} / {total} · {minutes:.1f} of {budget:g} min"))

        try:
            with job_slot(store, config, "training", lambda text: set_progress((0, total, text))):
                job = run_job(store, project, order["job"], progress)
        except JobBusy as exc:
            return _alert(str(exc), "warning"), no_update
        except KalamosError as exc:
            return _alert(str(exc), "danger", "kalamos-train-error"), no_update
        set_progress((total, total, job["status"]))
        return _done_message(store, project, job), time.time()

    def ask_stop(selection: dict | None, job_id: str | None, keep: bool) -> Any:
        project = _project(selection)
        if not (job_id and project):
            return no_update
        try:
            request_stop(store, project, job_id, keep=keep)
        except KalamosError as exc:
            return str(exc)
        return _alert("Stopping: the best checkpoint becomes the model…" if keep else
                      "Cancelling: no model will be registered…", "info")

    @app.callback(Output(ids.TN_STATUS, "children", allow_duplicate=True), Input(ids.TN_STOP, "n_clicks"),
                  State(ids.TN_JOB, "data"), State(ids.SELECTION, "data"), prevent_initial_call=True)
    def stop(_n: int, job_id: str | None, selection: dict | None):
        return ask_stop(selection, job_id, keep=True)

    @app.callback(Output(ids.TN_STATUS, "children", allow_duplicate=True), Input(ids.TN_CANCEL, "n_clicks"),
                  State(ids.TN_JOB, "data"), State(ids.SELECTION, "data"), prevent_initial_call=True)
    def cancel(_n: int, job_id: str | None, selection: dict | None):
        return ask_stop(selection, job_id, keep=False)

    @app.callback(Output(ids.TN_STATUS, "children", allow_duplicate=True),
                  Input({"type": "train-stop-job", "job": ALL}, "n_clicks"), State(ids.SELECTION, "data"),
                  prevent_initial_call=True)
    def stop_listed(clicks: list[int | None], selection: dict | None):
        """Stop (keeping the best) a job another window or the CLI runs."""
        if not (any(clicks) and isinstance(ctx.triggered_id, dict)):
            return no_update
        return ask_stop(selection, ctx.triggered_id["job"], keep=True)

    @app.callback(Output(ids.TN_STATUS, "children", allow_duplicate=True), Output(ids.TN_CURVE_STAMP, "data", allow_duplicate=True),
                  Input({"type": "train-discard", "job": ALL}, "n_clicks"), State(ids.SELECTION, "data"),
                  prevent_initial_call=True)
    def discard(clicks: list[int | None], selection: dict | None):
        project = _project(selection)
        if not (project and any(clicks) and isinstance(ctx.triggered_id, dict)):
            return no_update, no_update
        try:
            discard_job(store, project, ctx.triggered_id["job"])
        except KalamosError as exc:
            return _alert(str(exc), "danger"), no_update
        return _alert("The job was moved to the trash.", "secondary"), None  # None: redraw the jobs at the next tick

    @app.callback(Output(ids.TN_TICK, "disabled"), Input(ids.TABS, "active_tab"))
    def tick_only_here(tab: str | None):
        return tab != "train"

    @app.callback(Output(ids.TN_CURVE, "figure"), Output(ids.TN_CURVE_STAMP, "data"), Output(ids.TN_JOBS, "children"),
                  Output(ids.TN_JOB, "data", allow_duplicate=True),
                  Input(ids.TN_TICK, "n_intervals"), Input(ids.TN_JOB, "data"), Input(ids.SELECTION, "data"),
                  State(ids.TN_CURVE_STAMP, "data"), prevent_initial_call="initial_duplicate")
    def watch(_tick: int, job_id: str | None, selection: dict | None, stamp: dict | None):
        """The curve and the jobs, read from disk: they survive closing the browser and restarts.
        (No input may be an output of the running job's callback: Dash would hold this one back.)"""
        project = _project(selection)
        if not project:
            return curve_figure([]), None, "", no_update
        try:
            jobs = list_jobs(store, project)
        except KalamosError:
            return curve_figure([]), None, "", no_update
        chosen = job_id if any(j["id"] == job_id for j in jobs) else (jobs[0]["id"] if jobs else None)
        running = {j["id"] for j in jobs if j["status"] not in ("done", "cancelled") and is_running(store, project, j["id"])}
        resumable = {j["id"] for j in jobs if j["status"] in RESUMABLE and j["id"] not in running}
        state = [[j["id"], j["status"], j["id"] in running, j.get("error")] for j in jobs[:8]]
        if chosen is None:
            return curve_figure([]), None, jobs_table(jobs, running, resumable, chosen), None
        folder = store.project_dir(project) / "training" / chosen
        size = sum(p.stat().st_size for p in (folder / "log.txt", folder / "eval.txt") if p.exists())
        new_stamp = {"job": chosen, "size": size, "jobs": state}
        stamp = stamp or {}
        # redraw only what changed: a table rebuilt under the pointer would swallow clicks
        table = no_update if stamp.get("jobs") == state and stamp.get("job") == chosen else jobs_table(jobs, running, resumable, chosen)
        figure = no_update if (stamp.get("job"), stamp.get("size")) == (chosen, size) else curve_figure(
            [asdict(p) for p in curve(store, project, chosen)],
            f"Character error rate while training {next(j['spec']['name'] for j in jobs if j['id'] == chosen)}")
        return figure, new_stamp, table, chosen if chosen != job_id else no_update
