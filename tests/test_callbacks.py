"""The callbacks as plain functions, without a browser: called with a store and the values a browser
would send, then what is on disk is checked. And the shape of the controllers: every callback module
binds module-level functions, no ``register`` longer than a few lines, no module over ~330 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from dash import no_update

from callbacks import annotate, annotate_help, annotate_lines, preprocess, train, transcribe
from config import Config
from conftest import page_with_lines
from services import PageRef
from storage import Store
from storage import lines as line_store
from storage.models import Line

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def page(tmp_path: Path, shared_data: Path) -> tuple[Store, PageRef]:
    return page_with_lines(tmp_path, shared_data, [
        Line("", "box", [[10, 10], [300, 10], [300, 50], [10, 50]], text="ἐν ἀρχῇ ἦν", status="machine"),
        Line("", "box", [[10, 60], [300, 60], [300, 100], [10, 100]], text="ὁ λόγος", status="edited"),
        Line("", "box", [[10, 110], [300, 110], [300, 150], [10, 150]], text="", status="empty")])


def _selection(ref: PageRef) -> dict[str, str]:
    return {"project": ref.project, "document": ref.document}


def test_verify_all_then_undo_as_a_click_would(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    data, _ = annotate.load_page(store, (ref.project, ref.document), ref.page, "original")
    lines, draw, undo, text, colour, shown = annotate_lines.verify_all(store, 1, data, _selection(ref), "ed-1", 0)
    on_disk = line_store.list_lines(store, *ref)
    assert [ln.status for ln in on_disk] == ["verified", "verified", "empty"] and colour == "success", text
    assert draw == 1 and [d["status"] for d in lines["lines"]] == ["verified", "verified", "empty"]
    again = annotate_lines.verify_all(store, 2, lines, _selection(ref), "ed-1", draw)
    assert "No line of this page waits" in again[3]
    rev, cleared, *message = annotate_help_undo(store, ref, undo)
    assert [ln.status for ln in line_store.list_lines(store, *ref)] == ["machine", "edited", "empty"]
    assert cleared is None and rev == 1


def annotate_help_undo(store: Store, ref: PageRef, undo: dict) -> tuple:
    return annotate_lines.undo(store, 1, undo, _selection(ref), "ed-1", 0)


def test_a_stale_verify_all_changes_nothing_someone_else_changed(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    data, _ = annotate.load_page(store, (ref.project, ref.document), ref.page, "original")
    first = line_store.list_lines(store, *ref)[0]
    line_store.update_line(store, *ref, first.id, first.rev, text="ἐν ἀρχῇ ἦν ὁ", status="edited")  # another person
    _, _, _, text, colour, _ = annotate_lines.verify_all(store, 1, data, _selection(ref), "ed-1", 0)
    on_disk = {ln.id: ln for ln in line_store.list_lines(store, *ref)}
    assert on_disk[first.id].status == "edited" and on_disk[first.id].text == "ἐν ἀρχῇ ἦν ὁ"
    assert colour == "warning" and "Left as they were" in text


def test_drawing_and_erasing_shapes_writes_lines(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    data, _ = annotate.load_page(store, (ref.project, ref.document), ref.page, "original")
    shapes = [{"name": d["id"], "type": "path"} for d in data["lines"]]
    drawn = {"type": "rect", "x0": 20, "y0": 55, "x1": 200, "y1": 58}  # a box drawn between lines 1 and 2
    lines, _, undo, *_msg, selected = annotate_lines.shapes_changed(store, {"shapes": [*shapes, drawn]}, data,
                                                                    _selection(ref), "ed-1", 0)
    on_disk = line_store.list_lines(store, *ref)
    assert len(on_disk) == 4 and on_disk[1].source == "drawn" and selected == on_disk[1].id  # placed by its top
    assert undo["action"] == "add"
    erased = [s for s in shapes if s["name"] != on_disk[0].id]
    annotate_lines.shapes_changed(store, {"shapes": [*erased, {"name": on_disk[1].id, "type": "rect"}]}, lines,
                                  _selection(ref), "ed-1", 0)
    assert [ln.id for ln in line_store.list_lines(store, *ref)] == [ln.id for ln in on_disk[1:]]


def test_drawing_on_the_region_layer_makes_regions_and_erasing_keeps_their_lines(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    data, _ = annotate.load_page(store, (ref.project, ref.document), ref.page, "original")
    shapes = [{"name": d["id"], "type": "path"} for d in data["lines"]]
    region = {"type": "rect", "x0": 5, "y0": 5, "x1": 320, "y1": 105}  # around the first two lines
    lines, *_ = annotate_lines.shapes_changed(store, {"shapes": [*shapes, region]}, data, _selection(ref), "ed-1", 0,
                                              "regions", "MarginTextZone")
    layout = line_store.load(store, *ref)
    [made] = layout.regions
    assert made.type == "MarginTextZone" and len(layout.lines) == 3
    assert [ln.region for ln in layout.ordered()] == [made.id, made.id, None]
    assert lines["regions"][0]["id"] == made.id  # the browser gets the region with the lines
    # a line tool on the region layer: refused with a message, nothing made
    _, _, _, text, colour, shown, _ = annotate_lines.shapes_changed(
        store, {"shapes": [*shapes, {"name": f"region:{made.id}"}, {"type": "line", "x0": 5, "y0": 200, "x1": 300, "y1": 200}]},
        lines, _selection(ref), "ed-1", 0, "regions", "MainZone")
    assert "not a line" in text and colour == "danger" and shown
    assert len(line_store.load(store, *ref).regions) == 1
    # erased with the eraser: the region goes, its lines stay
    annotate_lines.shapes_changed(store, {"shapes": shapes}, lines, _selection(ref), "ed-1", 0, "regions", "MainZone")
    layout = line_store.load(store, *ref)
    assert layout.regions == [] and len(layout.lines) == 3


def test_a_tiny_crop_is_refused_and_nothing_changes(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    pipe = {"page": ref.page, "scope": "document", "steps": []}
    tiny = {"shapes": [{"type": "rect", "xref": "x", "x0": 10, "y0": 10, "x1": 11, "y1": 11}]}
    out = preprocess.drawn(store, tiny, pipe, _selection(ref), "grc", 0)
    assert out == (no_update, no_update, "The crop rectangle is too small.")
    crop = {"shapes": [{"type": "rect", "xref": "x", "x0": 0, "y0": 0, "x1": 400, "y1": 300}]}
    new_pipe, rev, _ = preprocess.drawn(store, crop, pipe, _selection(ref), "grc", 0)
    assert new_pipe["steps"][0]["op"] == "crop" and rev == 1 and 0 < new_pipe["steps"][0]["params"]["x1"] <= 1


def test_train_form_errors_are_messages_and_write_nothing(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    sel = {"project": ref.project, "document": ref.document}
    run, job, note = train.start(store, 1, sel, None, "fine", "grc", "small", "", 100, 1, None, None, False, None, False,
                                 "print", "auto", False, False)
    assert run is no_update and "model name" in str(note.children)
    run, job, note = train.start(store, 1, sel, None, "fine", "grc", "small", "ok_name", None, 1, None, None, False,
                                 None, False, "print", "auto", False, False)
    assert "number of iterations" in str(note.children)
    assert not (store.project_dir(ref.project) / "training").exists() or not any(
        (store.project_dir(ref.project) / "training").iterdir())


def test_search_ignores_accents_and_case(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    found = transcribe.search(store, "ΛΟΓΟΣ", _selection(ref))
    assert "1 line(s)" in str(found) and "ὁ λόγος" in str(found)
    assert "No line contains" in str(transcribe.search(store, "θεός", _selection(ref)))


def test_conventions_saved_through_the_callback_reach_the_project(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    closed, text, colour, shown = annotate_help.save_conventions(store, 1, "’", "·", "keep", _selection(ref))
    assert closed is False and colour == "success"
    is_open, elision, teleia, lunate = annotate_help.open_conventions(store, 1, _selection(ref))
    assert (is_open, elision, teleia) == (True, "’", "·")


def test_every_callbacks_module_only_wires_module_level_functions() -> None:
    config = Config()
    assert config.poll_seconds > 0
    for path in sorted((REPO / "callbacks").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 340, f"{path.name}: {lines} lines (split it by what the user does)"
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "register":
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                assert length <= 20, f"{path.name}: register is {length} lines; declare callbacks at module level"
                assert not [n for n in ast.walk(node) if isinstance(n, ast.FunctionDef) and n is not node], path.name
