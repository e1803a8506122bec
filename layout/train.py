"""Train tab: fine-tune (or train from scratch) on the project's verified lines, watch the error
curves, stop or resume jobs, judge the result line by line, and manage the models."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from layout import ids
from storage.records import BaseScore, Job, OcrModel, Rates, TrainingPreview
from services.training import Outcome
from storage.training import BEST_BASE
from layout.plotting import plot_text
from ocr.metrics import RATE_COLUMNS

__all__ = ["base_table", "build", "curve_figure", "models_table", "jobs_table", "evaluation_view", "summary_view"]

NETWORK_HELP = {"small": "small (like ell, fastest)", "medium": "medium (tesstrain's default)", "large": "large (like eng best)"}


def _field(label: str, component: Any, help_text: str = "", **kw: Any) -> html.Div:
    return html.Div([dbc.Label(label, className="small mb-0"), component,
                     html.Div(help_text, className="small text-muted") if help_text else None], className="mb-2", **kw)


def _form() -> list[Any]:
    return [
        _field("Documents whose confirmed lines are the ground truth",
               dcc.Dropdown(id=ids.TN_DOCUMENTS, persistence=True, persistence_type="local", multi=True, placeholder="all documents of the project")),
        _field("Lines", dbc.Select(id=ids.TN_SCRIPT, persistence=True, persistence_type="local", value="all", size="sm", options=[
            {"label": "all verified lines", "value": "all"},
            {"label": "only the lines mostly in Greek script", "value": "greek"},
            {"label": "only the lines mostly in Latin script", "value": "latin"}]),
               "Greek and Latin in one book? Fine-tune grc on the Greek lines and lat on the Latin ones, then read "
               "with both models (measured on a commentary: CER 9.8 % → 4.5–4.8 %)."),
        dbc.Checkbox(id=ids.TN_EDITED, persistence=True, persistence_type="local", value=False, className="small",
                     label="also edited lines (typed or corrected, but not confirmed with Enter or ✓)"),
        _field("The pages are", dbc.Select(id=ids.TN_MATERIAL, value="print", size="sm", options=[
            {"label": "printed", "value": "print"}, {"label": "handwritten (a manuscript hand)", "value": "manuscript"}]),
               "Sets the defaults below for the project: a hand gets a higher learning rate, more augmented copies "
               "of each line and a longer time budget (measured: BENCHMARKS.md)."),
        html.Div(id=ids.TN_SUMMARY, className="small mb-2"),
        html.Div(id=ids.TN_UNIFY_STATUS, className="small"),
        dbc.RadioItems(id=ids.TN_MODE, inline=True, value="finetune", className="small mb-1",
                       options=[{"label": "Fine-tune a model", "value": "finetune"},
                                {"label": "Train from scratch", "value": "scratch"}]),
        _field("Base model", html.Div([
            dbc.Select(id=ids.TN_BASE, persistence=True, persistence_type="local", options=[], value=BEST_BASE, size="sm"),
            html.Div([dbc.Button("Compare them on these lines", id=ids.TN_COMPARE_BASES, size="sm", color="link",
                                 className="p-0 small"),
                      html.Span(" (the held-out lines read by each model, now)", className="small text-muted")]),
            dbc.Progress(id=ids.TN_COMPARE_PROGRESS, value=0, max=1, style={"height": "4px"}),
            html.Div(id=ids.TN_BASE_TABLE, className="small"),
        ]), "“Best for these lines” reads the held-out lines with every model first and starts from the best. "
            "Integer (fast) models are turned into float ones first; characters the base lacks are added.",
               id="train-base-field"),
        _field("Network size", dbc.Select(id=ids.TN_NETWORK, value="small", size="sm",
                                          options=[{"label": v, "value": k} for k, v in NETWORK_HELP.items()]),
               "From scratch needs thousands of lines and hours; fine-tuning is the usual path.",
               id="train-network-field", style={"display": "none"}),
        _field("Name of the new model", dbc.Input(id=ids.TN_NAME, persistence=True, persistence_type="local", value="", placeholder="e.g. vat_gr_1209", size="sm"),
               "Letters, digits and _: Tesseract uses it as a language code."),
        dbc.Row([
            dbc.Col(_field("Iterations (at most)", dbc.Input(id=ids.TN_ITERATIONS, persistence=True, persistence_type="local", type="number", value=100000, min=1, step="any",
                                                             size="sm"))),
            dbc.Col(_field("Time budget (min)", dbc.Input(id=ids.TN_MINUTES, type="number", value=10, min=0.1, step="any", size="sm"))),
            dbc.Col(_field("Learning rate", dbc.Input(id=ids.TN_RATE, type="number", value=None, min=0.000001, step="any",
                                                      size="sm", placeholder="auto: 0.001 / 0.0005"),
                           "Empty: 0.001 below 150 training lines, 0.0005 above (measured).")),
        ], className="g-2"),
        html.Div("Training stops by itself when the error on the held-out lines has stopped improving (the model "
                 "would learn the training lines by heart); the model is the checkpoint that read them best.",
                 className="small text-muted mb-2"),
        dbc.Row([
            dbc.Col(_field("Augmented copies of each line", dbc.Select(id=ids.TN_AUGMENT, persistence=True, persistence_type="local", value="auto", size="sm", options=[
                {"label": "by the number of lines", "value": "auto"}, *({"label": str(n), "value": str(n)} for n in (0, 1, 2, 3, 5, 8))]),
                "Slanted, scaled, thinner or thicker, blurred copies: fewer lines learnt by heart. Held-out lines are "
                "never augmented.")),
            dbc.Col(dbc.Checkbox(id=ids.TN_NEW_TOP, persistence=True, persistence_type="local", value=False, className="small mt-4",
                                 label="New top layers (a script unlike the base's; needs more lines and time)")),
        ], className="g-2"),
        dbc.Checkbox(id=ids.TN_FINAL_PASS, persistence=True, persistence_type="local", value=False, className="small mb-2",
                     label="Then train once more on all lines, the held-out ones too, up to the best iteration found "
                           "(every line is used; the model's own table is then optimistic)"),
        _field("Also compare on (to see what is forgotten)",
               dcc.Dropdown(id=ids.TN_COMPARE, persistence=True, persistence_type="local", multi=True, placeholder="other documents with verified lines (optional)")),
        dbc.Checkbox(id=ids.TN_INTEGER, persistence=True, persistence_type="local", value=False, label="Also make an integer (fast) copy: smaller and faster, "
                     "usually a little less accurate", className="small mb-2"),
        html.Div([dbc.Button("Start training", id=ids.TN_START, color="primary", size="sm", className="me-2"),
                  dbc.Button("Stop now, keep best", id=ids.TN_STOP, color="warning", outline=True, size="sm", className="me-2",
                             disabled=True),
                  dbc.Button("Cancel", id=ids.TN_CANCEL, color="danger", outline=True, size="sm", disabled=True)]),
        dbc.Progress(id=ids.TN_PROGRESS, value=0, max=1, label="", className="my-2", style={"height": "1.2rem"}),
        html.Div(id=ids.TN_STATUS, className="small"),
        dbc.Alert("Fine-tuning on one hand or typeface can make a model read others worse: pick a second set above "
                  "to measure it, and compare base and new on the material you mean to read.",
                  color="secondary", className="small py-2 mt-2"),
    ]


def _manager() -> html.Div:
    return html.Div([
        html.H6("Models", className="mt-3"),
        html.Div(id=ids.TN_MODELS),
        dbc.Row([
            dbc.Col(_field("Model", dbc.Select(id=ids.TN_EVAL_MODEL, options=[], size="sm")), md=4),
            dbc.Col(_field("New name", dbc.InputGroup([
                dbc.Input(id=ids.TN_RENAME_NAME, size="sm", placeholder="new name"),
                dbc.Button("Rename", id=ids.TN_RENAME, size="sm", color="secondary", outline=True),
                dcc.ConfirmDialogProvider(dbc.Button("Delete", id=ids.TN_DELETE, size="sm", color="danger", outline=True),
                                          id=f"{ids.TN_DELETE}-confirm",
                                          message="Move this model to the trash? Pages read with it keep their text."),
            ], size="sm")), md=5),
        ], className="g-2 align-items-end"),
        dbc.Row([
            dbc.Col(_field("Import a .traineddata", html.Div([
                dbc.InputGroup([
                    dbc.Input(id=ids.TN_IMPORT_NAME, size="sm", placeholder="name (default: the file's)"),
                    html.Div("Choose or drop a file…", id=ids.TN_IMPORT,
                             className="kalamos-dropzone kalamos-dropzone-inline btn btn-sm btn-outline-secondary",
                             **{"data-spec": ids.TN_IMPORT_SPEC, "data-progress": ids.TN_IMPORT_PROGRESS,
                                "data-result": ids.TN_IMPORT_RESULT, "data-accept": ".traineddata",
                                "data-multiple": "false", "data-label": "Choose a .traineddata file to import"}),
                ], size="sm"),
                html.Div(id=ids.TN_IMPORT_SPEC, hidden=True),
                html.Span(id=ids.TN_IMPORT_PROGRESS, className="small text-muted", role="status"),
                dcc.Store(id=ids.TN_IMPORT_RESULT),
            ])), md=5),
            dbc.Col(_field("Download", dbc.InputGroup([
                dbc.Select(id=ids.TN_SOURCE, options=[], size="sm"),
                dbc.Input(id=ids.TN_DOWNLOAD_NAME, size="sm", placeholder="name"),
                dbc.Button("Download", id=ids.TN_DOWNLOAD, size="sm", color="secondary", outline=True),
            ], size="sm")), md=7),
        ], className="g-2"),
        dbc.Progress(id=ids.TN_DOWNLOAD_PROGRESS, value=0, max=1, className="mb-2", style={"height": "0.6rem"}),
        html.Div(id=ids.TN_MANAGE_STATUS, className="small"),
        html.H6("Evaluation of the chosen model", className="mt-3"),
        html.Div(id=ids.TN_EVAL, className="small"),
    ])


def build() -> html.Div:
    return html.Div(
        [
            dcc.Store(id=ids.TN_JOB), dcc.Store(id=ids.TN_RUN), dcc.Store(id=ids.TN_MODELS_REV, data=0),
            dcc.Store(id=ids.TN_CURVE_STAMP), dcc.Interval(id=ids.TN_TICK, interval=3000, disabled=True),
            dbc.Row([
                dbc.Col(_form(), md=4),
                dbc.Col([dcc.Graph(id=ids.TN_CURVE, figure=curve_figure([]), style={"height": "40vh"},
                                   config={"displaylogo": False}),
                         html.Div(id=ids.TN_JOBS, **{"data-relay-click": ids.TN_JOB_CLICK}), dcc.Store(id=ids.TN_JOB_CLICK),
                         _manager()], md=8),
            ]),
        ],
        id=ids.TRAIN_TAB,
        className="p-2",
    )


def curve_figure(points: list[dict[str, Any]], title: str = "Character error rate while training") -> go.Figure:
    """Training CER (lstmtraining's own, on the lines it learns from, as it learns) and held-out CER
    (each best checkpoint made into a model and read by Tesseract on the held-out lines, measured
    as the final evaluation table is) against iterations. When the first falls while the second
    rises, the model learns the training lines by heart."""
    fig = go.Figure()
    train = sorted((p for p in points if p.get("train_cer") is not None), key=lambda p: p["iteration"])
    evals = sorted((p for p in points if p.get("eval_cer") is not None), key=lambda p: p["iteration"])
    fig.add_trace(go.Scatter(x=[p["iteration"] for p in train], y=[p["train_cer"] for p in train],
                             name="training lines (lstmtraining, while learning)", mode="lines+markers"))
    fig.add_trace(go.Scatter(x=[p["iteration"] for p in evals], y=[p["eval_cer"] for p in evals],
                             name="held-out lines (read by Tesseract, as in the final table)", mode="lines+markers"))
    fig.update_layout(margin=dict(l=40, r=10, t=30, b=40), title=plot_text(title), xaxis_title="iteration", yaxis_title="CER %",
                      yaxis_rangemode="tozero", legend=dict(x=0.35, y=0.98, bgcolor="rgba(255,255,255,0.7)"))
    return fig


def _names(forms: dict[str, int]) -> str:
    return ", ".join(f"{ch} U+{ord(ch):04X} ({n})" for ch, n in sorted(forms.items(), key=lambda kv: -kv[1]))


def gain_view(found: tuple[Any, list[tuple[int, int]]]) -> Any:
    """What more annotated pages would buy, from the learning curve over the project's trainings."""
    estimate, targets = found
    if estimate is None:
        return html.Div("What more pages would buy: train once more on a different amount of lines (fewer "
                        "documents now, or all of them after annotating more pages); from two trainings Kalamos "
                        "estimates it.", className="kalamos-gain")
    lo, hi = estimate.points[0][0], estimate.points[-1][0]
    source = (f"from {len(estimate.points)} training sizes ({lo}–{hi} lines; rough: their held-out lines differ, "
              "and a curve fitted to few points overstates)")
    if estimate.exponent > -0.02:
        return html.Div(f"More lines have not helped so far ({source}): compare the bases on these lines and check "
                        "that the transcription follows one convention before annotating more.", className="kalamos-gain")
    parts = [f"+{k} page{'s' if k > 1 else ''} (≈ {n} lines): ≈ {cer:.0f} %" for (k, n), (_, cer) in zip(targets, estimate.predictions)]
    return html.Div(f"What more pages would buy, held-out CER {source}: " + " · ".join(parts) + ".", className="kalamos-gain")


def summary_view(summary: TrainingPreview, base: str | None, gain: tuple[Any, list[tuple[int, int]]] | None = None) -> Any:
    which = "verified or edited" if "edited" in summary.statuses else "verified"
    edited = summary.edited
    waiting = (f" {edited} line(s) are edited but not confirmed: they are left out unless you tick “also edited lines”."
               if edited and which == "verified" else "")
    if not summary.lines:
        return dbc.Alert(f"No {which} line in these documents yet: verify lines in the Annotate or Transcribe tab.{waiting}",
                         color="warning", className="py-1 mb-0")
    missing = summary.missing
    text: list[Any] = [f"{summary.lines} {which} lines, {summary.characters:,} characters, {summary.pages} page(s).{waiting} "]
    if base:
        text.append(f"Characters {base} does not know (they will be added): " + " ".join(missing) if missing
                    else f"{base} knows every character of them.")
    variants = summary.variants
    if variants:
        text.append(dbc.Alert([
            html.Div("The same character is written in several forms: the model would learn them as different "
                     "characters. " + "; ".join(f"{role}: {_names(forms)}" for role, forms in variants.items()) + "."),
            dbc.Button("Write them the project's way", id={"type": ids.TN_UNIFY, "index": 0}, size="sm", color="warning",
                       className="mt-1 kalamos-unify"),
            html.Span(" (Annotate › conventions says which way)", className="small"),
        ], color="warning", className="py-1 my-1 kalamos-variants"))
    spacing = summary.spacing
    if spacing:
        text.append(dbc.Alert("Accents or breathings stand alone, as characters of their own: "
                              + ", ".join(f"{ch} (U+{ord(ch):04X}) × {n}" for ch, n in sorted(spacing.items(), key=lambda kv: -kv[1]))
                              + ". Usually one that lost its letter (or typed before it): the model would learn them as "
                              "letters. Check those lines in the Annotate tab.", color="warning",
                              className="py-1 my-1 kalamos-spacing"))
    if gain is not None:
        text.append(gain_view(gain))
    return html.Div(text, className="text-muted")


def _alert(text: Any, color: str, cls: str) -> dbc.Alert:
    return dbc.Alert(text, color=color, className=f"py-2 mb-1 {cls}")


def done_message(outcome: Outcome) -> dbc.Alert:
    """What a person reads when a training ends: cancelled, failed (why), or the model and its figures."""
    job, model = outcome.job, outcome.model
    if job.status == "cancelled":
        return _alert("Training cancelled: no model was registered.", "secondary", "kalamos-train-cancelled")
    if job.status != "done":
        return _alert(f"Training failed: {job.error}", "danger", "kalamos-train-error")
    if model is None:
        return _alert("Training done, but its model is gone (deleted meanwhile).", "warning", "kalamos-train-done")
    ev = model.evaluation
    added = " ".join(job.summary.missing_characters) or "none"
    base = f"CER {ev.base.cer}% with {model.base} → " if ev and ev.base else ""
    new = f"{ev.new.cer}%" if ev and ev.new else "?"
    body: list[Any] = [html.Strong(f"Model {model.name} is ready"),
                       f" (trained on {job.summary.train_lines} lines, evaluated on {ev.lines if ev else 0}; characters "
                       f"added: {added}). {base}{new} with {model.name}."]
    if ev and ev.second and ev.second.new:
        body.append(f" Second set: {ev.second.base.cer if ev.second.base else '–'}% → {ev.second.new.cer}%.")
    if job.stop_reason:
        body.append(f" Stopped early: {job.stop_reason}.")
    elif job.stopped_early:
        body.append(" Stopped before the end.")
    if job.selected:
        body.append(f" The model is the checkpoint of iteration {job.selected.iteration}, the one with the lowest "
                    f"error on the held-out lines ({job.selected.heldout_cer} %).")
    if outcome.no_better:
        body.append(html.Div(f"It reads the held-out lines no better than {model.base}: keep using {model.base} "
                             "(or delete this model), and look at the worst lines below and at the ground truth; more "
                             "lines, a longer budget or another base may help.", className="fw-bold kalamos-train-worse"))
        return _alert(body, "warning", "kalamos-train-done")
    return _alert(body, "success", "kalamos-train-done")


def _cer(rates: Rates | None) -> Any:
    return rates.cer if rates else ""


def models_table(models: list[OcrModel]) -> Any:
    """Every model the project can use: its own (trained, imported, downloaded) then the installed ones."""
    head = ["name", "origin", "kind", "charset size", "base", "trained on", "CER base %", "CER new %", "created"]
    rows = []
    for m in models:
        ev = m.evaluation
        trained = m.training.get("train_lines")
        rows.append([m.name, m.origin if m.origin != "trained" else "trained here", m.kind, m.unicharset_size,
                     m.base or "", f"{trained} lines" if trained else "", _cer(ev.base if ev else None),
                     _cer(ev.new if ev else None), m.created[:16].replace("T", " ")])
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                      html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])],
                     size="sm", striped=True, className="small kalamos-models mb-1")


