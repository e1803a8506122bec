"""Browser journey of the Preprocess tab: change the pipeline, see the preview change, apply to
the document with a progress bar, reload and find the pipeline again."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import eventually, readme_screenshot

from storage import Store
from storage.ingest import ImportLimits, import_paths
from storage.processing import processed_path

pytestmark = pytest.mark.browser



def after_image(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#preprocess-graph image").nth(1).get_attribute("href") or ""


def test_pipeline_preview_apply_and_reload(page, server, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p = store.create_project("Gazis")
    d = store.create_document(p.id, "Synthetic")
    import_paths(store, p.id, d.id, sorted((shared_data / "gazis-pages").glob("*.jpg"))[:2], ImportLimits())

    page.goto(server.url)
    page.get_by_role("tab", name="Preprocess").click()
    expect(page.locator("#preprocess-graph image")).to_have_count(2)
    expect(page.locator("#preprocess-info")).to_contain_text("Preview")

    # replace the default binarisation by a new one: remove it (the preview turns grey), add it again
    default = after_image(page)
    page.locator(".kalamos-step-binarize").get_by_title("Remove").click()
    expect(page.locator(".kalamos-step-binarize")).to_have_count(0)
    page.wait_for_function(f"document.querySelectorAll('#preprocess-graph image')[1]?.getAttribute('href') !== {default!r}")
    grey = after_image(page)
    assert grey.endswith(".jpg")
    page.select_option("#preprocess-add-op", "binarize")
    page.click("#preprocess-add")
    expect(page.locator(".kalamos-step-binarize")).to_have_count(1)
    page.wait_for_function(f"document.querySelectorAll('#preprocess-graph image')[1]?.getAttribute('href') !== {grey!r}")
    sauvola = after_image(page)
    assert sauvola.endswith(".png")  # black and white: sent as a 1-bit PNG

    # move the Sauvola k slider (its number box), and the preview changes
    # (the figure is patched: one small answer with the new image's address, not a whole figure)
    answers: list[bytes] = []
    page.on("response", lambda r: answers.append(r.body()) if "_dash-update-component" in r.url else None)
    k_box = page.locator(".kalamos-step-binarize input[type=number]").nth(1)
    k_box.fill("0.45")
    k_box.press("Tab")
    page.wait_for_function(f"document.querySelectorAll('#preprocess-graph image')[1]?.getAttribute('href') !== {sauvola!r}")
    assert after_image(page) != sauvola
    page.wait_for_load_state("networkidle")
    figures = [a for a in answers if b"preprocess-graph" in a]
    assert len(figures) == 1 and len(figures[0]) < 2000 and b"__dash_patch_update" in figures[0]
    assert after_image(page).rsplit("/", 1)[1].encode() in figures[0], answers
    readme_screenshot(page, "preprocess.png")
    eventually(lambda: store.get_document(p.id, d.id).settings["pipeline"][-1],
               lambda last: last["op"] == "binarize" and last["params"]["k"] == 0.45)

    # the box emptied: nothing changes, no error (the step keeps its last value)
    k_box.fill("")
    k_box.press("Tab")
    page.wait_for_timeout(800)
    expect(page.locator("#preprocess-error")).to_have_text("")
    assert store.get_document(p.id, d.id).settings["pipeline"][-1]["params"]["k"] == 0.45

    # apply to the whole document: the progress bar reaches 2 / 2
    page.click("#preprocess-apply")
    expect(page.locator(".kalamos-apply-done")).to_contain_text("Applied to 2 of 2 page(s)", timeout=60_000)
    expect(page.locator("#preprocess-progress")).to_contain_text("2 / 2")
    for pg in store.list_pages(p.id, d.id):
        assert processed_path(store, p.id, d.id, pg) is not None
    expect(page.locator("#preprocess-page")).to_contain_text("✓ preprocessed")

    # reload: the pipeline is still there
    page.reload()
    expect(page.locator("#preprocess-tab .kalamos-step-binarize")).to_have_count(1)
    expect(page.locator(".kalamos-step-binarize input[type=number]").nth(1)).to_have_value("0.45")


def drag(page, box: dict, fx0: float, fy0: float, fx1: float, fy1: float) -> None:  # type: ignore[no-untyped-def]
    page.mouse.move(box["x"] + box["width"] * fx0, box["y"] + box["height"] * fy0)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * (fx0 + fx1) / 2, box["y"] + box["height"] * (fy0 + fy1) / 2, steps=5)
    page.mouse.move(box["x"] + box["width"] * fx1, box["y"] + box["height"] * fy1, steps=5)
    page.mouse.up()


def test_draw_to_try_ocr_and_to_crop(page, server, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p = store.create_project("Gazis")
    d = store.create_document(p.id, "Synthetic")
    import_paths(store, p.id, d.id, [shared_data / "gazis-pages" / "page-00.jpg"], ImportLimits())

    page.goto(server.url)
    page.get_by_role("tab", name="Preprocess").click()
    expect(page.locator("#preprocess-graph image")).to_have_count(2)
    page.locator("#preprocess-graph .modebar-btn[data-val='drawrect']").click()

    # a rectangle over the first text lines of the result: Tesseract (grc) reads Greek there
    after = page.locator("#preprocess-graph image").nth(1).bounding_box()
    drag(page, after, 0.05, 0.04, 0.75, 0.14)
    expect(page.locator("#preprocess-ocr-result")).to_contain_text("τ", timeout=60_000)
    text = page.locator("#preprocess-ocr-result").inner_text()
    assert sum("\u0370" <= ch <= "\u03ff" or "\u1f00" <= ch <= "\u1fff" for ch in text) > 20, text

    # a rectangle on the original: a crop step is put first, with the drawn fractions
    before = page.locator("#preprocess-graph image").nth(0).bounding_box()
    drag(page, before, 0.05, 0.05, 0.95, 0.8)
    expect(page.locator(".kalamos-step-crop")).to_have_count(1)
    stored = eventually(lambda: store.get_document(p.id, d.id).settings["pipeline"], lambda s: s[0]["op"] == "crop")
    crop = stored[0]["params"]
    assert abs(crop["x0"] - 0.05) < 0.02 and abs(crop["y1"] - 0.8) < 0.02
