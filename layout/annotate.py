"""Annotate tab: the page with its lines to draw and fix, the selected line's image and its
transcription (with Greek input), the list of lines, machine help and ground-truth exchange."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from layout import ids
from layout.plotting import plot_text
from ocr.align import variants
from ocr.greek import ANO_TELEIA_MARKS, ELISION_MARKS, LUNATE_CHOICES
from ocr.regions import SEGMONTO_ZONES

__all__ = ["build", "page_figure", "line_rows", "row_content", "row_class", "status_summary", "status_patch",
           "selection_patch", "hover_text", "region_rows", "variants_view", "REGION_COLOURS", "HIT_TRACE", "TARGETS_PER_LINE", "STATUS_COLOURS", "STATUS_BADGES", "PALETTE"]

STATUS_COLOURS = {"empty": "#868e96", "machine": "#e8590c", "aligned": "#0c8599", "edited": "#7048e8",
                  "verified": "#2b8a3e"}
#: Bootstrap colours of the status badges
STATUS_BADGES = {"empty": "secondary", "machine": "warning", "aligned": "#0c8599", "edited": "#7048e8",
                 "verified": "success"}
STATUS_HELP = {"empty": "no text yet", "machine": "read by Tesseract, not checked",
               "aligned": "the text of an edition put on this line, not checked (Enter or ✓ confirms)",
               "edited": "typed or corrected, not confirmed (Enter or ✓ confirms)", "verified": "confirmed: ground truth"}

#: (label, what it inserts, title): combining marks go on the letter before the cursor
PALETTE = [
    ("᾿", "\u0313", "psili (smooth breathing)"), ("῾", "\u0314", "dasia (rough breathing)"),
    ("´", "\u0301", "acute (oxia/tonos)"), ("`", "\u0300", "grave (varia)"), ("῀", "\u0342", "circumflex (perispomeni)"),
    ("ͺ", "\u0345", "iota subscript (ypogegrammeni)"), ("¨", "\u0308", "diaeresis (dialytika)"), ("¯", "\u0304", "macron"),
    ("ς", "ς", "final sigma"), ("ϲ", "ϲ", "lunate sigma"), ("·", "\u00b7", "ano teleia"), ("’", "\u2019", "apostrophe (elision)"),
]


def _toolbar() -> dbc.Row:
    return dbc.Row(
        [
            dbc.Col([dbc.Label("Page", html_for=ids.AN_PAGE, className="small mb-0"),
                     dbc.Select(id=ids.AN_PAGE, options=[], size="sm")], md=3),
            dbc.Col([dbc.Label("Show", className="small mb-0"),
                     dbc.RadioItems(id=ids.AN_VIEW, inline=True, value="original", className="small",
                                    options=[{"label": "original", "value": "original"},
                                             {"label": "preprocessed", "value": "processed"}])], md=2),
            dbc.Col([dbc.Label("Find lines for me", className="small mb-0"),
                     dbc.InputGroup([dbc.Select(id=ids.AN_FIND_METHOD, size="sm", value="projection",
                                                options=[{"label": "by projection (fast)", "value": "projection"},
                                                         {"label": "with Tesseract (also reads them)", "value": "tesseract"}]),
                                     dbc.Button("Find", id=ids.AN_FIND, size="sm", color="secondary")], size="sm")], md=3),
            dbc.Col([dbc.Label("Pre-fill empty lines with", className="small mb-0"),
                     dbc.InputGroup([dbc.Select(id=ids.AN_PREFILL_LANG, options=[], value="grc", size="sm"),
                                     dbc.Button("OCR", id=ids.AN_PREFILL, size="sm", color="secondary")], size="sm"),
                     dbc.Progress(id=ids.AN_PREFILL_PROGRESS, value=0, max=1, style={"height": "4px"}, className="mt-1")],
                    md=2),
            dbc.Col([dbc.Label("Undo", className="small mb-0 d-block"),
                     dbc.Button("↶ Undo last change", id=ids.AN_UNDO, size="sm", color="secondary", outline=True)], md=2),
        ],
        className="g-2 mb-1",
    )


#: The region types offered for drawing (a project's own types come after SegmOnto's in the lists).
REGION_COLOURS = {"MainZone": "#0c8599", "MarginTextZone": "#c2255c", "NumberingZone": "#e67700",
                  "RunningTitleZone": "#2f9e44", "CustomZone": "#5f3dc4"}


def _layers() -> dbc.Row:
    return dbc.Row(
        [
            dbc.Col([dbc.Label("Draw on", className="small mb-0 d-block"),
                     dbc.RadioItems(id=ids.AN_LAYER, inline=True, value="lines", className="small",
                                    options=[{"label": "lines", "value": "lines"}, {"label": "regions", "value": "regions"}])],
                    md=2),
            dbc.Col([dbc.Label("Show", className="small mb-0 d-block"),
                     dbc.Checklist(id=ids.AN_SHOW, inline=True, value=["lines", "regions"], className="small",
                                   options=[{"label": "lines", "value": "lines"}, {"label": "regions", "value": "regions"}])],
                    md=2),
            dbc.Col([dbc.Label("A region drawn is a", html_for=ids.AN_NEW_REGION_TYPE, className="small mb-0"),
                     dbc.Select(id=ids.AN_NEW_REGION_TYPE, size="sm", value="MainZone",
                                options=[{"label": t, "value": t} for t in SEGMONTO_ZONES])], md=3),
            dbc.Col([dbc.Label("Regions and lines", className="small mb-0 d-block"),
                     dbc.Button("Find regions and lines", id=ids.AN_FIND_REGIONS, size="sm", color="secondary",
                                title="Tesseract's layout analysis, grouped into typed regions (columns, main text, "
                                      "commentary, running title, numbers) in reading order; reads the lines too "
                                      "(with the model chosen for pre-fill)"),
                     dbc.Checkbox(id=ids.AN_FIND_REGIONS_REPLACE, label="replace this page's regions", value=False,
                                  className="d-inline-block ms-2 small")], md=5),
        ],
        className="g-2 mb-1",
    )


def region_rows(regions: list[dict[str, Any]], types: list[str], selected: str | None) -> Any:
    """The page's regions in reading order, each with its type, subtype, and buttons to move it
    earlier or later in the order and to delete it (its lines stay)."""
    if not regions:
        return html.Div("No regions: draw them (Draw on › regions) or use “Find regions and lines”. "
                        "Without regions the lines are read in the list's order.", className="text-muted small")
    rows = []
    for r in regions:
        rid = r["id"]
        options = [{"label": t, "value": t} for t in types] + ([] if r["type"] in types else [{"label": r["type"], "value": r["type"]}])
        rows.append(html.Div(
            [html.Button(f"{r['number']}", id=ids.an_region_action(rid, "select"), type="button", n_clicks=0,
                         className="btn btn-sm btn-outline-secondary py-0 me-1", title="Show this region on the page",
                         **{"aria-label": f"region {r['number']}"}),
             html.Label([html.Span(f"type of region {r['number']}", className="visually-hidden"),
                         dbc.Select(id=ids.an_region_field(ids.AN_REGION_TYPE, rid), value=r["type"], options=options,
                                    size="sm", className="d-inline-block w-auto")], className="me-1 mb-0"),
             html.Label([html.Span(f"subtype of region {r['number']}", className="visually-hidden"),
                         dbc.Input(id=ids.an_region_field(ids.AN_REGION_SUBTYPE, rid), value=r.get("subtype", ""),
                                   size="sm", debounce=True, placeholder="subtype", style={"width": "8rem"})],
                        className="me-1 mb-0"),
             html.Span(f"{r['lines']} line(s)", className="small text-muted me-1"),
             html.Button("▲", id=ids.an_region_action(rid, "earlier"), type="button", n_clicks=0, title="Earlier in the reading order",
                         className="btn btn-sm btn-outline-secondary py-0", **{"aria-label": f"region {r['number']} earlier"}),
             html.Button("▼", id=ids.an_region_action(rid, "later"), type="button", n_clicks=0, title="Later in the reading order",
                         className="btn btn-sm btn-outline-secondary py-0", **{"aria-label": f"region {r['number']} later"}),
             html.Button("✕", id=ids.an_region_action(rid, "delete"), type="button", n_clicks=0,
                         title="Delete the region (its lines stay)", className="btn btn-sm btn-outline-danger py-0 ms-1",
                         **{"aria-label": f"delete region {r['number']}"})],
            className="d-flex align-items-center py-1 kalamos-region-row" + (" bg-light" if rid == selected else ""),
            **{"data-region": rid},
        ))
    return html.Div(rows)


def _exchange() -> html.Div:
    return html.Div(
        [
            html.Span("Ground truth: export verified lines of this document as ", className="small"),
            html.Span(id=ids.AN_EXPORT_LINKS, className="small"),
            html.Div(html.Span("… or import PAGE XML / ALTO / TSV files, with their page images if they are new "
                               "(drop or click)", className="small text-decoration-underline"),
                     id=ids.AN_IMPORT, className="kalamos-dropzone kalamos-dropzone-inline ms-3",
                     **{"data-spec": ids.AN_IMPORT_SPEC, "data-progress": ids.AN_IMPORT_PROGRESS,
                        "data-result": ids.AN_IMPORT_RESULT, "data-label": "Choose ground-truth files to import",
                        "data-accept": ".xml,.tsv,.txt,.jpg,.jpeg,.png,.tif,.tiff,.webp"}),
            dbc.Select(id=ids.AN_IMPORT_STATUS, size="sm", value="verified", className="d-inline-block w-auto ms-2",
                       options=[{"label": "as ground truth (verified)", "value": "verified"},
                                {"label": "as text to check (machine)", "value": "machine"}]),
            dbc.Checkbox(id=ids.AN_IMPORT_REPLACE, label="replace existing lines", value=False,
                         className="d-inline-block ms-2 small"),
            dbc.Button("Writing conventions…", id=ids.AN_CONV_OPEN, size="sm", color="link", className="small py-0 ms-2",
                       title="How this project writes the elision mark, the ano teleia and sigma"),
            _conventions(),
            html.Div(id=ids.AN_IMPORT_SPEC, hidden=True),
            html.Span(id=ids.AN_IMPORT_PROGRESS, className="small ms-2 text-muted", role="status"),
            dcc.Store(id=ids.AN_IMPORT_RESULT),
        ],
        className="mb-1",
    )


def _align() -> html.Details:
    """"Align a known text": an edition's text for a page range, put onto the pages' lines."""
    return html.Details([
        html.Summary("Align a known text (an edition) to these lines…", className="small"),
        html.Div([
            html.P("Paste the edition's text for the chosen pages (any line breaks, with or without accents), or "
                   "choose a UTF-8 text file. Kalamos reads the lines with the model, finds each line's words in the "
                   "edition and puts them on the line in teal (aligned): check each line against the image (the "
                   "differences from what was read are marked), correct the variants, confirm with Enter. Verified "
                   "and typed lines are kept.", className="small text-muted mb-1"),
            dbc.Textarea(id=ids.AN_ALIGN_TEXT, rows=4, className="kalamos-greek-input small mb-1",
                         placeholder="μῆνιν ἄειδε θεὰ Πηληϊάδεω Ἀχιλῆος…"),
            html.Div([
                dcc.Upload(html.Span("… or choose a text file", className="small text-decoration-underline"),
                           id=ids.AN_ALIGN_FILE, accept=".txt,text/plain", max_size=8 * 1024 * 1024,
                           className="kalamos-dropzone kalamos-dropzone-inline me-2"),
                html.Span(id=ids.AN_ALIGN_FILE_NAME, className="small text-muted me-3"),
                html.Span("pages ", className="small"),
                dbc.Input(id=ids.AN_ALIGN_FIRST, type="number", min=1, step=1, size="sm", className="d-inline-block",
                          style={"width": "5rem"}, placeholder="this"),
                html.Span(" to ", className="small"),
                dbc.Input(id=ids.AN_ALIGN_LAST, type="number", min=1, step=1, size="sm", className="d-inline-block",
                          style={"width": "5rem"}, placeholder="this"),
                html.Span(" read with ", className="small ms-2"),
                dbc.Select(id=ids.AN_ALIGN_MODEL, options=[], value="grc", size="sm", className="d-inline-block w-auto"),
                dbc.Button("Align", id=ids.AN_ALIGN_RUN, size="sm", color="primary", className="ms-2"),
            ], className="d-flex align-items-center flex-wrap gap-1"),
            dbc.Progress(id=ids.AN_ALIGN_PROGRESS, value=0, max=1, style={"height": "4px"}, className="mt-1"),
            html.Div(id=ids.AN_ALIGN_RESULT, className="small mt-1", role="status"),
        ], className="kalamos-align p-2 border rounded mb-1"),
    ], className="mb-1")


def _conventions() -> dbc.Modal:
    def select(ident: str, choices: dict[str, str]) -> dbc.Select:
        return dbc.Select(id=ident, size="sm", options=[{"label": label, "value": value} for value, label in choices.items()])

    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("How this project writes")),
        dbc.ModalBody([
            html.P("Text is stored in Unicode NFC (oxia becomes tonos). Characters that have several forms are written "
                   "one way in the whole project, on every save, verification, import and OCR, so that the model does not "
                   "learn two characters for one. The elision mark and sigma default to the forms Tesseract's grc knows; "
                   "grc knows no ano teleia at all, so its default is the NFC form (·), which training adds.",
                   className="small"),
            dbc.Label("Elision mark (and a spacing koronis used as one)", className="small mb-0"),
            select(ids.AN_CONV_ELISION, ELISION_MARKS),
            dbc.Label("Ano teleia (raised dot)", className="small mb-0 mt-2"),
            select(ids.AN_CONV_TELEIA, ANO_TELEIA_MARKS),
            dbc.Label("Sigma", className="small mb-0 mt-2"),
            select(ids.AN_CONV_LUNATE, LUNATE_CHOICES),
            html.P("Lines already stored keep their forms until you write them the project's way (Train tab, "
                   "before training).", className="small text-muted mt-2 mb-0"),
        ]),
        dbc.ModalFooter(dbc.Button("Save", id=ids.AN_CONV_SAVE, color="primary", size="sm")),
    ], id=ids.AN_CONV_MODAL, is_open=False, fade=False)


def _editor() -> html.Div:
    palette = [html.Button(label, type="button", title=title, className="btn btn-outline-secondary btn-sm kalamos-key",
                           **{"data-mark": mark, "data-target": ids.AN_TEXT}) for label, mark, title in PALETTE]
    return html.Div(
        [
            html.Div(id=ids.AN_TITLE, className="fw-bold small"),
            html.Div(html.Img(id=ids.AN_LINE_IMG, className="kalamos-line-img", alt="the line as the engine sees it"),
                     className="kalamos-line-box my-1"),
            dbc.Input(id=ids.AN_TEXT, type="text", className="kalamos-greek-input", autoComplete="off",
                      placeholder="Select or draw a line, then type its text; Enter confirms it and goes to the next line"),
            html.Div(id=ids.AN_EDIT_STATE, className="kalamos-edit-state", hidden=True),
            html.Div(id=ids.AN_EDITOR_BOX, hidden=True, role="status"),
            html.Div(
                [dbc.Switch(id=ids.AN_BETA, label="Beta Code (mh=nin → μῆνιν)", value=False, className="small me-3 mb-0",
                            persistence=True, persistence_type="local"),
                 html.Div(palette, id=ids.AN_PALETTE, className="btn-group btn-group-sm flex-wrap")],
                className="d-flex align-items-center flex-wrap my-1",
            ),
            html.Div(
                [
                    html.Button("◀ Previous", id=ids.AN_PREV, type="button", className="btn btn-sm btn-outline-secondary", title="Alt+↑",
                                **{"data-editor-action": "prev", "data-editor": ids.AN_EDIT_STATE}),
                    html.Button("Next ▶", id=ids.AN_NEXT, type="button", className="btn btn-sm btn-outline-secondary", title="Alt+↓",
                                **{"data-editor-action": "next", "data-editor": ids.AN_EDIT_STATE}),
                    html.Button("✓ Verified", id=ids.AN_VERIFY, type="button", className="btn btn-sm btn-outline-success", title="Confirm this line's text as ground truth (Enter does it and goes on)",
                                **{"data-editor-action": "confirm", "data-editor": ids.AN_EDIT_STATE}),
                    dbc.Button("Earlier", id=ids.AN_UP, size="sm", color="secondary", outline=True, title="Move up in reading order"),
                    dbc.Button("Later", id=ids.AN_DOWN, size="sm", color="secondary", outline=True, title="Move down in reading order"),
                    dbc.Button("Delete line", id=ids.AN_DELETE, size="sm", color="danger", outline=True),
                ],
                className="d-flex flex-wrap gap-1 my-1",
            ),
            html.Div(
                [html.Span("Band around the baseline (px): above ", className="small"),
                 dbc.Input(id=ids.AN_ABOVE, type="number", min=1, max=2000, step=1, size="sm", debounce=True,
                           className="d-inline-block", style={"width": "5.5rem"}),
                 html.Span(" below ", className="small"),
                 dbc.Input(id=ids.AN_BELOW, type="number", min=1, max=2000, step=1, size="sm", debounce=True,
                           className="d-inline-block", style={"width": "5.5rem"})],
                id=ids.AN_BAND, className="my-1",
            ),
            html.Div(id=ids.AN_WARNINGS),
            html.Div(id=ids.AN_HISTORY, className="small kalamos-history", **{"data-relay-click": ids.AN_HISTORY_CLICK}),
            dcc.Store(id=ids.AN_HISTORY_CLICK),
        ],
        className="kalamos-editor",
    )


def build() -> html.Div:
    return html.Div(
        [
            dcc.Store(id=ids.AN_LINES),
            dcc.Store(id=ids.AN_SELECTED),
            dcc.Store(id=ids.AN_EDITING),
            dcc.Store(id=ids.AN_UNDO_STORE),
            dcc.Store(id=ids.AN_SAVED),
            dcc.Store(id=ids.AN_DRAW, data=0),
            dcc.Store(id=ids.AN_CURRENT),
            dcc.Store(id=ids.AN_SHOWN),
            dcc.Store(id=ids.AN_CHANGE),
            dcc.Store(id=ids.AN_ORDER),
            dcc.Store(id=ids.AN_GOTO),
            dcc.Store(id=ids.AN_DIGEST),
            dcc.Interval(id=ids.AN_POLL, interval=8000, disabled=True),
            dcc.Store(id=ids.AN_VIEWPORT),
            dcc.Store(id=ids.AN_REV, data=0),
            dcc.Store(id=ids.AN_REGION_SELECTED),
            dcc.Store(id=ids.AN_REGION_CLICK),
            dcc.Store(id=ids.AN_REGION_EDIT),
            _toolbar(),
            _layers(),
            _exchange(),
            _align(),
            # a slot of one message line, kept when no message shows: a message appearing while a person draws
            # must not move the page under the mouse
            html.Div(dbc.Alert(id=ids.AN_MESSAGE, is_open=False, dismissable=True, className="py-1 small mb-0"),
                     className="kalamos-message-slot"),
            dbc.Row(
                [
                    dbc.Col(
                        [dcc.Graph(id=ids.AN_GRAPH, figure=page_figure(None, [], None), style={"height": "76vh"},
                                   config={"scrollZoom": True, "displaylogo": False,
                                           # two lines clicked one after the other are not a double click
                                           # that throws the zoom away (the modebar's home button does that)
                                           "doubleClick": False,
                                           "modeBarButtonsToAdd": ["drawline", "drawrect", "drawclosedpath", "eraseshape"]}),
                         html.Div("Draw a line along the baseline of a text line (line tool), or a box or a polygon "
                                  "around it. Click a line to select it; the selected line can be dragged and reshaped.",
                                  className="small text-muted")],
                        md=7,
                    ),
                    dbc.Col([_editor(), html.Hr(className="my-2"),
                             html.Details([html.Summary("Regions, in reading order", className="small fw-bold"),
                                           html.Div(id=ids.AN_REGION_LIST, className="kalamos-region-list",
                                                    **{"data-relay-click": ids.AN_REGION_CLICK,
                                                       "data-relay-change": ids.AN_REGION_EDIT}),
                                           dbc.InputGroup([dbc.Input(id=ids.AN_OWN_TYPE, placeholder="a type of this project's own",
                                                                     size="sm"),
                                                           dbc.Button("Add type", id=ids.AN_OWN_TYPE_ADD, size="sm",
                                                                      color="secondary", outline=True)],
                                                          size="sm", className="mt-1", style={"maxWidth": "22rem"})],
                                          open=True, className="mb-2"),
                             html.Div([html.Span(id=ids.AN_COUNTS, className="small me-2"),
                                       dcc.ConfirmDialogProvider(
                                           dbc.Button("Verify the page's lines…", id=ids.AN_VERIFY_ALL, size="sm",
                                                      color="success", outline=True, className="py-0"),
                                           id=f"{ids.AN_VERIFY_ALL}-confirm",
                                           message="Verify every line of this page that has text and is not verified yet "
                                                   "(machine and edited lines)? They become ground truth for training. "
                                                   "Check them first.")],
                                      className="d-flex align-items-center flex-wrap mb-1"),
                             html.Div(id=ids.AN_LIST, className="kalamos-line-list")], md=5),
                ]
            ),
        ],
        id=ids.ANNOTATE_TAB,
        className="p-2",
    )


#: A shape of a layer not shown: there (so that drawing on the other layer does not take it for erased), but
#: transparent and not editable. Not ``visible: false``: Plotly strips such shapes to their name when the person
#: draws another, and the figure then loses them.
HIDDEN = {"opacity": 0, "editable": False}


def _shape(line_id: str, pts: list[list[float]], closed: bool, colour: str, selected: bool) -> dict[str, Any]:
    width = 4 if selected else 2
    common = {"name": line_id, "editable": selected, "layer": "above",
              "line": {"color": colour, "width": width}}
    if not closed and len(pts) == 2:
        (x0, y0), (x1, y1) = pts
        return {"type": "line", "x0": x0, "y0": y0, "x1": x1, "y1": y1, **common}
    path = "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + ("Z" if closed else "")
    return {"type": "path", "path": path, **common, "fillcolor": "rgba(0,0,0,0)"}


def page_figure(view: dict[str, Any] | None, lines: list[dict[str, Any]], selected: str | None,
                viewport: dict[str, Any] | None = None, regions: list[dict[str, Any]] | None = None,
                show: list[str] | tuple[str, ...] = ("lines", "regions"), region_selected: str | None = None) -> go.Figure:
    """The page as a layout image with one shape per line (named by its id) in view coordinates.

    ``view``: {"page", "url", "width", "height"}; each line: {"id", "kind", "view_points",
    "view_outline", "status", "text", "number"}. ``regions`` come after the lines among the shapes,
    named ``region:<id>`` ({"id", "label", "view_points", "number"}), with their reading order as
    numbers and arrows; a layer not in ``show`` is hidden (its shapes stay, transparent and not
    editable: ``HIDDEN``). ``viewport``: the user's zoom ({"x": [x0, x1],
    "y": [y1, y0]}) and drawing tool ({"dragmode"}) to keep; without a zoom the page fills the width
    of the plot, from its top (a manuscript page is taller than the screen is wide).
    """
    fig = go.Figure()
    fig.update_layout(margin=dict(l=0, r=0, t=0, b=0), dragmode="pan", showlegend=False,
                      plot_bgcolor="#e9e4d8", paper_bgcolor="rgba(0,0,0,0)",
                      newshape=dict(line=dict(color="#1c7ed6", width=3), fillcolor="rgba(0,0,0,0)"),
                      xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"),
                      uirevision=(view or {}).get("page", "none"))
    if not view:
        fig.add_annotation(text="No page", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        return fig
    w, h = view["width"], view["height"]
    fig.update_layout(images=[dict(source=view["url"], xref="x", yref="y", x=0, y=0, sizex=w, sizey=h,
                                   sizing="stretch", layer="below")])
    vp = viewport or {}
    if vp.get("x") and vp.get("y"):
        fig.update_layout(xaxis_range=vp["x"], yaxis_range=vp["y"], xaxis_autorange=False, yaxis_autorange=False)
    else:  # fit the width: the y range given is short, Plotly lengthens it downwards to the plot's shape
        fig.update_layout(xaxis_range=[0, w], yaxis_range=[min(h, w * 0.2), 0], xaxis_autorange=False,
                          yaxis_autorange=False, yaxis_constraintoward="top")
    if vp.get("dragmode"):
        fig.update_layout(dragmode=vp["dragmode"])
    shapes = []
    band_x: list[float | None] = []
    band_y: list[float | None] = []
    hit_x, hit_y, hit_id, hit_text = [], [], [], []
    for ln in lines:
        colour = STATUS_COLOURS.get(ln["status"], "#868e96")
        pts = ln["view_points"]
        shape = _shape(ln["id"], pts, ln["kind"] != "baseline", colour, ln["id"] == selected)
        if "lines" not in show:
            shape.update(HIDDEN)
        shapes.append(shape)
        if ln["kind"] == "baseline":
            outline = ln["view_outline"] + ln["view_outline"][:1]
            band_x += [round(p[0], 1) for p in outline] + [None]
            band_y += [round(p[1], 1) for p in outline] + [None]
        for x, y in click_targets(ln):  # on the writing itself: a click on the words selects the line
            hit_x.append(round(x, 1))
            hit_y.append(round(y, 1))
            hit_id.append(ln["id"])
            hit_text.append(hover_text(ln))
    fig.add_trace(go.Scatter(x=[0, w], y=[0, h], mode="markers", marker=dict(opacity=0), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=band_x, y=band_y, mode="lines", line=dict(color="rgba(28,126,214,0.35)", width=1),
                             hoverinfo="skip"))  # always there (maybe empty), so that the click targets are trace HIT_TRACE
    fig.add_trace(go.Scatter(x=hit_x, y=hit_y, mode="markers", customdata=hit_id, hovertext=hit_text,
                             hoverinfo="text", marker=dict(size=14, opacity=0.01, color="#000")))
    centres = []
    for r in regions or []:
        colour = REGION_COLOURS.get(r["label"].split(":")[0], "#495057")
        mine = r["id"] == region_selected
        pts = r["view_points"]
        path = "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z"
        shapes.append({"type": "path", "path": path, "name": f"region:{r['id']}", "editable": mine, "layer": "above",
                       "line": {"color": colour, "width": 4 if mine else 2, "dash": "dash"},
                       "fillcolor": "rgba(0,0,0,0)", **({} if "regions" in show else HIDDEN)})
        x0, y0 = min(p[0] for p in pts), min(p[1] for p in pts)
        x1, y1 = max(p[0] for p in pts), max(p[1] for p in pts)
        centres.append(((x0 + x1) / 2, (y0 + y1) / 2))
        if "regions" in show:
            fig.add_annotation(x=x0, y=y0, xanchor="left", yanchor="bottom", showarrow=False,
                               text=f"<b>{r['number']}</b> {r['label']}", font={"color": "#fff", "size": 12},
                               bgcolor=colour, opacity=0.9)
    if "regions" in show:  # the reading order: an arrow from each region to the next
        for (ax, ay), (x, y) in zip(centres, centres[1:]):
            fig.add_annotation(x=x, y=y, ax=ax, ay=ay, xref="x", yref="y", axref="x", ayref="y", text="",
                               showarrow=True, arrowhead=3, arrowsize=1.5, arrowwidth=2, arrowcolor="rgba(224,49,49,0.7)")
    fig.update_layout(shapes=shapes)
    return fig


#: The trace of the click targets in ``page_figure``, and how many targets each line has there.
HIT_TRACE = 2
TARGETS_PER_LINE = 8


def click_targets(ln: dict[str, Any]) -> list[tuple[float, float]]:
    """Points across the middle of a line's writing (its band, box or polygon), from its left end to
    its right end: where a person clicks when they click "on the line"."""
    area = ln["view_outline"] if ln["kind"] == "baseline" and ln.get("view_outline") else ln["view_points"]
    xs, ys = [p[0] for p in area], [p[1] for p in area]
    x0, x1 = min(xs), max(xs)
    if ln["kind"] == "baseline" and len(ln["view_points"]) >= 2:
        # follow a slanted baseline: the middle of the band at each x
        (ax, ay), (bx, by) = ln["view_points"][0], ln["view_points"][-1]
        half = (max(ys) - min(ys)) / 2 - (max(ay, by) - min(ay, by)) / 2
        out = []
        for j in range(TARGETS_PER_LINE):
            f = (j + 0.5) / TARGETS_PER_LINE
            out.append((ax + (bx - ax) * f, ay + (by - ay) * f - half * 0.6))
        return out
    y = (min(ys) + max(ys)) / 2
    return [(x0 + (x1 - x0) * (j + 0.5) / TARGETS_PER_LINE, y) for j in range(TARGETS_PER_LINE)]


def hover_text(ln: dict[str, Any]) -> str:
    """What hovering a line shows: its text (not its number, which changes when a line is drawn above it)."""
    return plot_text(ln["text"][:60]) or "(no text)"


def status_patch(fig: Any, index: int, ln: dict[str, Any]) -> None:
    """Change, in a ``dash.Patch`` of a ``page_figure``, what a line's new text or status shows."""
    fig["layout"]["shapes"][index]["line"]["color"] = STATUS_COLOURS.get(ln["status"], "#868e96")
    for j in range(TARGETS_PER_LINE):
        fig["data"][HIT_TRACE]["hovertext"][index * TARGETS_PER_LINE + j] = hover_text(ln)


