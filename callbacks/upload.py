"""Upload tab: where the browser sends files, the messages of a batch, the import from a IIIF manifest
(``services.iiif``: read, its canvases, a range imported in the background), the document's source,
the page grid, page order."""

from __future__ import annotations

import json

from dash import Dash, Input, Output, State, ctx, no_update

from callbacks.common import alert, job_slot, relayed, selected_document
from callbacks.urls import iiif_thumb_url, thumb_url
from callbacks.wiring import Access, Wiring
from config import Config
from layout import ids
from layout.upload import about_manifest, canvas_strip, iiif_result, page_card, result_alerts, source_line
from services import iiif
from storage import InvalidInput, KalamosError, Store

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
    cards = [  # a page from a IIIF canvas is shown by the canvas's label (its file name is that label, cleaned)
        page_card(i, len(pages), p.id, (p.iiif or {}).get("label") or p.label, _size(p.width, p.height, p.dpi),
                  thumb_url(sel["project"], sel["document"], p.id))
        for i, p in enumerate(pages, 1)
    ]
    return cards, (f"{len(pages)} page(s) in this document" if pages else "No pages yet.")


@wiring.callback(
    Output(ids.PAGES_REV, "data", allow_duplicate=True),
    Input(ids.UPLOAD_PAGE_CLICK, "data"),
    State(ids.SELECTION, "data"),
    State(ids.PAGES_REV, "data"),
    prevent_initial_call=True,
    writes=True,
)
def move_page(store: Store, click: dict | None, selection: dict | None, rev: int):
    """A card's ◀ or ▶ (its click reaches here through a store: assets/relay.js)."""
    button = relayed(click, ids.PAGE_MOVE)
    sel = selection or {}
    if not (button and sel.get("project") and sel.get("document")) or button.get("step") not in (-1, 1):
        return no_update
    page_id, step = button.get("page"), int(button["step"])
    doc = store.get_document(sel["project"], sel["document"])
    if page_id in doc.page_ids:
        store.move_page(sel["project"], sel["document"], page_id, doc.page_ids.index(page_id) + step)
    return (rev or 0) + 1


@wiring.callback(
    Output(ids.CONFIRM_PENDING, "data", allow_duplicate=True),
    Output(ids.CONFIRM_MODAL, "is_open", allow_duplicate=True),
    Output(ids.CONFIRM_TEXT, "children", allow_duplicate=True),
    Input(ids.UPLOAD_PAGE_CLICK, "data"),
    State(ids.SELECTION, "data"),
    prevent_initial_call=True,
)
def ask_delete_page(store: Store, click: dict | None, selection: dict | None):
    """A card's Delete: asks first."""
    button = relayed(click, ids.PAGE_DELETE)
    sel = selection or {}
    if not (button and sel.get("project") and sel.get("document")):
        return no_update
    page_id = button.get("page")
    doc = store.get_document(sel["project"], sel["document"])
    if page_id not in doc.page_ids:
        return no_update
    page = store.get_page(sel["project"], sel["document"], page_id)
    number = doc.page_ids.index(page_id) + 1
    return ({"action": "delete-page", "project": sel["project"], "document": sel["document"], "page": page_id},
            True, f"Delete page {number} ({page.label})? It is moved to the trash folder of the data directory.")


# ---- from a IIIF library

@wiring.callback(
    Output(ids.UP_IIIF_MESSAGE, "children"),
    Output(ids.UP_IIIF_REV, "data"),
    Input(ids.UP_IIIF_READ, "n_clicks"),
    Input(ids.UP_IIIF_URL, "n_submit"),
    State(ids.UP_IIIF_URL, "value"),
    State(ids.SELECTION, "data"),
    State(ids.UP_IIIF_REV, "data"),
    running=[(Output(ids.UP_IIIF_READ, "disabled"), True, False)],
    prevent_initial_call=True,
    writes=True,
)
def read_manifest(store: Store, config: Config, _n: int, _submit: int, url: str | None, selection: dict | None, rev: int):
    """Read the manifest at the address and keep it with the document (its canvases are drawn from there)."""
    where = selected_document(selection)
    if not where:
        return alert("Choose a document first (Document › New): the manuscript's pages go into it.", "warning",
                     "kalamos-iiif-message"), no_update
    try:
        manifest, data = iiif.read_manifest(url or "", config.http_client())
        iiif.remember_manifest(store, where, manifest, data)
    except KalamosError as exc:
        return alert(str(exc), "danger", "kalamos-iiif-message"), no_update
    except ValueError as exc:  # an address urllib cannot even parse ("http://[x")
        return alert(f"{(url or '').strip()[:200]!r} is not a valid address ({exc}).", "danger", "kalamos-iiif-message"), no_update
    return alert(f"Read {manifest.total or len(manifest.canvases)} canvas(es). Choose which to import and at what size, "
                 "then Import.",
                 "success", "kalamos-iiif-message"), (rev or 0) + 1


