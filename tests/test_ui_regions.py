"""Browser journey of regions (issue 16) on a real commentary page: draw regions on the region layer,
type them, reorder them with the keyboard, hide the layer, delete one, let Kalamos find them; each
step checked on disk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import commentary_page, eventually
from storage import Store
from storage import lines as line_store

pytestmark = pytest.mark.browser

PAGE = "sophokle1v3soph_0081"


def _layout(store: Store, p: str, d: str, pg: str):  # type: ignore[no-untyped-def]
    return line_store.load(store, p, d, pg)


def test_draw_type_reorder_hide_delete_and_find_regions(page, server, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p, d, pg, _rows = commentary_page(store, shared_data, tmp_path, "sophokle1v3soph", PAGE, "Schneidewin")
    lines_before = len(line_store.list_lines(store, p.id, d.id, pg))
    assert lines_before > 60

    page.goto(server.url)
    page.get_by_role("tab", name="Annotate").click()
    expect(page.locator("#annotate-graph image")).to_have_count(1)
    expect(page.locator("#annotate-region-list")).to_contain_text("No regions")
    page.locator("#annotate-layer").get_by_text("regions").click()
    page.locator("#annotate-graph .modebar-btn[data-val='drawrect']").click()

    def whole_page() -> None:  # zoomed out so that the whole page is on screen (the tab opens fitting its width)
        page.evaluate("""() => { const g = document.querySelector('#annotate-graph .js-plotly-plot');
                                 return window.Plotly.relayout(g, {'xaxis.autorange': true, 'yaxis.autorange': true}); }""")
        page.wait_for_timeout(400)

    def rect(x0: float, y0: float, x1: float, y1: float) -> None:
        whole_page()
        box = page.locator("#annotate-graph image").bounding_box()
        page.mouse.move(box["x"] + box["width"] * x0, box["y"] + box["height"] * y0)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * (x0 + x1) / 2, box["y"] + box["height"] * (y0 + y1) / 2, steps=4)
        page.mouse.move(box["x"] + box["width"] * x1, box["y"] + box["height"] * y1, steps=4)
        page.mouse.up()

    # the main text, drawn as the type chosen for new regions (MainZone)
    whole_page()
    top = page.locator("#annotate-graph image").bounding_box()["y"]
    rect(0.04, 0.09, 0.97, 0.40)
    got = eventually(lambda: _layout(store, p.id, d.id, pg), lambda lay: len(lay.regions) == 1)
    expect(page.locator("#annotate-message")).to_contain_text("Region added")
    # the message did not push the page down under the mouse of a person drawing the next region
    assert abs(page.locator("#annotate-graph image").bounding_box()["y"] - top) < 1
    main = got.regions[0]
    assert main.type == "MainZone" and main.source == "drawn"
    assert sum(ln.region == main.id for ln in got.lines.values()) >= 14  # the lines inside joined it
    # the right commentary column first, then the left: the default order still reads left to right
    expect(page.locator(".kalamos-region-row")).to_have_count(1)
    rect(0.475, 0.405, 0.955, 0.93)
    expect(page.locator(".kalamos-region-row")).to_have_count(2)
    rect(0.03, 0.405, 0.465, 0.93)
    got = eventually(lambda: _layout(store, p.id, d.id, pg), lambda lay: len(lay.regions) == 3)
    xs = [min(x for x, _ in r.points) for r in got.regions]
    assert xs[1] < xs[2], "the left column comes before the right one"
    expect(page.locator(".kalamos-region-row")).to_have_count(3)
    # type the two columns: subtype "commentary"
    for n in (2, 3):
        field = page.get_by_label(f"subtype of region {n}")
        field.fill("commentary")
        field.press("Enter")
        eventually(lambda: _layout(store, p.id, d.id, pg), lambda lay, n=n: lay.regions[n - 1].subtype == "commentary")
        expect(page.locator("#annotate-graph")).to_contain_text(f"{n} MainZone:commentary")
    eventually(lambda: _layout(store, p.id, d.id, pg), lambda lay: [r.label for r in lay.regions] ==
               ["MainZone", "MainZone:commentary", "MainZone:commentary"])
    # a type of the project's own, then offered for regions
    page.get_by_placeholder("a type of this project's own").fill("ScholiaZone")
    page.get_by_role("button", name="Add type").click()
    expect(page.locator("#annotate-new-region-type option[value='ScholiaZone']")).to_have_count(1)
    assert "ScholiaZone" in store.get_project(p.id).settings["region_types"]
    page.locator(".kalamos-region-row").nth(0).locator("select").select_option("RunningTitleZone")
    eventually(lambda: _layout(store, p.id, d.id, pg), lambda lay: lay.regions[0].type == "RunningTitleZone")
    page.locator(".kalamos-region-row").nth(0).locator("select").select_option("MainZone")
    eventually(lambda: _layout(store, p.id, d.id, pg), lambda lay: lay.regions[0].type == "MainZone")

    # with the keyboard: the right column (3) one place earlier
    right = got.regions[2].id
    page.get_by_label("region 3 earlier").focus()
    page.keyboard.press("Enter")
    got = eventually(lambda: _layout(store, p.id, d.id, pg), lambda lay: lay.regions[1].id == right)
    # the focus stays on that button in the list drawn anew: Enter again moves it once more, then back
    expect(page.locator("#annotate-region-list")).to_contain_text("2")
    page.wait_for_function("document.activeElement && document.activeElement.id.includes('earlier')")
    page.keyboard.press("Enter")
    eventually(lambda: _layout(store, p.id, d.id, pg), lambda lay: lay.regions[0].id == right)
    expect(page.get_by_label("region 1 later")).to_have_attribute("id", re.compile(right))  # as a person sees it
    page.get_by_label("region 1 later").focus()
    page.keyboard.press("Enter")
    got = eventually(lambda: _layout(store, p.id, d.id, pg), lambda lay: lay.regions[1].id == right)
    texts = [ln.text for ln in got.ordered()]
    first = lambda word: next(i for i, t in enumerate(texts) if word in t)  # noqa: E731
    assert first("ποῖον") < first("Grundsatz") < first("464. γυμνόν"), "the lines follow their regions' order"
    expect(page.locator("#annotate-graph")).to_contain_text("2 MainZone:commentary")

    # hide the region layer, draw a line: no region is taken for erased
    page.locator("#annotate-show").get_by_text("regions").click()
    expect(page.locator("#annotate-graph")).not_to_contain_text("MainZone:commentary")
    page.locator("#annotate-layer").get_by_text("lines").click()
    page.locator("#annotate-graph .modebar-btn[data-val='drawline']").click()
    whole_page()
    page.evaluate("window.scrollBy(0, 300)")  # the foot of the page into the window, as a person scrolls to it
    box = page.locator("#annotate-graph image").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.95)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.95, steps=5)
    page.mouse.up()
    got = eventually(lambda: _layout(store, p.id, d.id, pg), lambda lay: len(lay.lines) == lines_before + 1)
    assert len(got.regions) == 3
    page.locator("#annotate-show").get_by_text("regions").click()

    # delete the main text region: its lines stay, in no region; Undo brings it back; delete it again
    page.get_by_label("delete region 1").click()
    got = eventually(lambda: _layout(store, p.id, d.id, pg), lambda lay: len(lay.regions) == 2)
    assert len(got.lines) == lines_before + 1
    expect(page.locator(".kalamos-region-row")).to_have_count(2)
    page.get_by_role("button", name="↶ Undo last change").click()
    eventually(lambda: _layout(store, p.id, d.id, pg), lambda lay: len(lay.regions) == 3)
    expect(page.locator(".kalamos-region-row")).to_have_count(3)
    page.get_by_label("delete region 1").click()
    eventually(lambda: _layout(store, p.id, d.id, pg), lambda lay: len(lay.regions) == 2)
    expect(page.locator(".kalamos-region-row")).to_have_count(2)

    # a reload shows what is on disk
    page.reload()
    page.get_by_role("tab", name="Annotate").click()
    expect(page.locator(".kalamos-region-row")).to_have_count(2)

    # Kalamos finds them, replacing the drawn ones; the verified lines stay as they are
    page.locator("#annotate-find-regions-replace").check()
    page.get_by_role("button", name="Find regions and lines").click()
    expect(page.locator("#annotate-message")).to_contain_text("region(s)", timeout=60_000)
    got = _layout(store, p.id, d.id, pg)
    labels = [r.label for r in got.regions]
    assert labels.count("MainZone:commentary") == 2 and "MainZone" in labels, labels
    assert sum(ln.status == "verified" for ln in got.lines.values()) == lines_before
