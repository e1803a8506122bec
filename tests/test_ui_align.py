"""Browser journey of "Align a known text" (issue 17) on a real page: paste an edition without
accents, align it in the background, look at a line's variants, confirm it with Enter; each step
checked on disk."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import commentary_page, eventually
from storage import Store
from storage import lines as line_store

pytestmark = pytest.mark.browser

PAGE = "bsb10234118_0027"


def strip(text: str) -> str:
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)))


def test_paste_an_edition_align_check_the_variants_and_confirm(page, server, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p, d, pg, rows = commentary_page(store, shared_data, tmp_path, "bsb10234118", PAGE, "Lobeck", status="machine")
    # the lines as a person starts: drawn, no text yet (the alignment reads them itself)
    for ln in line_store.list_lines(store, p.id, d.id, pg):
        line_store.update_line(store, p.id, d.id, pg, ln.id, ln.rev, text="", status="empty")
    gt = [unicodedata.normalize("NFC", " ".join(row.split("\t")[2].split())) for row in rows]
    # a variant: the edition reads another word in verse 3 than the page (which keeps "ὄκνῳ")
    edition = "\n".join(strip(" ".join(gt[i:i + 4])) for i in range(0, len(gt), 4)).replace("οκνω", "φοβω")

    page.goto(server.url)
    page.get_by_role("tab", name="Annotate").click()
    expect(page.locator("#annotate-list .list-group-item")).to_have_count(len(gt))
    page.get_by_text("Align a known text").click()
    page.locator("#annotate-align-run").click()  # nothing pasted yet
    expect(page.locator("#annotate-align-result")).to_contain_text("empty")
    page.locator("#annotate-align-text").fill(edition)
    page.locator("#annotate-align-run").click()
    expect(page.locator("#annotate-align-result")).to_contain_text("aligned with the edition", timeout=60_000)

    stored = line_store.list_lines(store, p.id, d.id, pg)
    assert all(ln.status == "aligned" and ln.aligned for ln in stored)
    exact = sum(ln.text == strip(t) for ln, t in zip(stored, gt))
    assert exact >= 0.85 * len(gt), [(ln.text, strip(t)) for ln, t in zip(stored, gt) if ln.text != strip(t)]
    verse = next(i for i, t in enumerate(gt) if "ὄκνῳ" in t)
    assert "φοβω" in stored[verse].text
    expect(page.locator("#annotate-list .kalamos-badge-aligned")).to_have_count(len(gt))
    # one Undo takes the whole alignment back; aligned again
    page.locator("#annotate-undo").click()
    eventually(lambda: line_store.list_lines(store, p.id, d.id, pg), lambda lines: all(ln.status == "empty" for ln in lines))
    expect(page.locator("#annotate-list .kalamos-badge-aligned")).to_have_count(0)
    page.locator("#annotate-align-run").click()
    expect(page.locator("#annotate-list .kalamos-badge-aligned")).to_have_count(len(gt), timeout=60_000)
    # the text of another book is refused: nothing changes
    page.locator("#annotate-align-text").fill(" ".join(reversed(edition.split())))
    page.locator("#annotate-align-run").click()
    expect(page.locator("#annotate-align-result")).to_contain_text("does not seem to be the text of these lines",
                                                                   timeout=60_000)
    assert [ln.text for ln in line_store.list_lines(store, p.id, d.id, pg)] == [ln.text for ln in stored]

    # the line with the variant: its diff view marks the word where edition and page differ
    page.locator("#annotate-list .list-group-item").nth(verse).click()
    expect(page.locator("#annotate-variants mark").first).to_be_visible()
    marked = page.locator("#annotate-variants mark").all_inner_texts()
    assert "φοβω." in marked and "ὄκνῳ." in marked  # the edition's word, and what the page has
    field = page.locator("#annotate-text")
    expect(field).to_have_value(stored[verse].text)
    # the user corrects the variant by the image, and confirms it with Enter
    field.fill(stored[verse].text.replace("φοβω", "ὄκνῳ"))
    field.press("Enter")
    got = eventually(lambda: line_store.list_lines(store, p.id, d.id, pg)[verse],
                     lambda ln: ln.status == "verified")
    assert "ὄκνῳ" in got.text
    # the next line is now the one being edited; Enter confirms it as it was proposed
    expect(page.locator("#annotate-title")).to_contain_text(f"Line {verse + 2} of")
    field.press("Enter")
    eventually(lambda: line_store.list_lines(store, p.id, d.id, pg)[verse + 1],
               lambda ln: ln.status == "verified" and ln.text == stored[verse + 1].text)
