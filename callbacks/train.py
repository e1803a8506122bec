"""Train tab: prepare a job (the project's kind of pages, the base compared on the held-out lines),
run (or resume) it in the background, draw its curves from disk, stop or cancel it. The models part
of the tab is ``callbacks/models.py``. Each callback is a module-level function (``wiring``); the
decisions are in ``services.training``."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from dash import ALL, Dash, Input, Output, State, html, no_update

from callbacks.common import alert, job_slot, project_of, relayed
from callbacks.permissions import current_actor
from callbacks.wiring import Access, Wiring
from config import Config
from layout import ids
from layout.train import base_table, curve_figure, done_message, jobs_table, summary_view
from ocr.tesseract import TesseractError
from services import editing
from services import models as models_uc
from services import training as training_uc
from services.training import BEST_BASE, MATERIALS, TrainForm
from storage import KalamosError, Store
from storage.training import JobBusy, recipe

__all__ = ["register", "wiring"]

wiring = Wiring()


# ------------------------------------------------------------------ the form
@wiring.callback(Output(ids.TN_DOCUMENTS, "options"), Output(ids.TN_COMPARE, "options"), Input(ids.SELECTION, "data"))
def documents(store: Store, selection: dict | None):
    project = project_of(selection)
    try:
        options = [{"label": d.name, "value": d.id} for d in store.list_documents(project)] if project else []
    except KalamosError:
        options = []
    return options, options


@wiring.callback(Output(ids.TN_BASE, "options"), Input(ids.TABS, "active_tab"), Input(ids.SELECTION, "data"),
                 Input(ids.TN_MODELS_REV, "data"))
def bases(store: Store, _tab: str, selection: dict | None, _rev: int):
    return [{"label": "best for these lines (compared first)", "value": BEST_BASE}] + [
        {"label": f"{m.name} ({m.kind}{', ' + m.origin if m.own else ''})", "value": m.name}
        for m in models_uc.everything(store, project_of(selection)) if m.trainable]


@wiring.callback(Output(ids.TN_BASE_TABLE, "children"), Output(ids.TN_BASE, "value", allow_duplicate=True),
                 Input(ids.TN_COMPARE_BASES, "n_clicks"), State(ids.SELECTION, "data"), State(ids.TN_DOCUMENTS, "value"),
                 State(ids.TN_SCRIPT, "value"), State(ids.TN_EDITED, "value"),
                 background=True, running=[(Output(ids.TN_COMPARE_BASES, "disabled"), True, False)],
                 progress=[Output(ids.TN_COMPARE_PROGRESS, "value"), Output(ids.TN_COMPARE_PROGRESS, "max")],
                 prevent_initial_call=True)
def compare(store: Store, config: Config, set_progress, _n: int, selection: dict | None, documents: list[str] | None, script: str | None,  # type: ignore[no-untyped-def]
            edited: bool):
    project = project_of(selection)
    if not project:
        return alert("Choose a project first.", "warning"), no_update
    try:
        with job_slot(store, config, "job"):
            rows = training_uc.compare(store, project, documents, script, bool(edited),
                                       progress=lambda i, n, _name: set_progress((i, max(1, n))))
    except (KalamosError, TesseractError) as exc:
        return alert(str(exc), "danger"), no_update
    best = next((r.model for r in rows if r.cer is not None), None)
    return base_table(rows), best or no_update


@wiring.callback(Output(ids.TN_MATERIAL, "value"), Input(ids.SELECTION, "data"), Input(ids.TABS, "active_tab"))
def load_material(store: Store, selection: dict | None, _tab: str):
    project = project_of(selection)
    try:
        return training_uc.material(store, project) if project else "print"
    except KalamosError:
        return "print"


@wiring.callback(Output(ids.TN_MINUTES, "value"), Input(ids.TN_MATERIAL, "value"), State(ids.SELECTION, "data"),
                 prevent_initial_call=True, writes=True)
def material_changed(store: Store, value: str, selection: dict | None):
    """The project's pages said (print or manuscript): remembered, and the time budget follows."""
    project = project_of(selection)
    try:
        if project and training_uc.material(store, project) != value:
            training_uc.set_material(store, project, value)
    except KalamosError:
        pass
    return recipe(value if value in MATERIALS else "print").max_minutes


