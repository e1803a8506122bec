"""Helpers shared by the tab controllers."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from typing import Any

import dash_bootstrap_components as dbc
from dash import ctx

from config import Config
from ocr.tesseract import TesseractError, languages
from services.context import DocumentRef
from storage import KalamosError, Store

__all__ = ["selected_document", "clicked", "page_options", "model_options", "job_slot", "JOB_WAIT_S", "upload_spec", "alert",
           "project_of"]


def project_of(selection: dict | None) -> str | None:
    """The project id of the navbar's selection store, or None."""
    return (selection or {}).get("project")


def alert(text: Any, color: str, cls: str = "") -> dbc.Alert:
    """A compact message box (``cls`` names it for tests and styles)."""
    return dbc.Alert(text, color=color, className=f"py-2 mb-1 {cls}".strip())


def upload_spec(url: str, config: Config, mode: str, fields: dict[str, str]) -> str:
    """What ``assets/upload.js`` needs to stream files to a route: where, the size limit, one request
    per file ("each") or all in one ("batch"), and the form components whose values go along."""
    import json

    return json.dumps({"url": url, "max_bytes": config.max_file_bytes, "mode": mode, "fields": fields})

JOB_WAIT_S = 3 * 3600  #: how long a background job waits for a free place before giving up


@contextlib.contextmanager
def job_slot(store: Store, config: Config, kind: str = "job", waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold one of the server's places for a background job of this kind ("job": OCR runs,
    preprocessing, pre-fill, downloads; "training"), waiting (and saying so) while all are taken:
    a hundred runs started at once run a few at a time instead of a hundred Tesseracts.

    Raises ``storage.Busy`` when no place came free within ``JOB_WAIT_S``.
    """
    from storage.errors import Busy

    slots = config.training_slots if kind == "training" else config.job_slots
    place = store.slot(kind, slots, 0)
    try:
        place.__enter__()
    except Busy:
        if waiting:
            what = "training" if kind == "training" else "job"
            waiting(f"waiting: the server runs {slots} {what}(s) at a time; this one starts when one ends…")
        place = store.slot(kind, slots, JOB_WAIT_S)
        place.__enter__()
    try:
        yield
    finally:
        place.__exit__(None, None, None)


def selected_document(selection: dict | None) -> DocumentRef | None:
    """The document chosen in the navbar (its selection store), or None."""
    s = selection or {}
    return DocumentRef(s["project"], s["document"]) if s.get("project") and s.get("document") else None


def relayed(data: object, kind: str) -> dict | None:
    """The pattern-matching id of a list's button a person clicked, from the store the browser sets
    (assets/relay.js: ``{"id": {...}, "at": ms}``), if it is of ``kind``; None for anything else (the store's
    data comes from the browser: it is checked like any input)."""
    button = data.get("id") if isinstance(data, dict) else None
    return button if isinstance(button, dict) and button.get("type") == kind else None


def clicked() -> bool:
    """True when the callback was fired by a real click (pattern-matched buttons re-render with None)."""
    return bool(ctx.triggered_id) and bool(ctx.triggered and ctx.triggered[0].get("value"))


def page_options(store: Store, selection: dict | None, current: str | None,
                 mark: str = "processed") -> tuple[list[dict[str, str]], str | None]:
    """Options of a page picker ("3. name"), keeping ``current`` when it still exists."""
    where = selected_document(selection)
    if not where:
        return [], None
    try:
        pages = store.list_pages(*where)
    except KalamosError:
        return [], None
    options = [{"label": f"{i}. {p.label}" + ("  ✓ preprocessed" if mark == "processed" and p.processed else ""),
                "value": p.id} for i, p in enumerate(pages, 1)]
    values = [o["value"] for o in options]
    return options, current if current in values else (values[0] if values else None)


def model_options(store: Store | None = None, project_id: str | None = None) -> list[dict[str, object]]:
    """Models for a picker: the installed ones, then the project's trained ones (one disabled entry
    saying why when there are none)."""
    try:
        options: list[dict[str, object]] = [{"label": lang, "value": lang} for lang in languages()]
    except TesseractError as exc:
        return [{"label": str(exc), "value": "", "disabled": True}]
    if store is not None and project_id:
        from services import models as models_uc

        options = [{"label": models_uc.picker_label(m), "value": m.name} for m in models_uc.own(store, project_id)] + options
    return options
