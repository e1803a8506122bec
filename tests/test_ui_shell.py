"""Browser journeys of the navbar and the page grid: rename, refuse a duplicate name, reorder,
delete with confirmation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from storage import Store
from storage.ingest import ImportLimits, import_paths

pytestmark = pytest.mark.browser


def test_reorder_delete_rename_and_delete_project(page, server, commentary_pages: list[Path]) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p = store.create_project("Sophocles")
    d = store.create_document(p.id, "Ajax")
    import_paths(store, p.id, d.id, commentary_pages, ImportLimits())
    first, second = (c.name for c in commentary_pages)

    page.goto(server.url)
    cards = page.locator(".kalamos-page")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text(first)

    # reorder: move the first page later
    cards.nth(0).get_by_title("Move later").click()
    expect(cards.nth(0)).to_contain_text(second)
    expect(cards.nth(1)).to_contain_text(first)
    assert [store.get_page(p.id, d.id, i).source.filename for i in store.get_document(p.id, d.id).page_ids] == [second, first]

    # delete asks first; cancel keeps the page
    cards.nth(0).get_by_role("button", name="Delete").click()
    expect(page.locator("#shell-confirm-text")).to_contain_text(f"Delete page 1 ({second})")
    page.click("#shell-confirm-cancel")
    expect(cards).to_have_count(2)
    cards.nth(0).get_by_role("button", name="Delete").click()
    page.click("#shell-confirm-ok")
    expect(cards).to_have_count(1)
    expect(page.locator("#shell-notice")).to_contain_text("moved to")
    assert len(list((server.data_dir / "trash").iterdir())) == 1

    # a duplicate document name is refused in the dialog, which stays open
    page.click("#shell-document-new")
    page.fill("#shell-name-input", "ajax")
    page.click("#shell-name-ok")
    expect(page.locator("#shell-name-error")).to_contain_text("exists already")
    page.fill("#shell-name-input", "Ajax, second copy")
    page.press("#shell-name-input", "Enter")
    expect(page.locator("#shell-document-select")).to_contain_text("Ajax, second copy")
    expect(page.locator("#upload-count")).to_have_text("No pages yet.")

    # rename the project
    page.click("#shell-project-rename")
    expect(page.locator("#shell-name-input")).to_have_value("Sophocles")
    page.fill("#shell-name-input", "Σοφοκλῆς")
    page.click("#shell-name-ok")
    expect(page.locator("#shell-project-select")).to_contain_text("Σοφοκλῆς")
    assert store.get_project(p.id).name == "Σοφοκλῆς"

    # delete the project: confirmation names it, then the app asks for a new one
    page.click("#shell-project-delete")
    expect(page.locator("#shell-confirm-text")).to_contain_text("Σοφοκλῆς")
    expect(page.locator("#shell-confirm-text")).to_contain_text("2 document(s)")
    page.click("#shell-confirm-ok")
    expect(page.locator("#upload-hint")).to_contain_text("Create a project")
    assert store.list_projects() == []
