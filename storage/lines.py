"""Text lines of a page: ``pages/<page>/lines.json``, edited line by line under the page's lock.

Concurrency rule (ARCHITECTURE.md, "Two people on one page"): every line carries a revision number
and a short log of its last changes (which revision, text or shape, by which editor). A change names
the revision it was made from and the editor making it (one browser tab, or a process). It is
refused with ``LineConflict`` (which carries the other version), and nothing is written, when
someone else changed the same part of the line (its text and status, or its shape) since that
revision; one's own later saves and other people's changes of the other part are not conflicts (the
change is applied on top of them). Changes to different lines never conflict: each one re-reads the
file under the lock and changes only its own line.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from ocr.geometry import bbox, point_in_polygon, polygon_area
from ocr.greek import Normalisation, normalise
from storage.errors import Conflict, InvalidInput, NotFound
from storage.jsonio import read_json, write_json
from storage.models import LINE_KINDS, LINE_STATUSES, Line, Region
from storage.store import Store, new_id, now_iso

__all__ = [
    "MAX_LINES",
    "MAX_VERSIONS",
    "SHAPE_FIELDS",
    "TEXT_FIELDS",
    "LineConflict",
    "PageLines",
    "add_lines",
    "changed_by_others",
    "check_inside",
    "check_points",
    "clamp_to_page",
    "clean_text",
    "delete_line",
    "line_centre",
    "line_count",
    "line_versions",
    "list_lines",
    "load",
    "move_line",
    "page_size",
    "parts",
    "region_of",
    "replace_lines",
    "restore_line",
    "update_line",
]

MAX_POINTS = 2000
MAX_TEXT = 5000


class LineConflict(Conflict):
    """The line was changed by someone else since the version the change was made from."""

    def __init__(self, message: str, current: Line | None) -> None:
        super().__init__(message)
        self.current = current


@dataclass
class PageLines:
    """A page's lines and regions as ``lines.json`` holds them (one file, one lock: a line and the
    region it belongs to never disagree). ``order`` is the reading order of the lines: the lines of
    each region in the regions' order, then the lines in no region."""

    order: list[str] = field(default_factory=list)
    lines: dict[str, Line] = field(default_factory=dict)
    regions: list[Region] = field(default_factory=list)

    def ordered(self) -> list[Line]:
        return [self.lines[i] for i in self.order if i in self.lines]

    def regroup(self) -> None:
        """Bring ``order`` into the regions' order (stable: lines keep their order within a region);
        lines naming a region that no longer exists belong to none."""
        rank = {r.id: k for k, r in enumerate(self.regions)}
        for ln in self.lines.values():
            if ln.region is not None and ln.region not in rank:
                ln.region = None
        self.order = sorted((i for i in self.order if i in self.lines),
                            key=lambda i: rank.get(self.lines[i].region or "", len(rank)))


def _path(store: Store, project_id: str, document_id: str, page_id: str) -> Path:
    return store.page_dir(project_id, document_id, page_id) / "lines.json"


def _lock(store: Store, project_id: str, document_id: str, page_id: str) -> FileLock:
    folder = store.page_dir(project_id, document_id, page_id)
    if not (folder / "page.json").exists():
        raise NotFound(f"No page with id {page_id} in this document.")
    return FileLock(str(folder / ".lines.lock"), timeout=60)


def line_centre(line: Line) -> tuple[float, float]:
    """Where a line sits, to tell the region it lies in: the middle of its box; for a baseline, a
    little above its middle (the letters stand on it)."""
    x0, y0, x1, y1 = bbox(line.points)
    if line.kind == "baseline":
        return (x0 + x1) / 2, (y0 + y1) / 2 - 0.4 * (line.above or 20.0)
    return (x0 + x1) / 2, (y0 + y1) / 2


