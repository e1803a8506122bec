"""In a real browser: names and transcriptions that hold scripts and markup are shown as text
(no dialog, no injected element, no live link in a hover label); ground truth and models are
imported through streamed drop zones (not through a Dash callback), and the same file can be
imported again at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import GRC, eventually
from storage import Store
from storage import lines as line_store
from storage.ingest import ImportLimits, import_paths
from storage.models import Line

pytestmark = pytest.mark.browser

EVIL = ['<img src=x onerror="window.__pwned=1">', '<a href="//evil.example/x">A</a>',
        "<script>window.__pwned=2</script>", '"><svg onload="window.__pwned=3">']


def test_scripts_in_names_and_lines_stay_text(page, server, commentary_pages: list[Path]) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p = store.create_project(EVIL[0])
    d = store.create_document(p.id, EVIL[3])
    [r] = import_paths(store, p.id, d.id, [commentary_pages[0]], ImportLimits())
    pg = r.page_ids[0]
    lines = [Line("", "box", [[100, 100 + 80 * i], [900, 100 + 80 * i], [900, 160 + 80 * i], [100, 160 + 80 * i]],
                  text=t, status="machine", conf=40.0) for i, t in enumerate(EVIL)]
    line_store.add_lines(store, p.id, d.id, pg, lines)
    dialogs: list[str] = []
    page.on("dialog", lambda dlg: (dialogs.append(dlg.message), dlg.dismiss()))
    page.goto(server.url)
    for tab, graph in (("Annotate", "#annotate-graph"), ("Transcribe", "#transcribe-graph")):
        page.get_by_role("tab", name=tab).click()
        expect(page.locator(f"{graph} image")).to_have_count(1)
        expect(page.locator(f"{graph} .scatterlayer .trace")).not_to_have_count(0)
        # hover every click target: the labels show the text, never an element made of it
        targets = page.evaluate("""(sel) => {
            const gd = document.querySelector(sel + ' .js-plotly-plot');
            const fl = gd._fullLayout, box = gd.getBoundingClientRect(), out = [];
            gd.data.forEach(tr => (tr.hovertext || []).forEach((_, j) => out.push(
                [box.left + fl._size.l + fl.xaxis.l2p(tr.x[j]), box.top + fl._size.t + fl.yaxis.l2p(tr.y[j])])));
            return out;
        }""", graph)
        shown = []
        for x, y in targets[::3]:
            page.mouse.move(x, y)
            layer = page.locator(f"{graph} .hoverlayer")
            page.wait_for_timeout(60)
            shown.append((layer.text_content(), layer.locator("a").count()))
        assert shown and all(links == 0 for _, links in shown), sorted(set(t for t, _ in shown))
        assert any('<a href="//evil.example/x">' in text for text, _ in shown), shown
    assert page.evaluate("window.__pwned") is None and dialogs == []
    assert page.locator("img[src='x']").count() == 0 and page.locator("svg[onload]").count() == 0
    expect(page.locator("body")).to_contain_text("<img src=x")  # the project's name, shown as typed


def test_ground_truth_and_model_imports_are_streamed(page, server, commentary_pages: list[Path], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    image = tmp_path / commentary_pages[0].name
    image.write_bytes(commentary_pages[0].read_bytes())
    tsv = tmp_path / "lines.tsv"
    tsv.write_text(f"{image.name}\t100 100 900 160\tλόγος\n{image.name}\t100 200 900 260\tμῦθος\n", encoding="utf-8")
    page.goto(server.url)
    page.get_by_role("tab", name="Annotate").click()
    # the TSV with the page image it names, in one drop: the page is imported, then its lines
    page.locator("#annotate-import input[type=file]").set_input_files([str(tsv), str(image)])
    expect(page.locator("#annotate-message")).to_contain_text("Imported 2 line(s) on 1 page(s)")
    [pg] = store.get_document(p.id, d.id).page_ids
    assert [ln.text for ln in line_store.list_lines(store, p.id, d.id, pg)] == ["λόγος", "μῦθος"]
    # the same file again, at once (no reload): it is sent again, and left alone as the page has lines
    page.locator("#annotate-import input[type=file]").set_input_files([str(tsv)])
    expect(page.locator("#annotate-message")).to_contain_text("left as it is")
    expect(page.locator("#annotate-message")).not_to_contain_text("--replace")
    # ... unless "replace existing lines" is ticked
    tsv.write_text(f"{image.name}\t100 100 900 160\tλόγοι\n", encoding="utf-8")
    page.locator("#annotate-import-replace").check()
    page.locator("#annotate-import input[type=file]").set_input_files([str(tsv)])
    expect(page.locator("#annotate-message")).to_contain_text("Imported 1 line(s) on 1 page(s)")
    eventually(lambda: [ln.text for ln in line_store.list_lines(store, p.id, d.id, pg)], lambda t: t == ["λόγοι"])
    # a model, streamed to /api/models/<project>/import
    page.get_by_role("tab", name="Train").click()
    page.fill("#train-import-name", "streamed_grc")
    page.locator("#train-import input[type=file]").set_input_files(str(GRC))
    expect(page.locator(".kalamos-model-done")).to_contain_text("Imported streamed_grc")
    requests = [u for u in page.requests_seen if "/api/" in u]
    assert any("/api/models/" in u for u in requests) and any("/api/import-gt/" in u for u in requests)
