"""The frame around the tabs: navbar with project/document pickers, the tabs, shared dialogs."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from layout import annotate, ids, preprocess, train, transcribe, upload

__all__ = ["build"]


def _picker(label: str, select_id: str, new_id: str, rename_id: str, delete_id: str, what: str) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=select_id, className="navbar-text text-light me-2 small text-uppercase"),
            dbc.Select(id=select_id, options=[], placeholder=f"no {what} yet", size="sm",
                       className="kalamos-picker me-1"),
            dbc.ButtonGroup(
                [
                    dbc.Button("New", id=new_id, size="sm", color="light", outline=True, title=f"New {what}"),
                    dbc.Button("Rename", id=rename_id, size="sm", color="light", outline=True, title=f"Rename this {what}"),
                    dbc.Button("Delete", id=delete_id, size="sm", color="danger", outline=True, title=f"Delete this {what}"),
                ],
                size="sm",
            ),
        ],
        className="d-flex align-items-center me-4 my-1",
    )


def navbar(user: str | None = None) -> dbc.Navbar:
    """The pickers, and with accounts on who is signed in and a way out."""
    share = dbc.Button("Share", id=ids.SHARE_OPEN, size="sm", color="light", outline=True, className="me-3",
                       title="Who may see or change this project", style={} if user else {"display": "none"})
    signed_in = [html.Div([html.Span(id=ids.ROLE_NOTE, className="badge bg-warning text-dark me-3 kalamos-role-note"),
                           share, html.Span(user, id=ids.USER_NAME, className="text-light me-2"),
                           html.A("Sign out", href="/logout", id=ids.SIGN_OUT, className="btn btn-sm btn-outline-light")],
                          className="ms-auto d-flex align-items-center")] if user else [share, html.Span(id=ids.ROLE_NOTE)]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Kalamos", className="me-4 fw-bold"),
                _picker("Project", ids.PROJECT_SELECT, ids.PROJECT_NEW, ids.PROJECT_RENAME, ids.PROJECT_DELETE, "project"),
                _picker("Document", ids.DOCUMENT_SELECT, ids.DOCUMENT_NEW, ids.DOCUMENT_RENAME, ids.DOCUMENT_DELETE, "document"),
                *signed_in,
            ],
            fluid=True,
            className="flex-wrap justify-content-start",
        ),
        color="dark",
        dark=True,
        className="mb-2",
    )


def share_dialog() -> dbc.Modal:
    """The owner's sharing of the selected project: members with their roles, and a user to add."""
    roles = [{"label": "editor (changes everything but the sharing)", "value": "editor"},
             {"label": "viewer (sees and exports)", "value": "viewer"}]
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Share this project")),
            dbc.ModalBody([
                html.Div(id=ids.SHARE_MEMBERS),
                html.Div([
                    dbc.Input(id=ids.SHARE_USER, placeholder="user name", size="sm", className="me-2", style={"width": "12rem"}),
                    dbc.Select(id=ids.SHARE_NEW_ROLE, options=roles, value="viewer", size="sm", className="me-2"),
                    dbc.Button("Add", id=ids.SHARE_ADD, size="sm", color="primary"),
                ], className="d-flex align-items-center mt-2"),
                html.Div(id=ids.SHARE_MESSAGE, className="small mt-2"),
            ]),
        ],
        id=ids.SHARE_MODAL, is_open=False, fade=False,
    )


def members_view(access: dict[str, Any]) -> Any:
    """The owner, then each member with a role picker and a Remove button."""
    rows = [html.Tr([html.Td(access.get("owner") or "(no owner: administrators)"), html.Td("owner"), html.Td("")])]
    for name, role in sorted(access.get("members", {}).items()):
        rows.append(html.Tr([
            html.Td(name),
            html.Td(dbc.Select(id={"type": ids.SHARE_ROLE, "user": name}, value=role, size="sm",
                               options=[{"label": "editor", "value": "editor"}, {"label": "viewer", "value": "viewer"}])),
            html.Td(dbc.Button("Remove", id={"type": ids.SHARE_REMOVE, "user": name}, n_clicks=0, size="sm",
                               color="danger", outline=True)),
        ]))
    return dbc.Table([html.Thead(html.Tr([html.Th("user"), html.Th("role"), html.Th("")])), html.Tbody(rows)],
                     size="sm", className="kalamos-members mb-1")


def name_dialog() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(id=ids.NAME_TITLE)),
            dbc.ModalBody(
                [
                    dbc.Input(id=ids.NAME_INPUT, type="text", maxLength=120, debounce=False, autoFocus=True),
                    html.Div(id=ids.NAME_ERROR, className="text-danger small mt-2"),
                ]
            ),
            dbc.ModalFooter(dbc.Button("OK", id=ids.NAME_OK, color="primary")),
        ],
        id=ids.NAME_MODAL,
        is_open=False,
        fade=False,  # no transition: a fading dialog can keep catching clicks on a slow machine
    )


def confirm_dialog() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Please confirm")),
            dbc.ModalBody(id=ids.CONFIRM_TEXT),
            dbc.ModalFooter(
                [
                    dbc.Button("Cancel", id=ids.CONFIRM_CANCEL, color="secondary", outline=True),
                    dbc.Button("Delete", id=ids.CONFIRM_OK, color="danger"),
                ]
            ),
        ],
        id=ids.CONFIRM_MODAL,
        is_open=False,
        fade=False,
    )


def build(user: str | None = None) -> html.Div:
    """The whole page (``user``: who is signed in, when accounts are on)."""
    return html.Div(
        [
            dcc.Store(id=ids.SELECTION, storage_type="local"),
            dcc.Store(id=ids.CATALOG_REV, data=0),
            dcc.Store(id=ids.EDITOR_ID),
            dcc.Store(id=ids.PAGES_REV, data=0),
            dcc.Store(id=ids.NAME_PENDING),
            dcc.Store(id=ids.CONFIRM_PENDING),
            navbar(user),
            dbc.Container(
                [
                    dbc.Alert(id=ids.NOTICE, is_open=False, dismissable=True, duration=8000),
                    dbc.Tabs(
                        [
                            dbc.Tab(upload.build(), label="Upload", tab_id="upload"),
                            dbc.Tab(preprocess.build(), label="Preprocess", tab_id="preprocess"),
                            dbc.Tab(annotate.build(), label="Annotate", tab_id="annotate"),
                            dbc.Tab(train.build(), label="Train", tab_id="train"),
                            dbc.Tab(transcribe.build(), label="Transcribe", tab_id="transcribe"),
                        ],
                        id=ids.TABS,
                        active_tab="upload",
                        persistence=True,
                        persistence_type="local",
                    ),
                ],
                fluid=True,
            ),
            name_dialog(),
            share_dialog(),
            confirm_dialog(),
        ]
    )