def region_of(line: Line, regions: list[Region]) -> str | None:
    """The region a line lies in: the smallest one holding its centre (a line number's own zone
    inside a column), or None."""
    centre = line_centre(line)
    holding = [r for r in regions if point_in_polygon(centre, r.points)]
    return min(holding, key=lambda r: polygon_area(r.points)).id if holding else None


def load(store: Store, project_id: str, document_id: str, page_id: str) -> PageLines:
    path = _path(store, project_id, document_id, page_id)
    try:
        record = read_json(path)
    except FileNotFoundError:
        return PageLines()
    lines = {d["id"]: Line.from_dict(d) for d in record.get("lines", [])}
    regions = [Region.from_dict(d) for d in record.get("regions", [])]
    return PageLines([i for i in record.get("order", []) if i in lines], lines, regions)


def _save(store: Store, project_id: str, document_id: str, page_id: str, data: PageLines) -> None:
    data.regroup()
    record: dict[str, Any] = {"order": data.order, "lines": [data.lines[i].to_dict() for i in data.order]}
    if data.regions:
        record["regions"] = [r.to_dict() for r in data.regions]
    write_json(_path(store, project_id, document_id, page_id), record)


def list_lines(store: Store, project_id: str, document_id: str, page_id: str) -> list[Line]:
    """The page's lines in reading order."""
    return load(store, project_id, document_id, page_id).ordered()


def line_count(store: Store, project_id: str, document_id: str, page_id: str) -> int:
    return len(load(store, project_id, document_id, page_id).order)


def check_points(kind: str, points: Any, what: str = "points") -> list[list[float]]:
    """Validate line geometry from a request or a file: finite numbers, enough distinct points."""
    if kind not in LINE_KINDS:
        raise InvalidInput(f"{kind!r} is not a line kind ({', '.join(LINE_KINDS)})")
    if not isinstance(points, (list, tuple)) or len(points) > MAX_POINTS:
        raise InvalidInput(f"the line's {what} must be a list of at most {MAX_POINTS} [x, y] pairs")
    out = []
    for p in points:
        if not (isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                                       and abs(v) < 1e7 and v == v for v in p)):
            raise InvalidInput(f"the line's {what} must be [x, y] pairs of numbers")
        out.append([round(float(p[0]), 2), round(float(p[1]), 2)])
    needed = {"baseline": 2, "box": 4, "polygon": 3}[kind]
    if len({tuple(p) for p in out}) < min(needed, 2) or len(out) < needed:
        raise InvalidInput(f"a {kind} needs at least {needed} distinct points")
    x0, y0, x1, y1 = bbox(out)
    if kind != "baseline" and (x1 - x0 < 2 or y1 - y0 < 2):
        raise InvalidInput(f"the {kind} is too small ({x1 - x0:.0f}×{y1 - y0:.0f} px)")
    if kind == "baseline" and max(x1 - x0, y1 - y0) < 4:
        raise InvalidInput("the baseline is too short")
    return out


#: How far outside the page a line's points may lie (a shape drawn over the edge), as a share of its size.
PAGE_MARGIN = 0.05
MAX_LINES = 3000  #: lines on one page (a manuscript page has dozens, a dense commentary a few hundred)


def check_inside(line: Line, width: int, height: int) -> None:
    """Refuse a line that does not lie on its page (give or take ``PAGE_MARGIN``): coordinates from a
    file or a request far outside the page would make line images the size of a city."""
    mx, my = width * PAGE_MARGIN, height * PAGE_MARGIN
    for what, pts in (("points", line.points), ("baseline", line.baseline or [])):
        for x, y in pts:
            if not (-mx <= x <= width + mx and -my <= y <= height + my):
                raise InvalidInput(f"the line's {what} reach ({x:.0f}, {y:.0f}), outside the page "
                                   f"({width}×{height} px)")
    extent = max(line.above or 0, line.below or 0)
    if extent > max(width, height):
        raise InvalidInput(f"the band around the line ({extent:.0f} px) is larger than the page")


