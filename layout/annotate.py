"""Annotate tab (not built yet: issue #5)."""

from __future__ import annotations

from dash import html

from layout import ids
from layout.common import not_built

__all__ = ["build"]


def build() -> html.Div:
    return not_built(ids.ANNOTATE_TAB, "Annotate", "draw text lines on the page and transcribe them in polytonic Greek to make ground truth", 5)
