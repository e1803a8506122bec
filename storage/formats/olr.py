"""The layout files of GT4HistComment (``<id>_olr.tsv``): one row per region, in the CSV of the VGG
Image Annotator: image file, file size, ``{}``, regions on the page, region number, the shape as
JSON (``{"name": "rect", "x", "y", "width", "height"}``) and the attributes as JSON
(``{"text": "commentary"}``). Read into regions with SegmOnto types (``OLR_TYPES``); the file's own
label is kept as the subtype where SegmOnto has no word for it."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from storage.formats import FormatError, number

__all__ = ["OLR_TYPES", "OlrRegion", "looks_like_olr", "read_olr"]

#: GT4HistComment's region labels → (SegmOnto type, subtype).
OLR_TYPES: dict[str, tuple[str, str]] = {
    "primary_text": ("MainZone", ""),
    "commentary": ("MainZone", "commentary"),
    "preface": ("MainZone", "preface"),
    "introduction": ("MainZone", "introduction"),
    "title": ("MainZone", "title"),
    "footnote": ("MarginTextZone", "footnote"),
    "app_crit": ("MarginTextZone", "app_crit"),
    "printed_marginalia": ("MarginTextZone", "marginalia"),
    "index_siglorum": ("MainZone", "index_siglorum"),
    "page_number": ("NumberingZone", "page"),
    "line_number_text": ("NumberingZone", "line"),
    "line_number_commentary": ("NumberingZone", "line_commentary"),
    "running_header": ("RunningTitleZone", ""),
    "other": ("CustomZone", "other"),
    "undefined": ("CustomZone", "undefined"),
}


@dataclass(frozen=True)
class OlrRegion:
    image: str
    label: str  #: the file's own label
    type: str  #: SegmOnto
    subtype: str
    box: tuple[float, float, float, float]  #: x0, y0, x1, y1


def looks_like_olr(data: bytes) -> bool:
    head = data[:2000].decode("utf-8", "replace")
    return '""name""' in head and '""x""' in head and head.count(",") >= 6


def read_olr(data: bytes, name: str) -> tuple[list[OlrRegion], list[str]]:
    """The file's regions, and a message per row it could not use (the others are kept)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"{name}: not UTF-8 text") from None
    regions, problems = [], []
    for n, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row or not row[0].strip() or row[0].startswith("#") or row[0] == "filename":
            continue
        where = f"{name}, row {n}"
        if len(row) < 7:
            problems.append(f"{where}: {len(row)} fields, 7 expected")
            continue
        try:
            shape, attrs = json.loads(row[5]), json.loads(row[6])
        except json.JSONDecodeError:
            problems.append(f"{where}: the shape or the attributes are not JSON")
            continue
        if not isinstance(shape, dict) or shape.get("name") != "rect":
            problems.append(f"{where}: only rectangles are read (this is {shape.get('name') if isinstance(shape, dict) else shape!r})")
            continue
        try:
            x, y = number(shape.get("x"), "x", where), number(shape.get("y"), "y", where)
            w, h = number(shape.get("width"), "width", where), number(shape.get("height"), "height", where)
        except FormatError as exc:
            problems.append(str(exc))
            continue
        if w < 2 or h < 2:
            problems.append(f"{where}: a region of {w:.0f}×{h:.0f} px is too small")
            continue
        label = str((attrs or {}).get("text", "") if isinstance(attrs, dict) else "").strip() or "undefined"
        type_, subtype = OLR_TYPES.get(label, ("CustomZone", label))
        if label not in OLR_TYPES:
            problems.append(f"{where}: unknown region type {label!r}, kept as CustomZone:{label}")
        regions.append(OlrRegion(row[0].strip(), label, type_, subtype, (x, y, x + w, y + h)))
    return regions, problems
