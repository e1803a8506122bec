"""A selected line's history under a line editor (Annotate and Transcribe): shown, and an earlier version
restored. Both tabs' callbacks call these two functions with their own ids; the rules are
``services.editing.history`` and ``restore_version``."""

from __future__ import annotations

from typing import Any

from callbacks.common import relayed, selected_document
from callbacks.permissions import current_actor
from layout.annotate import history_view
from services import editing
from storage import KalamosError, Store

__all__ = ["history_children", "restore_clicked"]


def history_children(store: Store, current: dict | None, selection: dict | None, restore_type: str) -> Any:
    """Who made the selected line's current version, and its earlier ones with Restore buttons of ``restore_type``."""
    line = (current or {}).get("line")
    where = selected_document(selection)
    if not (line and where and current):
        return ""
    try:
        versions = editing.history(store, where.page(current["page"]), line["id"])
    except KalamosError:
        return ""
    return history_view([v.to_dict() for v in versions], restore_type)


def restore_clicked(store: Store, click: object, restore_type: str, current: dict | None, selection: dict | None,
                    editor: str | None) -> editing.SaveOutcome | None:
    """The version whose Restore button was clicked (``click``: the store assets/relay.js sets, as the history
    is drawn anew with every change of the line) made the current one (None: no such click, no line)."""
    line = (current or {}).get("line")
    where = selected_document(selection)
    button = relayed(click, restore_type)
    if not (button and line and where and current) or not isinstance(button.get("rev"), int):
        return None
    return editing.restore_version(store, where.page(current["page"]), line["id"], line["rev"],
                                   button["rev"], editor, current_actor().user)