def selection_patch(fig: Any, index: int, selected: bool, shown: bool = True) -> None:
    """Show, in a ``dash.Patch`` of a ``page_figure``, a line as selected (thick, editable) or not
    (``shown``: whether the lines layer is shown; a hidden line is never editable)."""
    fig["layout"]["shapes"][index]["line"]["width"] = 4 if selected else 2
    fig["layout"]["shapes"][index]["editable"] = selected and shown


ROW_CLASS = "list-group-item list-group-item-action py-1 small"


def badge_class(status: str) -> str:
    """The classes of a status badge (as assets/annotate.js sets them after a save)."""
    return f"badge kalamos-badge-{status} me-2"


def row_content(ln: dict[str, Any]) -> list[Any]:
    badge = html.Span(ln["status"], id=ids.an_row_part(ids.AN_ROW_BADGE, ln["id"]), className=badge_class(ln["status"]),
                      title=STATUS_HELP[ln["status"]])
    # shown while the line is aligned only (CSS: after an aligned badge), so it goes when the line is confirmed
    attention = [html.Span("⚠", className="me-1 text-danger kalamos-attention", title="the edition matches what was "
                           "read here poorly: look at this line first")] if ln.get("attention") else []
    # the number is the row's place, drawn by CSS (kalamos.css): a line drawn above does not change this row
    return [badge, *attention,
            html.Span(ln["text"] or "—", id=ids.an_row_part(ids.AN_ROW_TEXT, ln["id"]), className="kalamos-row-text")]


