"""Transcribe tab: OCR runs in the background, review by confidence, correction, search, scores, exports.
Each callback is a module-level function (``wiring``); the decisions are in ``services.transcription``."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, html, no_update

from callbacks.common import clicked, job_slot, model_options, page_options, project_of, selected_document
from callbacks.urls import BLANK_IMAGE, base_preview_url, line_url, transcript_url
from services.exports import NOT_TEXT
from callbacks.wiring import Access, Wiring
from config import Config
from layout import ids
from callbacks.line_history import history_children, restore_clicked
from layout.transcribe import eval_table, review_figure, review_rows, run_text_view
from ocr.tesseract import TesseractError
from services import DocumentRef, transcription
from services.transcription import RunForm, fold
from storage import KalamosError, Store
from storage.formats import registry
from storage.records import OcrRun

__all__ = ["register", "wiring", "fold", "run_label", "page_data", "export_links"]


def run_label(run: OcrRun) -> str:
    """A run in the picker: when, with what, and whether it was interrupted (then resumable)."""
    label = f"{run.started[:16].replace('T', ' ')} · {run.model} · {run.mode}"
    if run.state in ("running", "interrupted"):
        label += f" · {run.state} ({len(run.pages) - run.count('waiting')} of {len(run.pages)} pages read)"
    return label


def page_data(store: Store, where: DocumentRef, page_id: str) -> dict[str, Any]:
    """The page and its lines as the browser's review keeps them (``transcribe-lines`` store)."""
    page, lines = transcription.review_lines(store, where.page(page_id))
    key = page.processed["key"] if page.processed else "orig"
    return {"page": page_id, "width": page.width, "height": page.height, "key": key, "url": base_preview_url(*where, page_id),
            "lines": [{**r.line.to_dict(), "number": r.number, "outline": r.outline} for r in lines]}


wiring = Wiring()

# the selected line, the review queue and the editor's state: computed in the browser (assets/annotate.js);
# the text field is driven by assets/editor.js, which saves to /api/lines/… and reports to transcribe-saved
wiring.clientside(ClientsideFunction("kalamos", "reviewLine"), Output(ids.TR_CURRENT, "data"),
                  Input(ids.TR_SELECTED, "data"), Input(ids.TR_LINES, "data"))
wiring.clientside(ClientsideFunction("kalamos", "editState"), Output(ids.TR_EDIT_STATE, "children"),
                  Input(ids.TR_CURRENT, "data"), State(ids.TR_CURRENT, "id"), State(ids.SELECTION, "data"),
                  State(ids.TR_EDIT_STATE, "id"), State(ids.TR_TEXT, "id"), State(ids.TR_LINES, "data"))
wiring.clientside(ClientsideFunction("kalamos", "mergeLine"), Output(ids.TR_LINES, "data", allow_duplicate=True),
                  Input(ids.TR_SAVED, "data"), State(ids.TR_LINES, "data"), prevent_initial_call=True)


@wiring.callback(Output(ids.TR_PAGE, "options"), Output(ids.TR_PAGE, "value"), Output(ids.TR_PAGES, "options"),
                 Input(ids.SELECTION, "data"), Input(ids.PAGES_REV, "data"), State(ids.TR_PAGE, "value"))
def pages(store: Store, selection: dict | None, _rev: int, current: str | None):
    options, value = page_options(store, selection, current, mark="")
    return options, value, options


@wiring.callback(Output(ids.TR_MODEL, "options"), Output(ids.TR_MODEL, "value"), Input(ids.TABS, "active_tab"),
                 Input(ids.SELECTION, "data"), State(ids.TR_MODEL, "value"))
def models(store: Store, _tab: str, selection: dict | None, current: list[str] | None):
    options = model_options(store, project_of(selection))
    known = [o["value"] for o in options if not o.get("disabled")]
    keep = [m for m in current or [] if m in known] or (["grc"] if "grc" in known else known[:1])
    return options, keep


