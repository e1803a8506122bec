"""Accuracy from few lines and on a manuscript hand (issue 13): ``python -m bench accuracy``.

``KALAMOS_BENCH_ACCURACY`` names the parts (default all, about 70 minutes on 2 cores):
- ``barocci``: Barocci 59 (HPGTR), the 7 ``train.lst`` pages imported with their PAGE ground truth,
  the base table on the 3 ``test.lst`` pages' lines, then fine-tunes as the Train tab runs them
  (print defaults; the manuscript recipe; variants of rate, base and final pass), each read on the
  test lines; and the learning curve over 3, 5 and 7 training pages with the estimate it gives.
- ``gazis``: ``gazis-lines``: the first 60 and all 300 training lines, 10 minutes each, with the
  defaults, read on the 60 test lines.
- ``bsb``: the Greek lines of the first 3 pages of ``bsb10234118``, 10 minutes, read on the Greek
  lines of the other 22 pages (``grc`` base only: ``grc_hist`` saw these commentaries in training).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import bsb_split, shared_data
from ocr.greek import dominant_script
from ocr.training import estimate_gain
from storage import Store
from storage.groundtruth import export_tesstrain, import_gt
from storage.ocrmodels import import_model, project_tessdata
from storage.bases import _total, evaluate_lines
from storage.training import TrainSpec, create_job, run_job


def _cer(images: list[Path], model: str, tessdata: Path) -> float:
    return round(100 * _total(evaluate_lines(images, model, tessdata)).cer, 2)


def _train(store: Store, project: str, docs: list[str] | None, gt: Path | None, spec: TrainSpec) -> dict[str, Any]:
    t0 = time.monotonic()
    job = run_job(store, project, create_job(store, project, spec, gt, docs).id)
    return {"status": job.status, "minutes": round((time.monotonic() - t0) / 60, 1), "train_lines": job.summary.train_lines,
            "selected": vars(job.selected) if job.selected else None, "stop": job.stop_reason, "base": job.spec["base"]}


def barocci(data: Path, root: Path) -> dict[str, Any]:
    src = data / "hpgtr" / "Barocci-59"
    store = Store(root / "data")
    p = store.create_project("Barocci")
    docs = {}
    for name, lst in (("train", "train.lst"), ("test", "test.lst")):
        doc = store.create_document(p.id, name)
        import_gt(store, p.id, doc.id, [src / n for n in (src / lst).read_text().splitlines() if n.strip()])
        docs[name] = doc.id
    import_model(store, p.id, data / "models" / "grc_hist.traineddata", "grc_hist")
    export_tesstrain(store, p.id, [docs["test"]], root / "test")
    test = sorted((root / "test").glob("*.png"))
    tessdata = project_tessdata(store, p.id)
    out: dict[str, Any] = {"test lines": len(test), "bases": {m: _cer(test, m, tessdata) for m in ("grc", "grc_hist", "ell")}}
    runs = {
        "print defaults": TrainSpec("print", "grc", max_minutes=30, max_iterations=100_000),
        "manuscript recipe": TrainSpec("hand", "grc", material="manuscript", max_iterations=100_000),
        "best base, manuscript": TrainSpec("best", "@best", material="manuscript", max_iterations=100_000),
        "rate 1e-4, no augmentation": TrainSpec("plain", "grc", learning_rate=0.0001, augment=0, max_minutes=30,
                                                max_iterations=100_000),
        "ell base, manuscript": TrainSpec("fromell", "ell", material="manuscript", max_iterations=100_000),
        "final pass, manuscript": TrainSpec("final", "grc", material="manuscript", final_pass=True, max_iterations=100_000),
    }
    for label, spec in runs.items():
        result = _train(store, p.id, [docs["train"]], None, spec)
        result["test CER %"] = _cer(test, spec.name, tessdata) if result["status"] == "done" else None
        out[label] = result
    points = []
    for k in (3, 5):
        doc = store.create_document(p.id, f"first {k}")
        import_gt(store, p.id, doc.id, [src / n for n in (src / "train.lst").read_text().splitlines() if n.strip()][:k])
        result = _train(store, p.id, [doc.id], None, TrainSpec(f"sub{k}", "grc", material="manuscript", max_iterations=100_000))
        points.append((result["train_lines"], _cer(test, f"sub{k}", tessdata)))
    points.append((out["manuscript recipe"]["train_lines"], out["manuscript recipe"]["test CER %"]))
    est = estimate_gain(points, [500, 1000, 2000, 4000])
    out["learning curve (train lines, test CER %)"] = points
    out["estimate"] = est.predictions if est else None
    return out


def gazis(data: Path, root: Path) -> dict[str, Any]:
    lines = data / "gazis-lines"
    few = root / "g60"
    few.mkdir()
    for img in sorted((lines / "train").glob("*.jpg"))[:60]:
        shutil.copy(img, few / img.name)
        shutil.copy(img.with_suffix(".gt.txt"), few / img.with_suffix(".gt.txt").name)
    store = Store(root / "gdata")
    p = store.create_project("gazis")
    test = sorted((lines / "test").glob("*.jpg"))
    tessdata = project_tessdata(store, p.id)
    out: dict[str, Any] = {"stock grc": _cer(test, "grc", tessdata)}
    for name, folder in (("g60", few), ("g300", lines / "train")):
        result = _train(store, p.id, None, folder, TrainSpec(name, "grc", max_minutes=10, max_iterations=100_000))
        result["test CER %"] = _cer(test, name, tessdata)
        out[name] = result
    return out


def bsb(data: Path, root: Path) -> dict[str, Any]:
    train, _ = bsb_split(data, root, lambda page, pages: page not in pages[:3],
                         lambda text: dominant_script(text) == "greek")
    store = Store(root / "bdata")
    p = store.create_project("bsb")
    test = sorted((root / "test").glob("*.png"))
    tessdata = project_tessdata(store, p.id)
    result = _train(store, p.id, None, root / "train", TrainSpec("bsb3", "grc", max_minutes=10, max_iterations=100_000))
    return {"stock grc": _cer(test, "grc", tessdata), "fine-tuned": {**result, "test CER %": _cer(test, "bsb3", tessdata)}}


def run() -> dict[str, object]:
    data = shared_data()
    parts = os.environ.get("KALAMOS_BENCH_ACCURACY", "gazis bsb barocci").split()
    out: dict[str, object] = {}
    for name, func in (("gazis", gazis), ("bsb", bsb), ("barocci", barocci)):
        if name in parts:
            with tempfile.TemporaryDirectory() as tmp:
                out[name] = func(data, Path(tmp))
    return out