@wiring.callback(
    Output(ids.UP_IIIF_ABOUT, "children"),
    Output(ids.UP_IIIF_CANVASES, "children"),
    Output(ids.UP_IIIF_FORM, "hidden"),
    Output(ids.UP_IIIF_FIRST, "value"),
    Output(ids.UP_IIIF_LAST, "value"),
    Output(ids.UP_IIIF_URL, "value"),
    Input(ids.SELECTION, "data"),
    Input(ids.UP_IIIF_REV, "data"),
    Input(ids.PAGES_REV, "data"),
)
def manifest_view(store: Store, selection: dict | None, _rev: int, _pages_rev: int):
    """The manifest read into the document: what it is, its canvases (marked when already a page), and
    the import's choices. A new document or a manifest just read resets the range to all canvases; new
    pages only redraw the marks."""
    fresh = ctx.triggered_id != ids.PAGES_REV
    where = selected_document(selection)
    try:
        if not where:
            raise InvalidInput("no document")
        manifest = iiif.remembered_manifest(store, where)
        imported = iiif.imported_canvases(store, where)
    except KalamosError:
        return [], [], True, no_update, no_update, no_update
    rows = iiif.canvas_rows(manifest, imported)
    urls = [iiif_thumb_url(*where, c.index, manifest.url) for c in manifest.canvases]
    about = about_manifest(iiif.describe(manifest), list(manifest.messages))
    if not fresh:
        return about, canvas_strip(rows, urls), False, no_update, no_update, no_update
    return (about, canvas_strip(rows, urls), False, 1, manifest.total or len(manifest.canvases),
            manifest.url if ctx.triggered_id != ids.UP_IIIF_REV else no_update)


def _whole(value: object, what: str) -> int | None:
    """A number field's value as a whole number (None when empty)."""
    if value is None or value == "":
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(f"{what} must be a whole number.") from None
    if number != int(number):
        raise InvalidInput(f"{what} must be a whole number.")
    return int(number)


@wiring.callback(
    Output(ids.UP_IIIF_RESULT, "children"),
    Output(ids.PAGES_REV, "data", allow_duplicate=True),
    Input(ids.UP_IIIF_IMPORT, "n_clicks"),
    State(ids.UP_IIIF_FIRST, "value"),
    State(ids.UP_IIIF_LAST, "value"),
    State(ids.UP_IIIF_SIZE, "value"),
    State(ids.UP_IIIF_WIDTH, "value"),
    State(ids.SELECTION, "data"),
    State(ids.PAGES_REV, "data"),
    background=True,
    running=[(Output(ids.UP_IIIF_IMPORT, "disabled"), True, False)],
    progress=[Output(ids.UP_IIIF_PROGRESS, "value"), Output(ids.UP_IIIF_PROGRESS, "max"),
              Output(ids.UP_IIIF_PROGRESS, "label"), Output(ids.UP_IIIF_STATUS, "children")],
    prevent_initial_call=True,
    writes=True,
)
def import_canvases(store: Store, config: Config, set_progress, _n: int, first: object, last: object,  # type: ignore[no-untyped-def]
                    size: str | None, width: object, selection: dict | None, rev: int):
    """Import the chosen canvases of the manifest read into the document, a few images at a time; the
    ones already there are skipped, so Import again after a failure fetches only what is missing."""
    where = selected_document(selection)
    if not where:
        return alert("Choose a document first.", "warning", "kalamos-iiif-summary"), no_update
    try:
        manifest = iiif.remembered_manifest(store, where)
        start, end = _whole(first, "The first canvas"), _whole(last, "The last canvas")
        if (start is not None and start < 1) or (end is not None and end < 1):
            raise InvalidInput(f"Choose canvases between 1 and {manifest.total or len(manifest.canvases)}.")
        canvases = iiif.choose(manifest, start, end)
        pixels = _whole(width, "The width") if size == "width" else None
        if size == "width" and pixels is None:
            raise InvalidInput("Give the width in pixels, or choose full size.")
    except KalamosError as exc:
        return alert(str(exc), "danger", "kalamos-iiif-summary"), no_update

    def progress(done: int, total: int, message: str) -> None:
        set_progress((done, max(1, total), f"{done} / {total}", message))

    set_progress((0, len(canvases), "", "starting…"))
    try:
        with job_slot(store, config, "job", lambda text: set_progress((0, 1, "", text))):
            report = iiif.import_canvases(store, where, manifest, canvases, pixels, config.import_limits(),
                                          config.http_client(), workers=config.iiif_workers, progress=progress)
    except KalamosError as exc:
        return alert(str(exc), "danger", "kalamos-iiif-summary"), (rev or 0) + 1
    return iiif_result(report.summary, [r.to_dict() for r in report.results]), (rev or 0) + 1


@wiring.callback(Output(ids.UP_IIIF_SOURCE, "children"), Input(ids.SELECTION, "data"), Input(ids.PAGES_REV, "data"))
def document_source(store: Store, selection: dict | None, _rev: int):
    """Where the document comes from, when its pages were imported from a IIIF manifest."""
    where = selected_document(selection)
    try:
        source = store.get_document(*where).source if where else None
    except KalamosError:
        return None
    return source_line(source) if source and source.get("kind") == "iiif" else None


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)