@wiring.callback(
    Output(ids.TR_RUN_STATUS, "children"), Output(ids.TR_REV, "data", allow_duplicate=True),
    Input(ids.TR_RUN, "n_clicks"), Input(ids.TR_RESUME, "n_clicks"),
    State(ids.SELECTION, "data"), State(ids.TR_PAGES, "value"), State(ids.TR_MODEL, "value"),
    State(ids.TR_MODE, "value"), State(ids.TR_PSM, "value"), State(ids.TR_PREPROCESSED, "value"),
    State(ids.TR_RUN_PICK, "value"), State(ids.TR_REV, "data"),
    background=True,
    running=[(Output(ids.TR_RUN, "disabled"), True, False), (Output(ids.TR_RESUME, "disabled"), True, False),
             (Output(ids.TR_CANCEL, "disabled"), False, True)],
    cancel=[Input(ids.TR_CANCEL, "n_clicks")],
    progress=[Output(ids.TR_PROGRESS, "value"), Output(ids.TR_PROGRESS, "max"), Output(ids.TR_PROGRESS, "label")],
    prevent_initial_call=True,
    writes=True,
)
def run(store: Store, config: Config, set_progress, _n: int, _resume: int, selection: dict | None, page_ids: list[str] | None,  # type: ignore[no-untyped-def]
        model: list[str] | None, mode: str, psm: str, preprocessed: bool, run_id: str | None, rev: int):
    where = selected_document(selection)
    if not where:
        return dbc.Alert("Choose a document first.", color="warning"), no_update
    resume = ctx.triggered_id == ids.TR_RESUME
    if not (model or resume):
        return dbc.Alert("Choose at least one model.", color="warning"), no_update
    set_progress((0, 1, "starting…"))

    def report(done: int, total: int, left: float) -> None:
        set_progress((done, total, f"{done} / {total} pages · ~{left:.0f} s left"))

    try:
        with job_slot(store, config, "job", lambda text: set_progress((0, 1, text))):
            if resume:
                record = transcription.resume(store, where, run_id or "", None, report)
            else:
                form = RunForm(tuple(model or ()), int(psm or 3), mode or "page", bool(preprocessed))
                record = transcription.start(store, where, page_ids, form, None, report)
    except (KalamosError, TesseractError, ValueError) as exc:
        return dbc.Alert(str(exc), color="danger"), (rev or 0) + 1
    failed = transcription.failures(record)
    text = (f"{'Resumed and finished' if resume else 'Read'} {len(record.pages) - len(failed)} of "
            f"{len(record.pages)} page(s) with {record.model} ({record.mode} mode).")
    if failed:
        return dbc.Alert([text, html.Ul([html.Li(f"page {n}: {e}") for n, e in failed], className="mb-0")],
                         color="warning", className="kalamos-run-done py-2"), (rev or 0) + 1
    return dbc.Alert(text, color="success", className="kalamos-run-done py-2"), (rev or 0) + 1


@wiring.callback(Output(ids.TR_LINES, "data"), Output(ids.TR_SELECTED, "data", allow_duplicate=True),
                 Input(ids.TR_PAGE, "value"), Input(ids.TR_REV, "data"), Input(ids.TABS, "active_tab"),
                 State(ids.SELECTION, "data"), State(ids.TR_SELECTED, "data"), prevent_initial_call="initial_duplicate")
def load(store: Store, page_id: str | None, _rev: int, tab: str | None, selection: dict | None, selected: str | None):
    """The page's lines as they are on disk; read again when the tab is opened (the Annotate tab may
    have drawn, deleted or reordered lines meanwhile)."""
    if ctx.triggered_id == ids.TABS and tab != "transcribe":
        return no_update, no_update
    where = selected_document(selection)
    if not (where and page_id):
        return None, None
    try:
        data = page_data(store, where, page_id)
    except KalamosError:
        return None, None
    known = [ln["id"] for ln in data["lines"]]
    return data, selected if selected in known else no_update


@wiring.callback(Output(ids.TR_GRAPH, "figure"), Output(ids.TR_LIST, "children"),
                 Input(ids.TR_LINES, "data"), Input(ids.TR_SELECTED, "data"))
def draw(data: dict | None, selected: str | None):
    if not data:
        return review_figure(None, []), ""
    view = {"page": data["page"], "url": data["url"], "width": data["width"], "height": data["height"]}
    if not data["lines"]:
        return review_figure(view, []), html.Div("No lines on this page yet: run OCR.", className="text-muted small")
    return review_figure(view, data["lines"], selected), review_rows(data["lines"], selected)


@wiring.callback(Output(ids.TR_SELECTED, "data", allow_duplicate=True), Input(ids.TR_GRAPH, "clickData"),
                 prevent_initial_call=True)
def select_on_page(click: dict | None):
    point = ((click or {}).get("points") or [{}])[0]
    return point.get("customdata") or no_update


