"""Train tab: fine-tune a model on the project's verified lines, watch the error curve, list models."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from layout import ids

__all__ = ["build", "curve_figure", "models_table"]


def _field(label: str, component: Any, help_text: str = "") -> html.Div:
    return html.Div([dbc.Label(label, className="small mb-0"), component,
                     html.Div(help_text, className="small text-muted") if help_text else None], className="mb-2")


def build() -> html.Div:
    form = [
        _field("Documents whose verified lines are the ground truth",
               dcc.Dropdown(id=ids.TN_DOCUMENTS, multi=True, placeholder="all documents of the project")),
        _field("Base model", dbc.Select(id=ids.TN_BASE, options=[], value="grc", size="sm"),
               "Integer (fast) models are turned into float ones first; characters it lacks are added."),
        _field("Name of the new model", dbc.Input(id=ids.TN_NAME, value="", placeholder="e.g. vat_gr_1209", size="sm"),
               "Letters, digits and _: Tesseract uses it as a language code."),
        dbc.Row([
            dbc.Col(_field("Iterations", dbc.Input(id=ids.TN_ITERATIONS, type="number", value=3000, min=1, step=100, size="sm"))),
            dbc.Col(_field("Time budget (min)", dbc.Input(id=ids.TN_MINUTES, type="number", value=10, min=0.1, step=1, size="sm"))),
            dbc.Col(_field("Learning rate", dbc.Input(id=ids.TN_RATE, type="number", value=0.0001, min=0.000001, step=0.00005, size="sm"))),
        ], className="g-2"),
        html.Div([dbc.Button("Start training", id=ids.TN_START, color="primary", size="sm", className="me-2"),
                  dbc.Button("Stop now, keep best", id=ids.TN_STOP, color="warning", outline=True, size="sm", disabled=True)]),
        dbc.Progress(id=ids.TN_PROGRESS, value=0, max=1, label="", className="my-2", style={"height": "1.2rem"}),
        html.Div(id=ids.TN_STATUS, className="small"),
        dbc.Alert("Fine-tuning on one hand or typeface can make a model read others worse: compare base and new "
                  "on the material you mean to read (kalamos eval).", color="secondary", className="small py-2 mt-2"),
    ]
    return html.Div(
        [
            dcc.Store(id=ids.TN_JOB), dcc.Store(id=ids.TN_MODELS_REV, data=0),
            dbc.Row([
                dbc.Col(form, md=4),
                dbc.Col([dcc.Graph(id=ids.TN_CURVE, figure=curve_figure([]), style={"height": "45vh"},
                                   config={"displaylogo": False}),
                         html.H6("Models of this project", className="mt-2"), html.Div(id=ids.TN_MODELS)], md=8),
            ]),
        ],
        id=ids.TRAIN_TAB,
        className="p-2",
    )


def curve_figure(points: list[dict[str, Any]]) -> go.Figure:
    """Training and evaluation character error rate against iterations."""
    fig = go.Figure()
    train = [p for p in points if p.get("train_cer") is not None]
    evals = [p for p in points if p.get("eval_cer") is not None]
    fig.add_trace(go.Scatter(x=[p["iteration"] for p in train], y=[p["train_cer"] for p in train], name="training CER",
                             mode="lines+markers"))
    fig.add_trace(go.Scatter(x=[p["iteration"] for p in evals], y=[p["eval_cer"] for p in evals], name="evaluation CER",
                             mode="lines+markers"))
    fig.update_layout(margin=dict(l=40, r=10, t=30, b=40), title="Character error rate while training",
                      xaxis_title="iteration", yaxis_title="CER %", yaxis_rangemode="tozero", legend=dict(x=0.7, y=0.95))
    return fig


def models_table(models: list[dict[str, Any]]) -> Any:
    if not models:
        return html.Div("No trained model yet.", className="text-muted small")
    head = ["name", "base", "lines", "CER base %", "CER new %", "created"]
    rows = [[m["name"], m["base"], m["training"]["lines"], m["eval"]["base"]["CER %"], m["eval"]["new"]["CER %"],
             m["created"][:16].replace("T", " ")] for m in models]
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                      html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])],
                     size="sm", striped=True, className="small kalamos-models")
