"""Preprocess tab: the step list with its controls, before/after view, presets, apply to document."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Patch, dcc, html

from layout import ids
from ocr.pipeline import STEPS, Param

__all__ = ["build", "step_cards", "figure", "figure_update"]


def build() -> html.Div:
    controls = [
        dbc.Label("Page", html_for=ids.PP_PAGE, className="small mb-0"),
        dbc.Select(id=ids.PP_PAGE, options=[], size="sm"),
        dbc.RadioItems(
            id=ids.PP_SCOPE,
            options=[{"label": "Edit the document's pipeline (all pages without their own)", "value": "document"},
                     {"label": "Give this page its own pipeline", "value": "page"}],
            value="document",
            className="small my-2",
        ),
        html.Div(id=ids.PP_ERROR, className="text-danger small"),
        html.Div(id=ids.PP_STEPS),
        dbc.InputGroup(
            [
                dbc.Select(id=ids.PP_ADD_OP, options=[{"label": d.label, "value": op} for op, d in STEPS.items()],
                           value="binarize", size="sm"),
                dbc.Button("Add step", id=ids.PP_ADD, size="sm", color="secondary"),
                dbc.Button("Reset", id=ids.PP_RESET, size="sm", color="secondary", outline=True,
                           title="Back to the default pipeline"),
            ],
            size="sm",
            className="my-2",
        ),
        html.Hr(className="my-2"),
        html.Div("Presets (shared by the project)", className="small fw-bold"),
        dbc.InputGroup(
            [dbc.Select(id=ids.PP_PRESET, options=[], size="sm", placeholder="no presets yet"),
             dbc.Button("Use", id=ids.PP_PRESET_APPLY, size="sm", color="secondary")],
            size="sm", className="my-1",
        ),
        dbc.InputGroup(
            [dbc.Input(id=ids.PP_PRESET_NAME, placeholder="preset name", size="sm", maxLength=120),
             dbc.Button("Save as preset", id=ids.PP_PRESET_SAVE, size="sm", color="secondary")],
            size="sm", className="my-1",
        ),
        html.Hr(className="my-2"),
        html.Div(
            [
                dbc.Button("Apply to the whole document", id=ids.PP_APPLY, color="primary", size="sm", className="me-2"),
                dbc.Button("Cancel", id=ids.PP_CANCEL, color="danger", outline=True, size="sm", disabled=True),
            ]
        ),
        dbc.Progress(id=ids.PP_PROGRESS, value=0, max=1, label="", className="my-2", style={"height": "1.2rem"}),
        html.Div(id=ids.PP_APPLY_STATUS, className="small"),
    ]
    view = [
        html.Div(id=ids.PP_INFO, className="small text-muted mb-1"),
        dcc.Graph(
            id=ids.PP_GRAPH,
            figure=figure(None),
            config={"scrollZoom": True, "displaylogo": False, "modeBarButtonsToAdd": ["drawrect", "eraseshape"]},
            style={"height": "78vh"},
        ),
        html.Div("Scroll to zoom, drag to pan (both sides follow). Draw a rectangle on the left image to crop; "
                 "on the right image to see what Tesseract reads there.", className="small text-muted"),
        dbc.InputGroup(
            [dbc.InputGroupText("Try OCR with"), dbc.Select(id=ids.PP_OCR_LANG, options=[], value="grc", size="sm")],
            size="sm", className="my-1", style={"maxWidth": "22rem"},
        ),
        dcc.Loading(html.Pre(id=ids.PP_OCR_RESULT, className="kalamos-ocr-result")),
    ]
    return html.Div(
        [
            dcc.Store(id=ids.PP_PIPELINE),
            dcc.Store(id=ids.PP_VIEW),
            dcc.Store(id=ids.PP_STRUCT_REV, data=0),
            dcc.Store(id=ids.PP_PRESET_REV, data=0),
            dbc.Row([dbc.Col(controls, md=4, className="kalamos-pp-controls"), dbc.Col(view, md=8)]),
        ],
        id=ids.PREPROCESS_TAB,
        className="p-2",
    )


def _control(index: int, spec: Param, value: Any) -> html.Div:
    cid = ids.pp_param(index, spec.name)
    if spec.kind == "choice":
        widget = dbc.RadioItems(id=cid, options=[{"label": c, "value": c} for c in spec.choices], value=value,
                                inline=True, className="small")
    else:
        widget = dcc.Slider(id=cid, min=spec.min, max=spec.max, step=spec.step, value=value, marks=None,
                            updatemode="mouseup")
    return html.Div([html.Div(spec.label, className="small text-muted"), widget], className="mb-1")


def step_cards(steps: list[dict[str, Any]]) -> list[dbc.Card]:
    """One card per step: on/off switch, name, move/remove buttons, a control per parameter."""
    cards = []
    for i, s in enumerate(steps):
        d = STEPS[s["op"]]
        header = html.Div(
            [
                dbc.Switch(id=ids.pp_step_on(i), value=bool(s.get("on", True)), className="me-1 mb-0"),
                html.Strong(d.label, className="me-auto small", title=d.help),
                dbc.ButtonGroup(
                    [dbc.Button("↑", id=ids.pp_step_action(i, "up"), size="sm", color="light", disabled=i == 0, title="Earlier"),
                     dbc.Button("↓", id=ids.pp_step_action(i, "down"), size="sm", color="light",
                                disabled=i == len(steps) - 1, title="Later"),
                     dbc.Button("✕", id=ids.pp_step_action(i, "remove"), size="sm", color="light", title="Remove")],
                    size="sm",
                ),
            ],
            className="d-flex align-items-center",
        )
        body = [_control(i, spec, s["params"].get(spec.name, spec.default)) for spec in d.params]
        cards.append(dbc.Card([dbc.CardHeader(header, className="py-1 px-2"),
                               *([dbc.CardBody(body, className="py-1 px-2")] if body else [])],
                              className=f"mb-2 kalamos-step kalamos-step-{s['op']}"))
    return cards


def figure(view: dict[str, Any] | None) -> go.Figure:
    """Before | after, side by side, axes in full-resolution page pixels with zoom linked.

    ``view``: {"page", "before": url, "width", "height", "after": url, "after_width", "after_height"}.
    """
    fig = go.Figure()
    fig.update_layout(
        margin=dict(l=0, r=0, t=24, b=0),
        dragmode="pan",
        newshape=dict(line=dict(color="#d9480f", width=2), fillcolor="rgba(217,72,15,0.08)"),
        plot_bgcolor="#e9e4d8",
        paper_bgcolor="rgba(0,0,0,0)",
        showlegend=False,
        xaxis=dict(domain=[0, 0.49], visible=False),
        xaxis2=dict(domain=[0.51, 1], visible=False, matches="x"),
        yaxis=dict(visible=False, scaleanchor="x", autorange="reversed"),
        yaxis2=dict(visible=False, matches="y", anchor="x2", autorange="reversed"),
        uirevision=(view or {}).get("page", "none"),
    )
    if not view:
        fig.add_annotation(text="No page", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        return fig
    w, h = view["width"], view["height"]
    aw, ah = view["after_width"], view["after_height"]
    fig.update_layout(
        images=[
            dict(source=view["before"], xref="x", yref="y", x=0, y=0, sizex=w, sizey=h, sizing="stretch", layer="below"),
            dict(source=view["after"], xref="x2", yref="y2", x=0, y=0, sizex=aw, sizey=ah, sizing="stretch", layer="below"),
        ],
        annotations=[
            dict(text="Before", x=0.245, y=1.0, xref="paper", yref="paper", showarrow=False, yanchor="bottom"),
            dict(text="After", x=0.755, y=1.0, xref="paper", yref="paper", showarrow=False, yanchor="bottom"),
        ],
    )
    # invisible corner points give each subplot its extent (layout images alone do not)
    fig.add_trace(go.Scatter(x=[0, w], y=[0, h], mode="markers", marker=dict(opacity=0), hoverinfo="skip", xaxis="x", yaxis="y"))
    fig.add_trace(go.Scatter(x=[0, aw], y=[0, ah], mode="markers", marker=dict(opacity=0), hoverinfo="skip", xaxis="x2", yaxis="y2"))
    return fig


def figure_update(shown: dict[str, Any] | None, view: dict[str, Any]) -> go.Figure | Patch:
    """What the browser needs to go from the figure of view ``shown`` to that of ``view``: only the
    after image (and its extent) when the same page is shown, so that a slider sends a few hundred
    bytes and Plotly redraws one image, rather than a whole new figure."""
    same = shown and all(shown.get(k) == view[k] for k in ("page", "before", "width", "height"))
    if not same:
        return figure(view)
    patch = Patch()
    after = patch["layout"]["images"][1]
    after["source"] = view["after"]
    if (shown.get("after_width"), shown.get("after_height")) != (view["after_width"], view["after_height"]):
        after["sizex"], after["sizey"] = view["after_width"], view["after_height"]
        patch["data"][1]["x"] = [0, view["after_width"]]
        patch["data"][1]["y"] = [0, view["after_height"]]
    return patch
