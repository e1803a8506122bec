"""Transcribe tab: run OCR on pages, review the lines by confidence, correct and verify them,
search the text, see the error rates, export."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from layout import ids
from layout.plotting import plot_text
from layout.annotate import PALETTE

__all__ = ["build", "review_figure", "review_rows", "conf_colour", "eval_table", "run_text_view"]


def conf_colour(status: str, conf: float | None) -> str:
    if status == "verified":
        return "#1c7ed6"
    if status == "empty":
        return "#868e96"
    if status == "edited":
        return "#7048e8"
    if status == "aligned":  # an edition's text, to check (Annotate's colour for it)
        return "#0c8599"
    if conf is None or conf < 0:
        return "#e8590c"
    return "#e03131" if conf < 60 else "#f08c00" if conf < 80 else "#2f9e44"


def _run_controls() -> dbc.Row:
    return dbc.Row(
        [
            dbc.Col([dbc.Label("Pages", className="small mb-0"),
                     dcc.Dropdown(id=ids.TR_PAGES, multi=True, placeholder="all pages of the document")], md=3),
            dbc.Col([dbc.Label("Model(s)", className="small mb-0"),
                     dcc.Dropdown(id=ids.TR_MODEL, multi=True, value=["grc"], placeholder="choose a model")], md=2),
            dbc.Col([dbc.Label("Mode", className="small mb-0"),
                     dbc.RadioItems(id=ids.TR_MODE, value="page", className="small", persistence=True,
                                    persistence_type="local",
                                    options=[{"label": "whole page (Tesseract's layout)", "value": "page"},
                                             {"label": "the page's lines (annotated or found)", "value": "lines"}])], md=2),
            dbc.Col([dbc.Label("Page segmentation", className="small mb-0"),
                     dbc.Select(id=ids.TR_PSM, value="3", size="sm", options=[
                         {"label": "3 automatic", "value": "3"}, {"label": "4 one column", "value": "4"},
                         {"label": "6 one block", "value": "6"}, {"label": "1 automatic + orientation", "value": "1"},
                         {"label": "11 sparse text", "value": "11"}]),
                     dbc.Checkbox(id=ids.TR_PREPROCESSED, value=True, label="use preprocessed pages", className="small")], md=2),
            dbc.Col([
                html.Div([dbc.Button("Run OCR", id=ids.TR_RUN, color="primary", size="sm", className="me-1"),
                          dbc.Button("Cancel", id=ids.TR_CANCEL, color="danger", outline=True, size="sm", disabled=True)]),
                dbc.Progress(id=ids.TR_PROGRESS, value=0, max=1, label="", className="mt-1", style={"height": "1.2rem"}),
            ], md=3),
        ],
        className="g-2 mb-1",
    )


def _editor() -> html.Div:
    palette = [html.Button(label, type="button", title=title, className="btn btn-outline-secondary btn-sm kalamos-key",
                           **{"data-mark": mark, "data-target": ids.TR_TEXT}) for label, mark, title in PALETTE]
    return html.Div([
        html.Div(id=ids.TR_TITLE, className="fw-bold small"),
        html.Div(html.Img(id=ids.TR_LINE_IMG, className="kalamos-line-img", alt="the line image"), className="kalamos-line-box my-1"),
        dbc.Input(id=ids.TR_TEXT, type="text", className="kalamos-greek-input", autoComplete="off",
                  placeholder="Click a line; correct it; Enter marks it verified and goes to the next least sure line"),
        html.Div(id=ids.TR_EDIT_STATE, className="kalamos-edit-state", hidden=True),
        html.Div(id=ids.TR_EDITOR_BOX, hidden=True, role="status"),
        html.Div([dbc.Switch(id=ids.TR_BETA, label="Beta Code", value=False, className="small me-3 mb-0", persistence=True,
                              persistence_type="local"),
                  html.Div(palette, className="btn-group btn-group-sm flex-wrap")], className="d-flex align-items-center flex-wrap my-1"),
        html.Button("✓ Verified (Enter)", id=ids.TR_VERIFY, type="button", className="btn btn-sm btn-outline-success",
                                **{"data-editor-action": "confirm", "data-editor": ids.TR_EDIT_STATE}),
        dbc.Alert(id=ids.TR_MESSAGE, is_open=False, dismissable=True, className="py-1 small my-1"),
        html.Div(id=ids.TR_HISTORY, className="small kalamos-history", **{"data-relay-click": ids.TR_HISTORY_CLICK}),
        dcc.Store(id=ids.TR_HISTORY_CLICK),
    ])


def build() -> html.Div:
    return html.Div(
        [
            dcc.Store(id=ids.TR_LINES), dcc.Store(id=ids.TR_SELECTED), dcc.Store(id=ids.TR_REV, data=0),
            dcc.Store(id=ids.TR_SAVED), dcc.Store(id=ids.TR_CURRENT),
            _run_controls(),
            html.Div(id=ids.TR_RUN_STATUS, className="small"),
            dbc.Row([
                dbc.Col([
                    dbc.Select(id=ids.TR_PAGE, options=[], size="sm", className="mb-1"),
                    dcc.Graph(id=ids.TR_GRAPH, figure=review_figure(None, []), style={"height": "72vh"},
                              config={"scrollZoom": True, "displaylogo": False}),
                    html.Div(["Colours: ", html.Span("■ sure (≥ 80)", style={"color": "#2f9e44"}), " ",
                              html.Span("■ 60–80", style={"color": "#f08c00"}), " ", html.Span("■ < 60", style={"color": "#e03131"}),
                              " ", html.Span("■ edited", style={"color": "#7048e8"}),
                              " ", html.Span("■ verified", style={"color": "#1c7ed6"})], className="small text-muted"),
                ], md=7),
                dbc.Col([
                    _editor(),
                    html.Hr(className="my-2"),
                    html.Div("Lines, least sure first", className="small fw-bold"),
                    html.Div(id=ids.TR_LIST, className="kalamos-line-list"),
                    html.Hr(className="my-2"),
                    dbc.Input(id=ids.TR_SEARCH, type="search", size="sm", debounce=True,
                              placeholder="Search the document (accents and case ignored): λογος"),
                    html.Div(id=ids.TR_SEARCH_RESULTS, className="small"),
                    html.Hr(className="my-2"),
                    html.Div([html.Span("Error rates against verified lines, run ", className="small fw-bold"),
                              dbc.Select(id=ids.TR_RUN_PICK, options=[], size="sm", className="d-inline-block w-auto"),
                              dbc.Button("Resume this run", id=ids.TR_RESUME, size="sm", color="warning", outline=True,
                                         className="ms-1", style={"display": "none"},
                                         title="Read the pages this interrupted run had not read yet")]),
                    html.Div(id=ids.TR_EVAL, className="small"),
                    html.Details([
                        html.Summary("What this run read on this page (and another run, side by side)", className="small fw-bold"),
                        html.Div([html.Span("compare with ", className="small"),
                                  dbc.Select(id=ids.TR_COMPARE, options=[], size="sm", className="d-inline-block w-auto")]),
                        html.Div(id=ids.TR_RUN_TEXT, className="small kalamos-run-text"),
                    ], className="my-1"),
                    html.Hr(className="my-2"),
                    html.Div(id=ids.TR_EXPORTS, className="small"),
                ], md=5),
            ]),
        ],
        id=ids.TRANSCRIBE_TAB,
        className="p-2",
    )


def review_figure(view: dict[str, Any] | None, lines: list[dict[str, Any]], selected: str | None = None) -> go.Figure:
    """The page with each line's outline coloured by status and confidence; click targets along them."""
    fig = go.Figure()
    fig.update_layout(margin=dict(l=0, r=0, t=0, b=0), dragmode="pan", showlegend=False, plot_bgcolor="#e9e4d8",
                      paper_bgcolor="rgba(0,0,0,0)", xaxis=dict(visible=False),
                      yaxis=dict(visible=False, scaleanchor="x", autorange="reversed"), uirevision=(view or {}).get("page", "none"))
    if not view:
        fig.add_annotation(text="No page", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        return fig
    fig.update_layout(images=[dict(source=view["url"], xref="x", yref="y", x=0, y=0, sizex=view["width"],
                                   sizey=view["height"], sizing="stretch", layer="below")])
    fig.add_trace(go.Scatter(x=[0, view["width"]], y=[0, view["height"]], mode="markers", marker=dict(opacity=0), hoverinfo="skip"))
    xs, ys, cd, tx = [], [], [], []
    for ln in lines:
        colour = conf_colour(ln["status"], ln.get("conf"))
        outline = ln["outline"] + ln["outline"][:1]
        fig.add_trace(go.Scatter(x=[p[0] for p in outline], y=[p[1] for p in outline], mode="lines", hoverinfo="skip",
                                 line=dict(color=colour, width=4 if ln["id"] == selected else 2)))
        n = len(ln["outline"]) // 2
        for p in ln["outline"][:n]:
            xs.append(p[0])
            ys.append(p[1] + 0.5 * (ln["outline"][-1][1] - ln["outline"][0][1]) if n else p[1])
            cd.append(ln["id"])
            conf = "" if ln.get("conf") is None else f", confidence {ln['conf']:.0f}"
            tx.append(f"{ln['number']}. {plot_text(ln['text'][:60])} ({ln['status']}{conf})")
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", customdata=cd, hovertext=tx, hoverinfo="text",
                             marker=dict(size=16, opacity=0.01, color="#000")))
    return fig


