"""Upload tab: where the browser sends files, the messages of a batch, the page grid, page order."""

from __future__ import annotations

import json

from dash import ALL, Dash, Input, Output, State, ctx, no_update

from callbacks.urls import thumb_url
from callbacks.wiring import Access, Wiring
from config import Config
from layout import ids
from layout.upload import page_card, result_alerts
from storage import KalamosError, Store

__all__ = ["register"]


def _size(page_width: int, page_height: int, dpi: int | None) -> str:
    return f"{page_width}×{page_height} px" + (f", {dpi} dpi" if dpi else "")


wiring = Wiring()


@wiring.callback(
    Output(ids.UPLOAD_URL, "children"),
    Output(ids.UPLOAD_HINT, "children"),
    Input(ids.SELECTION, "data"),
    Input(ids.UPLOAD_DPI, "value"),
)
def upload_target(config: Config, selection: dict | None, dpi: str | None):
    sel = selection or {}
    if not sel.get("project"):
        return "", "Create a project (Project › New) and a document to put pages in."
    if not sel.get("document"):
        return "", "Create a document in this project (Document › New) to put pages in."
    url = f"/api/upload/{sel['project']}/{sel['document']}?dpi={dpi or 300}"
    return json.dumps({"url": url, "max_bytes": config.max_file_bytes}), ""


@wiring.callback(
    Output(ids.UPLOAD_MESSAGES, "children"),
    Output(ids.PAGES_REV, "data", allow_duplicate=True),
    Input(ids.UPLOAD_RESULT, "data"),
    State(ids.PAGES_REV, "data"),
    prevent_initial_call=True,
)
def show_results(batch: dict | None, rev: int):
    results = (batch or {}).get("results") or []
    return result_alerts(results), (rev or 0) + 1


@wiring.callback(
    Output(ids.UPLOAD_GRID, "children"),
    Output(ids.UPLOAD_COUNT, "children"),
    Input(ids.SELECTION, "data"),
    Input(ids.PAGES_REV, "data"),
)
def page_grid(store: Store, selection: dict | None, _rev: int):
    sel = selection or {}
    if not (sel.get("project") and sel.get("document")):
        return [], ""
    try:
        pages = store.list_pages(sel["project"], sel["document"])
    except KalamosError:
        return [], ""
    cards = [
        page_card(i, len(pages), p.id, p.label, _size(p.width, p.height, p.dpi),
                  thumb_url(sel["project"], sel["document"], p.id))
        for i, p in enumerate(pages, 1)
    ]
    return cards, (f"{len(pages)} page(s) in this document" if pages else "No pages yet.")


@wiring.callback(
    Output(ids.PAGES_REV, "data", allow_duplicate=True),
    Input({"type": ids.PAGE_MOVE, "page": ALL, "step": ALL}, "n_clicks"),
    State(ids.SELECTION, "data"),
    State(ids.PAGES_REV, "data"),
    prevent_initial_call=True,
    writes=True,
)
def move_page(store: Store, clicks: list[int | None], selection: dict | None, rev: int):
    if not any(clicks) or not ctx.triggered_id or not ctx.triggered[0].get("value"):
        return no_update
    sel = selection or {}
    page_id, step = ctx.triggered_id["page"], int(ctx.triggered_id["step"])
    doc = store.get_document(sel["project"], sel["document"])
    if page_id in doc.page_ids:
        store.move_page(sel["project"], sel["document"], page_id, doc.page_ids.index(page_id) + step)
    return (rev or 0) + 1


@wiring.callback(
    Output(ids.CONFIRM_PENDING, "data", allow_duplicate=True),
    Output(ids.CONFIRM_MODAL, "is_open", allow_duplicate=True),
    Output(ids.CONFIRM_TEXT, "children", allow_duplicate=True),
    Input({"type": ids.PAGE_DELETE, "page": ALL}, "n_clicks"),
    State(ids.SELECTION, "data"),
    prevent_initial_call=True,
)
def ask_delete_page(store: Store, clicks: list[int | None], selection: dict | None):
    if not any(clicks) or not ctx.triggered_id or not ctx.triggered[0].get("value"):
        return no_update
    sel = selection or {}
    page_id = ctx.triggered_id["page"]
    doc = store.get_document(sel["project"], sel["document"])
    if page_id not in doc.page_ids:
        return no_update
    page = store.get_page(sel["project"], sel["document"], page_id)
    number = doc.page_ids.index(page_id) + 1
    return ({"action": "delete-page", "project": sel["project"], "document": sel["document"], "page": page_id},
            True, f"Delete page {number} ({page.label})? It is moved to the trash folder of the data directory.")


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)
