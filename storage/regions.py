"""The regions of a page (columns, margins, running titles, numbers), kept in ``lines.json`` beside
the lines under the same lock (``storage.lines.PageLines``): their list is the reading order of the
regions, and each line names the region it belongs to (at most one).

A region drawn or reshaped takes in the lines whose centre lies inside it (the smallest region
holding a line wins); a deleted region lets its lines go (they are kept, in no region). Old pages
without regions read as pages with none: everything else works as before.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ocr.geometry import bbox
from ocr.regions import SEGMONTO_ZONES, is_marginal_number, reading_order
from storage import lines as line_store
from storage.errors import InvalidInput, NotFound
from storage.jsonio import read_json
from storage.lines import PageLines, check_points, region_of
from storage.models import MAX_SUBTYPE, Line, Region
from storage.store import Store, new_id, now_iso

__all__ = [
    "MAX_REGIONS",
    "add_region",
    "add_region_type",
    "check_type",
    "default_position",
    "delete_region",
    "list_regions",
    "move_line_in_region",
    "move_region",
    "region_types",
    "restore_layout",
    "set_layout",
    "update_region",
]

MAX_REGIONS = 500  #: regions on one page


def region_types(store: Store, project_id: str) -> tuple[str, ...]:
    """SegmOnto's zone types, then the project's own (its settings' ``region_types``)."""
    try:
        own = read_json(store.project_dir(project_id) / "project.json").get("settings", {}).get("region_types") or []
    except FileNotFoundError:
        own = []
    return SEGMONTO_ZONES + tuple(t for t in own if isinstance(t, str) and t not in SEGMONTO_ZONES)


def add_region_type(store: Store, project_id: str, name: object) -> tuple[str, ...]:
    """A type of the project's own (``ScholiaZone``), for regions SegmOnto has no word for; returns all types."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("Give the new region type a name, e.g. ScholiaZone.")
    name = name.strip()
    if len(name) > 40 or not name.isascii() or not name.replace("_", "").isalnum() or not name[0].isalpha():
        raise InvalidInput("A region type is one word of Latin letters and digits (at most 40), starting with a "
                           "letter, e.g. ScholiaZone.")
    same = next((t for t in region_types(store, project_id) if t.casefold() == name.casefold()), None)
    if same:
        raise InvalidInput(f"{same} is a region type already.")

    def change(project) -> None:  # type: ignore[no-untyped-def]
        project.settings["region_types"] = [*project.settings.get("region_types", []), name]

    store.update_project(project_id, change)
    return region_types(store, project_id)


def check_type(type_: object, subtype: object, known: Sequence[str]) -> tuple[str, str]:
    if not isinstance(type_, str) or type_ not in known:
        raise InvalidInput(f"{str(type_)[:40]!r} is not a region type of this project; choose one of {', '.join(known)}")
    sub = "" if subtype is None else subtype
    if not isinstance(sub, str) or len(sub) > MAX_SUBTYPE or any(c in sub for c in ";{}\n\t"):
        raise InvalidInput(f"a region's subtype is a short word (at most {MAX_SUBTYPE} characters, no ; {{ }})")
    return type_, sub.strip()


def _check_shape(points: object, width: int, height: int) -> list[list[float]]:
    pts = check_points("polygon", points, "outline")
    x0, y0, x1, y1 = bbox(pts)
    mx, my = 0.05 * width, 0.05 * height
    if x0 < -mx or y0 < -my or x1 > width + mx or y1 > height + my:
        raise InvalidInput(f"The region would reach outside the page ({width}×{height} px), so it was left where "
                           f"it was. Keep regions on the page (a region may touch its edges).")
    return [[min(max(x, 0.0), float(width)), min(max(y, 0.0), float(height))] for x, y in pts]


def list_regions(store: Store, project_id: str, document_id: str, page_id: str) -> list[Region]:
    """The page's regions in reading order."""
    return line_store.load(store, project_id, document_id, page_id).regions


def _rejoin(data: PageLines) -> None:
    """Every line in the region its centre lies in now."""
    for ln in data.lines.values():
        ln.region = region_of(ln, data.regions)


def default_position(regions: Sequence[Region], new: Region) -> int:
    """Where a new region goes in a reading order a person may have changed: after the region that
    precedes it in the default order (top to bottom, columns left to right)."""
    boxes = [bbox(r.points) for r in [*regions, new]]
    order = reading_order(boxes, [is_marginal_number(r.type, r.subtype) for r in [*regions, new]])
    k = order.index(len(regions))
    if k == 0:
        return 0
    before = order[k - 1]
    return before + 1


def add_region(store: Store, project_id: str, document_id: str, page_id: str, points: object, type_: object,
               subtype: object = "", index: int | None = None, source: str = "drawn") -> Region:
    """Add a region (at ``index`` of the reading order; None: where the default order puts it); the
    lines inside it join it."""
    kind, sub = check_type(type_, subtype, region_types(store, project_id))
    with line_store._lock(store, project_id, document_id, page_id):
        width, height = line_store.page_size(store, project_id, document_id, page_id)
        region = Region(new_id("region"), kind, _check_shape(points, width, height), sub, source, now_iso())
        data = line_store.load(store, project_id, document_id, page_id)
        if len(data.regions) >= MAX_REGIONS:
            raise InvalidInput(f"a page holds at most {MAX_REGIONS} regions")
        at = default_position(data.regions, region) if index is None else max(0, min(int(index), len(data.regions)))
        data.regions.insert(at, region)
        _rejoin(data)
        line_store._save(store, project_id, document_id, page_id, data)
    return region


def update_region(store: Store, project_id: str, document_id: str, page_id: str, region_id: str,
                  points: object = None, type_: object = None, subtype: object = None) -> Region:
    """Reshape or retype a region; lines are taken in or let go by the new outline."""
    known = region_types(store, project_id)
    with line_store._lock(store, project_id, document_id, page_id):
        data = line_store.load(store, project_id, document_id, page_id)
        region = next((r for r in data.regions if r.id == region_id), None)
        if region is None:
            raise NotFound("This region no longer exists (someone may have deleted it): reload the page.")
        if type_ is not None or subtype is not None:
            region.type, region.subtype = check_type(region.type if type_ is None else type_,
                                                     region.subtype if subtype is None else subtype, known)
        if points is not None:
            region.points = _check_shape(points, *line_store.page_size(store, project_id, document_id, page_id))
            _rejoin(data)
        region.updated = now_iso()
        line_store._save(store, project_id, document_id, page_id, data)
    return region


def delete_region(store: Store, project_id: str, document_id: str, page_id: str, region_id: str) -> list[str]:
    """Delete a region; its lines stay, in no region (or in another region that holds them). Returns their ids."""
    with line_store._lock(store, project_id, document_id, page_id):
        data = line_store.load(store, project_id, document_id, page_id)
        if not any(r.id == region_id for r in data.regions):
            raise NotFound("This region no longer exists.")
        freed = [ln.id for ln in data.lines.values() if ln.region == region_id]
        data.regions = [r for r in data.regions if r.id != region_id]
        _rejoin(data)
        line_store._save(store, project_id, document_id, page_id, data)
    return freed


def move_region(store: Store, project_id: str, document_id: str, page_id: str, region_id: str, index: int) -> list[str]:
    """Put a region at position ``index`` of the reading order; returns the regions' new order."""
    with line_store._lock(store, project_id, document_id, page_id):
        data = line_store.load(store, project_id, document_id, page_id)
        region = next((r for r in data.regions if r.id == region_id), None)
        if region is None:
            raise NotFound("This region no longer exists.")
        data.regions.remove(region)
        data.regions.insert(max(0, min(int(index), len(data.regions))), region)
        line_store._save(store, project_id, document_id, page_id, data)
    return [r.id for r in data.regions]


def move_line_in_region(store: Store, project_id: str, document_id: str, page_id: str, line_id: str, delta: int) -> list[str]:
    """Move a line ``delta`` places up (negative) or down among the lines of its region (or of the
    lines in no region); returns the page's new line order."""
    with line_store._lock(store, project_id, document_id, page_id):
        data = line_store.load(store, project_id, document_id, page_id)
        data.regroup()
        line = data.lines.get(line_id)
        if line is None:
            raise NotFound("This line no longer exists.")
        group = [i for i in data.order if data.lines[i].region == line.region]
        k = group.index(line_id)
        target = max(0, min(k + int(delta), len(group) - 1))
        if target != k:
            slots = [n for n, i in enumerate(data.order) if i in set(group)]
            group.insert(target, group.pop(k))
            for n, i in zip(slots, group):
                data.order[n] = i
        line_store._save(store, project_id, document_id, page_id, data)
    return data.order


def restore_layout(store: Store, project_id: str, document_id: str, page_id: str, regions: Sequence[Region],
                   remove: Collection[str] = (), put_back: Sequence[Line] = ()) -> None:
    """Undo of a layout change: the regions as given (with their ids), the lines ``remove`` taken away
    unless a person changed them since (a machine line still at revision 1), ``put_back`` lines restored."""
    with line_store._lock(store, project_id, document_id, page_id):
        data = line_store.load(store, project_id, document_id, page_id)
        data.regions = list(regions)
        for i in remove:
            ln = data.lines.get(i)
            if ln is not None and ln.rev == 1:
                del data.lines[i]
        data.order = [i for i in data.order if i in data.lines]
        for ln in put_back:
            if ln.id not in data.lines:
                data.lines[ln.id] = ln
                data.order.append(ln.id)
        _rejoin(data)
        line_store._save(store, project_id, document_id, page_id, data)


def set_layout(store: Store, project_id: str, document_id: str, page_id: str, regions: Sequence[Region],
               lines: Sequence[tuple[Line, int | None]] = (), replace: bool = False,
               keep: Collection[str] = ()) -> tuple[list[Region], list[Line]]:
    """Put found or imported regions on a page, in the order given, with new lines (each with the index
    of its region in ``regions``, or None). ``replace``: instead of the page's regions and lines
    (except the lines whose ids are in ``keep``: they stay as they are and join the region they lie
    in); otherwise added after them (a line then joins the region given, or the one it lies in).
    All or nothing: a bad region or line refuses the whole layout."""
    known = region_types(store, project_id)
    stamp = now_iso()
    rules = line_store.project_rules(store, project_id)
    with line_store._lock(store, project_id, document_id, page_id):
        width, height = line_store.page_size(store, project_id, document_id, page_id)
        fresh_regions = []
        for r in regions:
            kind, sub = check_type(r.type, r.subtype, known)
            fresh_regions.append(Region(new_id("region"), kind, _check_shape(r.points, width, height), sub, r.source, stamp))
        fresh_lines = []
        for ln, k in lines:
            new = line_store._valid(Line(**{**ln.to_dict(), "id": new_id("line"), "rev": 1, "updated": stamp,
                                            "changes": [], "region": None}), rules)
            line_store.check_inside(new, width, height)
            if k is not None:
                if not 0 <= k < len(fresh_regions):
                    raise InvalidInput("a line names a region that is not in the layout")
                new.region = fresh_regions[k].id
            fresh_lines.append(new)
        data = line_store.load(store, project_id, document_id, page_id)
        if replace:
            kept = {i: data.lines[i] for i in data.order if i in set(keep)}
            for ln in kept.values():
                ln.region = None
            data = PageLines(list(kept), kept, [])
        data.regions = [*data.regions, *fresh_regions]
        if len(data.regions) > MAX_REGIONS:
            raise InvalidInput(f"a page holds at most {MAX_REGIONS} regions; this would give it {len(data.regions)}")
        if len(data.order) + len(fresh_lines) > line_store.MAX_LINES:
            raise InvalidInput(f"a page holds at most {line_store.MAX_LINES} lines")
        for ln in fresh_lines:
            if ln.region is None:
                ln.region = region_of(ln, data.regions)
        for ln in data.lines.values():
            if ln.region is None:
                ln.region = region_of(ln, data.regions)
        data.order += [ln.id for ln in fresh_lines]
        data.lines.update({ln.id: ln for ln in fresh_lines})
        line_store._save(store, project_id, document_id, page_id, data)
    return fresh_regions, fresh_lines