def review_rows(lines: list[dict[str, Any]], selected: str | None) -> html.Div:
    def key(ln: dict[str, Any]) -> tuple[int, float]:
        return (1 if ln["status"] == "verified" else 0, ln["conf"] if ln.get("conf") is not None else 101.0)

    rows = []
    for ln in sorted(lines, key=key):
        conf = "" if ln.get("conf") is None else f"{ln['conf']:.0f}"
        rows.append(html.Button(
            [html.Span(f"{ln['number']}.", className="me-1 text-muted"),
             dbc.Badge(conf or ln["status"], className="me-2", style={"backgroundColor": conf_colour(ln["status"], ln.get("conf"))}),
             html.Span(ln["text"] or "—", className="kalamos-row-text")],
            id=ids.tr_row(ln["id"]), type="button", n_clicks=0,
            className="list-group-item list-group-item-action py-1 small" + (" active" if ln["id"] == selected else "")))
    return html.Div(rows, className="list-group")


def eval_table(rows: list[dict[str, Any]]) -> html.Table:
    if not rows:
        return html.Div("No verified lines on the pages of this run: verify some lines to see error rates.",
                        className="text-muted")
    head = list(rows[0])
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                      html.Tbody([html.Tr([html.Td(r[h]) for h in head], className="fw-bold" if r.get("page") == "all" else "")
                                  for r in rows])],
                     size="sm", bordered=False, striped=True, className="kalamos-eval small")


