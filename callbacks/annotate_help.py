"""Annotate tab, machine help and exchange: find lines, pre-fill them with OCR (in the background), the
project's writing conventions, ground truth imported (PAGE, ALTO, TSV) and exported. Each callback is a
module-level function; the work is ``services.annotation``, ``services.editing`` and ``services.exports``."""

from __future__ import annotations

from dash import Dash, Input, Output, State, html, no_update

from callbacks.annotate import MESSAGE, NO_MESSAGE, say
from callbacks.common import job_slot, project_of, selected_document, upload_spec
from callbacks.urls import export_url
from callbacks.wiring import Access, Wiring
from config import Config
from layout import ids
from ocr.greek import LUNATE_CHOICES, Normalisation
from ocr.tesseract import TesseractError
from services import PageRef, annotation, editing
from storage import KalamosError, Store
from storage.formats import registry

__all__ = ["register", "wiring"]

wiring = Wiring()


@wiring.callback(Output(ids.AN_EXPORT_LINKS, "children"), Input(ids.SELECTION, "data"))
def export_links(selection: dict | None):
    where = selected_document(selection)
    if not where:
        return ""
    links = [html.A(f.label, href=export_url(*where, f.key), className="me-2", id=f"annotate-export-{f.key}")
             for f in registry.ground_truth_formats()]
    return [*links, html.Span("(zip; whole project: ", className="text-muted"),
            html.A("tesstrain", href=export_url(where[0], None, "tesstrain")), html.Span(")", className="text-muted")]


@wiring.callback(Output(ids.AN_REV, "data", allow_duplicate=True), *MESSAGE,
                 Input(ids.AN_FIND, "n_clicks"), State(ids.AN_FIND_METHOD, "value"), State(ids.AN_PREFILL_LANG, "value"),
                 State(ids.AN_PAGE, "value"), State(ids.SELECTION, "data"), State(ids.AN_REV, "data"),
                 prevent_initial_call=True, writes=True)
def find(store: Store, _n: int, method: str, lang: str | None, page_id: str | None, selection: dict | None, rev: int):
    where = selected_document(selection)
    if not (where and page_id):
        return no_update, *say("Choose a page first.", "warning")
    try:
        found = annotation.find(store, PageRef(*where, page_id), method or "projection", lang or "grc")
    except (KalamosError, TesseractError) as exc:
        return no_update, *say(str(exc), "danger")
    what = f"Found {len(found)} new line(s)" if found else "No new lines found (the page's lines are kept)"
    return (rev or 0) + 1, *say(f"{what}. Fix them by dragging, delete the wrong ones.", "info")


@wiring.callback(
    Output(ids.AN_REV, "data", allow_duplicate=True), *MESSAGE,
    Input(ids.AN_PREFILL, "n_clicks"), State(ids.AN_PREFILL_LANG, "value"), State(ids.AN_PAGE, "value"),
    State(ids.SELECTION, "data"), State(ids.AN_REV, "data"),
    background=True, running=[(Output(ids.AN_PREFILL, "disabled"), True, False)],
    progress=[Output(ids.AN_PREFILL_PROGRESS, "value"), Output(ids.AN_PREFILL_PROGRESS, "max")],
    prevent_initial_call=True,
    writes=True,
)
def prefill(store: Store, config: Config, set_progress, _n: int, lang: str | None, page_id: str | None, selection: dict | None, rev: int):  # type: ignore[no-untyped-def]
    where = selected_document(selection)
    if not (where and page_id):
        return no_update, *say("Choose a page first.", "warning")
    try:
        with job_slot(store, config, "job"):
            report = annotation.prefill(store, PageRef(*where, page_id), lang or "grc", lambda i, n: set_progress((i, max(1, n))))
    except (KalamosError, TesseractError) as exc:
        return no_update, *say(str(exc), "danger")
    text = f"Pre-filled {report.filled} line(s) with {lang}: orange until you confirm them (Enter or ✓ Verified)."
    if report.problems:
        text += " Problems: " + "; ".join(report.problems[:5])
    return (rev or 0) + 1, *say(text, "warning" if report.problems else "info")


@wiring.callback(Output(ids.AN_CONV_MODAL, "is_open"), Output(ids.AN_CONV_ELISION, "value"),
                 Output(ids.AN_CONV_TELEIA, "value"), Output(ids.AN_CONV_LUNATE, "value"),
                 Input(ids.AN_CONV_OPEN, "n_clicks"), State(ids.SELECTION, "data"), prevent_initial_call=True)
def open_conventions(store: Store, _n: int, selection: dict | None):
    project = project_of(selection)
    if not project:
        return no_update, no_update, no_update, no_update
    rules = editing.policy(store, project)
    return True, rules.elision, rules.ano_teleia, rules.lunate


@wiring.callback(Output(ids.AN_CONV_MODAL, "is_open", allow_duplicate=True), *MESSAGE,
                 Input(ids.AN_CONV_SAVE, "n_clicks"), State(ids.AN_CONV_ELISION, "value"),
                 State(ids.AN_CONV_TELEIA, "value"), State(ids.AN_CONV_LUNATE, "value"), State(ids.SELECTION, "data"),
                 prevent_initial_call=True, writes=True)
def save_conventions(store: Store, _n: int, elision: str, teleia: str, lunate: str, selection: dict | None):
    project = project_of(selection)
    if not project:
        return False, *NO_MESSAGE
    rules = Normalisation.from_settings({"elision": elision, "ano_teleia": teleia, "lunate": lunate})
    editing.set_policy(store, project, rules)
    return False, *say(f"The project now writes elision as {rules.elision}, the ano teleia as {rules.ano_teleia}, "
                       f"sigma {LUNATE_CHOICES[rules.lunate]}. New and changed lines follow it; the Train tab "
                       "rewrites the others.", "success")


@wiring.callback(Output(ids.AN_IMPORT_SPEC, "children"), Input(ids.SELECTION, "data"))
def import_target(config: Config, selection: dict | None):
    where = selected_document(selection)
    if not where:
        return ""
    return upload_spec(f"/api/import-gt/{where[0]}/{where[1]}", config, "batch",
                       {"replace": ids.AN_IMPORT_REPLACE, "status": ids.AN_IMPORT_STATUS})


@wiring.callback(Output(ids.AN_REV, "data", allow_duplicate=True), Output(ids.PAGES_REV, "data", allow_duplicate=True),
                 *MESSAGE, Input(ids.AN_IMPORT_RESULT, "data"), State(ids.AN_REV, "data"), State(ids.PAGES_REV, "data"),
                 prevent_initial_call=True)
def imported(batch: dict | None, rev: int, pages_rev: int):
    results = (batch or {}).get("results") or []
    if not results:
        return no_update, no_update, *say("", "info")
    report = results[-1]
    items = [html.Li(m) for m in report.get("messages", [])] + \
            [html.Li(f, className="text-danger") for f in report.get("failed", [])]
    body = [report["message"], html.Ul(items, className="mb-0")] if items else report["message"]
    colour = "danger" if report["status"] == "failed" else "warning" if report.get("failed") else "success"
    return (rev or 0) + 1, (pages_rev or 0) + 1, *say(body, colour)


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)
