"""Thin controllers: one module per tab (or part of a tab), each declaring its callbacks as module-level
functions (``callbacks.wiring``) that parse inputs, call the use cases (``services``) and shape outputs;
``register(app, store, config)`` binds them.
``routes`` holds the Flask endpoints that serve images and receive uploads."""

from __future__ import annotations

from dash import Dash

from config import Config
from storage import Store

__all__ = ["register_all"]


def register_all(app: Dash, store: Store, config: Config) -> None:
    from callbacks import annotate, annotate_help, annotate_lines, models, preprocess, routes, shell, train, transcribe, upload

    routes.register(app.server, store, config)
    shell.register(app, store, config)
    upload.register(app, store, config)
    preprocess.register(app, store, config)
    annotate.register(app, store, config)
    annotate_lines.register(app, store, config)
    annotate_help.register(app, store, config)
    transcribe.register(app, store, config)
    train.register(app, store, config)
    models.register(app, store, config)
