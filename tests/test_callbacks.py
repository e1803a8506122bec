"""The callbacks as plain functions, without a browser: called with a store and the values a browser
would send, then what is on disk is checked. And the shape of the controllers: every callback module
binds module-level functions, no ``register`` longer than a few lines, no module over ~330 lines."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from dash import no_update

from callbacks import annotate, annotate_help, annotate_lines, annotate_regions, line_history, preprocess, train, transcribe
from config import Config
from layout import ids
from conftest import apply_operations, page_with_lines
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
    _full, draw, change, _shown, undo, text, colour, _ = annotate_lines.verify_all(
        store, 1, data, _selection(ref), "ed-1", 0, None, None)
    on_disk = line_store.list_lines(store, *ref)
    assert [ln.status for ln in on_disk] == ["verified", "verified", "empty"] and colour == "success", text
    lines = apply_operations(data, {"ops": change["lines"]})  # only what changed travels
    assert draw is no_update and [d["status"] for d in lines["lines"]] == ["verified", "verified", "empty"]
    assert lines == annotate.with_layout(store, ref, data)
    again = annotate_lines.verify_all(store, 2, lines, _selection(ref), "ed-1", 0, None, None)
    assert "No line of this page waits" in again[5]
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
    *_, text, colour, _ = annotate_lines.verify_all(store, 1, data, _selection(ref), "ed-1", 0, None, None)
    on_disk = {ln.id: ln for ln in line_store.list_lines(store, *ref)}
    assert on_disk[first.id].status == "edited" and on_disk[first.id].text == "ἐν ἀρχῇ ἦν ὁ"
    assert colour == "warning" and "Left as they were" in text


def test_drawing_and_erasing_shapes_writes_lines(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    data, _ = annotate.load_page(store, (ref.project, ref.document), ref.page, "original")
    shapes = [{"name": d["id"], "type": "path"} for d in data["lines"]]
    drawn = {"type": "rect", "x0": 20, "y0": 55, "x1": 200, "y1": 58}  # a box drawn between lines 1 and 2
    _full, _draw, change, _shown, undo, _t, _c, _o, selected = annotate_lines.shapes_changed(
        store, {"shapes": [*shapes, drawn]}, data, _selection(ref), "ed-1", 0)
    on_disk = line_store.list_lines(store, *ref)
    assert len(on_disk) == 4 and on_disk[1].source == "drawn" and selected == on_disk[1].id  # placed by its top
    assert undo["action"] == "add"
    lines = apply_operations(data, {"ops": change["lines"]})
    assert [d["id"] for d in lines["lines"]] == [ln.id for ln in on_disk]
    erased = [s for s in shapes if s["name"] != on_disk[0].id]
    annotate_lines.shapes_changed(store, {"shapes": [*erased, {"name": on_disk[1].id, "type": "rect"}]}, lines,
                                  _selection(ref), "ed-1", 0)
    assert [ln.id for ln in line_store.list_lines(store, *ref)] == [ln.id for ln in on_disk[1:]]


def test_drawing_on_the_region_layer_makes_regions_and_erasing_keeps_their_lines(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    data, _ = annotate.load_page(store, (ref.project, ref.document), ref.page, "original")
    shapes = [{"name": d["id"], "type": "path"} for d in data["lines"]]
    region = {"type": "rect", "x0": 5, "y0": 5, "x1": 320, "y1": 105}  # around the first two lines
    lines, draw, *_ = annotate_lines.shapes_changed(store, {"shapes": [*shapes, region]}, data, _selection(ref), "ed-1", 0,
                                                    "regions", "MarginTextZone")
    assert draw == 1  # regions changed: the page is drawn whole, with the new lines
    layout = line_store.load(store, *ref)
    [made] = layout.regions
    assert made.type == "MarginTextZone" and len(layout.lines) == 3
    assert [ln.region for ln in layout.ordered()] == [made.id, made.id, None]
    assert lines["regions"][0]["id"] == made.id  # the browser gets the region with the lines
    # a line tool on the region layer: refused with a message, nothing made
    *_, text, colour, shown, _ = annotate_lines.shapes_changed(
        store, {"shapes": [*shapes, {"name": f"region:{made.id}"}, {"type": "line", "x0": 5, "y0": 200, "x1": 300, "y1": 200}]},
        lines, _selection(ref), "ed-1", 0, "regions", "MainZone")
    assert "not a line" in text and colour == "danger" and shown
    assert len(line_store.load(store, *ref).regions) == 1
    # erased with the eraser: the region goes, its lines stay
    annotate_lines.shapes_changed(store, {"shapes": shapes}, lines, _selection(ref), "ed-1", 0, "regions", "MainZone")
    layout = line_store.load(store, *ref)
    assert layout.regions == [] and len(layout.lines) == 3


def test_region_rows_act_on_what_the_browser_sends_and_forged_requests_change_nothing(
        page: tuple[Store, PageRef]) -> None:
    """A region row's click or choice reaches the server as a store's data (assets/relay.js): anything else
    there (forged, stale, of the wrong type) changes nothing on disk; a delete gives its undo record."""
    store, ref = page
    data, _ = annotate.load_page(store, (ref.project, ref.document), ref.page, "original")
    shapes = [{"name": d["id"], "type": "path"} for d in data["lines"]]
    region = {"type": "rect", "x0": 5, "y0": 5, "x1": 320, "y1": 105}
    data, *_ = annotate_lines.shapes_changed(store, {"shapes": [*shapes, region]}, data, _selection(ref), "ed-1", 0,
                                             "regions", "MainZone")
    [made] = line_store.load(store, *ref).regions
    before = line_store.load(store, *ref)
    act = {"type": ids.AN_REGION_ACTION, "region": made.id}
    for forged in (None, "delete", {"id": "x"}, {"id": {**act, "type": "upload-page-delete", "action": "delete"}},
                   {"id": {**act, "region": 5, "action": "delete"}}, {"id": {**act, "action": "rm -rf"}},
                   {"id": {**act, "region": "rg-nope", "action": "delete"}}):
        annotate_regions.region_action(store, forged, data, _selection(ref), 0, None)
    typed = {"type": ids.AN_REGION_TYPE, "region": made.id}
    for forged in (None, {"id": {"type": "points", "region": made.id}, "value": "x"}, {"id": typed, "value": 3},
                   {"id": {**typed, "region": "rg-nope"}, "value": "MainZone"}, {"id": "x", "value": "MainZone"}):
        annotate_regions.region_type(store, forged, data, _selection(ref), 0)
    assert line_store.load(store, *ref) == before
    annotate_regions.region_type(store, {"id": {**typed, "type": ids.AN_REGION_SUBTYPE}, "value": "gloss", "at": 1},
                                 data, _selection(ref), 0)
    assert line_store.load(store, *ref).regions[0].subtype == "gloss"
    *_, chosen, undo = annotate_regions.region_action(store, {"id": {**act, "action": "delete"}, "at": 2},
                                                      data, _selection(ref), 0, None)
    assert line_store.load(store, *ref).regions == [] and undo["action"] == "layout" and chosen is None


def test_a_restore_click_comes_from_the_relay_store_and_forged_ones_change_nothing(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    first = line_store.list_lines(store, *ref)[0]
    line_store.update_line(store, *ref, first.id, first.rev, text="νέον", status="edited")
    now = line_store.list_lines(store, *ref)[0]
    current = {"page": ref.page, "line": {"id": now.id, "rev": now.rev}}
    restore = {"type": ids.AN_HISTORY_RESTORE, "rev": first.rev}
    for forged in (None, {"id": {**restore, "type": ids.TR_HISTORY_RESTORE}}, {"id": {**restore, "rev": "1"}}, {"id": []}):
        assert line_history.restore_clicked(store, forged, ids.AN_HISTORY_RESTORE, current, _selection(ref), "e-1") is None
    assert line_store.list_lines(store, *ref)[0].text == "νέον"
    done = line_history.restore_clicked(store, {"id": restore, "at": 1}, ids.AN_HISTORY_RESTORE, current, _selection(ref), "e-1")
    assert done is not None and done.status == "saved"
    assert line_store.list_lines(store, *ref)[0].text == first.text


def test_a_job_rows_click_is_read_from_the_relay_store_and_nothing_else() -> None:
    resume = ids.tn_resume("job-1")
    assert train.resume({"id": resume, "at": 1})[1] == "job-1"
    for forged in (None, {"id": {**resume, "job": 5}}, {"id": ids.tn_discard("job-1")}, {"job": "job-1"}):
        assert train.resume(forged) == (no_update, no_update)
    assert train.show({"id": ids.tn_show("job-1")}) == "job-1" and train.show({"id": resume}) is no_update


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


def js(value):  # type: ignore[no-untyped-def]
    """A value as the browser sends it back: JavaScript has one number type, so 61.0 comes back as 61."""
    if isinstance(value, dict):
        return {k: js(v) for k, v in value.items()}
    if isinstance(value, list):
        return [js(v) for v in value]
    return int(value) if isinstance(value, float) and value.is_integer() else value


def test_a_line_drawn_deleted_reshaped_moved_or_banded_sends_that_line_not_the_page(tmp_path: Path, shared_data: Path) -> None:
    """Each line operation answers with Patches; applied as the browser applies them they give exactly
    the figure, the lists and the lines a whole redraw would give, in a few KB for a page of 48 lines."""

    from callbacks import annotate_page
    from layout.patching import as_json

    lines = [Line("", "baseline" if i % 2 else "box",
                  [[40, 60 + 30 * i], [900, 62 + 30 * i]] if i % 2 else
                  [[40, 40 + 30 * i], [900, 40 + 30 * i], [900, 64 + 30 * i], [40, 64 + 30 * i]],
                  text=f"στίχος {i} " * 4, status=("machine", "edited", "verified", "empty")[i % 4]) for i in range(48)]
    store, ref = page_with_lines(tmp_path, shared_data, lines)
    sel = _selection(ref)
    data, _ = annotate.load_page(store, (ref.project, ref.document), ref.page, "original")
    ids_ = [d["id"] for d in data["lines"]]
    shown = ids_[20]
    browser = js(as_json([data, *annotate_page.drawing(data, shown, None)]))  # what the browser holds after a whole draw
    whole = len(str(as_json(annotate_page.drawing(data, shown, None))))

    def check(out: tuple, selected: str | None) -> int:
        """Applies the answer as the browser would (``applyChange``); checks it against a whole redraw; returns its bytes."""
        nonlocal browser, shown
        lines, draw, change, now = out[:4]
        assert lines is no_update and draw is no_update, "a line operation must not redraw the whole page"
        assert change["base"] == annotate_page.lines_digest(browser[0])  # applied: the browser holds those lines
        patched = [apply_operations(held, {"ops": change[part]})
                   for held, part in zip(browser, ("lines", "figure", "rows", "regions"))]
        on_disk = annotate.with_layout(store, ref, patched[0])
        shown = shown if now is no_update else now
        assert shown == selected
        assert patched == as_json([on_disk, *annotate_page.drawing(on_disk, shown, None)])
        browser = js(patched)
        return len(json.dumps(change, ensure_ascii=False).encode())

    sizes = {}
    # a line drawn between lines 10 and 11 (a box): inserted there, selected
    # (Plotly puts the shape drawn among the figure's shapes itself, with all its attributes: the patch takes it out)
    drawn = {"type": "rect", "x0": 40, "y0": 349, "x1": 900, "y1": 352, "editable": True, "xref": "x", "yref": "y",
             "line": {"color": "#1c7ed6", "width": 3, "dash": "solid"}, "label": {"text": ""}, "opacity": 1}
    browser[1]["layout"]["shapes"].append(drawn)
    out = annotate_lines.shapes_changed(store, {"shapes": browser[1]["layout"]["shapes"]}, browser[0], sel, "ed-1", 0,
                                        "lines", "MainZone", None, shown)
    new_id = out[-1]
    sizes["draw"] = check(out, new_id)
    # reshaped: the baseline of line 5 dragged down by 3 px
    index = [d["id"] for d in browser[0]["lines"]].index(ids_[5])
    base = browser[0]["lines"][index]["points"]
    out = annotate_lines.shapes_changed(store, {f"shapes[{index}].x0": base[0][0], f"shapes[{index}].y0": base[0][1] + 3,
                                                f"shapes[{index}].x1": base[1][0], f"shapes[{index}].y1": base[1][1] + 3},
                                        browser[0], sel, "ed-1", 0, "lines", "MainZone", None, shown)
    sizes["reshape"] = check(out, shown)
    # moved one place up
    out = annotate_lines.move_up(store, 1, new_id, browser[0], sel, 0, None, shown)
    sizes["move"] = check(out, shown)
    # deleted: the next line is selected
    out = annotate_lines.delete(store, 1, new_id, browser[0], sel, "ed-1", 0, None, shown)
    after = [d["id"] for d in browser[0]["lines"]]
    assert new_id not in [ln.id for ln in line_store.list_lines(store, *ref)]
    sizes["delete"] = check(out, out[-1])
    assert out[-1] in after and len(browser[0]["lines"]) == 48
    # the band around a baseline typed larger
    line = next(d for d in browser[0]["lines"] if d["kind"] == "baseline")
    summary = {"id": line["id"], "kind": "baseline", "rev": line["rev"], "above": None, "below": None}
    out = annotate_lines.band(store, 40, 12, {"line": line["id"]}, {"line": summary, "page": ref.page, "band": data["band"]},
                              browser[0], sel, "ed-1", 0, None, shown)
    sizes["band"] = check(out, shown)
    assert next(ln for ln in line_store.list_lines(store, *ref) if ln.id == line["id"]).above == 40
    assert all(size <= 5000 for size in sizes.values()) and whole > 20 * max(sizes.values()), (sizes, whole)