# a row clicked selects its line, in the browser: a server callback with the rows as inputs, fired again by
# a list drawn anew, would drop the answer to a click still on its way (assets/annotate.js rowLine)
wiring.clientside(ClientsideFunction("kalamos", "rowLine"), Output(ids.TR_SELECTED, "data", allow_duplicate=True),
                  Input({"type": ids.TR_ROW, "line": ALL}, "n_clicks"), prevent_initial_call=True)


@wiring.callback(Output(ids.TR_TITLE, "children"), Output(ids.TR_LINE_IMG, "src"),
                 Input(ids.TR_CURRENT, "data"), State(ids.SELECTION, "data"))
def show(current: dict | None, selection: dict | None):
    where = selected_document(selection)
    line = (current or {}).get("line")
    if not (line and where and current):
        return "Click a line on the page or in the list", BLANK_IMAGE
    conf = "" if line.get("conf") is None else f", confidence {line['conf']:.0f}"
    by = f" · by {line['by']}" if isinstance(line.get("by"), str) else ""
    return (f"Line {current['number']} of {current['total']} · {line['status']}{conf}{by}",
            line_url(*where, current["page"], line["id"], line["rev"], current["key"]))


@wiring.callback(Output(ids.TR_TEXT, "className"), Input(ids.TR_BETA, "value"))
def beta_mode(on: bool):
    return "kalamos-greek-input kalamos-betacode" if on else "kalamos-greek-input"


@wiring.callback(Output(ids.TR_SEARCH_RESULTS, "children"), Input(ids.TR_SEARCH, "value"), State(ids.SELECTION, "data"))
def search(store: Store, query: str | None, selection: dict | None):
    where = selected_document(selection)
    if not (where and fold(query or "").strip()):
        return ""
    try:
        found = transcription.search(store, where, query or "")
    except KalamosError as exc:
        return str(exc)
    hits = [html.Button(f"p. {h.page_number}, line {h.line_number}: {h.line.text}", id=ids.tr_hit(h.page_id, h.line.id),
                        n_clicks=0, type="button", className="list-group-item list-group-item-action py-1 small kalamos-hit")
            for h in found]
    if not hits:
        return html.Div(f"No line contains “{query}”.", className="text-muted")
    more = len(hits) - 50
    return [html.Div(f"{len(hits)} line(s):"), html.Div(hits[:50], className="list-group"),
            *([html.Div(f"… and {more} more")] if more > 0 else [])]


@wiring.callback(Output(ids.TR_PAGE, "value", allow_duplicate=True), Output(ids.TR_SELECTED, "data", allow_duplicate=True),
                 Input({"type": ids.TR_HIT, "page": ALL, "line": ALL}, "n_clicks"), prevent_initial_call=True)
def go_to_hit(_clicks: list[int]):
    if not clicked():
        return no_update, no_update
    return ctx.triggered_id["page"], ctx.triggered_id["line"]


@wiring.callback(Output(ids.TR_RUN_PICK, "options"), Output(ids.TR_RUN_PICK, "value"),
                 Input(ids.SELECTION, "data"), Input(ids.TR_REV, "data"))
def runs(store: Store, selection: dict | None, _rev: int):
    where = selected_document(selection)
    if not where:
        return [], None
    options = [{"label": run_label(r), "value": r.id} for r in transcription.runs(store, where)]
    return options, options[0]["value"] if options else None


@wiring.callback(Output(ids.TR_COMPARE, "options"), Input(ids.TR_RUN_PICK, "options"), Input(ids.TR_RUN_PICK, "value"))
def compare_options(options: list[dict] | None, chosen: str | None):
    return [{"label": "— no other run —", "value": ""}] + [o for o in options or [] if o["value"] != chosen]


@wiring.callback(Output(ids.TR_RUN_TEXT, "children"), Input(ids.TR_RUN_PICK, "value"), Input(ids.TR_COMPARE, "value"),
                 Input(ids.TR_PAGE, "value"), State(ids.TR_RUN_PICK, "options"), State(ids.SELECTION, "data"))
def run_text(store: Store, run_id: str | None, other: str | None, page_id: str | None, options: list[dict] | None,
             selection: dict | None):
    where = selected_document(selection)
    if not (where and run_id and page_id):
        return ""
    labels = {o["value"]: o["label"] for o in options or []}
    try:
        first = transcription.page_text(store, where.page(page_id), run_id)
        second = transcription.page_text(store, where.page(page_id), other) if other else None
    except KalamosError as exc:
        return str(exc)
    if first is None:
        return html.Div("This run did not read this page.", className="text-muted")
    if other and second is None:
        return html.Div("The other run did not read this page.", className="text-muted")
    return run_text_view(first, second, (labels.get(run_id, run_id), labels.get(other or "", "")))