def clamp_to_page(points: list[list[float]], width: int, height: int) -> list[list[float]]:
    """A shape drawn by hand over the edge of the page, brought back onto it."""
    return [[min(max(x, 0.0), float(width)), min(max(y, 0.0), float(height))] for x, y in points]


def page_size(store: Store, project_id: str, document_id: str, page_id: str) -> tuple[int, int]:
    page = read_json(store.page_dir(project_id, document_id, page_id) / "page.json")
    return int(page["width"]), int(page["height"])


def clean_text(text: Any) -> str:
    if not isinstance(text, str):
        raise InvalidInput("the transcription must be text")
    text = unicodedata.normalize("NFC", text.replace("\r", " ").replace("\n", " ").replace("\t", " ")).strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"the transcription is {len(text)} characters long; a line holds at most {MAX_TEXT}")
    return text


def project_rules(store: Store, project_id: str) -> Normalisation:
    """How the project writes the characters that have several forms (``ocr.greek.Normalisation``)."""
    try:
        settings = read_json(store.project_dir(project_id) / "project.json").get("settings", {})
    except FileNotFoundError:
        settings = {}
    return Normalisation.from_settings(settings.get("normalisation"))


def _valid(line: Line, rules: Normalisation | None = None) -> Line:
    """A line checked; with ``rules`` its text written the project's way too (every write that
    touches a line's text: typing, confirming, importing, OCR)."""
    line.points = check_points(line.kind, line.points)
    if line.baseline is not None:
        line.baseline = check_points("baseline", line.baseline, "baseline")
    line.text = clean_text(line.text)
    if rules is not None:
        line.text = normalise(line.text, rules)[0]
    if line.status not in LINE_STATUSES:
        raise InvalidInput(f"{line.status!r} is not a line status ({', '.join(LINE_STATUSES)})")
    if line.status != "empty" and not line.text:
        line.status = "empty"
    for name in ("above", "below"):
        v = getattr(line, name)
        if v is not None and not (isinstance(v, (int, float)) and 1 <= v <= 2000):
            raise InvalidInput(f"the band height {name} must be between 1 and 2000 px")
    return line


def add_lines(store: Store, project_id: str, document_id: str, page_id: str, lines: list[Line],
              index: int | None = None) -> list[Line]:
    """Add new lines (ids and revisions are assigned here) at ``index`` of the reading order (end: None)."""
    stamp = now_iso()
    rules = project_rules(store, project_id)
    fresh = [_valid(Line(**{**ln.to_dict(), "id": new_id("line"), "rev": 1, "updated": stamp, "changes": []}), rules)
             for ln in lines]
    with _lock(store, project_id, document_id, page_id):
        size = page_size(store, project_id, document_id, page_id)
        for ln in fresh:
            check_inside(ln, *size)
        data = load(store, project_id, document_id, page_id)
        if len(data.order) + len(fresh) > MAX_LINES:
            raise InvalidInput(f"a page holds at most {MAX_LINES} lines; this one would have {len(data.order) + len(fresh)}")
        at = len(data.order) if index is None else max(0, min(index, len(data.order)))
        data.order[at:at] = [ln.id for ln in fresh]
        data.lines.update({ln.id: ln for ln in fresh})
        known = {r.id for r in data.regions}
        for ln in fresh:  # a line drawn inside a region joins it
            if ln.region not in known:
                ln.region = region_of(ln, data.regions)
        _save(store, project_id, document_id, page_id, data)
    return fresh


def replace_lines(store: Store, project_id: str, document_id: str, page_id: str, lines: list[Line]) -> list[Line]:
    """Replace all the page's lines at once (imports that say so); returns the new lines."""
    stamp = now_iso()
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"a page holds at most {MAX_LINES} lines; this would give it {len(lines)}")
    rules = project_rules(store, project_id)
    fresh = [_valid(Line(**{**ln.to_dict(), "id": new_id("line"), "rev": 1, "updated": stamp, "changes": []}), rules)
             for ln in lines]
    with _lock(store, project_id, document_id, page_id):
        size = page_size(store, project_id, document_id, page_id)
        for ln in fresh:
            check_inside(ln, *size)
        regions = load(store, project_id, document_id, page_id).regions
        for ln in fresh:
            ln.region = region_of(ln, regions)
        _save(store, project_id, document_id, page_id, PageLines([ln.id for ln in fresh], {ln.id: ln for ln in fresh}, regions))
    return fresh