@wiring.callback(Output("train-base-field", "style"), Output("train-network-field", "style"), Output(ids.TN_RATE, "value"),
                 Input(ids.TN_MODE, "value"), State(ids.TN_MATERIAL, "value"), prevent_initial_call=True)
def mode(value: str, material: str | None):
    scratch = value == "scratch"
    rate = 0.002 if scratch else None  # fine-tune: empty, chosen by the number of lines
    return {"display": "none"} if scratch else {}, {} if scratch else {"display": "none"}, rate


@wiring.callback(Output(ids.TN_SUMMARY, "children"), Input(ids.SELECTION, "data"), Input(ids.TN_DOCUMENTS, "value"),
                 Input(ids.TN_BASE, "value"), Input(ids.TN_MODE, "value"), Input(ids.TN_SCRIPT, "value"),
                 Input(ids.TN_EDITED, "value"), Input(ids.TABS, "active_tab"), Input(ids.TN_UNIFY_STATUS, "children"),
                 Input(ids.TN_MODELS_REV, "data"))
def summary(store: Store, selection: dict | None, documents: list[str] | None, base: str | None, how: str, script: str | None,
            edited: bool, _tab: str, _unified: Any, _models: Any):
    project = project_of(selection)
    if not project:
        return ""
    base = None if how == "scratch" or base == BEST_BASE else base
    try:
        found = training_uc.preview(store, project, documents, base, script, bool(edited))
        return summary_view(found, base, training_uc.gain(store, project, found, script))
    except KalamosError as exc:
        return str(exc)


@wiring.callback(Output(ids.TN_UNIFY_STATUS, "children"), Input({"type": ids.TN_UNIFY, "index": ALL}, "n_clicks"),
                 State(ids.SELECTION, "data"), State(ids.TN_DOCUMENTS, "value"), State(ids.EDITOR_ID, "data"),
                 prevent_initial_call=True, writes=True)
def unify_forms(store: Store, clicks: list[int | None], selection: dict | None, documents: list[str] | None, editor: str | None):
    project = project_of(selection)
    if not (project and any(clicks)):
        return no_update
    try:
        report = editing.unify(store, project, documents or None, editor, current_actor().user)
    except KalamosError as exc:
        return alert(str(exc), "danger")
    text = f"Rewrote {report.lines} line(s) the project's way" + (": " + "; ".join(report.changes) if report.changes else ".")
    if report.skipped:
        text += f" Skipped (changed meanwhile): {len(report.skipped)}."
    return alert(text, "success")


# ------------------------------------------------------------------ jobs
@wiring.callback(Output(ids.TN_RUN, "data"), Output(ids.TN_JOB, "data"), Output(ids.TN_STATUS, "children"),
                 Input(ids.TN_START, "n_clicks"),
                 State(ids.SELECTION, "data"), State(ids.TN_DOCUMENTS, "value"), State(ids.TN_MODE, "value"),
                 State(ids.TN_BASE, "value"), State(ids.TN_NETWORK, "value"), State(ids.TN_NAME, "value"),
                 State(ids.TN_ITERATIONS, "value"), State(ids.TN_MINUTES, "value"), State(ids.TN_RATE, "value"),
                 State(ids.TN_COMPARE, "value"), State(ids.TN_INTEGER, "value"), State(ids.TN_SCRIPT, "value"),
                 State(ids.TN_EDITED, "value"), State(ids.TN_MATERIAL, "value"), State(ids.TN_AUGMENT, "value"),
                 State(ids.TN_NEW_TOP, "value"), State(ids.TN_FINAL_PASS, "value"), prevent_initial_call=True, writes=True)
