"""Annotate tab, "Align a known text": the edition's text (pasted, or a UTF-8 file) for a page range
put onto the pages' lines in the background, with progress. The work is ``services.align``."""

from __future__ import annotations

import base64

from dash import Dash, Input, Output, State, html, no_update

from callbacks.common import job_slot, model_options, project_of, selected_document
from callbacks.wiring import Access, Wiring
from config import Config
from layout import ids
from ocr.tesseract import TesseractError
from services import align
from storage import KalamosError, Store

__all__ = ["register", "wiring"]

wiring = Wiring()

MAX_LISTED = 12  #: lines to look at first, named in the result


@wiring.callback(Output(ids.AN_ALIGN_MODEL, "options"), Input(ids.TABS, "active_tab"), Input(ids.SELECTION, "data"))
def models(store: Store, _tab: str, selection: dict | None):
    return model_options(store, project_of(selection))


@wiring.callback(Output(ids.AN_ALIGN_TEXT, "value"), Output(ids.AN_ALIGN_FILE_NAME, "children"),
                 Input(ids.AN_ALIGN_FILE, "contents"), State(ids.AN_ALIGN_FILE, "filename"), prevent_initial_call=True)
def file_chosen(contents: str | None, filename: str | None):
    """A text file chosen: its text goes into the box (where it can be read and trimmed)."""
    if not contents:
        return no_update, ""
    try:
        text = align.read_edition(base64.b64decode(contents.partition(",")[2]))
    except (KalamosError, ValueError) as exc:
        return no_update, html.Span(f"{filename}: {exc}", className="text-danger")
    return text, f"{filename}: {len(text.split()):,} words"


def _page_number(store: Store, selection: dict | None, page_id: str | None) -> int | None:
    where = selected_document(selection)
    if not (where and page_id):
        return None
    order = [p.id for p in store.list_pages(*where)]
    return order.index(page_id) + 1 if page_id in order else None


@wiring.callback(
    Output(ids.AN_REV, "data", allow_duplicate=True), Output(ids.AN_ALIGN_RESULT, "children"),
    Output(ids.AN_UNDO_STORE, "data", allow_duplicate=True),
    Input(ids.AN_ALIGN_RUN, "n_clicks"), State(ids.AN_ALIGN_TEXT, "value"), State(ids.AN_ALIGN_FIRST, "value"),
    State(ids.AN_ALIGN_LAST, "value"), State(ids.AN_ALIGN_MODEL, "value"), State(ids.AN_PAGE, "value"),
    State(ids.SELECTION, "data"), State(ids.AN_REV, "data"),
    background=True, running=[(Output(ids.AN_ALIGN_RUN, "disabled"), True, False)],
    progress=[Output(ids.AN_ALIGN_PROGRESS, "value"), Output(ids.AN_ALIGN_PROGRESS, "max")],
    prevent_initial_call=True, writes=True,
)
def run(store: Store, config: Config, set_progress, _n: int, text: str | None, first: int | None,  # type: ignore[no-untyped-def]
        last: int | None, model: str | None, page_id: str | None, selection: dict | None, rev: int):
    where = selected_document(selection)
    if not where:
        return no_update, _said("Choose a document first.", "warning"), no_update
    here = _page_number(store, selection, page_id)
    if any(n is not None and (not isinstance(n, int) or n < 1) for n in (first, last)):
        return no_update, _said("Pages are numbered from 1 (leave the fields empty for this page).", "warning"), no_update
    try:
        edition = align.read_edition(text or "")
        pages = align.choose_pages(store, where, first or here, last or first or here)
        with job_slot(store, config, "job"):
            report = align.propose(store, where, pages, edition, model or "grc",
                                   lambda done, total, _m: set_progress((done, max(1, total))))
            align.apply(store, where, report)
    except (KalamosError, TesseractError) as exc:
        return no_update, _said(str(exc), "danger"), no_update
    look = [p for p in report.lines if p.attention and p.outcome == "aligned"][:MAX_LISTED]
    items = [html.Li(f"page {p.page_number}, line {p.line_number}: “{p.text[:50]}” (read “{p.reading[:50]}”, "
                     f"agreement {p.score:.0%})") for p in look]
    body = [html.Div(report.summary + (" ↶ Undo takes it all back." if report.undo else ""),
                     className="kalamos-align-summary")]
    if items:
        body.append(html.Div([html.Span("Look at these first:"), html.Ul(items, className="mb-0")]))
    colour = "warning" if report.attention or report.count("conflict") else "success"
    return (rev or 0) + 1, _said(body, colour), report.undo.to_dict() if report.undo else no_update


def _said(body, colour: str):  # type: ignore[no-untyped-def]
    return html.Div(body, className=f"alert alert-{colour} py-1 px-2 mb-0")


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)
