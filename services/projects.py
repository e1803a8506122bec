"""The catalogue, as the acting user may see and change it: projects (made, renamed, shared, deleted),
their documents and pages. With accounts off the actor is nobody in particular and may do everything;
with accounts on every function checks the actor's role (``storage/access.py``) before it acts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage import Store
from storage import access
from storage.access import Forbidden

__all__ = ["Actor", "LOCAL", "Forbidden", "projects", "documents", "create_project", "rename_project", "delete_project",
           "create_document", "rename_document", "delete_document", "delete_page", "share", "members", "require"]


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user (and whether they administer the server), or None with accounts off."""

    user: str | None = None
    admin: bool = False


LOCAL = Actor()  #: a local Kalamos without accounts


def require(store: Store, actor: Actor, project_id: str, action: access.Action) -> None:
    access.require(store, project_id, actor.user, action, actor.admin)


def projects(store: Store, actor: Actor) -> list[Any]:
    """The projects the actor may see (another user's private project is never listed)."""
    return access.visible_projects(store, actor.user, actor.admin)


def documents(store: Store, actor: Actor, project_id: str) -> list[Any]:
    require(store, actor, project_id, "read")
    return store.list_documents(project_id)


def create_project(store: Store, actor: Actor, name: str) -> Any:
    """A new project, owned by the actor (private until shared)."""
    project = store.create_project(name)
    if actor.user is not None:
        access.set_owner(store, project.id, actor.user)
    return project


def rename_project(store: Store, actor: Actor, project_id: str, name: str) -> None:
    require(store, actor, project_id, "share")
    store.rename_project(project_id, name)


def delete_project(store: Store, actor: Actor, project_id: str) -> Path:
    require(store, actor, project_id, "share")
    return store.delete_project(project_id)


def create_document(store: Store, actor: Actor, project_id: str, name: str) -> Any:
    require(store, actor, project_id, "write")
    return store.create_document(project_id, name)


def rename_document(store: Store, actor: Actor, project_id: str, document_id: str, name: str) -> None:
    require(store, actor, project_id, "write")
    store.rename_document(project_id, document_id, name)


def delete_document(store: Store, actor: Actor, project_id: str, document_id: str) -> Path:
    require(store, actor, project_id, "write")
    return store.delete_document(project_id, document_id)


def delete_page(store: Store, actor: Actor, project_id: str, document_id: str, page_id: str) -> Path:
    require(store, actor, project_id, "write")
    return store.delete_page(project_id, document_id, page_id)


def share(store: Store, actor: Actor, project_id: str, user: str, role: str) -> dict[str, Any]:
    """Give a user a role in the project (editor, viewer) or take it away (none): the owner or an administrator."""
    from storage import accounts

    require(store, actor, project_id, "share")
    accounts.get_user(store, user)  # NotFound for a name that is not an account
    return access.share(store, project_id, user, role)


def members(store: Store, actor: Actor, project_id: str) -> dict[str, Any]:
    require(store, actor, project_id, "read")
    return access.access_of(store, project_id)
