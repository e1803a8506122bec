"""The TSV of GT4HistComment: ``image<TAB>x0 y0 x1 y1<TAB>text``, one row per line, boxes in page pixels."""

from __future__ import annotations

import re

from storage.formats import FormatError, ImportedPage, number
from storage.models import Line

__all__ = ["read_tsv"]


_SCORE = re.compile(r"[01](\.\d+)?")


def read_tsv(data: bytes, name: str) -> list[ImportedPage]:
    """Pages in order of first appearance, lines in file order."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"{name}: not UTF-8 text") from None
    pages: dict[str, ImportedPage] = {}
    for n, row in enumerate(text.splitlines(), 1):
        if not row.strip():
            continue
        parts = row.split("\t")
        if len(parts) < 3:
            raise FormatError(f"{name}, row {n}: expected image<TAB>x0 y0 x1 y1<TAB>text, found {len(parts)} column(s)")
        if len(parts) == 4 and _SCORE.fullmatch(parts[3].strip()):
            parts = parts[:3]  # the score column of ``kalamos align --out`` (the proposals, edited, come back in)
        image, box, line_text = parts[0].strip(), parts[1].split(), "\t".join(parts[2:])
        if len(box) != 4:
            raise FormatError(f"{name}, row {n}: the box {parts[1][:60]!r} is not four numbers")
        x0, y0, x1, y1 = (number(v, "the box", f"{name}, row {n}") for v in box)
        if x1 <= x0 or y1 <= y0:
            raise FormatError(f"{name}, row {n}: the box {parts[1]!r} is empty")
        page = pages.setdefault(image, ImportedPage(image, None, None))
        page.lines.append(Line(id="", kind="box", points=[[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
                               text=line_text, source="imported:tsv"))
    if not pages:
        raise FormatError(f"{name}: no rows")
    return list(pages.values())
