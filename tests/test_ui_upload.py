"""Browser journey of the foundation: project, upload (good and bad files), thumbnails, reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import readme_screenshot

pytestmark = pytest.mark.browser



def create(page, which: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.click(f"#shell-{which}-new")
    page.fill("#shell-name-input", name)
    page.click("#shell-name-ok")
    expect(page.locator(f"#shell-{which}-select")).to_contain_text(name)


def test_upload_two_pages_and_a_corrupt_file(page, server, commentary_pages, tmp_path):  # type: ignore[no-untyped-def]
    page.goto(server.url)
    expect(page.locator("#upload-hint")).to_contain_text("Create a project")
    create(page, "project", "Ajax commentaries")
    create(page, "document", "Lobeck 1835")

    corrupt = tmp_path / "broken-scan.jpg"
    corrupt.write_bytes(commentary_pages[0].read_bytes()[:2000])  # PNG data cut short, named .jpg
    page.set_input_files("#upload-dropzone input[type=file]", [*commentary_pages, corrupt])

    expect(page.locator(".kalamos-page")).to_have_count(2, timeout=30_000)
    failed = page.locator(".kalamos-upload-failed")
    expect(failed).to_contain_text("broken-scan.jpg")
    expect(failed).to_contain_text("damaged")
    expect(page.locator(".kalamos-upload-ok")).to_contain_text("2 page(s)")
    page.wait_for_function("Array.from(document.images).filter(i => i.src.includes('thumb')).every(i => i.complete && i.naturalWidth > 0)")
    readme_screenshot(page, "upload.png")

    page.reload()
    expect(page.locator(".kalamos-page")).to_have_count(2)
    expect(page.locator("#shell-project-select")).to_have_value(re.compile("^p-"))
    names = page.locator(".kalamos-page").all_inner_texts()
    assert commentary_pages[0].name in names[0] and commentary_pages[1].name in names[1]

    # every request went to the Kalamos server itself: no CDN
    assert page.requests_seen
    assert all(u.startswith(server.url) or u.startswith("data:") for u in page.requests_seen), \
        [u for u in page.requests_seen if not u.startswith(server.url)]
