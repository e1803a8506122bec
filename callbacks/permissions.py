"""Roles on every request, once accounts are on (``callbacks/auth.py`` has found who signs the request).

- A route with a project in its URL (``/files/<project>/…``, ``/export/…``, ``/transcript/…``, ``/jobs/…``,
  ``/api/…``): GET needs the right to read the project, anything else the right to change it.
- A Dash update (``/_dash-update-component``): the project is the navbar's selection the request carries;
  reading needs a role, and a callback declared ``writes=True`` (``callbacks/wiring.py``) needs editor or owner.
  A hand-made request is judged the same way: a viewer replaying an editor's request is refused before
  the callback runs, so nothing is written.
- The catalogue (make, rename, delete projects and documents, delete pages) is checked where it is done,
  in ``services/projects.py``, because those callbacks name their project in a dialog's store, not in
  the selection.

The answer to a refusal never says whether the project exists.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, jsonify, request

from callbacks.wiring import Access
from layout import ids
from storage import KalamosError, Store
from storage import access

__all__ = ["install_permissions", "current_actor", "selection_in", "may_change"]

log = logging.getLogger(__name__)


def current_actor() -> Any:
    """The acting user of this request (``services.projects.Actor``); the local actor outside accounts."""
    from services.projects import LOCAL, Actor

    try:
        user = g.get("kalamos_user")
    except RuntimeError:
        return LOCAL
    return Actor(user, bool(g.get("kalamos_admin"))) if user else LOCAL


def may_change(store: Store, project_id: str) -> bool:
    """Whether the acting user of this request may change the project (always, with accounts off)."""
    actor = current_actor()
    try:
        return access.can(store, project_id, actor.user, "write", actor.admin)
    except KalamosError:
        return False


def selection_in(body: dict[str, Any]) -> dict[str, Any] | None:
    """The navbar's selection among the inputs and states of a Dash update request, if it carries one."""
    for part in ("inputs", "state"):
        for item in body.get(part) or []:
            if isinstance(item, dict) and item.get("id") == ids.SELECTION and item.get("property") == "data":
                value = item.get("value")
                return value if isinstance(value, dict) else None
    return None


def _refuse(message: str = "No such project, or it is not shared with you.") -> Any:
    return jsonify({"status": "failed", "message": message}), 403


def install_permissions(server: Flask, store: Store, declared: Access) -> None:
    """Check the acting user's role on every request that names a project (after ``install_accounts``)."""

    @server.before_request
    def check_role():  # type: ignore[no-untyped-def]
        user = g.get("kalamos_user")
        if not user:
            return None  # accounts off (a request without a session never got here)
        admin = bool(g.get("kalamos_admin"))  # read with the session (callbacks/auth.py)
        project = (request.view_args or {}).get("project_id")
        writes = request.method not in ("GET", "HEAD", "OPTIONS")
        if request.path == "/_dash-update-component":
            body = request.get_json(silent=True) or {}
            if not isinstance(body, dict) or body.get("output") in declared.self_checked:
                return None
            project = (selection_in(body) or {}).get("project")
            writes = body.get("output") in declared.writing
        if not isinstance(project, str) or not project:
            return None
        try:
            if not access.can(store, project, user, "write" if writes else "read", admin):
                role = access.role_of(store, project, user, admin)
                # a viewer's page fires refused updates by itself (chained callbacks): those are INFO; a foreign
                # project or a route is worth a warning
                level = logging.INFO if role is not None and request.path == "/_dash-update-component" else logging.WARNING
                log.log(level, "%s (%s) refused %s of project %s on %s", user, role, "a change" if writes else "reading",
                        project, request.path)
                return _refuse(access.refusal(role, "write" if writes else "read"))
        except KalamosError:
            return _refuse()
        return None
