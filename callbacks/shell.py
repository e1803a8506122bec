"""Navbar: choose, create, rename and delete projects and documents; the shared dialogs."""

from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State, no_update

from callbacks.permissions import current_actor
from callbacks.wiring import Access, Wiring
from config import Config
from layout import ids
from services import projects
from storage import KalamosError, Store

__all__ = ["register"]

NAME_ACTIONS = {
    "new-project": "New project",
    "rename-project": "Rename project",
    "new-document": "New document",
    "rename-document": "Rename document",
}


def _options(items: list[Any]) -> list[dict[str, str]]:
    return [{"label": it.name, "value": it.id} for it in items]


def _pick(current: str | None, options: list[dict[str, str]]) -> str | None:
    values = [o["value"] for o in options]
    return current if current in values else (values[0] if values else None)


wiring = Wiring()

# this browser tab's editor id (made by assets/editor.js) into the store the server callbacks read, at load: it
# tells a person's own earlier change of a line from someone else's (a band typed, then the line deleted)
wiring.clientside(ClientsideFunction("kalamos", "editorId"), Output(ids.EDITOR_ID, "data"), Input(ids.EDITOR_ID, "id"))

name_outputs = [
    Output(ids.NAME_PENDING, "data", allow_duplicate=True),
    Output(ids.NAME_MODAL, "is_open", allow_duplicate=True),
    Output(ids.NAME_TITLE, "children", allow_duplicate=True),
    Output(ids.NAME_INPUT, "value", allow_duplicate=True),
    Output(ids.NAME_ERROR, "children", allow_duplicate=True),
]

confirm_outputs = [
    Output(ids.CONFIRM_PENDING, "data", allow_duplicate=True),
    Output(ids.CONFIRM_MODAL, "is_open", allow_duplicate=True),
    Output(ids.CONFIRM_TEXT, "children", allow_duplicate=True),
]


@wiring.callback(
    Output(ids.PROJECT_SELECT, "options"),
    Output(ids.PROJECT_SELECT, "value"),
    Input(ids.CATALOG_REV, "data"),
    State(ids.SELECTION, "data"),
    checks_itself=True,
)
def list_projects(store: Store, _rev: int, selection: dict | None):
    options = _options(projects.projects(store, current_actor()))
    return options, _pick((selection or {}).get("project"), options)


@wiring.callback(
    Output(ids.DOCUMENT_SELECT, "options"),
    Output(ids.DOCUMENT_SELECT, "value"),
    Output(ids.DOCUMENT_SELECT, "disabled"),
    Input(ids.PROJECT_SELECT, "value"),
    Input(ids.CATALOG_REV, "data"),
    State(ids.SELECTION, "data"),
    checks_itself=True,
)
def list_documents(store: Store, project_id: str | None, _rev: int, selection: dict | None):
    if not project_id:
        return [], None, True
    try:
        options = _options(projects.documents(store, current_actor(), project_id))
    except KalamosError:
        return [], None, True
    return options, _pick((selection or {}).get("document"), options), False


@wiring.callback(
    Output(ids.SELECTION, "data"),
    Input(ids.PROJECT_SELECT, "value"),
    Input(ids.DOCUMENT_SELECT, "value"),
    checks_itself=True,
)
def remember(project_id: str | None, document_id: str | None):
    return {"project": project_id, "document": document_id}


# ---- the name dialog: four buttons open it, one OK performs the action
def open_name_dialog(action: str, initial: str = ""):
    return {"action": action}, True, NAME_ACTIONS[action], initial, ""


@wiring.callback(*name_outputs, Input(ids.PROJECT_NEW, "n_clicks"), prevent_initial_call=True, checks_itself=True)
def ask_new_project(_n: int):
    return open_name_dialog("new-project")


@wiring.callback(*name_outputs, Input(ids.PROJECT_RENAME, "n_clicks"), State(ids.PROJECT_SELECT, "value"),
                 prevent_initial_call=True, checks_itself=True)
def ask_rename_project(store: Store, _n: int, project_id: str | None):
    if not project_id:
        return no_update
    try:
        projects.require(store, current_actor(), project_id, "share")
        return open_name_dialog("rename-project", store.get_project(project_id).name)
    except KalamosError as exc:
        return None, True, "Rename the project", "", str(exc)


@wiring.callback(*name_outputs, Input(ids.DOCUMENT_NEW, "n_clicks"), State(ids.PROJECT_SELECT, "value"),
                 prevent_initial_call=True, checks_itself=True)
def ask_new_document(_n: int, project_id: str | None):
    if not project_id:
        return None, True, "Create a project first", "", "A document belongs to a project: create one with Project › New."
    return open_name_dialog("new-document")


@wiring.callback(*name_outputs, Input(ids.DOCUMENT_RENAME, "n_clicks"), State(ids.PROJECT_SELECT, "value"),
                 State(ids.DOCUMENT_SELECT, "value"), prevent_initial_call=True, checks_itself=True)
def ask_rename_document(store: Store, _n: int, project_id: str | None, document_id: str | None):
    if not (project_id and document_id):
        return no_update
    try:
        projects.require(store, current_actor(), project_id, "write")
        return open_name_dialog("rename-document", store.get_document(project_id, document_id).name)
    except KalamosError as exc:
        return None, True, "Rename the document", "", str(exc)


