"""Annotate figures (issue #5): GT import/export times on a real commentary, the server time to save
one line change in a document of 1000+ lines, and what opening the tab on a 60-line page costs."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import shared_data
from config import Config
from storage import Store
from storage import lines as line_store
from storage.groundtruth import export_tesstrain, import_gt
from storage.models import Line


def _dash_call(app, client, first_input: str, inputs: dict[str, object], state: dict[str, object]) -> tuple[dict, int, float]:  # type: ignore[no-untyped-def]
    """POST one callback the way the browser does; returns (response, bytes, server ms)."""
    key = next(k for k, v in app.callback_map.items() if v["inputs"] and
               f"{v['inputs'][0]['id']}.{v['inputs'][0]['property']}" == first_input)
    spec = app.callback_map[key]
    outputs = [{"id": o.split(".")[0], "property": o.split(".", 1)[1]} for o in key.strip(".").split("...")]

    def item(d: dict, values: dict[str, object]) -> dict:
        name = f"{d['id']}.{d['property']}"
        return {"id": d["id"], "property": d["property"], "value": values.get(name)}

    body = {"output": key, "outputs": outputs, "inputs": [item(i, inputs) for i in spec["inputs"]],
            "state": [item(s, state) for s in spec["state"]], "changedPropIds": [first_input]}
    t0 = time.perf_counter()
    resp = client.post("/_dash-update-component", json=body)
    dt = (time.perf_counter() - t0) * 1000
    assert resp.status_code == 200, resp.data[:300]
    return json.loads(resp.data), len(resp.data), dt


def run() -> dict[str, object]:
    from app import create_app

    data = shared_data()
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = Store(root / "data")
        p = store.create_project("Schneidewin")
        d = store.create_document(p.id, "Ajax 1853")
        tsv = data / "gt4histcomment" / "sophokle1v3soph" / "sophokle1v3soph_training.tsv"
        t0 = time.perf_counter()
        rep = import_gt(store, p.id, d.id, [tsv])
        out["import sophokle1v3soph TSV (pages, lines, s)"] = (rep.pages, rep.lines, round(time.perf_counter() - t0, 2))
        t0 = time.perf_counter()
        exp = export_tesstrain(store, p.id, [d.id], root / "gt")
        out["export its tesstrain set (lines, s)"] = (exp.lines, round(time.perf_counter() - t0, 2))

        # one line change, with the document's 1020 lines (about 50 per page), then 1000 lines on one page
        pages = store.list_pages(p.id, d.id)
        busiest = max(pages, key=lambda pg: line_store.line_count(store, p.id, d.id, pg.id))

        def save_times(page_id: str, n: int = 60) -> list[float]:
            times = []
            for i in range(n):
                line = line_store.list_lines(store, p.id, d.id, page_id)[i % 10]
                t = time.perf_counter()
                line_store.update_line(store, p.id, d.id, page_id, line.id, line.rev, text=f"{line.text[:40]} {i}")
                times.append((time.perf_counter() - t) * 1000)
            return times

        t = save_times(busiest.id)
        out["save one line, document of 1020 lines (ms median / p90)"] = (round(statistics.median(t), 1), round(sorted(t)[54], 1))
        big = pages[0]
        extra = [Line("", "box", [[10, 10 + k], [500, 10 + k], [500, 40 + k], [10, 40 + k]], text="λόγος " * 8, status="verified")
                 for k in range(1000)]
        line_store.add_lines(store, p.id, d.id, big.id, extra)
        t = save_times(big.id)
        out["save one line, 1000+ lines on the same page (ms median / p90)"] = (round(statistics.median(t), 1), round(sorted(t)[54], 1))

        # opening the tab on a page of about 60 lines: the two callbacks that bring the page and its lines
        target = min(pages[1:], key=lambda pg: abs(line_store.line_count(store, p.id, d.id, pg.id) - 60))
        n_lines = line_store.line_count(store, p.id, d.id, target.id)
        app = create_app(Config(data_dir=root / "data"))
        client = app.server.test_client()
        selection = {"project": p.id, "document": d.id}
        sizes, times = [], []
        for _ in range(5):
            r1, b1, t1 = _dash_call(app, client, "annotate-page.value",
                                    {"annotate-page.value": target.id, "annotate-view.value": "original", "annotate-rev.data": 0},
                                    {"shell-selection.data": selection, "annotate-selected.data": None})
            lines_data = r1["response"]["annotate-lines"]["data"]
            _, b2, t2 = _dash_call(app, client, "annotate-draw.data", {"annotate-draw.data": 1},
                                   {"annotate-lines.data": lines_data, "annotate-selected.data": lines_data["lines"][0]["id"],
                                    "annotate-viewport.data": None})
            sizes.append(b1 + b2)
            times.append(t1 + t2)
        image = client.get(f"/files/{p.id}/{d.id}/{target.id}/preview/base-1600.jpg")
        out[f"open the tab on a page of {n_lines} lines"] = {
            "server ms (median of 5: lines + figure/list callbacks)": round(statistics.median(times)),
            "callback bytes": int(statistics.median(sizes)),
            "page image bytes (1600 px JPEG, once, then cached)": len(image.data),
        }
    return out