def _marked(parts: list[tuple[str, str, str]], side: int) -> list[Any]:
    """One side of a character diff: what the other side lacks, marked."""
    out: list[Any] = []
    for tag, a, b in parts:
        text = a if side == 0 else b
        if not text:
            continue
        out.append(text if tag == "equal" else html.Mark(text, className="kalamos-diff-mark"))
    return out


def run_text_view(first: list[str], second: list[str] | None, labels: tuple[str, str]) -> Any:
    """A run's lines on a page; with a second run, the lines paired and their differences marked."""
    from ocr.metrics import char_diff, pair_lines

    if second is None:
        return html.Ol([html.Li(t or "—", className="kalamos-greek") for t in first], className="mb-1")
    rows = []
    for i, j in pair_lines(first, second):
        a, b = (first[i] if i is not None else ""), (second[j] if j is not None else "")
        parts = char_diff(a, b)
        rows.append(html.Tr([html.Td(_marked(parts, 0) if i is not None else "—", className="kalamos-greek"),
                             html.Td(_marked(parts, 1) if j is not None else "—", className="kalamos-greek")]))
    return dbc.Table([html.Thead(html.Tr([html.Th(labels[0]), html.Th(labels[1])])), html.Tbody(rows)],
                     size="sm", bordered=True, className="kalamos-run-compare")
