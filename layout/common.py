"""Small building blocks shared by several tabs."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

__all__ = ["not_built"]


def not_built(tab_id: str, title: str, purpose: str, issue: int) -> html.Div:
    """The plain statement that a tab is not available yet, and what it will do."""
    return html.Div(
        dbc.Alert(
            [
                html.H5(f"{title}: not built yet", className="alert-heading"),
                html.P(f"This tab will let you {purpose}."),
                html.P(f"It is planned (issue #{issue}) and not available in this version.", className="mb-0"),
            ],
            color="secondary",
            className="mt-3",
        ),
        id=tab_id,
        className="p-2",
    )
