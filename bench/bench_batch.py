"""Batch OCR near the limit (issue 18, part 3): the 25 pages of ``bsb10234118`` (``grc+lat``, page
mode) by Kalamos with 2 jobs, against plain sequential single-threaded ``tesseract`` (one process per
page: Tesseract's own threads spin on these machines), and where the difference goes: the work
itself, Kalamos' bookkeeping per page, the last page's tail."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import shared_data
from storage import Store
from storage.ingest import ImportLimits, import_paths
from storage.ocrruns import RunSpec, run_ocr

LANG = "grc+lat"


def _plain(pages: list[Path]) -> tuple[float, list[float]]:
    each = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        for i, page in enumerate(pages):
            t = time.perf_counter()
            subprocess.run(["tesseract", str(page), f"{tmp}/out{i}", "-l", LANG, "hocr"], check=True, capture_output=True,
                           env={**os.environ, "OMP_THREAD_LIMIT": "1"})
            each.append(time.perf_counter() - t)
        return time.perf_counter() - t0, each


def _model_load() -> float:
    """Seconds Tesseract takes to start and load the model, reading nothing (median of 5)."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        blank = Path(tmp) / "blank.png"
        subprocess.run(["convert", "-size", "8x8", "xc:white", str(blank)], check=False, capture_output=True)
        if not blank.exists():
            from PIL import Image
            Image.new("L", (8, 8), 255).save(blank)
        for _ in range(5):
            t = time.perf_counter()
            subprocess.run(["tesseract", str(blank), f"{tmp}/o", "-l", LANG], capture_output=True,
                           env={**os.environ, "OMP_THREAD_LIMIT": "1"})
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def _kalamos(pages: list[Path], jobs: int) -> tuple[float, list[float], list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "data")
        p = store.create_project("bench")
        d = store.create_document(p.id, "bsb10234118")
        import_paths(store, p.id, d.id, pages, ImportLimits())
        ends: list[float] = []
        t0 = time.perf_counter()
        run = run_ocr(store, p.id, d.id, None, RunSpec(LANG, 3, "page", False), jobs=jobs,
                      progress=lambda done, total, left: ends.append(time.perf_counter() - t0))
        wall = time.perf_counter() - t0
        seconds = [float(st.seconds or 0) for st in run.pages.values() if st.status == "done"]
        assert len(seconds) == len(pages), run.pages
    return wall, ends, seconds


def run(rounds: int = 2) -> dict[str, object]:
    pages = sorted((shared_data() / "gt4histcomment" / "bsb10234118" / "imgs").glob("*.png"))
    out: dict[str, object] = {"pages": len(pages), "model": LANG, "mode": "page"}
    results = []
    for _ in range(rounds):  # alternated, so that both see the same machine
        plain, each = _plain(pages)
        wall, ends, seconds = _kalamos(pages, 2)
        results.append((plain, wall, ends, seconds, each))
    ratios = [plain / wall for plain, wall, *_ in results]
    plain, wall, ends, seconds, each = results[-1]
    out["plain sequential single-threaded tesseract, s (each round)"] = [round(r[0], 1) for r in results]
    out["Kalamos 2 jobs, s (each round)"] = [round(r[1], 1) for r in results]
    out["ratio (aim ≥ 1.85), each round"] = [round(r, 3) for r in ratios]
    out["plain: page seconds min / median / max"] = (round(min(each), 2), round(statistics.median(each), 2), round(max(each), 2))
    out["Kalamos: sum of page seconds (2 at once) vs plain's sum"] = (round(sum(seconds), 1), round(sum(each), 1))
    out["Kalamos: the tail, s (from the second-last page done to the last; one core idle)"] = round(ends[-1] - ends[-2], 2)
    out["Kalamos: 2 cores' ideal (sum of its page seconds / 2), s"] = round(sum(seconds) / 2, 1)
    out["tesseract start and model load, s (reading nothing)"] = round(_model_load(), 3)
    return out