TEXT_FIELDS = frozenset({"text", "status", "conf", "source", "aligned"})
SHAPE_FIELDS = frozenset({"points", "kind", "baseline", "above", "below"})
_EDITABLE = TEXT_FIELDS | SHAPE_FIELDS
MAX_CHANGES = 20  #: entries of a line's change log


def parts(fields: set[str] | frozenset[str]) -> list[str]:
    """Which parts of a line a change touches: "text" (text, status, confidence) and/or "shape"."""
    return [name for name, group in (("text", TEXT_FIELDS), ("shape", SHAPE_FIELDS)) if fields & group]


def changed_by_others(line: Line, base_rev: int, what: list[str], editor: str | None) -> bool:
    """Whether, since ``base_rev``, someone other than ``editor`` changed a part of the line in ``what``.

    Unknown history (a revision missing from the log, a base from the future) counts as someone
    else's change: the rule may refuse too much, never too little. ``editor`` None (a process that
    does not say who it is) owns no change.
    """
    if line.rev == base_rev:
        return False
    if base_rev > line.rev:
        return True
    later = [c for c in line.changes if c.get("rev", 0) > base_rev]
    if {c.get("rev") for c in later} != set(range(base_rev + 1, line.rev + 1)):
        return True
    return any((editor is None or c.get("editor") != editor) and set(c.get("what", ("text", "shape"))) & set(what)
               for c in later)


def _unchanged(data: PageLines, line_id: str, base_rev: int, what: list[str], editor: str | None,
               consequence: str) -> Line:
    """The line as stored, unless someone else changed that part since ``base_rev``
    (then ``LineConflict`` with the other version)."""
    current = data.lines.get(line_id)
    if current is None:
        raise LineConflict(f"This line was deleted by someone else; {consequence}.", None)
    if changed_by_others(current, base_rev, what, editor):
        raise LineConflict(f"Someone else changed this line meanwhile; {consequence}. "
                           f"Their version: “{current.text}” ({current.status}).", current)
    return current


def _logged(line: Line, what: list[str], editor: str | None, user: str | None = None) -> Line:
    entry: dict[str, Any] = {"rev": line.rev, "what": what, "editor": editor, "at": line.updated}
    if user:
        entry["user"] = user
    line.changes = [*line.changes, entry][-MAX_CHANGES:]
    return line


MAX_VERSIONS = 20  #: versions of a line kept: the current one and the 19 before it


def _history_path(store: Store, project_id: str, document_id: str, page_id: str) -> Path:
    return store.page_dir(project_id, document_id, page_id) / "history.json"


def _remember(store: Store, project_id: str, document_id: str, page_id: str, old: Line) -> None:
    """Keep the version a change replaces (under the page's lock, which the caller holds)."""
    path = _history_path(store, project_id, document_id, page_id)
    try:
        history = read_json(path).get("lines") or {}
    except FileNotFoundError:
        history = {}
    version = {**old.to_dict(), "changes": [c for c in old.changes if c.get("rev") == old.rev]}
    history[old.id] = [*history.get(old.id, []), version][-(MAX_VERSIONS - 1):]
    write_json(path, {"lines": history})


def line_versions(store: Store, project_id: str, document_id: str, page_id: str, line_id: str) -> list[Line]:
    """The line's versions, newest (the current one) first: at most ``MAX_VERSIONS``. A deleted line has
    only its earlier versions."""
    current = load(store, project_id, document_id, page_id).lines.get(line_id)
    try:
        earlier = (read_json(_history_path(store, project_id, document_id, page_id)).get("lines") or {}).get(line_id, [])
    except FileNotFoundError:
        earlier = []
    versions = [Line.from_dict(v) for v in reversed(earlier) if isinstance(v, dict)]
    return ([current] if current else []) + [v for v in versions if not current or v.rev < current.rev]