def start(store: Store, _n: int, selection: dict | None, documents: list[str] | None, how: str, base: str | None, network: str | None,
          name: str | None, iterations: float | None, minutes: float | None, rate: float | None,
          compare: list[str] | None, integer: bool, script: str | None, edited: bool, material: str | None,
          augment: str | None, new_top: bool, final_pass: bool):
    project = project_of(selection)
    if not project:
        return no_update, no_update, alert("Choose a project first.", "warning")
    form = TrainForm((name or ""), scratch=how == "scratch", base=base or "grc", network=network or "small",
                     iterations=iterations, minutes=minutes, rate=rate, integer=bool(integer), script=script,
                     include_edited=bool(edited), material=material or "print",
                     augment=None if augment in (None, "auto") else int(augment), new_top=bool(new_top),
                     final_pass=bool(final_pass))
    try:
        job = training_uc.start(store, project, form, documents, compare)
    except (KalamosError, TesseractError) as exc:
        return no_update, no_update, alert(str(exc), "danger", "kalamos-train-error")
    problems = job.problems
    note = alert([f"Notes on the ground truth ({len(problems)}): ", html.Ul([html.Li(p) for p in problems[:8]], className="mb-0")],
                 "warning") if problems else ""
    return {"job": job.id, "at": time.time()}, job.id, note


@wiring.callback(Output(ids.TN_RUN, "data", allow_duplicate=True), Output(ids.TN_JOB, "data", allow_duplicate=True),
                 Input(ids.TN_JOB_CLICK, "data"), prevent_initial_call=True)
def resume(click: dict | None):
    """A job row's Resume (its click reaches here through a store: assets/relay.js; the table is drawn anew
    when a job's state changes, which fired callbacks with the rows as inputs again and dropped answers)."""
    job_id = _job_of(click, ids.TN_RESUME)
    return ({"job": job_id, "at": time.time()}, job_id) if job_id else (no_update, no_update)


@wiring.callback(Output(ids.TN_JOB, "data", allow_duplicate=True), Input(ids.TN_JOB_CLICK, "data"),
                 prevent_initial_call=True)
def show(click: dict | None):
    return _job_of(click, ids.TN_SHOW) or no_update


def _job_of(click: object, kind: str) -> str | None:
    """The job of a job row's button of ``kind`` a person clicked (None for anything else)."""
    button = relayed(click, kind)
    job = button.get("job") if button else None
    return job if isinstance(job, str) else None


@wiring.callback(
    Output(ids.TN_STATUS, "children", allow_duplicate=True), Output(ids.TN_MODELS_REV, "data"),
    Input(ids.TN_RUN, "data"), State(ids.SELECTION, "data"),
    background=True,
    running=[(Output(ids.TN_START, "disabled"), True, False), (Output(ids.TN_STOP, "disabled"), False, True),
             (Output(ids.TN_CANCEL, "disabled"), False, True)],
    progress=[Output(ids.TN_PROGRESS, "value"), Output(ids.TN_PROGRESS, "max"), Output(ids.TN_PROGRESS, "label")],
    prevent_initial_call=True,
    writes=True,
)
def run(store: Store, config: Config, set_progress, order: dict | None, selection: dict | None):  # type: ignore[no-untyped-def]
    project = project_of(selection)
    if not (order and project):
        return no_update, no_update
    try:
        job = training_uc.get(store, project, order["job"])
    except KalamosError as exc:
        return alert(str(exc), "danger", "kalamos-train-error"), no_update
    total, budget = job.spec["max_iterations"], job.spec["max_minutes"]
    set_progress((0, total, "preparing the training data…"))
    started = time.monotonic() - job.trained_seconds

    def progress(point, _job) -> None:  # type: ignore[no-untyped-def]
        if point is not None and point.train_cer is not None:
            minutes = (time.monotonic() - started) / 60
            set_progress((point.iteration, total, f"iteration {point.iteration} / {total} · {minutes:.1f} of {budget:g} min"))

    try:
        with job_slot(store, config, "training", lambda text: set_progress((0, total, text))):
            job = training_uc.run(store, project, order["job"], progress)
    except JobBusy as exc:
        return alert(str(exc), "warning"), no_update
    except KalamosError as exc:
        return alert(str(exc), "danger", "kalamos-train-error"), no_update
    set_progress((total, total, job.status))
    return done_message(training_uc.outcome(store, project, job)), time.time()


def ask_stop(store: Store, selection: dict | None, job_id: str | None, keep: bool) -> Any:
    project = project_of(selection)
    if not (job_id and project):
        return no_update
    try:
        training_uc.stop(store, project, job_id, keep=keep)
    except KalamosError as exc:
        return str(exc)
    return alert("Stopping: the best checkpoint becomes the model…" if keep else
                  "Cancelling: no model will be registered…", "info")