@wiring.callback(
    Output(ids.NAME_MODAL, "is_open", allow_duplicate=True),
    Output(ids.NAME_ERROR, "children", allow_duplicate=True),
    Output(ids.CATALOG_REV, "data", allow_duplicate=True),
    Output(ids.SELECTION, "data", allow_duplicate=True),
    Input(ids.NAME_OK, "n_clicks"),
    Input(ids.NAME_INPUT, "n_submit"),
    State(ids.NAME_PENDING, "data"),
    State(ids.NAME_INPUT, "value"),
    State(ids.SELECTION, "data"),
    State(ids.CATALOG_REV, "data"),
    prevent_initial_call=True,
    checks_itself=True,
)
def submit_name(store: Store, _n: int, _s: int, pending: dict | None, name: str | None, selection: dict | None, rev: int):
    action = (pending or {}).get("action")
    if action not in NAME_ACTIONS:
        return False, "", no_update, no_update
    sel = dict(selection or {})
    actor = current_actor()
    try:
        if action == "new-project":
            sel = {"project": projects.create_project(store, actor, name or "").id, "document": None}
        elif action == "rename-project":
            projects.rename_project(store, actor, sel.get("project") or "", name or "")
        elif action == "new-document":
            sel["document"] = projects.create_document(store, actor, sel.get("project") or "", name or "").id
        else:
            projects.rename_document(store, actor, sel.get("project") or "", sel.get("document") or "", name or "")
    except KalamosError as exc:
        return True, str(exc), no_update, no_update
    return False, "", (rev or 0) + 1, sel


# ---- deletions go through the confirm dialog
def open_confirm(pending: dict[str, Any] | None, text: str):
    return pending, True, text


@wiring.callback(*confirm_outputs, Input(ids.PROJECT_DELETE, "n_clicks"), State(ids.PROJECT_SELECT, "value"),
                 prevent_initial_call=True, checks_itself=True)
def ask_delete_project(store: Store, _n: int, project_id: str | None):
    if not project_id:
        return no_update
    try:
        projects.require(store, current_actor(), project_id, "share")
        project = store.get_project(project_id)
        docs = store.list_documents(project_id)
    except KalamosError as exc:
        return open_confirm(None, str(exc))  # said, in the dialog; its OK then does nothing
    return open_confirm({"action": "delete-project", "project": project_id},
                        f"Delete the project “{project.name}” with its {len(docs)} document(s)? "
                        "It is moved to the trash folder of the data directory, from which it can be restored by hand.")


@wiring.callback(*confirm_outputs, Input(ids.DOCUMENT_DELETE, "n_clicks"), State(ids.SELECTION, "data"),
                 prevent_initial_call=True, checks_itself=True)
def ask_delete_document(store: Store, _n: int, selection: dict | None):
    sel = selection or {}
    if not (sel.get("project") and sel.get("document")):
        return no_update
    try:
        projects.require(store, current_actor(), sel["project"], "write")
        doc = store.get_document(sel["project"], sel["document"])
    except KalamosError as exc:
        return open_confirm(None, str(exc))
    return open_confirm({"action": "delete-document", **sel},
                        f"Delete the document “{doc.name}” with its {len(doc.page_ids)} page(s)? "
                        "It is moved to the trash folder of the data directory.")


@wiring.callback(
    Output(ids.CONFIRM_MODAL, "is_open", allow_duplicate=True),
    Input(ids.CONFIRM_CANCEL, "n_clicks"),
    prevent_initial_call=True,
    checks_itself=True,
)
def cancel_confirm(_n: int):
    return False


@wiring.callback(
    Output(ids.CONFIRM_MODAL, "is_open", allow_duplicate=True),
    Output(ids.CATALOG_REV, "data", allow_duplicate=True),
    Output(ids.PAGES_REV, "data", allow_duplicate=True),
    Output(ids.NOTICE, "children"),
    Output(ids.NOTICE, "color"),
    Output(ids.NOTICE, "is_open"),
    Input(ids.CONFIRM_OK, "n_clicks"),
    State(ids.CONFIRM_PENDING, "data"),
    State(ids.CATALOG_REV, "data"),
    State(ids.PAGES_REV, "data"),
    prevent_initial_call=True,
    checks_itself=True,
)
def confirm_delete(store: Store, _n: int, pending: dict | None, catalog_rev: int, pages_rev: int):
    p = pending or {}
    actor = current_actor()
    deleters = {
        "delete-project": lambda: projects.delete_project(store, actor, p["project"]),
        "delete-document": lambda: projects.delete_document(store, actor, p["project"], p["document"]),
        "delete-page": lambda: projects.delete_page(store, actor, p["project"], p["document"], p["page"]),
    }
    if p.get("action") not in deleters:
        return False, no_update, no_update, no_update, no_update, no_update
    try:
        where = deleters[p["action"]]()
    except (KalamosError, KeyError, TypeError) as exc:  # KeyError/TypeError: a hand-made pending record
        return False, no_update, no_update, str(exc), "danger", True
    what = p["action"].split("-", 1)[1].capitalize()
    return (False, (catalog_rev or 0) + 1, (pages_rev or 0) + 1,
            f"{what} moved to {store.shown(where)} in the data directory (move it back to restore it).", "info", True)


def register(app: Dash, store: Store, config: Config) -> Access:
    return wiring.register(app, store, config)
