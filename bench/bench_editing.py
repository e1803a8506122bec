"""Editing ground truth in a real browser (issue 12), on a real commentary page of 57 lines: the time
from Enter to the next line ready for typing, the time of a delete, and the bytes a keystroke's
autosave costs (every request and answer it causes, measured by the browser)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench.common import chromium_page, shared_data
from storage import Store
from storage import lines as line_store
from storage.groundtruth import import_gt


def run() -> dict[str, object]:
    from playwright.sync_api import expect

    data = shared_data()
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        store = Store(root)
        p = store.create_project("Campbell")
        d = store.create_document(p.id, "Ajax")
        import_gt(store, p.id, d.id, [data / "gt4histcomment" / "cu31924087948174" / "cu31924087948174_training.tsv"],
                  status="machine")
        pg = store.list_pages(p.id, d.id)[0]
        lines = line_store.list_lines(store, p.id, d.id, pg.id)
        with chromium_page(root, 1400) as (server, page):
            traffic: list[tuple[str, int, int]] = []

            def record(response) -> None:  # type: ignore[no-untyped-def]
                if response.request.method == "POST":
                    try:
                        size = len(response.body())
                    except Exception:  # noqa: BLE001 - a redirect or an aborted request
                        size = 0
                    traffic.append((response.url, len(response.request.post_data or ""), size))

            page.on("response", record)
            page.goto(server.url)
            page.get_by_role("tab", name="Annotate").click()
            rows = page.locator("#annotate-list .list-group-item")
            expect(rows).to_have_count(len(lines), timeout=60_000)
            page.wait_for_load_state("networkidle")
            field = page.locator("#annotate-text")

            # Enter on a line: saved as verified, the next line's text in the field, the field ready
            rows.nth(0).click()
            expect(page.locator("#annotate-title")).to_contain_text("Line 1 of", timeout=30_000)
            page.wait_for_load_state("networkidle")
            field.click()
            # measured in the page: from the Enter key to the first frame painted with the next line's
            # text in the field (which keeps the focus)
            page.evaluate("""() => {
                const f = document.getElementById('annotate-text'); window.__ready = []; let t0 = 0;
                document.addEventListener('keydown', e => { if (e.key === 'Enter') t0 = performance.now(); }, true);
                f.addEventListener('input', () => { if (!t0) return; const start = t0; t0 = 0;
                    requestAnimationFrame(() => window.__ready.push(performance.now() - start)); });
            }""")
            for pause, label in ((1000, "a line read, then typed (1 s between lines)"),
                                 (150, "Enter after Enter (0.15 s between lines)")):
                page.evaluate("window.__ready = []")
                for _ in range(15):
                    page.keyboard.press("End")
                    page.keyboard.type(".")
                    page.keyboard.press("Enter")
                    page.wait_for_timeout(pause)
                enter = page.evaluate("window.__ready")
                out[f"Enter to the next line ready for typing, painted: {label} (ms median / p90)"] = (
                    round(statistics.median(enter)), round(sorted(enter)[int(len(enter) * 0.9) - 1]))
                page.wait_for_load_state("networkidle")

            # one key, autosaved: every request it causes and every answer (after a pause longer than the
            # editor's 4 s memory of recent saves, as when a person goes on typing a line)
            page.wait_for_timeout(5000)
            traffic.clear()
            page.keyboard.press("End")
            page.keyboard.type("x")
            page.wait_for_timeout(2000)
            page.wait_for_load_state("networkidle")
            out["bytes per keystroke-autosave (sent / received, all requests)"] = (
                sum(t[1] for t in traffic), sum(t[2] for t in traffic))
            out["requests per keystroke-autosave"] = len(traffic)

            def timed(act, done) -> tuple[float, int]:  # type: ignore[no-untyped-def]
                """One action: ms from ``act`` to ``done`` (what the person waits for), and the bytes of every
                answer it caused."""
                traffic.clear()
                t0 = time.perf_counter()
                act()
                done()
                ms = (time.perf_counter() - t0) * 1000
                page.wait_for_load_state("networkidle")
                return ms, sum(t[2] for t in traffic)

            def report(what: str, until: str, results: list[tuple[float, int]]) -> None:
                times = [ms for ms, _ in results]
                out[f"{what}, {until} (ms median / max of {len(times)})"] = (round(statistics.median(times)), round(max(times)))
                out[f"{what}, bytes received (all answers, median of {len(times)})"] = round(
                    statistics.median(size for _, size in results))

            def select(n: int) -> None:
                rows.nth(n - 1).click()
                expect(page.locator("#annotate-title")).to_contain_text(f"Line {n} of", timeout=30_000)
                page.wait_for_load_state("networkidle")

            # delete a line: the button to the list one row shorter
            deletes = []
            for k in range(5):
                select(31 + k)
                before = rows.count()
                deletes.append(timed(lambda: page.click("#annotate-delete"),
                                     lambda: expect(rows).to_have_count(before - 1, timeout=30_000)))
            report("delete a line", "click to the list updated", deletes)

            # move a line one place down: the button to its row one place lower
            moves = []
            for k in range(5):
                select(11 + 2 * k)
                text = rows.nth(10 + 2 * k).locator(".kalamos-row-text").inner_text()
                moves.append(timed(lambda: page.click("#annotate-down"),
                                   lambda: expect(rows.nth(11 + 2 * k).locator(".kalamos-row-text")).to_have_text(
                                       text, timeout=30_000)))
            report("move a line down", "click to the list updated", moves)

            # draw a line (a box) in the margin: the drawn line listed and selected
            page.locator("#annotate-graph .modebar-btn[data-val='drawrect']").click()
            draws = []
            for k in range(5):
                box = page.locator("#annotate-graph image").bounding_box()
                before = rows.count()
                y = box["y"] + box["height"] * (0.15 + 0.04 * k)
                page.mouse.move(box["x"] + box["width"] * 0.3, y)
                page.mouse.down()
                page.mouse.move(box["x"] + box["width"] * 0.5, y + 4, steps=3)
                page.mouse.move(box["x"] + box["width"] * 0.7, y + 8, steps=3)
                draws.append(timed(page.mouse.up, lambda: expect(rows).to_have_count(before + 1, timeout=30_000)))
            report("draw a line", "mouse up to the list updated", draws)
    return out
