"""Thin controllers: one module per tab (or part of a tab), each declaring its callbacks as module-level
functions (``callbacks.wiring``) that parse inputs, call the use cases (``services``) and shape outputs;
``register(app, store, config)`` binds them.
``routes`` holds the Flask endpoints that serve images and receive uploads."""

from __future__ import annotations

from dash import Dash

from callbacks.wiring import Access
from config import Config
from storage import Store

__all__ = ["register_all"]


def register_all(app: Dash, store: Store, config: Config) -> Access:
    """Bind every tab's callbacks and the routes; returns which callbacks write and which check roles themselves."""
    from callbacks import (annotate, annotate_align, annotate_help, annotate_lines, annotate_page, annotate_regions, models,
                           preprocess, routes, sharing, shell, train, transcribe, upload)

    routes.register(app.server, store, config)
    access = Access()
    for module in (shell, sharing, upload, preprocess, annotate, annotate_page, annotate_lines, annotate_regions, annotate_help,
                   annotate_align, transcribe, train, models):
        access |= module.register(app, store, config)
    return access
