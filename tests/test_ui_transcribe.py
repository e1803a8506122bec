"""Browser journey of the Transcribe tab: OCR a two-page document with a progress bar, correct a
line, verify it, reload: the correction is there and counts as ground truth; search; export."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import readme_screenshot

from storage import Store
from storage import lines as line_store
from storage.groundtruth import export_tesstrain
from storage.ingest import ImportLimits, import_paths

pytestmark = pytest.mark.browser



def test_ocr_correct_verify_reload(page, server, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p = store.create_project("Gazis")
    d = store.create_document(p.id, "Two pages")
    import_paths(store, p.id, d.id, sorted((shared_data / "gazis-pages").glob("*.jpg"))[:2], ImportLimits())

    page.goto(server.url)
    page.get_by_role("tab", name="Transcribe").click()
    expect(page.locator("#transcribe-list")).to_contain_text("No lines on this page yet")
    page.click("#transcribe-run")
    expect(page.locator(".kalamos-run-done")).to_contain_text("Read 2 of 2 page(s) with grc", timeout=120_000)
    expect(page.locator("#transcribe-progress")).to_contain_text("2 / 2 pages")
    rows = page.locator("#transcribe-list .list-group-item")
    expect(rows.first).to_be_visible()
    n_lines = rows.count()
    assert n_lines > 15

    # the least sure line first: correct it, Enter marks it verified
    rows.first.click()
    expect(page.locator("#transcribe-title")).to_contain_text("machine")
    page.wait_for_function("document.getElementById('transcribe-line-img').naturalWidth > 50")
    field = page.locator("#transcribe-text")
    field.fill("ἐλθόντες εἰς τὴν πόλιν")
    field.press("Enter")

    def verified():  # type: ignore[no-untyped-def]
        first = store.list_pages(p.id, d.id)[0]
        return [ln for ln in line_store.list_lines(store, p.id, d.id, first.id) if ln.status == "verified"]

    deadline = time.time() + 15
    while not verified() and time.time() < deadline:
        time.sleep(0.2)
    [line] = verified()
    assert line.text == "ἐλθόντες εἰς τὴν πόλιν" and line.conf is None
    # one line of a whole-page run confirmed: not scored yet (the whole page's text against one line would be
    # thousands of percent), and said so
    expect(page.locator("#transcribe-eval")).to_contain_text("lines verified: a whole-page run is scored once")
    readme_screenshot(page, "transcribe.png")

    page.reload()
    expect(page.locator("#transcribe-list")).to_contain_text("ἐλθόντες εἰς τὴν πόλιν")
    expect(page.locator("#transcribe-list .list-group-item")).to_have_count(n_lines)
    assert export_tesstrain(store, p.id, [d.id], tmp_path / "gt").lines == 1  # it is ground truth now

    # accent- and case-insensitive search finds it
    page.fill("#transcribe-search", "ΕΛΘΟΝΤΕΣ")
    page.press("#transcribe-search", "Enter")
    expect(page.locator("#transcribe-search-results")).to_contain_text("ἐλθόντες εἰς τὴν πόλιν")
    assert page.locator(".kalamos-hit").count() >= 2  # the OCR text of that line (ϑ for θ) is found too

    # export links serve the transcription
    resp = page.request.get(server.url + page.locator("#transcribe-export-doc-txt").get_attribute("href"))
    assert resp.ok and "ἐλθόντες εἰς τὴν πόλιν" in resp.text()


def test_an_interrupted_run_is_listed_and_resumed(page, server, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    """A run whose process died (a server restart) says so, and Resume reads only the pages left."""
    import subprocess
    import sys

    from conftest import REPO

    store = Store(server.data_dir)
    p = store.create_project("Gazis")
    d = store.create_document(p.id, "Two pages")
    import_paths(store, p.id, d.id, sorted((shared_data / "gazis-pages").glob("*.jpg"))[:2], ImportLimits())
    script = (f"import os, sys; sys.path.insert(0, {str(REPO)!r}); from storage import Store; "
              f"from storage.ocrruns import RunSpec, run_ocr; "
              f"run_ocr(Store({str(server.data_dir)!r}), {p.id!r}, {d.id!r}, None, RunSpec('grc', 6), 1, "
              f"lambda *a: os._exit(9))")
    assert subprocess.run([sys.executable, "-c", script], timeout=300).returncode == 9
    page.goto(server.url)
    page.get_by_role("tab", name="Transcribe").click()
    picker = page.locator("#transcribe-run-pick")
    expect(picker).to_contain_text("interrupted (1 of 2 pages read)")
    page.click("#transcribe-resume")
    expect(page.locator(".kalamos-run-done")).to_contain_text("Resumed and finished 2 of 2 page(s)", timeout=120_000)
    from storage.ocrruns import list_runs

    [run] = list_runs(store, p.id, d.id)
    assert run.state == "finished" and [st.status for st in run.pages.values()] == ["done", "done"]
    expect(page.locator("#transcribe-resume")).to_be_hidden()


def test_a_lines_earlier_version_is_restored_in_transcribe(page, server, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    """Who made a line's version shows under the editor, and an earlier version comes back with Restore."""
    from storage.models import Line

    store = Store(server.data_dir)
    p = store.create_project("Gazis")
    d = store.create_document(p.id, "One page")
    [r] = import_paths(store, p.id, d.id, sorted((shared_data / "gazis-pages").glob("*.jpg"))[:1], ImportLimits())
    pg = r.page_ids[0]
    [line] = line_store.add_lines(store, p.id, d.id, pg, [Line("", "box", [[100, 100], [900, 100], [900, 160], [100, 160]],
                                                              text="ἐν ἀρχῇ", status="machine", conf=50.0)])
    line_store.update_line(store, p.id, d.id, pg, line.id, line.rev, user="ada", text="ἐν ἀρχῇ ἦν ὁ λόγος", status="verified")
    page.goto(server.url)
    page.get_by_role("tab", name="Transcribe").click()
    page.locator("#transcribe-list .list-group-item").first.click()
    expect(page.locator("#transcribe-title")).to_contain_text("by ada")
    expect(page.locator("#transcribe-history .kalamos-last-change")).to_contain_text("Version 2 · ada")
    page.locator("#transcribe-history .kalamos-versions summary").click()
    page.locator("#transcribe-history .kalamos-restore").first.click()
    deadline = time.time() + 30
    while time.time() < deadline and line_store.list_lines(store, p.id, d.id, pg)[0].rev != 3:
        time.sleep(0.2)
    now = line_store.list_lines(store, p.id, d.id, pg)[0]
    assert (now.rev, now.text, now.status) == (3, "ἐν ἀρχῇ", "machine")
    expect(page.locator("#transcribe-message")).to_contain_text("version 1 restored")
