"""Upload tab: a drop zone that streams files to the server, messages, the import from a IIIF
library (a manifest's canvases as thumbnails, a range and a size to import), and the page grid."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layout import ids

__all__ = ["build", "page_card", "result_alerts", "iiif_section", "canvas_strip", "about_manifest", "iiif_result", "source_line"]

ACCEPT = ".jpg,.jpeg,.png,.tif,.tiff,.webp,.pdf,image/jpeg,image/png,image/tiff,image/webp,application/pdf"


def build() -> html.Div:
    return html.Div(
        [
            html.Div(id=ids.UPLOAD_HINT, className="text-muted my-2"),
            dbc.Row(
                [
                    dbc.Col(
                        html.Div(
                            [
                                html.Div("Drop page images here, or click to choose files", className="fs-5"),
                                html.Div("JPEG, PNG, TIFF (every frame becomes a page), WebP, PDF (every page is rasterised)",
                                         className="small text-muted"),
                            ],
                            id=ids.UPLOAD_DROPZONE,
                            className="kalamos-dropzone",
                            **{"data-accept": ACCEPT},
                        ),
                        md=9,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("PDF resolution", html_for=ids.UPLOAD_DPI, className="small"),
                            dbc.Select(
                                id=ids.UPLOAD_DPI,
                                options=[{"label": f"{d} dpi", "value": str(d)} for d in (150, 200, 300, 400, 600)],
                                value="300",
                                size="sm",
                            ),
                            html.Div("Images are kept at their own resolution.", className="small text-muted mt-1"),
                        ],
                        md=3,
                    ),
                ],
                className="my-2",
            ),
            html.Div(id=ids.UPLOAD_URL, hidden=True),
            html.Div(id=ids.UPLOAD_PROGRESS, className="small my-1", role="status"),
            dcc.Store(id=ids.UPLOAD_RESULT),
            dcc.Store(id=ids.UPLOAD_PAGE_CLICK),
            html.Div(id=ids.UPLOAD_MESSAGES),
            iiif_section(),
            html.Div(id=ids.UP_IIIF_SOURCE, className="small mt-3 kalamos-iiif-source"),
            html.H6(id=ids.UPLOAD_COUNT, className="mt-3"),
            html.Div(id=ids.UPLOAD_GRID, className="kalamos-grid", **{"data-relay-click": ids.UPLOAD_PAGE_CLICK}),
        ],
        className="p-2",
    )


def page_card(number: int, total: int, page_id: str, label: str, size: str, thumb_url: str) -> html.Div:
    """One thumbnail with its position, name and the move/delete buttons."""
    return html.Div(dbc.Card(
        [
            html.A(dbc.CardImg(src=thumb_url, alt=f"page {number}: {label}", className="kalamos-thumb"),
                   href=thumb_url.replace("thumb.jpg", "image"), target="_blank", title="Open the full image"),
            dbc.CardBody(
                [
                    html.Div([html.Strong(f"{number}. "), html.Span(label, title=label)], className="small text-truncate"),
                    html.Div(size, className="small text-muted"),
                    dbc.ButtonGroup(
                        [
                            dbc.Button("◀", id=ids.page_move(page_id, -1), size="sm", color="secondary", outline=True,
                                       disabled=number == 1, title="Move earlier"),
                            dbc.Button("▶", id=ids.page_move(page_id, 1), size="sm", color="secondary", outline=True,
                                       disabled=number == total, title="Move later"),
                            dbc.Button("Delete", id=ids.page_delete(page_id), size="sm", color="danger", outline=True,
                                       title="Delete this page"),
                        ],
                        size="sm",
                        className="mt-1",
                    ),
                ],
                className="p-2",
            ),
        ],
        className="kalamos-card h-100",
    ), **{"data-page": page_id}, className="kalamos-page")


def result_alerts(results: list[dict[str, object]]) -> list[dbc.Alert]:
    """Messages for one batch of uploads: one line per failed file, a summary for the rest."""
    failed = [r for r in results if r.get("status") == "failed"]
    skipped = [r for r in results if r.get("status") == "skipped"]
    imported = [r for r in results if r.get("status") == "imported"]
    warnings = [f"{r['filename']}: {w}" for r in results for w in r.get("warnings", []) or []]  # type: ignore[union-attr]
    alerts = []
    if imported:
        pages = sum(len(r.get("page_ids", [])) for r in imported)  # type: ignore[arg-type]
        alerts.append(dbc.Alert(f"Imported {len(imported)} file(s), {pages} page(s).", color="success",
                                dismissable=True, className="py-2 kalamos-upload-ok"))
    if failed:
        alerts.append(dbc.Alert([html.Strong(f"{len(failed)} file(s) could not be imported:"),
                                 html.Ul([html.Li(str(r["message"])) for r in failed], className="mb-0")],
                                color="danger", dismissable=True, className="py-2 kalamos-upload-failed"))
    if skipped or warnings:
        alerts.append(dbc.Alert(html.Ul([html.Li(str(r["message"])) for r in skipped] + [html.Li(w) for w in warnings],
                                        className="mb-0"), color="warning", dismissable=True, className="py-2"))
    return alerts


# ---- from a IIIF library

#: What the Upload tab says of the full size (manuscript photographs are large).
FULL_SIZE_NOTE = ("Full-size photographs of a manuscript page may be 50 MB each; 2500 pixels wide is enough "
                  "for most hands and is much quicker to fetch.")


def iiif_section() -> dbc.Card:
    """A manifest's address and Read; once read, its canvases and the import's choices."""
    def labelled(label: str, control: object, **col: object) -> dbc.Col:
        return dbc.Col([dbc.Label(label, className="small mb-0 d-block"), control], width="auto", **col)

    number = {"type": "number", "step": 1, "size": "sm", "style": {"width": "6rem"}}
    form = html.Div(
        [
            dbc.Row(
                [
                    labelled("From canvas", dbc.Input(id=ids.UP_IIIF_FIRST, **number)),
                    labelled("to", dbc.Input(id=ids.UP_IIIF_LAST, **number)),
                    labelled("Size", dbc.RadioItems(id=ids.UP_IIIF_SIZE, inline=True, value="full", className="small",
                                                    options=[{"label": "full size", "value": "full"},
                                                             {"label": "width", "value": "width"}])),
                    labelled("Width (px)", dbc.Input(id=ids.UP_IIIF_WIDTH, value=2500, **number)),
                    dbc.Col(dbc.Button("Import", id=ids.UP_IIIF_IMPORT, color="primary", size="sm"), width="auto",
                            className="align-self-end"),
                ],
                className="g-2 mt-1",
            ),
            html.Div(FULL_SIZE_NOTE, className="small text-muted mt-1"),
            dbc.Progress(id=ids.UP_IIIF_PROGRESS, value=0, max=1, label="", className="mt-2", style={"height": "1.1rem"}),
            html.Div(id=ids.UP_IIIF_STATUS, className="small text-muted", role="status"),
            html.Div(id=ids.UP_IIIF_RESULT, className="mt-1"),
        ],
        id=ids.UP_IIIF_FORM,
        hidden=True,
    )
    return dbc.Card(
        dbc.CardBody(
            [
                html.H6("From a IIIF library", className="mb-1"),
                html.Div("The address of a manuscript's IIIF manifest (from the library's viewer: the IIIF logo "
                         "or “manifest” link); its pages are fetched by the Kalamos server.",
                         className="small text-muted mb-1"),
                dbc.InputGroup(
                    [
                        dbc.Input(id=ids.UP_IIIF_URL, type="text", inputMode="url", placeholder="https://…/manifest.json"),
                        dbc.Button("Read manifest", id=ids.UP_IIIF_READ, color="secondary"),
                    ],
                    size="sm",
                ),
                html.Div(id=ids.UP_IIIF_MESSAGE, className="mt-1"),
                dcc.Store(id=ids.UP_IIIF_REV, data=0),
                html.Div(id=ids.UP_IIIF_ABOUT, className="small mt-1"),
                html.Div(id=ids.UP_IIIF_CANVASES, className="kalamos-iiif-strip mt-1"),
                form,
            ],
            className="p-2",
        ),
        className="my-2",
    )


def canvas_strip(rows: list[dict[str, object]], thumb_urls: list[str]) -> list[html.Div]:
    """The manifest's canvases: a thumbnail (loaded when scrolled into view, ``assets/lazy.js``), the
    number and label, and "page k" on those already imported."""
    cards = []
    for row, url in zip(rows, thumb_urls):
        label = str(row["label"])
        caption: list[object] = [html.Strong(f"{row['index']}. "), html.Span(label, title=label)]
        if row.get("page"):
            caption.append(dbc.Badge(f"page {row['page']}", color="success", className="ms-1 kalamos-iiif-page"))
        cards.append(html.Div(
            [
                html.Img(alt=f"canvas {row['index']}: {label}", className="kalamos-iiif-thumb",
                         title=f"{label} ({row['size']})" if row.get("size") else label, **{"data-lazy-src": url}),
                html.Div(caption, className="small text-truncate"),
            ],
            className="kalamos-canvas", **{"data-canvas": str(row["index"])},
        ))
    return cards


def about_manifest(description: str, messages: list[str]) -> list[object]:
    """The manifest described in a line, and the canvases it had to leave out."""
    parts: list[object] = [html.Div(description, className="kalamos-iiif-about")]
    if messages:
        parts.append(dbc.Alert([html.Strong(f"{len(messages)} canvas(es) left out:"),
                                html.Ul([html.Li(m) for m in messages[:50]], className="mb-0")],
                               color="warning", className="py-1 mb-1 small"))
    return parts


def iiif_result(summary: str, results: list[dict[str, object]]) -> list[dbc.Alert]:
    """What an import did: the summary, then a line per failed, skipped or warned canvas."""
    failed = [r for r in results if r.get("status") == "failed"]
    skipped = [r for r in results if r.get("status") == "skipped"]
    warnings = [f"{r['filename']}: {w}" for r in results if r.get("status") == "imported"
                for w in r.get("warnings", []) or []]  # type: ignore[union-attr]
    colour = "danger" if failed and len(failed) == len(results) else "warning" if failed else "success"
    alerts = [dbc.Alert(summary, color=colour, className="py-2 mb-1 kalamos-iiif-summary")]
    if failed:
        alerts.append(dbc.Alert([html.Strong(f"{len(failed)} canvas(es) could not be imported:"),
                                 html.Ul([html.Li(str(r["message"])) for r in failed], className="mb-0")],
                                color="danger", className="py-2 mb-1 kalamos-iiif-failed"))
    if skipped or warnings:
        alerts.append(dbc.Alert(html.Ul([html.Li(str(r["message"])) for r in skipped] + [html.Li(w) for w in warnings],
                                        className="mb-0"), color="secondary", className="py-2 mb-1 small kalamos-iiif-notes"))
    return alerts


def _link(text: str) -> html.A | html.Span:
    """An address as a link that opens in a new tab (only http(s): a manifest's text is not trusted)."""
    if text.startswith(("https://", "http://")):
        return html.A(text, href=text, target="_blank", rel="noopener noreferrer")
    return html.Span(text)


def source_line(source: dict[str, object]) -> list[object]:
    """"From IIIF: label — attribution — rights … — manifest …" for a document imported from a manifest."""
    parts: list[object] = [html.Strong("From IIIF: "), html.Span(str(source.get("label") or "a manuscript"))]
    if source.get("attribution"):
        parts += [" — ", html.Span(str(source["attribution"]))]
    rights = str(source.get("rights") or source.get("license") or "")
    if rights:
        parts += [" — rights ", _link(rights)]
    manifest = str(source.get("manifest") or source.get("read_from") or "")
    if manifest:
        parts += [" — manifest ", _link(manifest)]
    return parts
