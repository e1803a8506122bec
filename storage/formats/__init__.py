"""Readers and writers of pages and their lines: PAGE XML 2019, ALTO 4, the TSV of GT4HistComment
(ground truth in), plain text, hOCR, searchable PDF, TEI P5 and IIIF Web Annotations (transcripts
out). They work on ``ImportedPage``/``PageLines``/``storage.models.Line`` only, never on the store:
matching files to pages and writing into the store is ``storage.groundtruth``, gathering a
document's pages for a writer is ``services.exports``. Every format is listed once, in ``storage.formats.registry``."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocr.regions import SEGMONTO_ZONES
from storage.models import MAX_SUBTYPE, Line, Page, Region

__all__ = ["ImportedPage", "PageLines", "Row", "FormatError", "number", "image_size", "MAX_COORDINATE", "region_groups",
           "zone_of", "field_of", "source_metadata"]

#: One line as a writer gets it: the line, its outline (page pixels) and its baseline (or None).
Row = tuple[Line, list[list[float]], "list[list[float]] | None"]

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


def zone_of(label: str, known_types: Sequence[str], where: str, messages: list[str]) -> tuple[str, str]:
    """The (type, subtype) of a region label read from a file (``MainZone:commentary``): a plain text
    block (``text``, ``paragraph``, ``main``) is a MainZone; a type neither SegmOnto nor the project's
    is kept as ``CustomZone`` with the label as subtype, and said in ``messages``."""
    type_, _, subtype = label.partition(":")
    if type_.strip().lower() in ("text", "paragraph", "main"):  # eScriptorium's and others' plain text block
        type_ = "MainZone"
    if type_ not in SEGMONTO_ZONES and type_ not in known_types:
        messages.append(f"{where}: unknown region type {label!r}, kept as CustomZone:{label}")
        return "CustomZone", label[:MAX_SUBTYPE].strip()
    return type_, subtype.strip()[:MAX_SUBTYPE]


def region_groups(rows: Sequence[Row], regions: Sequence[Region]) -> list[tuple[Region | None, list[Row]]]:
    """The rows of each region in the regions' order (a region without lines too), then the rows in no
    region (``None``), if any: how every writer goes through a page with regions."""
    known = {r.id for r in regions}
    groups: list[tuple[Region | None, list[Row]]] = [(r, [row for row in rows if row[0].region == r.id]) for r in regions]
    loose = [row for row in rows if row[0].region not in known]
    if loose:
        groups.append((None, loose))
    return groups


def field_of(record: Mapping[str, Any] | None, key: str) -> str:
    """A text field of a document's ``source`` or a page's ``iiif`` record (both may be None, a field
    missing, empty or not text): the text, stripped, or ""."""
    value = (record or {}).get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    return str(value).strip()


def source_metadata(source: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """A document's source as Dublin Core name/value pairs (``DC.title``, ``DC.source`` the manifest,
    ``DC.rights``, ``DC.publisher`` the attribution), for the formats that carry plain metadata
    (hOCR ``meta``, PDF information); [] for an uploaded document."""
    pairs = [("DC.title", field_of(source, "label")), ("DC.source", field_of(source, "manifest")),
             ("DC.publisher", field_of(source, "attribution")),
             ("DC.rights", field_of(source, "rights") or field_of(source, "license"))]
    return [(name, value) for name, value in pairs if value]


@dataclass
class ImportedPage:
    image_filename: str
    width: int | None
    height: int | None
    lines: list[Line] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)  #: in reading order
    line_regions: list[int | None] = field(default_factory=list)  #: per line: index of its region, or None
    messages: list[str] = field(default_factory=list)  #: what the reader could not keep as it was


@dataclass(frozen=True)
class PageLines:
    """One page as a writer gets it: its number in the document, its record, its image file, the name
    the export gives that image, and its lines in reading order (``Row``)."""

    number: int
    page: Page
    image: Path
    image_name: str
    rows: list[Row]
    regions: tuple[Region, ...] = ()  #: in reading order; ``Row`` lines name theirs (``Line.region``)
    #: The document's source (``Document.source``: the IIIF manifest, label, attribution, rights), or {}.
    source: Mapping[str, Any] = field(default_factory=dict)
