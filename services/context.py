"""Values that say where an action happens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["PageRef", "DocumentRef"]


class DocumentRef(NamedTuple):
    """One document of one project (a tuple, so ``*doc`` gives the two ids, as ``storage`` takes them)."""

    project: str
    document: str

    def page(self, page_id: str) -> "PageRef":
        return PageRef(self.project, self.document, page_id)


@dataclass(frozen=True)
class PageRef:
    """One page of one document of one project (``*ref`` gives the three ids, as ``storage`` takes them)."""

    project: str
    document: str
    page: str

    def __iter__(self) -> Iterator[str]:
        return iter((self.project, self.document, self.page))

    @property
    def doc(self) -> DocumentRef:
        return DocumentRef(self.project, self.document)