def update_line(store: Store, project_id: str, document_id: str, page_id: str, line_id: str, base_rev: int,
                editor: str | None = None, user: str | None = None, **changes: Any) -> Line:
    """Change one line, made by ``editor`` from revision ``base_rev``; returns the new version.

    The change is applied to the line as it is now (a change of its other part by someone else
    meanwhile is kept). A new text without a status makes the line "edited" (typed, not confirmed),
    or "empty"; only an explicit ``status="verified"`` verifies it.
    Raises:
        LineConflict: someone else changed the same part since ``base_rev`` (or deleted the line);
            nothing is written.
    """
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a line")
    what = parts(set(changes))
    with _lock(store, project_id, document_id, page_id):
        data = load(store, project_id, document_id, page_id)
        current = _unchanged(data, line_id, base_rev, what, editor, "your change was not saved")
        updated = Line.from_dict({**current.to_dict(), **changes})
        if "text" in changes and "status" not in changes and clean_text(changes["text"]) != current.text:
            updated.status = "edited" if clean_text(changes["text"]) else "empty"
        if updated.status in ("verified", "edited") and "conf" not in changes:
            updated.conf = None  # a person's text has no machine confidence
        updated = _valid(updated, project_rules(store, project_id) if "text" in what else None)
        if "shape" in what:
            check_inside(updated, *page_size(store, project_id, document_id, page_id))
            updated.region = region_of(updated, data.regions)  # moved into another region: it joins that one
        updated.rev, updated.updated = current.rev + 1, now_iso()
        data.lines[line_id] = _logged(updated, what, editor, user)
        _save(store, project_id, document_id, page_id, data)
        _remember(store, project_id, document_id, page_id, current)
    return updated


def delete_line(store: Store, project_id: str, document_id: str, page_id: str, line_id: str, base_rev: int,
                editor: str | None = None) -> Line:
    """Remove a line (refused if someone else changed any part of it since ``base_rev``); returns it."""
    with _lock(store, project_id, document_id, page_id):
        data = load(store, project_id, document_id, page_id)
        current = _unchanged(data, line_id, base_rev, ["text", "shape"], editor, "it was not deleted")
        data.order.remove(line_id)
        del data.lines[line_id]
        _save(store, project_id, document_id, page_id, data)
    return current


def move_line(store: Store, project_id: str, document_id: str, page_id: str, line_id: str, index: int) -> list[str]:
    """Put a line at position ``index`` of the reading order; returns the new order."""
    with _lock(store, project_id, document_id, page_id):
        data = load(store, project_id, document_id, page_id)
        if line_id not in data.lines:
            raise NotFound("This line no longer exists.")
        data.order.remove(line_id)
        data.order.insert(max(0, min(index, len(data.order))), line_id)
        _save(store, project_id, document_id, page_id, data)
    return data.order


def restore_line(store: Store, project_id: str, document_id: str, page_id: str, line: Line, index: int | None,
                 editor: str | None = None) -> Line:
    """Put back a deleted line with its id (the undo of a deletion)."""
    with _lock(store, project_id, document_id, page_id):
        data = load(store, project_id, document_id, page_id)
        if line.id in data.lines:
            raise LineConflict("This line exists again already.", data.lines[line.id])
        back = _valid(Line.from_dict({**line.to_dict(), "rev": line.rev + 1, "updated": now_iso()}))
        back = _logged(back, ["text", "shape"], editor)
        at = len(data.order) if index is None else max(0, min(index, len(data.order)))
        data.order.insert(at, back.id)
        data.lines[back.id] = back
        _save(store, project_id, document_id, page_id, data)
    return back
