"""Issue 18, part 1: line mode at page speed. Per page, on 4 commentary pages (``grc+lat``, the
ground truth's line boxes) and the 3 gazis pages (``grc``, lines found by *Find lines with
Tesseract*), one at a time (``jobs=1``) through ``storage.ocrruns.run_ocr``:

- page mode (Tesseract's own layout analysis, one process);
- line mode as it is now (the page's lines cut and read by one Tesseract with a list file);
- line mode as it was (one ``tesseract`` process per line, ``ocr.tesseract.ocr_line``), for comparison;
- Annotate's pre-fill of the page's empty lines (``storage.autolines.prefill_lines``).

``python -m bench linemode``
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import shared_data
from ocr.tesseract import ocr_line
from storage import Store
from storage import lines as line_store
from storage.autolines import find_lines, prefill_lines
from storage.groundtruth import import_gt
from storage.ingest import ImportLimits, import_paths
from storage.lineimages import cut_line, page_band, work_image
from storage.ocrruns import RunSpec, run_ocr

PAGES = ("bsb10234118_0027.png", "bsb10234118_0090.png", "bsb10234118_0117.png", "bsb10234118_0501.png")


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run() -> dict[str, Any]:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    data = shared_data()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "data")
        p = store.create_project("bench")
        sets = []
        base = data / "gt4histcomment" / "bsb10234118"
        d = store.create_document(p.id, "bsb")
        import_paths(store, p.id, d.id, [base / "imgs" / name for name in PAGES], ImportLimits())
        rows = [r for r in (base / "bsb10234118_training.tsv").read_text(encoding="utf-8").splitlines()
                if r.split("\t")[0] in PAGES]
        (Path(tmp) / "gt.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        import_gt(store, p.id, d.id, [Path(tmp) / "gt.tsv"], status="machine")
        sets.append(("commentary pages (bsb10234118, grc+lat)", d.id, "grc+lat"))
        g = store.create_document(p.id, "gazis")
        for jpg in sorted((data / "gazis-pages").glob("*.jpg")):
            [r] = import_paths(store, p.id, g.id, [jpg], ImportLimits())
            find_lines(store, p.id, g.id, r.page_ids[0], "tesseract")
        sets.append(("gazis pages (grc)", g.id, "grc"))
        for label, doc_id, model in sets:
            rows_out = []
            for page in store.list_pages(p.id, doc_id):
                lines = line_store.list_lines(store, p.id, doc_id, page.id)
                page_s = _timed(lambda: run_ocr(store, p.id, doc_id, [page.id], RunSpec(model, 3, "page"), jobs=1))
                line_s = _timed(lambda: run_ocr(store, p.id, doc_id, [page.id], RunSpec(model, 3, "lines"), jobs=1))
                work = work_image(store, p.id, doc_id, page)
                band = page_band(store, p.id, doc_id, page)
                old_s = _timed(lambda: [ocr_line(cut_line(work, ln, band), model) for ln in lines])
                for ln in line_store.list_lines(store, p.id, doc_id, page.id):  # empty again, for the pre-fill
                    line_store.update_line(store, p.id, doc_id, page.id, ln.id, ln.rev, text="", status="empty")
                prefill_s = _timed(lambda: prefill_lines(store, p.id, doc_id, page.id, model))
                rows_out.append({"page": page.source.filename, "lines": len(lines), "page mode (s)": round(page_s, 2),
                                 "line mode (s)": round(line_s, 2), "line mode, a process per line (s)": round(old_s, 2),
                                 "ratio line/page": round(line_s / page_s, 2), "pre-fill (s)": round(prefill_s, 2)})
            out[label] = {"pages": rows_out,
                          "median ratio line/page": round(statistics.median(r["ratio line/page"] for r in rows_out), 2),
                          "total line/page": round(sum(r["line mode (s)"] for r in rows_out)
                                                   / sum(r["page mode (s)"] for r in rows_out), 2)}
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1, ensure_ascii=False))
