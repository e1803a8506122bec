"""Values that say where an action happens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["PageRef"]


@dataclass(frozen=True)
class PageRef:
    """One page of one document of one project (``*ref`` gives the three ids, as ``storage`` takes them)."""

    project: str
    document: str
    page: str

    def __iter__(self) -> Iterator[str]:
        return iter((self.project, self.document, self.page))
