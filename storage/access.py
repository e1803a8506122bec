"""Who may do what with a project, once accounts are on (``storage/accounts.py``).

A project belongs to the user who made it (its **owner**) and is private until shared. The owner gives
other users a role: **editor** (changes everything but the sharing) or **viewer** (sees and exports).
An administrator sees and manages every project. With accounts off everyone is the owner of everything.
The roles live in the project's record (``settings["access"]``: owner and members), so a project copied
to another data directory keeps them.
"""

from __future__ import annotations

from typing import Any, Literal

from storage.errors import InvalidInput, KalamosError
from storage.store import Store

__all__ = ["Role", "ROLES", "Forbidden", "role_of", "can", "require", "refusal", "share", "set_owner", "access_of", "visible_projects"]

Role = Literal["owner", "editor", "viewer"]
ROLES: tuple[str, ...] = ("owner", "editor", "viewer")
_RANK = {"viewer": 1, "editor": 2, "owner": 3}
Action = Literal["read", "write", "share"]
_NEEDS = {"read": 1, "write": 2, "share": 3}


class Forbidden(KalamosError):
    """The acting user may not do this with this project (said without telling whether it exists)."""


def access_of(store: Store, project_id: str) -> dict[str, Any]:
    raw = store.get_project(project_id).settings.get("access") or {}
    members = raw.get("members") if isinstance(raw.get("members"), dict) else {}
    return {"owner": raw.get("owner") if isinstance(raw.get("owner"), str) else None,
            "members": {str(k): v for k, v in members.items() if v in ("editor", "viewer")}}


def role_of(store: Store, project_id: str, user: str | None, admin: bool = False) -> Role | None:
    """The user's role in the project (None: they may not see it). ``user`` None means accounts are off."""
    if user is None or admin:
        return "owner"
    access = access_of(store, project_id)
    if access["owner"] == user:
        return "owner"
    return access["members"].get(user)


def can(store: Store, project_id: str, user: str | None, action: Action, admin: bool = False) -> bool:
    role = role_of(store, project_id, user, admin)
    return role is not None and _RANK[role] >= _NEEDS[action]


def refusal(role: str | None, action: str) -> str:
    """What a refused user is told (the same whether the project exists or not, when it is not theirs)."""
    if role is None:
        return "No such project, or it is not shared with you."
    who = "an editor" if role == "editor" else f"a {role}"
    if action == "write":
        return f"You are {who} of this project: you can look and export, not change it (its owner can make you an editor)."
    return f"Only the project's owner (or an administrator) can rename, share or delete it; you are {who}."


def require(store: Store, project_id: str, user: str | None, action: Action, admin: bool = False) -> None:
    """Forbidden unless the user may do ``action`` with the project."""
    if not can(store, project_id, user, action, admin):
        raise Forbidden(refusal(role_of(store, project_id, user, admin), action))


def visible_projects(store: Store, user: str | None, admin: bool = False) -> list[Any]:
    """The projects the user may see, as ``store.list_projects`` gives them."""
    return [p for p in store.list_projects() if role_of(store, p.id, user, admin) is not None]


def set_owner(store: Store, project_id: str, user: str) -> None:
    """Give the project to ``user``; the owner before (if any) stays as an editor."""
    def change(project: Any) -> None:
        access = dict(project.settings.get("access") or {})
        before = access.get("owner")
        access["owner"] = user
        members = dict(access.get("members") or {})
        members.pop(user, None)
        if isinstance(before, str) and before != user:
            members[before] = "editor"
        access["members"] = members
        project.settings["access"] = access

    store.update_project(project_id, change)


def share(store: Store, project_id: str, user: str, role: str) -> dict[str, Any]:
    """Give ``user`` a role in the project ("editor", "viewer"), or take it away ("none")."""
    if role not in ("editor", "viewer", "none"):
        raise InvalidInput("the role must be editor, viewer or none")
    if access_of(store, project_id)["owner"] == user:
        raise InvalidInput(f"{user} owns this project")

    def change(project: Any) -> None:
        access = dict(project.settings.get("access") or {})
        members = dict(access.get("members") or {})
        if role == "none":
            members.pop(user, None)
        else:
            members[user] = role
        access["members"] = members
        project.settings["access"] = access

    store.update_project(project_id, change)
    return access_of(store, project_id)
