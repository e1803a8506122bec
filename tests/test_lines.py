"""Lines of a page: geometry of line images, validation, and the two-writer conflict rule."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr.geometry import apply, band_polygon, invert, masked_crop, straighten_band
from storage import InvalidInput, Store
from storage import lines as line_store
from storage.ingest import ImportLimits, import_paths
from storage.lines import LineConflict
from storage.models import Line


def test_straightened_band_of_a_slanted_baseline() -> None:
    img = np.full((300, 600), 255, np.uint8)
    # a dark bar 20 px high standing on a baseline rising by 40 px over 400 px
    pts = np.array([[100, 200], [500, 160], [500, 140], [100, 180]], np.int32)
    cv2.fillPoly(img, [pts], 0)
    strip = straighten_band(img, [[100, 200], [500, 160]], above=30, below=10)
    assert strip.shape == (40, 402)
    rows_dark = (strip[:, 5:-5] < 128).mean(axis=1)
    assert rows_dark[11:29].min() > 0.95 and rows_dark[:8].max() < 0.05 and rows_dark[32:].max() < 0.05


def test_band_polygon_and_masked_crop() -> None:
    poly = band_polygon([[0, 100], [200, 100]], 30, 10)
    xs, ys = zip(*poly)
    assert min(ys) == 70 and max(ys) == 110 and min(xs) == 0 and max(xs) == 200
    img = np.zeros((50, 50), np.uint8)
    crop = masked_crop(img, [[10, 10], [40, 10], [10, 40]], fill=255)
    assert crop.shape == (31, 31) and crop[2, 2] == 0 and crop[28, 28] == 255
    parchment = np.full((50, 50), 200, np.uint8)  # a photographed page: the ground is not white
    parchment[15:18, 12:30] = 40  # a stroke of ink
    crop = masked_crop(parchment, [[10, 10], [40, 10], [10, 40]])
    assert crop[28, 28] == 200 and crop[6, 5] == 40  # outside the polygon: the ground, no white cut-out


def test_coordinates_survive_preview_scaling() -> None:
    """A shape drawn on a preview at scale s is stored in page pixels and drawn back where it was."""
    page_pts = [[1234.0, 567.0], [4321.0, 600.0]]
    s = 1600 / 6000
    to_preview = np.diag([s, s, 1.0])
    on_preview = apply(to_preview, page_pts)
    assert np.allclose(apply(invert(to_preview), on_preview), page_pts)


@pytest.fixture
def page(tmp_path: Path, shared_data: Path):  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    [r] = import_paths(store, p.id, d.id, [shared_data / "gazis-pages" / "page-00.jpg"], ImportLimits())
    return store, p.id, d.id, r.page_ids[0]


def base(y: float = 100) -> Line:
    return Line("", "baseline", [[100, y], [900, y]])


def test_add_update_order_and_text_normalisation(page) -> None:  # type: ignore[no-untyped-def]
    store, p, d, pg = page
    a, b = line_store.add_lines(store, p, d, pg, [base(100), base(200)])
    c = line_store.add_lines(store, p, d, pg, [base(150)], index=1)[0]
    assert [ln.id for ln in line_store.list_lines(store, p, d, pg)] == [a.id, c.id, b.id]
    new = line_store.update_line(store, p, d, pg, a.id, a.rev, text="α\u0313\u0301λλα\n")
    assert new.text == "ἄλλα" and new.status == "edited" and new.rev == a.rev + 1  # typed: not verified by itself
    assert line_store.update_line(store, p, d, pg, a.id, new.rev, text="  ").status == "empty"
    line_store.move_line(store, p, d, pg, b.id, 0)
    assert [ln.id for ln in line_store.list_lines(store, p, d, pg)] == [b.id, a.id, c.id]


@pytest.mark.parametrize("kind,points", [("baseline", [[1, 1]]), ("box", [[0, 0], [1, 0], [1, 1], [0, 1]]),
                                         ("polygon", [[0, 0], [10, 10]]), ("circle", [[0, 0], [5, 5]]),
                                         ("baseline", [[0, "x"], [5, 5]]), ("baseline", [[0, float("nan")], [50, 5]])])
def test_bad_geometry_is_refused(page, kind: str, points: list) -> None:  # type: ignore[no-untyped-def]
    store, p, d, pg = page
    with pytest.raises(InvalidInput):
        line_store.add_lines(store, p, d, pg, [Line("", kind, points)])  # type: ignore[arg-type]
    assert line_store.list_lines(store, p, d, pg) == []


def test_two_writers_different_lines_both_survive_same_line_conflicts(page) -> None:  # type: ignore[no-untyped-def]
    store, p, d, pg = page
    one, two = line_store.add_lines(store, p, d, pg, [base(100), base(200)])
    # Alice and Bob both opened the page at these revisions
    line_store.update_line(store, p, d, pg, one.id, one.rev, text="Alice")
    line_store.update_line(store, p, d, pg, two.id, two.rev, text="Bob")
    texts = {ln.id: ln.text for ln in line_store.list_lines(store, p, d, pg)}
    assert texts == {one.id: "Alice", two.id: "Bob"}
    # Bob edits line one from the revision he saw: refused, Alice's version shown, nothing written
    with pytest.raises(LineConflict) as err:
        line_store.update_line(store, p, d, pg, one.id, one.rev, text="Bob was here")
    assert err.value.current is not None and err.value.current.text == "Alice" and "Alice" in str(err.value)
    assert {ln.text for ln in line_store.list_lines(store, p, d, pg)} == {"Alice", "Bob"}
    with pytest.raises(LineConflict):
        line_store.delete_line(store, p, d, pg, one.id, one.rev)


def _edit_own_line(root: str, p: str, d: str, pg: str, line_id: str, n: int) -> None:
    store = Store(root)
    for i in range(n):
        current = next(ln for ln in line_store.list_lines(store, p, d, pg) if ln.id == line_id)
        line_store.update_line(store, p, d, pg, line_id, current.rev, text=f"edit {i}")


def test_two_processes_editing_different_lines_lose_nothing(page) -> None:  # type: ignore[no-untyped-def]
    store, p, d, pg = page
    lines = line_store.add_lines(store, p, d, pg, [base(100), base(200)])
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_edit_own_line, args=(str(store.root), p, d, pg, ln.id, 60)) for ln in lines]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    final = line_store.list_lines(store, p, d, pg)
    assert [ln.text for ln in final] == ["edit 59", "edit 59"] and [ln.rev for ln in final] == [61, 61]


@pytest.mark.parametrize("method", ["projection", "tesseract"])
def test_find_lines_proposes_the_page_lines_once(page, method: str) -> None:  # type: ignore[no-untyped-def]
    from storage.autolines import find_lines

    store, p, d, pg = page  # page-00 of gazis-pages: 22 text lines
    found = find_lines(store, p, d, pg, method, "grc")
    assert 18 <= len(found) <= 26 and all(ln.kind == "baseline" for ln in found)
    if method == "tesseract":
        assert sum(bool(ln.text) and ln.status == "machine" for ln in found) >= 18
    assert find_lines(store, p, d, pg, method, "grc") == []  # where there are lines already, none are added


def test_a_text_line_found_twice_is_kept_once() -> None:
    """Tesseract finds a line twice when two of its blocks cover it: the longer is kept, the order too."""
    from storage.autolines import _once
    from storage.lineimages import Band
    from storage.models import Line

    def base(x0: float, x1: float, y: float) -> Line:
        return Line("", "baseline", [[x0, y], [x1, y]], above=30, below=10)

    lines = [base(100, 900, 200), base(100, 700, 300), base(120, 960, 305), base(100, 900, 400), base(950, 1200, 302)]
    kept = _once(lines, Band(30, 10))
    assert [ln.points for ln in kept] == [lines[0].points, lines[2].points, lines[3].points, lines[4].points]