@wiring.callback(Output(ids.TN_STATUS, "children", allow_duplicate=True), Input(ids.TN_STOP, "n_clicks"),
                 State(ids.TN_JOB, "data"), State(ids.SELECTION, "data"), prevent_initial_call=True, writes=True)
def stop(store: Store, _n: int, job_id: str | None, selection: dict | None):
    return ask_stop(store, selection, job_id, keep=True)


@wiring.callback(Output(ids.TN_STATUS, "children", allow_duplicate=True), Input(ids.TN_CANCEL, "n_clicks"),
                 State(ids.TN_JOB, "data"), State(ids.SELECTION, "data"), prevent_initial_call=True, writes=True)
def cancel(store: Store, _n: int, job_id: str | None, selection: dict | None):
    return ask_stop(store, selection, job_id, keep=False)


@wiring.callback(Output(ids.TN_STATUS, "children", allow_duplicate=True),
                 Input(ids.TN_JOB_CLICK, "data"), State(ids.SELECTION, "data"),
                 prevent_initial_call=True, writes=True)
def stop_listed(store: Store, click: dict | None, selection: dict | None):
    """Stop (keeping the best) a job another window or the CLI runs."""
    job_id = _job_of(click, ids.TN_STOP_JOB)
    return ask_stop(store, selection, job_id, keep=True) if job_id else no_update


@wiring.callback(Output(ids.TN_STATUS, "children", allow_duplicate=True), Output(ids.TN_CURVE_STAMP, "data", allow_duplicate=True),
                 Input(ids.TN_JOB_CLICK, "data"), State(ids.SELECTION, "data"),
                 prevent_initial_call=True, writes=True)
def discard(store: Store, click: dict | None, selection: dict | None):
    project = project_of(selection)
    job_id = _job_of(click, ids.TN_DISCARD)
    if not (project and job_id):
        return no_update, no_update
    try:
        training_uc.discard(store, project, job_id)
    except KalamosError as exc:
        return alert(str(exc), "danger"), no_update
    return alert("The job was moved to the trash.", "secondary"), None  # None: redraw the jobs at the next tick


@wiring.callback(Output(ids.TN_TICK, "disabled"), Input(ids.TABS, "active_tab"))
def tick_only_here(tab: str | None):
    return tab != "train"


@wiring.callback(Output(ids.TN_CURVE, "figure"), Output(ids.TN_CURVE_STAMP, "data"), Output(ids.TN_JOBS, "children"),
                 Output(ids.TN_JOB, "data", allow_duplicate=True),
                 Input(ids.TN_TICK, "n_intervals"), Input(ids.TN_JOB, "data"), Input(ids.SELECTION, "data"),
                 State(ids.TN_CURVE_STAMP, "data"), prevent_initial_call="initial_duplicate")
def watch(store: Store, _tick: int, job_id: str | None, selection: dict | None, stamp: dict | None):
    """The curve and the jobs, read from disk: they survive closing the browser and restarts.
    (No input may be an output of the running job's callback: Dash would hold this one back.)"""
    project = project_of(selection)
    if not project:
        return curve_figure([]), None, "", no_update
    try:
        view = training_uc.jobs_view(store, project)
    except KalamosError:
        return curve_figure([]), None, "", no_update
    jobs, running, resumable = view.jobs, view.running, view.resumable
    chosen = view.choose(job_id)
    state = [[j.id, j.status, j.id in running, j.error] for j in jobs[:8]]
    if chosen is None:
        return curve_figure([]), None, jobs_table(jobs, running, resumable, chosen), None
    size = training_uc.log_size(store, project, chosen)
    new_stamp = {"job": chosen, "size": size, "jobs": state}
    stamp = stamp or {}
    # redraw only what changed: a table rebuilt under the pointer would swallow clicks
    table = no_update if stamp.get("jobs") == state and stamp.get("job") == chosen else jobs_table(jobs, running, resumable, chosen)
    figure = no_update if (stamp.get("job"), stamp.get("size")) == (chosen, size) else curve_figure(
        [asdict(p) for p in training_uc.curve(store, project, chosen)],
        f"Character error rate while training {next(j.name for j in jobs if j.id == chosen)}")
    return figure, new_stamp, table, chosen if chosen != job_id else no_update


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)
