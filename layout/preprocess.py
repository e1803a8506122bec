"""Preprocess tab (not built yet: issue #4)."""

from __future__ import annotations

from dash import html

from layout import ids
from layout.common import not_built

__all__ = ["build"]


def build() -> html.Div:
    return not_built(ids.PREPROCESS_TAB, "Preprocess", "crop, rotate, deskew, contrast, denoise and binarise pages with sliders that answer at once, then apply the pipeline to the whole document", 4)