def jobs_table(jobs: list[Job], running: set[str], resumable: set[str], shown: str | None) -> Any:
    if not jobs:
        return html.Div("No training job yet.", className="text-muted small")
    rows = []
    for j in jobs[:8]:
        status = "running" if j.id in running else j.status
        actions = [dbc.Button("curve", id=ids.tn_show(j.id), size="sm", color="link", className="p-0 me-2")]
        if j.id in running:
            actions.append(dbc.Button("Stop, keep best", id=ids.tn_stop_job(j.id), size="sm", color="warning",
                                      outline=True, className="py-0"))
        if j.id in resumable:
            actions.append(dbc.Button("Resume", id=ids.tn_resume(j.id), size="sm", color="primary", outline=True,
                                      className="py-0 me-1 kalamos-resume"))
        if j.id not in running:
            actions.append(dbc.Button("Discard", id=ids.tn_discard(j.id), size="sm", color="secondary", outline=True,
                                      className="py-0 kalamos-discard", title="Move the job's folder to the trash "
                                      "(a model it made stays)"))
        note = j.error or ""
        rows.append(html.Tr([html.Td(j.name), html.Td(status), html.Td(f"{j.summary.lines} lines"),
                             html.Td(j.created[:16].replace("T", " ")), html.Td(note[:120], className="text-muted"),
                             html.Td(actions)], className="table-active" if j.id == shown else ""))
    head = html.Thead(html.Tr([html.Th(h) for h in ("job", "status", "data", "started", "note", "")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", className="small kalamos-jobs mb-1")


def _diff(parts: list[list[str]]) -> html.Span:
    out = []
    for tag, ref, hyp in parts:
        if tag == "equal":
            out.append(ref)
        else:
            if ref:
                out.append(html.Del(ref, className="kalamos-diff-del", title="in the ground truth, not read"))
            if hyp:
                out.append(html.Ins(hyp, className="kalamos-diff-ins", title="read, not in the ground truth"))
    return html.Span(out, className="kalamos-greek")


def _worst_line(r: dict[str, Any], image: str | None, source: dict[str, Any] | None) -> Any:
    """A held-out line: its image as the model saw it, and where it comes from (a link to Annotate)."""
    parts: list[Any] = []
    if image:
        parts.append(html.Img(src=image, className="kalamos-worst-img d-block", alt="the line image"))
    if source:
        parts.append(html.Button(f"page {source['page_number']}, line {source['number']} ›", type="button",
                                 className="btn btn-link btn-sm p-0 kalamos-open-line",
                                 id={"type": ids.TN_OPEN_LINE, "document": source["document"], "page": source["page"],
                                     "line": source["line"]}, title="Open this line in the Annotate tab"))
    else:
        parts.append(html.Span(r["line"], className="text-muted"))
    return parts


def evaluation_view(model: OcrModel, rows: list[dict[str, Any]], worst: int = 12,
                    images: dict[str, str] | None = None, sources: dict[str, Any] | None = None) -> Any:
    """Base against new (held-out lines, second set), then the worst lines with their images, where they
    come from, and a character diff. ``images``: line name → URL; ``sources``: line name → its page."""
    ev = model.evaluation
    if not ev or not ev.new:
        return html.Div(f"{model.name} was {model.origin}: it has no evaluation here. "
                        "Read a page with it in the Transcribe tab, or evaluate it: kalamos eval --model "
                        f"{model.name} --gt FOLDER.", className="text-muted")
    sets = [("held-out lines", ev)] + ([(f"second set: {ev.second.label}", ev.second)] if ev.second and ev.second.new else [])
    head = html.Thead(html.Tr([html.Th("")] + [html.Th(f"{label} ({part.lines} lines)", colSpan=2) for label, part in sets]))
    sub = html.Tr([html.Th("")] + [c for _ in sets for c in (html.Th(f"base {model.base or ''}"), html.Th(model.name))])
    body = [html.Tr([html.Td(k)] + [c for _, part in sets for c in
                                    (html.Td(part.base.as_row()[k] if part.base else "–"),
                                     html.Td(part.new.as_row()[k] if part.new else "–"))])
            for k in RATE_COLUMNS]
    table = dbc.Table([head, html.Tbody([sub, *body])], size="sm", bordered=True, className="kalamos-eval-table")
    final = model.final_pass
    if final and final.done:
        table = html.Div([dbc.Alert(
            f"This model had a final pass on all {final.lines} lines, the held-out ones too ({final.iterations} "
            f"iterations): the table is optimistic. Before it, the chosen checkpoint read the held-out lines at "
            f"{model.heldout_cer if model.heldout_cer is not None else '?'} % CER.", color="warning",
            className="py-1 small kalamos-final-pass"), table])
    bad = sorted((r for r in rows if r.get("set") != "second" and r["new_errors"]), key=lambda r: -r["new_errors"])[:worst]
    if not bad:
        return html.Div([table, html.Div("No error left on the held-out lines.", className="text-muted")])
    lines = [html.Tr([html.Td(_worst_line(r, (images or {}).get(r["line"]), (sources or {}).get(r["line"]))),
                      html.Td(f"{r['new_errors']}/{r['chars']}"),
                      html.Td("" if r.get("base_errors") is None else r["base_errors"]), html.Td(_diff(r["diff"]))])
             for r in bad]
    worst_table = dbc.Table([html.Thead(html.Tr([html.Th("line"), html.Th("errors new"), html.Th("errors base"),
                                                 html.Th(["ground truth → read: ", html.Del("missed"), " ", html.Ins("added")])])),
                             html.Tbody(lines)], size="sm", className="kalamos-worst")
    return html.Div([table, html.Div("The worst held-out lines:", className="fw-bold"), worst_table])


def base_table(rows: list[BaseScore]) -> Any:
    """How each model reads the held-out lines, best first."""
    if not rows:
        return ""

    def lacks(r: BaseScore) -> Any:
        if not r.lacks:
            return "–" if r.cer is None else "0"
        return html.Span(f"{r.lacks:g} %", title="characters of the ground truth it cannot write: " + " ".join(r.lacking))

    body = [html.Tr([html.Td(r.model), html.Td("–" if r.cer is None else r.cer),
                     html.Td("–" if r.cer_no_diacritics is None else r.cer_no_diacritics), html.Td(lacks(r)),
                     html.Td(r.error or r.excluded or r.why or f"{r.seconds} s", className="text-muted")],
                    className="table-success" if i == 0 and r.cer is not None else "")
            for i, r in enumerate(rows)]
    head = html.Thead(html.Tr([html.Th(f"model ({rows[0].lines} held-out lines)"), html.Th("CER %"),
                               html.Th("CER no diacritics %"), html.Th("characters it lacks"), html.Th("note / time")]))
    note = html.Div("Best first: CER plus the share of the text's characters a model cannot write at all (those it "
                    "would have to learn from nothing); for polytonic Greek a model made for it unless another reads "
                    "the lines much better. The best is now the Base model above.", className="text-muted")
    return html.Div([dbc.Table([head, html.Tbody(body)], size="sm", className="kalamos-bases mb-1"), note])
