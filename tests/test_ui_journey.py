"""The first hour of a new user, in one browser session: find lines, pre-fill them with OCR, click
through them, correct five, draw one, delete one, import ground truth for another page, train, and
open a worst held-out line from the evaluation. Afterwards no line is verified that the user did not
confirm, and the training used exactly the confirmed lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import eventually
from storage import Store
from storage import lines as line_store
from storage.ingest import ImportLimits, import_paths
from storage.training import list_jobs

pytestmark = pytest.mark.browser

CORRECTIONS = ["ἐν ἀρχῇ ἦν ὁ λόγος", "καὶ ὁ λόγος ἦν πρὸς τὸν θεόν", "καὶ θεὸς ἦν ὁ λόγος", "οὗτος ἦν ἐν ἀρχῇ",
               "πάντα δι’ αὐτοῦ ἐγένετο"]


def test_first_hour(page, server, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p = store.create_project("Journey")
    d = store.create_document(p.id, "Gazis")
    [r] = import_paths(store, p.id, d.id, [shared_data / "gazis-pages" / "page-00.jpg"], ImportLimits())
    pg = r.page_ids[0]
    page.goto(server.url)
    page.get_by_role("tab", name="Annotate").click()
    expect(page.locator("#annotate-graph image")).to_have_count(1)

    # find lines, pre-fill them with grc
    page.click("#annotate-find")
    rows = page.locator("#annotate-list .list-group-item")
    expect(rows.first).to_be_visible()
    found = rows.count()
    assert found >= 15
    page.click("#annotate-prefill")
    expect(page.locator("#annotate-message")).to_contain_text("Pre-filled", timeout=180_000)
    expect(page.locator("#annotate-counts")).to_contain_text("machine")
    assert {ln.status for ln in line_store.list_lines(store, p.id, d.id, pg)} <= {"machine", "empty"}

    # click through the lines (Beta Code on: machine text holds ' and ( ) and move on with Alt+↓
    page.locator("#annotate-beta").check()
    rows.nth(0).click()
    expect(page.locator("#annotate-title")).to_contain_text("Line 1 of")
    page.locator("#annotate-text").click()
    for n in range(2, 9):
        page.keyboard.press("Alt+ArrowDown")
        expect(page.locator("#annotate-title")).to_contain_text(f"Line {n} of")
    for n in (12, 3, 9):
        rows.nth(n - 1).click()
        expect(page.locator("#annotate-title")).to_contain_text(f"Line {n} of")
    assert {ln.status for ln in line_store.list_lines(store, p.id, d.id, pg)} <= {"machine", "empty"}

    # correct five lines: select all, type (Beta Code off), Enter
    page.locator("#annotate-beta").uncheck()
    ids = [ln.id for ln in line_store.list_lines(store, p.id, d.id, pg)]
    for n, text in zip((2, 4, 6, 8, 10), CORRECTIONS):
        rows.nth(n - 1).click()
        expect(page.locator("#annotate-title")).to_contain_text(f"Line {n} of")
        field = page.locator("#annotate-text")
        field.click()
        field.press("Control+a")
        page.keyboard.type(text, delay=10)
        page.keyboard.press("Enter")
        expect(page.locator("#annotate-title")).to_contain_text(f"Line {n + 1} of")
    confirmed = {ids[n - 1]: text for n, text in zip((2, 4, 6, 8, 10), CORRECTIONS)}
    eventually(lambda: {ln.id: ln.text for ln in line_store.list_lines(store, p.id, d.id, pg) if ln.status == "verified"},
               lambda v: v == confirmed)

    # draw a line at the bottom of the page, then delete it again (with the button)
    page.locator("#annotate-graph .modebar-btn[data-val='drawrect']").click()
    box = page.locator("#annotate-graph .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.9)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.95, steps=5)
    page.mouse.up()
    expect(rows).to_have_count(found + 1)
    drawn = eventually(lambda: [ln for ln in line_store.list_lines(store, p.id, d.id, pg) if ln.source == "drawn"],
                       lambda x: len(x) == 1)[0]
    expect(page.locator("#annotate-title")).to_contain_text("Line")
    page.locator("#annotate-list .list-group-item", has_text="empty").last.click()
    page.click("#annotate-delete")
    expect(rows).to_have_count(found)
    assert drawn.id not in [ln.id for ln in line_store.list_lines(store, p.id, d.id, pg)]

    # import ground truth for another page (a commentary page, with its image)
    bsb = shared_data / "gt4histcomment" / "bsb10234118"
    rows_tsv = [r for r in (bsb / "bsb10234118_training.tsv").read_text(encoding="utf-8").splitlines()
                if r.startswith("bsb10234118_0027.png")][:12]
    tsv = tmp_path / "gt.tsv"
    tsv.write_text("\n".join(rows_tsv) + "\n", encoding="utf-8")
    image = tmp_path / "bsb10234118_0027.png"
    image.write_bytes((bsb / "imgs" / "bsb10234118_0027.png").read_bytes())
    page.locator("#annotate-import input[type=file]").set_input_files([str(tsv), str(image)])
    expect(page.locator("#annotate-message")).to_contain_text("Imported 12 line(s) on 1 page(s)")

    # train on the confirmed lines (and the imported ground truth)
    page.get_by_role("tab", name="Train").click()
    expect(page.locator("#train-summary")).to_contain_text("17 verified lines")
    page.fill("#train-name", "journey")
    page.fill("#train-iterations", "150")
    page.fill("#train-minutes", "3")
    page.click("#train-start")
    expect(page.locator(".kalamos-train-done")).to_contain_text("Model journey is ready", timeout=300_000)
    [job] = list_jobs(store, p.id)
    assert job.summary.lines == 17

    # the worst held-out lines show their image and open in the Annotate tab
    page.select_option("#train-eval-model", label="journey")
    worst = page.locator(".kalamos-worst tbody tr")
    if worst.count():
        expect(worst.first.locator("img.kalamos-worst-img")).to_be_visible()
        label = worst.first.locator(".kalamos-open-line").inner_text()  # "page N, line M ›"
        worst.first.locator(".kalamos-open-line").click()
        expect(page.get_by_role("tab", name="Annotate")).to_have_class(re.compile("active"))
        number = label.split("line ")[1].split(" ")[0]
        expect(page.locator("#annotate-title")).to_contain_text(f"Line {number} of")
        expect(page.locator("#shell-document-select")).to_have_value(d.id)  # the navbar shows the line's document

    # nothing became verified by accident
    lines = line_store.list_lines(store, p.id, d.id, pg)
    assert {ln.id: ln.text for ln in lines if ln.status == "verified"} == confirmed
