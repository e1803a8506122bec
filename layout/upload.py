"""Upload tab: a drop zone that streams files to the server, messages, and the page grid."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layout import ids

__all__ = ["build", "page_card", "result_alerts"]

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
            html.Div(id=ids.UPLOAD_MESSAGES),
            html.H6(id=ids.UPLOAD_COUNT, className="mt-3"),
            html.Div(id=ids.UPLOAD_GRID, className="kalamos-grid"),
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