def row_class(selected: bool) -> str:
    return ROW_CLASS + (" active" if selected else "")


def line_rows(lines: list[dict[str, Any]], selected: str | None) -> html.Div:
    rows = [html.Button(row_content(ln), id=ids.an_row(ln["id"]), type="button", n_clicks=0,
                        className=row_class(ln["id"] == selected)) for ln in lines]
    return html.Div(rows, className="list-group")


def status_summary(counts: dict[str, int]) -> list[Any]:
    """"12 verified · 3 edited · 20 machine · 2 empty", coloured like the badges."""
    out: list[Any] = []
    for status in ("verified", "edited", "aligned", "machine", "empty"):
        if counts.get(status):
            if out:
                out.append(" · ")
            out.append(html.Span(f"{counts[status]} {status}", className=f"kalamos-text-{status}",
                                 title=STATUS_HELP[status]))
    return out or ["no lines"]


def variants_view(text: str, reading: str, score: float | None) -> Any:
    """The line editor's diff view of an aligned line: the edition's text over what Tesseract read,
    the words that differ marked (the variants to check against the image)."""
    ours, theirs = variants(text, reading)

    def words(pairs: list[tuple[str, bool]]) -> list[Any]:
        out: list[Any] = []
        for word, differs in pairs:
            out += [html.Mark(word, className="kalamos-diff-mark") if differs else word, " "]
        return out or ["—"]

    agreement = f" (agreement {score:.0%})" if score is not None else ""
    return html.Div([
        html.Div(["Edition: ", html.Span(words(ours), className="kalamos-variant-text")]),
        html.Div(["Read here: ", html.Span(words(theirs), className="kalamos-variant-text")], className="text-muted"),
        html.Div(f"Marked: where the two differ{agreement}. Check those words against the image, correct, then Enter.",
                 className="text-muted"),
    ], className="kalamos-variants small my-1", id=ids.AN_VARIANTS)