@wiring.callback(Output(ids.TR_RESUME, "style"), Input(ids.TR_RUN_PICK, "value"), Input(ids.TR_RUN_PICK, "options"))
def resume_button(run_id: str | None, options: list[dict] | None):
    chosen = next((o for o in options or [] if o["value"] == run_id), None)
    return {} if chosen and "interrupted" in chosen["label"] else {"display": "none"}


@wiring.callback(Output(ids.TR_EVAL, "children"), Input(ids.TR_RUN_PICK, "value"), Input(ids.TR_LINES, "data"),
                 State(ids.SELECTION, "data"))
def evaluation(store: Store, run_id: str | None, _data: dict | None, selection: dict | None):
    where = selected_document(selection)
    if not (where and run_id):
        return html.Div("No OCR run yet.", className="text-muted")
    try:
        rows, total = transcription.evaluate(store, where, run_id)
    except KalamosError as exc:
        return str(exc)
    scored = [r for r in rows if r.score is not None]
    table = [{"page": str(r.number), "lines": r.lines, **r.score.as_row(), "note": r.note} for r in scored]
    if scored:
        table.append({"page": "all", "lines": sum(r.lines for r in scored), **total.as_row(), "note": ""})
    stale = [r for r in rows if r.score is None]
    notes = [html.Div(f"Page {r.number}: {r.note}.", className="text-muted kalamos-stale") for r in stale]
    return [eval_table(table), *notes] if table else (notes or eval_table([]))


@wiring.callback(Output(ids.TR_EXPORTS, "children"), Input(ids.SELECTION, "data"), Input(ids.TR_PAGE, "value"))
def exports(selection: dict | None, page_id: str | None):
    where = selected_document(selection)
    return export_links(where, page_id) if where else ""


@wiring.callback(Output(ids.TR_HISTORY, "children"), Input(ids.TR_CURRENT, "data"), State(ids.SELECTION, "data"))
def show_history(store: Store, current: dict | None, selection: dict | None):
    """Who made the selected line's current version, and the earlier ones (each can be restored)."""
    return history_children(store, current, selection, ids.TR_HISTORY_RESTORE)


@wiring.callback(Output(ids.TR_REV, "data", allow_duplicate=True), Output(ids.TR_MESSAGE, "children"),
                 Output(ids.TR_MESSAGE, "color"), Output(ids.TR_MESSAGE, "is_open"),
                 Input(ids.TR_HISTORY_CLICK, "data"), State(ids.TR_CURRENT, "data"),
                 State(ids.SELECTION, "data"), State(ids.EDITOR_ID, "data"), State(ids.TR_REV, "data"),
                 prevent_initial_call=True, writes=True)
def restore_version(store: Store, click: dict | None, current: dict | None, selection: dict | None, editor: str | None,
                    rev: int):
    """An earlier version of the selected line made the current one (itself a new version)."""
    outcome = restore_clicked(store, click, ids.TR_HISTORY_RESTORE, current, selection, editor)
    if outcome is None:
        return no_update, no_update, no_update, no_update
    return (rev or 0) + 1, outcome.message, "success" if outcome.status == "saved" else "danger", True


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)


def export_links(where: DocumentRef, page_id: str | None) -> list[Any]:
    """Links to every transcript format of the registry, for the page shown and for the document."""
    def links(page: str | None, prefix: str) -> list[Any]:
        return [html.A(f.label, href=transcript_url(*where, f.key, page), className="me-2", id=f"{prefix}-{f.key}")
                for f in registry.transcript_formats()]

    text_only = html.A("the text only (txt: no page or line numbers, no running titles)", id="transcribe-export-text-only",
                       href=transcript_url(*where, "txt", None, NOT_TEXT), className="me-2",
                       title="Leaves out the regions typed NumberingZone, RunningTitleZone and QuireMarksZone")
    return [html.Div(["Export this page: ", *links(page_id, "transcribe-export-page")]) if page_id else "",
            html.Div(["Export the document: ", *links(None, "transcribe-export-doc"),
                      html.A("all formats (zip)", href=transcript_url(*where, "zip"), id="transcribe-export-zip"), " · ",
                      text_only])]
