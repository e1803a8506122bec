"""The owner's sharing of a project, from the navbar (accounts on): who may see or change it, in which role.
The rules are ``services/projects.py``'s (only the owner or an administrator shares; a user must exist)."""

from __future__ import annotations

from dash import ALL, Dash, Input, Output, State, ctx, no_update

from callbacks.common import project_of
from callbacks.permissions import current_actor
from callbacks.wiring import Access, Wiring
from config import Config
from layout import ids
from layout.shell import members_view
from services import projects
from storage.access import role_of
from storage import KalamosError, Store

__all__ = ["register", "wiring"]

wiring = Wiring()


@wiring.callback(Output(ids.SHARE_MODAL, "is_open"), Output(ids.SHARE_MEMBERS, "children"),
                 Output(ids.SHARE_MESSAGE, "children"), Input(ids.SHARE_OPEN, "n_clicks"), State(ids.SELECTION, "data"),
                 prevent_initial_call=True, checks_itself=True)
def open_sharing(store: Store, _n: int, selection: dict | None):
    project = project_of(selection)
    if not project:
        return True, "", "Choose a project first."
    try:
        projects.require(store, current_actor(), project, "share")
        return True, members_view(projects.members(store, current_actor(), project)), ""
    except KalamosError as exc:
        return True, "", str(exc)


@wiring.callback(Output(ids.SHARE_MEMBERS, "children", allow_duplicate=True),
                 Output(ids.SHARE_MESSAGE, "children", allow_duplicate=True), Output(ids.SHARE_USER, "value"),
                 Input(ids.SHARE_ADD, "n_clicks"), Input({"type": ids.SHARE_ROLE, "user": ALL}, "value"),
                 Input({"type": ids.SHARE_REMOVE, "user": ALL}, "n_clicks"),
                 State(ids.SHARE_USER, "value"), State(ids.SHARE_NEW_ROLE, "value"), State(ids.SELECTION, "data"),
                 prevent_initial_call=True, checks_itself=True)
def change_sharing(store: Store, _add: int, _roles: list, _removes: list, user: str | None, role: str | None,  # type: ignore[type-arg]
                   selection: dict | None):
    """Add a user, change a member's role, or remove one; the list is drawn again from the project."""
    project = project_of(selection)
    trigger = ctx.triggered_id
    if not (project and trigger and ctx.triggered and ctx.triggered[0].get("value") is not None):
        return no_update, no_update, no_update
    actor = current_actor()
    try:
        if trigger == ids.SHARE_ADD:
            name, new = (user or "").strip(), role or "viewer"
            if not name:
                return no_update, "Type the user name to share with.", no_update
        else:
            name = trigger["user"]
            new = "none" if trigger["type"] == ids.SHARE_REMOVE else ctx.triggered[0]["value"]
            if new == projects.members(store, actor, project)["members"].get(name):
                return no_update, no_update, no_update  # drawn again, not changed
        found = projects.share(store, actor, project, name, new)
    except KalamosError as exc:
        return no_update, str(exc), no_update
    said = f"{name} removed." if new == "none" else f"{name} is now {new}."
    return members_view(found), said, "" if trigger == ids.SHARE_ADD else no_update


@wiring.callback(Output(ids.ROLE_NOTE, "children"), Input(ids.SELECTION, "data"), checks_itself=True)
def role_note(store: Store, selection: dict | None):
    """Says, in the navbar, when the selected project is only shared for looking (a viewer's changes are refused)."""
    project = project_of(selection)
    actor = current_actor()
    if not (project and actor.user):
        return ""
    try:
        role = role_of(store, project, actor.user, actor.admin)
    except KalamosError:
        return ""
    return "viewer: you can look and export; changes are refused" if role == "viewer" else ""


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)
