"""Thin controllers: one module per tab, each with a ``register(app, store, config)`` that declares
short callbacks which parse inputs, call ``storage``/``ocr`` and shape outputs.
``routes`` holds the Flask endpoints that serve images and receive uploads."""

from __future__ import annotations

from dash import Dash

from config import Config
from storage import Store

__all__ = ["register_all"]


def register_all(app: Dash, store: Store, config: Config) -> None:
    from callbacks import annotate, models, preprocess, routes, shell, train, transcribe, upload

    routes.register(app.server, store, config)
    shell.register(app, store)
    upload.register(app, store, config)
    preprocess.register(app, store, config)
    annotate.register(app, store, config)
    transcribe.register(app, store, config)
    train.register(app, store, config)
    models.register(app, store, config)
