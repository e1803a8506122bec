"""Preprocessing figures (issue #4): preview latency and bytes on a 6000×4000 RGB page, full-resolution
apply time, deskew accuracy on rotated real pages, and the effect of the default pipeline on OCR."""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pytesseract
from PIL import Image

from bench.common import shared_data
from layout.preprocess import figure
from ocr.deskew import estimate_skew, rotate
from ocr.images import load_array
from ocr.metrics import char_errors
from ocr import pipeline
from ocr.pipeline import Step, default_pipeline
from storage import Store
from storage.ingest import ImportLimits, import_stream
from services import PageRef
from services.preprocessing import save_and_render
from storage.processing import apply_to_page, render_preview


def _with_k(k: float) -> list[Step]:
    """The default pipeline with Sauvola (the costliest binarisation) at a given k."""
    steps = default_pipeline()
    last = steps[-1]
    return [*steps[:-1], Step(last.op, {**last.params, "method": "sauvola", "k": round(k, 3)})]


def _big_page(data: Path) -> bytes:
    """An open book photographed at 6000×4000: two synthetic manuscript pages side by side, JPEG."""
    pages = [np.asarray(Image.open(data / "gazis-pages" / f"page-0{i}.jpg").convert("RGB")) for i in (0, 1)]
    h = min(p.shape[0] for p in pages)
    spread = cv2.resize(np.hstack([p[:h] for p in pages]), (6000, 4000), interpolation=cv2.INTER_CUBIC)
    buf = io.BytesIO()
    Image.fromarray(spread).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def preview_and_apply(data: Path) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "data")
        p = store.create_project("bench")
        d = store.create_document(p.id, "doc")
        r = import_stream(store, p.id, d.id, io.BytesIO(_big_page(data)), "spread.jpg", ImportLimits())
        page = store.get_page(p.id, d.id, r.page_ids[0])
        t0 = time.perf_counter()
        render_preview(store, p.id, d.id, page, default_pipeline())  # first one also makes the preview copy
        first = (time.perf_counter() - t0) * 1000
        times, sizes = [], []
        for i in range(25):  # every update a new Sauvola k: never a cache hit
            steps = _with_k(0.1 + 0.01 * i)
            t0 = time.perf_counter()
            _, pv = save_and_render(store, PageRef(p.id, d.id, page.id), steps, page_scope=False)  # the callback's use case
            fig_json = figure({"page": page.id, "width": page.width, "height": page.height, "before": "/b.jpg",
                               "after": f"/files/x/y/z/preview/{pv.path.name}", "after_width": page.width,
                               "after_height": page.height}).to_json()
            times.append((time.perf_counter() - t0) * 1000)
            sizes.append(pv.size_bytes + len(fig_json))
        applies = []
        for i in range(4):
            t0 = time.perf_counter()
            apply_to_page(store, p.id, d.id, page.id, _with_k(0.3 + 0.01 * i))
            applies.append(time.perf_counter() - t0)
    return {
        "page": f"{page.width}x{page.height} RGB JPEG",
        "first preview (makes the 1600 px copy) ms": round(first),
        "preview update ms median": round(statistics.median(times)),
        "preview update ms p90": round(sorted(times)[int(0.9 * len(times))]),
        "bytes per update median (image + figure JSON)": int(statistics.median(sizes)),
        "full-resolution apply s median": round(statistics.median(applies), 2),
        "full-resolution apply s max": round(max(applies), 2),
    }


def deskew_accuracy(data: Path) -> dict[str, object]:
    files = sorted((data / "gazis-pages").glob("*.jpg")) + [
        sorted((data / "gt4histcomment" / c / "imgs").glob("*.png"))[3] for c in
        ("bsb10234118", "sophokle1v3soph", "cu31924087948174")]
    angles = [-5.0, -3.7, -2.2, -1.1, -0.4, 0.3, 0.9, 1.6, 2.8, 4.1, 5.0]
    errors = []
    for f in files:
        img = load_array(f)
        level = rotate(img, -estimate_skew(img))  # start from the page as Kalamos would level it
        base = estimate_skew(level)
        for a in angles:
            errors.append(abs(estimate_skew(rotate(level, a)) - base - a))
    return {"pages": len(files), "angles": angles, "cases": len(errors),
            "error deg median": round(statistics.median(errors), 3), "error deg max": round(max(errors), 3),
            "share within 0.2 deg": round(sum(e <= 0.2 for e in errors) / len(errors), 3)}


def ocr_effect(data: Path) -> dict[str, object]:
    rows = {}
    totals = {"original": [0, 0], "default pipeline": [0, 0]}
    for f in sorted((data / "gazis-pages").glob("*.jpg")):
        gt = f.with_suffix(".gt.txt").read_text(encoding="utf-8")
        img = load_array(f)
        processed, _ = pipeline.run(img, default_pipeline())
        row = {}
        for name, arr in (("original", img), ("default pipeline", processed)):
            text = pytesseract.image_to_string(Image.fromarray(arr), lang="grc")
            e, n = char_errors(gt, text)
            totals[name][0] += e
            totals[name][1] += n
            row[name] = round(100 * e / n, 2)
        rows[f.name] = row
    return {"CER % per page": rows,
            "CER % all pages": {k: round(100 * e / n, 2) for k, (e, n) in totals.items()}}


def run() -> dict[str, object]:
    data = shared_data()
    return {"preview and apply": preview_and_apply(data), "deskew": deskew_accuracy(data),
            "OCR (tesseract -l grc, psm 3)": ocr_effect(data)}
