"""Readers and writers of line ground truth: PAGE XML 2019, ALTO 4, the tesstrain layout and the
TSV of GT4HistComment. They work on ``ImportedPage``/``storage.models.Line`` only; matching files
to pages and writing into the store is ``storage.groundtruth``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from storage.models import Line

__all__ = ["ImportedPage", "FormatError", "number", "image_size", "MAX_COORDINATE"]

#: Larger coordinates or page sizes are refused: no scan is a million pixels wide.
MAX_COORDINATE = 1_000_000


class FormatError(ValueError):
    """A file that is not valid ground truth; the message names the file and the reason."""


def number(raw: object, what: str, where: str) -> float:
    """A coordinate read from a file: a finite number within ±``MAX_COORDINATE``, or ``FormatError``
    naming the file, the attribute and the value (``abc``, ``nan``, ``inf``, ``1e999`` included)."""
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise FormatError(f"{where}: {what}={str(raw)[:40]!r} is not a number") from None
    if not math.isfinite(value) or abs(value) > MAX_COORDINATE:
        raise FormatError(f"{where}: {what}={str(raw)[:40]!r} is not a usable number "
                          f"(it must be finite and at most {MAX_COORDINATE:,})")
    return value


def image_size(raw: object, what: str, where: str) -> int | None:
    """A declared image width or height: None when absent or 0, else a positive whole number."""
    if raw is None or str(raw).strip() in ("", "0"):
        return None
    value = number(raw, what, where)
    if value < 1:
        raise FormatError(f"{where}: {what}={str(raw)[:40]!r} is not a positive size")
    return int(round(value))


@dataclass
class ImportedPage:
    image_filename: str
    width: int | None
    height: int | None
    lines: list[Line] = field(default_factory=list)
