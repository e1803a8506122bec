"""Browser journey of the IIIF import in the Upload tab, against the test IIIF server (tests/iiifserver.py):
a bad address, a manifest read with its canvases shown through Kalamos, a range imported at a width with
one canvas the library fails to serve, then the same import again once the library is mended."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from storage import Store
from tests.iiifserver import IIIFServer

pytestmark = pytest.mark.browser


@pytest.fixture
def server_env() -> dict[str, str]:
    # the failing canvas is given up after 4 quick tries; the test's IIIF server is on this machine
    return {"KALAMOS_IIIF_BACKOFF_S": "0.05", "KALAMOS_IIIF_PRIVATE": "1"}


def create(page, which: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.click(f"#shell-{which}-new")
    page.fill("#shell-name-input", name)
    page.click("#shell-name-ok")
    expect(page.locator(f"#shell-{which}-select")).to_contain_text(name)


def _pages(store: Store) -> list:  # type: ignore[type-arg]
    [project] = store.list_projects()
    [document] = store.list_documents(project.id)
    return store.list_pages(project.id, document.id)


def test_import_canvases_from_a_manifest_then_again_once_the_library_is_mended(page, server) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    with IIIFServer(n=6, broken={"c004"}) as srv:
        page.goto(server.url)
        create(page, "project", "Oxford")
        create(page, "document", "Barocci 59")

        page.fill("#upload-iiif-url", srv.base + "/html/manifest.json")
        page.click("#upload-iiif-read")
        expect(page.locator(".kalamos-iiif-message")).to_contain_text("the server sent an HTML page, not JSON")
        expect(page.locator("#upload-iiif-form")).to_be_hidden()

        page.fill("#upload-iiif-url", srv.url(3))
        page.click("#upload-iiif-read")
        about = page.locator(".kalamos-iiif-about")
        expect(about).to_contain_text("Barocci 59 (test) — 6 canvas(es), IIIF Presentation 3")
        expect(about).to_contain_text("Test Libraries")
        expect(about).to_contain_text("rights: http://creativecommons.org/licenses/by-nc-sa/3.0/")
        thumbs = page.locator(".kalamos-iiif-thumb")
        expect(thumbs).to_have_count(6)
        expect(page.locator(".kalamos-canvas").nth(2)).to_contain_text("3. 3v")
        # loaded through Kalamos, which fetched them from the library; canvas 4's image server fails (HTTP 500)
        page.wait_for_function("Array.from(document.querySelectorAll('.kalamos-iiif-thumb'))"
                               ".every(i => i.complete && (i.naturalWidth > 0) === (i.alt !== 'canvas 4: 4v'))")
        shown = thumbs.evaluate_all("els => els.map(e => [e.src, e.loading])")
        assert all(src.startswith(f"{server.url}/files/") and "/iiif/thumb/" in src and lazy == "lazy"
                   for src, lazy in shown), shown

        expect(page.locator("#upload-iiif-first")).to_have_value("1")
        expect(page.locator("#upload-iiif-last")).to_have_value("6")
        page.fill("#upload-iiif-first", "2")
        page.fill("#upload-iiif-last", "5")
        page.locator("#upload-iiif-size input[value=width]").check()
        page.fill("#upload-iiif-width", "400")
        page.click("#upload-iiif-import")
        summary = page.locator(".kalamos-iiif-summary")
        expect(summary).to_contain_text("3 imported")
        failed = page.locator(".kalamos-iiif-failed")
        expect(failed).to_contain_text("4v:")
        expect(failed).to_contain_text("HTTP 500")
        pages = _pages(store)
        assert [p.iiif["index"] for p in pages] == [2, 3, 5]
        assert [p.iiif["label"] for p in pages] == ["2v", "3v", "5v"] and all(p.width == 400 for p in pages)
        [project] = store.list_projects()
        [document] = store.list_documents(project.id)
        assert document.source["label"] == "Barocci 59 (test)" and document.source["manifest"] == srv.url(3)
        expect(page.locator(".kalamos-page")).to_have_count(3)  # the page grid is refreshed
        expect(page.locator(".kalamos-iiif-page")).to_have_count(3)  # and the canvases marked "page k"
        expect(page.locator(".kalamos-canvas").nth(4)).to_contain_text("page 3")
        source = page.locator("#upload-iiif-source")
        expect(source).to_contain_text("From IIIF: Barocci 59 (test) — Test Libraries — rights")
        assert source.locator("a").first.get_attribute("rel") == "noopener noreferrer"
        assert source.locator("a").first.get_attribute("target") == "_blank"

        srv.broken.clear()
        page.click("#upload-iiif-import")
        expect(summary).to_contain_text("1 imported, 3 already there (skipped)")
        pages = _pages(store)
        assert [p.iiif["index"] for p in pages] == [2, 3, 4, 5]  # the canvas fetched late is in its place
        expect(page.locator(".kalamos-page")).to_have_count(4)
        expect(page.locator(".kalamos-page").nth(2)).to_contain_text("4v")

    # every request of the page went to the Kalamos server: the thumbnails too
    assert all(u.startswith(server.url) or u.startswith("data:") for u in page.requests_seen), \
        [u for u in page.requests_seen if not u.startswith(server.url)]