def history_view(versions: list[dict[str, Any]], restore_type: str = ids.AN_HISTORY_RESTORE) -> Any:
    """Who made the line's current version and when; its earlier versions, each with a Restore button."""
    if not versions:
        return ""

    def who(v: dict[str, Any]) -> str:
        return f"{v['who']}, " if v.get("who") else ""

    first = versions[0]
    head = (f"Version {first['rev']} · {who(first)}{str(first['when'])[:16].replace('T', ' ')}" if first.get("current")
            else "This line was deleted; its earlier versions:")
    rows = [html.Li([html.Span(f"v{v['rev']} · {who(v)}{str(v['when'])[:16].replace('T', ' ')} · {v['status']}: ",
                               className="text-muted"),
                     html.Span(v["text"] or "(no text)", className="kalamos-greek"),
                     " ", html.Button("Restore", id={"type": restore_type, "rev": v["rev"]}, n_clicks=0,
                                      type="button", className="btn btn-link btn-sm p-0 kalamos-restore",
                                      title="Make this version the current one (itself a new version)")])
            for v in versions[1:]]
    earlier = html.Details([html.Summary(f"Earlier versions ({len(rows)})"), html.Ul(rows, className="mb-1")],
                           className="kalamos-versions") if rows else ""
    return [html.Div(head, className="text-muted kalamos-last-change"), earlier]
