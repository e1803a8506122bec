"""Helpers for Plotly figures shared by the tabs."""

from __future__ import annotations

import html

__all__ = ["plot_text"]


def plot_text(text: str) -> str:
    """User text made safe for Plotly labels (hover texts, titles, annotations).

    Plotly reads a subset of HTML in them (``<a href>``, ``<b>``, ``<br>``...), so a transcription
    such as ``<a href="//host/x">A</a>`` would become a live link. Escaped, it is shown as typed:
    Plotly turns the entities back into the characters.
    """
    return html.escape(text, quote=False)
