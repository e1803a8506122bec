"""Train tab (not built yet: issue #7)."""

from __future__ import annotations

from dash import html

from layout import ids
from layout.common import not_built

__all__ = ["build"]


def build() -> html.Div:
    return not_built(ids.TRAIN_TAB, "Train", "fine-tune Tesseract on your verified lines and watch its error curve fall", 7)
