"""Training figures (issue #7): fine-tuning stock models through Kalamos, and Kalamos's overhead
around ``lstmtraining``. Slow (about 45 minutes): ``python -m bench train [part ...]`` with parts
``gazis``, ``bsb``, ``overhead`` (``KALAMOS_BENCH_TRAIN`` may name the parts instead)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import bsb_split, REPO, shared_data
from storage import Store
from storage.training import TrainSpec, create_job, get_job, run_job

MINUTES = float(os.environ.get("KALAMOS_BENCH_MINUTES", "10"))


def _kalamos(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "cli", *args], cwd=REPO, capture_output=True, text=True, check=True,
                          env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return done.stdout


def _cer(out: str) -> float:
    return float(re.findall(r"CER ([\d.]+)%", out)[-1])


def gazis(data: Path) -> dict[str, object]:
    """Stock grc fine-tuned on the 300 gazis training lines for MINUTES, then the 60 test lines."""
    with tempfile.TemporaryDirectory() as tmp:
        d = str(Path(tmp) / "data")
        stock = _cer(_kalamos("--data-dir", d, "eval", "--model", "grc", "--gt", str(data / "gazis-lines" / "test")))
        t0 = time.perf_counter()
        _kalamos("--data-dir", d, "train", "--gt", str(data / "gazis-lines" / "train"), "--base", "grc",
                 "--max-minutes", str(MINUTES), "--max-iterations", "100000", "--out", "gazis")
        took = time.perf_counter() - t0
        new = _cer(_kalamos("--data-dir", d, "eval", "--model", "gazis", "--gt", str(data / "gazis-lines" / "test")))
    return {"minutes": MINUTES, "test CER stock grc %": stock, "test CER fine-tuned %": new, "whole job (s)": round(took)}


def _bsb_sets(data: Path, root: Path) -> tuple[Path, Path]:
    """The commentary's verified lines as tesstrain folders: 20 pages to train on, the other 5 to test."""
    return bsb_split(data, root, lambda page, pages: page in pages[2::5])  # every fifth page, spread over the book


def bsb(data: Path) -> dict[str, object]:
    """Greek + Latin commentary: stock grc+lat against (a) one model fine-tuned from lat on all lines,
    (b) grc fine-tuned on the Greek lines and lat on the Latin ones (``--script``), read together."""
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        train, test = _bsb_sets(data, root)
        d = str(root / "kd")
        out["lines train/test"] = (len(list(train.glob("*.png"))), len(list(test.glob("*.png"))))
        out["stock grc+lat CER %"] = _cer(_kalamos("--data-dir", d, "eval", "--model", "grc+lat", "--gt", str(test)))
        _kalamos("--data-dir", d, "train", "--gt", str(train), "--base", "lat", "--max-minutes", str(MINUTES),
                 "--max-iterations", "100000", "--out", "bsblat")
        out[f"lat fine-tuned on all lines, {MINUTES:g} min: CER %"] = _cer(
            _kalamos("--data-dir", d, "eval", "--model", "bsblat", "--gt", str(test)))
        half = str(MINUTES / 2)
        _kalamos("--data-dir", d, "train", "--gt", str(train), "--script", "greek", "--base", "grc", "--max-minutes", half,
                 "--max-iterations", "100000", "--out", "bsbgrc")
        _kalamos("--data-dir", d, "train", "--gt", str(train), "--script", "latin", "--base", "lat", "--max-minutes", half,
                 "--max-iterations", "100000", "--out", "bsblatin")
        out[f"grc on Greek lines + lat on Latin lines, {MINUTES / 2:g} min each, read as bsbgrc+bsblatin: CER %"] = _cer(
            _kalamos("--data-dir", d, "eval", "--model", "bsbgrc+bsblatin", "--gt", str(test)))
    return out


def overhead(data: Path, iterations: int = 1500) -> dict[str, object]:
    """Iterations per second of lstmtraining run by Kalamos (log parsing, evaluations of the best
    checkpoints in a thread) against the same command run bare, on the same prepared job."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "data")
        p = store.create_project("bench")
        job = create_job(store, p.id, TrainSpec("over", "grc", max_iterations=iterations, max_minutes=60),
                         data / "gazis-lines" / "train")
        t0 = time.perf_counter()
        job = run_job(store, p.id, job.id)
        kalamos_total = time.perf_counter() - t0
        assert job.status == "done", job.error
        folder = store.project_dir(p.id) / "training" / job.id
        # the same lstmtraining command, bare, from the same starter into fresh checkpoints
        raw_dir = Path(tmp) / "raw"
        raw_dir.mkdir()
        starter = folder / "model"
        base = ["lstmtraining", "--traineddata", str(starter / "starter" / "over" / "over.traineddata"), "--model_output",
                str(raw_dir / "over"), "--train_listfile", str(folder / "list.train"), "--eval_listfile", str(folder / "list.eval"),
                "--max_iterations", str(iterations), "--learning_rate", "0.0001", "--target_error_rate", "0.01",
                "--debug_interval", "0", "--continue_from", str(next(starter.rglob("base.lstm"))), "--old_traineddata",
                str(starter / "base-float.traineddata")]
        t0 = time.perf_counter()
        subprocess.run(base, capture_output=True, check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        raw = time.perf_counter() - t0
        trained = get_job(store, p.id, job.id).trained_seconds
    return {"iterations": iterations, "raw lstmtraining (s)": round(raw, 1), "lstmtraining under Kalamos (s)": round(trained, 1),
            "overhead %": round(100 * (trained - raw) / raw, 1), "whole Kalamos job incl. data, model, evaluation (s)":
            round(kalamos_total, 1)}


def run() -> dict[str, object]:
    data = shared_data()
    parts = os.environ.get("KALAMOS_BENCH_TRAIN", "gazis bsb overhead").split()
    funcs = {"gazis": gazis, "bsb": bsb, "overhead": overhead}
    return {name: funcs[name](data) for name in parts}
