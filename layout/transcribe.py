"""Transcribe tab (not built yet: issue #6)."""

from __future__ import annotations

from dash import html

from layout import ids
from layout.common import not_built

__all__ = ["build"]


def build() -> html.Div:
    return not_built(ids.TRANSCRIBE_TAB, "Transcribe", "OCR whole documents with a chosen model, review by confidence, correct and export", 6)
