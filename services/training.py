"""Training choices a user makes for a project: what its pages are (print or a manuscript hand), and
the training defaults that follow (``storage.training.recipe``, measured in BENCHMARKS.md)."""

from __future__ import annotations

from typing import Any

from storage.errors import InvalidInput
from storage.store import Store
from storage.training import MATERIALS, Recipe, recipe

__all__ = ["material", "set_material", "defaults", "MATERIALS"]


def material(store: Store, project_id: str) -> str:
    """What the project's pages are, as the user said ("print" until said otherwise)."""
    value = store.get_project(project_id).settings.get("material", "print")
    return value if value in MATERIALS else "print"


def set_material(store: Store, project_id: str, value: str) -> str:
    if value not in MATERIALS:
        raise InvalidInput(f"the pages must be one of {', '.join(MATERIALS)}")

    def change(project: Any) -> None:
        project.settings["material"] = value

    store.update_project(project_id, change)
    return value


def defaults(store: Store, project_id: str, lines: int = 0) -> Recipe:
    """The training defaults for the project's pages and ``lines`` training lines."""
    return recipe(material(store, project_id), lines)
