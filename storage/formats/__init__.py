"""Readers and writers of line ground truth: PAGE XML 2019, ALTO 4, the tesstrain layout and the
TSV of GT4HistComment. They work on ``ImportedPage``/``storage.models.Line`` only; matching files
to pages and writing into the store is ``storage.groundtruth``."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.models import Line

__all__ = ["ImportedPage", "FormatError"]


class FormatError(ValueError):
    """A file that is not valid ground truth; the message names the file and the reason."""


@dataclass
class ImportedPage:
    image_filename: str
    width: int | None
    height: int | None
    lines: list[Line] = field(default_factory=list)
