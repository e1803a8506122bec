"""Which model a fine-tune should start from, and what training buys: every candidate base reading the
held-out lines of a training (CER plus the characters it cannot write, the script it was made for, never a
model that learnt these pages), the evaluation of a model on line images, and the gain estimate from the
project's finished trainings. Split from ``storage/training.py``, which runs the jobs."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ocr.greek import is_polytonic
from ocr.metrics import Score, char_diff, score
from ocr.tessmodel import ModelFormatError
from ocr.tesseract import TesseractError, read_lines
from ocr.training import GainEstimate, TrainingError, estimate_gain, missing_characters, model_symbols
from storage.errors import KalamosError, NotFound
from storage.ocrmodels import model_file, project_tessdata
from storage.records import OcrModel
from storage.jobs import get_job, list_jobs
from storage.store import Store

__all__ = ["evaluate_lines", "candidate_bases", "gain_estimate", "SCRIPT_MARGIN"]


def evaluate_lines(images: Sequence[Path], lang: str, tessdata_dir: Path | None = None) -> list[tuple[str, str, Score]]:
    """(ground truth, recognised text, score) for each line image (``.gt.txt`` beside it), the images
    read by one Tesseract (``ocr.tesseract.read_lines``: the model is loaded once)."""
    truths = [img.with_suffix("").with_suffix(".gt.txt").read_text(encoding="utf-8").strip() for img in images]
    texts = read_lines(list(images), lang, 7, tessdata_dir)
    return [(truth, text, score(truth, text)) for truth, text in zip(truths, texts)]


def _total(results: list[tuple[str, str, Score]]) -> Score:
    total = Score()
    for _, _, s in results:
        total = total + s
    return total


def _compare(images: Sequence[Path], base: str | None, base_dir: Path, name: str, new_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Base against new on some lines: the summary rows and one row per line (with its diff)."""
    new = evaluate_lines(images, name, new_dir)
    old = evaluate_lines(images, base, base_dir) if base else [None] * len(new)  # type: ignore[list-item]
    rows = []
    for img, n, o in zip(images, new, old):
        rows.append({"line": img.name, "truth": n[0], "new": n[1], "new_errors": n[2].char_errors, "chars": n[2].chars,
                     "base": o[1] if o else None, "base_errors": o[2].char_errors if o else None,
                     "diff": char_diff(n[0], n[1])})
    summary = {"lines": len(images), "new": _total(new).as_row(), "base": _total(old).as_row() if base else None}  # type: ignore[arg-type]
    return summary, rows


def candidate_bases(store: Store, project_id: str) -> list[str]:
    """Models a fine-tune can start from: the project's own and the installed LSTM models."""
    from storage.ocrmodels import list_models, system_models

    names = [m.name for m in list_models(store, project_id) if m.trainable]
    names += [m.name for m in system_models() if m.trainable and m.name not in names]
    return names


def _lacking(store: Store, project_id: str, name: str, texts: Sequence[str]) -> tuple[float, list[str]]:
    """The share (%) of the ground truth's characters ``name`` cannot write, and which they are."""
    total = sum(len(t) for t in texts)
    if not total:
        return 0.0, []
    try:
        missing = missing_characters(texts, model_symbols(model_file(store, project_id, name)))
    except (NotFound, TrainingError, ModelFormatError, OSError):
        return 0.0, []
    return 100.0 * sum(missing.values()) / total, sorted(missing, key=lambda c: -missing[c])


#: How much worse (CER points on the held-out lines) a base made for the text's script may read them and still be
#: preferred: on a polytonic Byzantine hand Debian's ell read the lines 1.4–5.5 points better than grc before
#: training, yet fine-tuned 6 points worse (42.6 % against 36.3 %: BENCHMARKS.md, issue 13).
SCRIPT_MARGIN = 10.0


def _own_models(store: Store, project_id: str) -> dict[str, OcrModel]:
    from storage.ocrmodels import list_models

    return {m.name: m for m in list_models(store, project_id)}


def _made_for(own: dict[str, OcrModel], name: str) -> str:
    """The language a model was made for: its name's, or for a model trained here (``own``) its base's."""
    model = own.get(name)
    base = str(model.base or "") if model else ""
    if base and not base.startswith("scratch") and base != name:
        return _made_for(own, base)
    return name.split("_", 1)[0]


def _trained_on(store: Store, project_id: str, model: OcrModel | None, groups: set[str]) -> bool:
    """Whether a model trained here learnt lines of these pages (``groups``): it cannot be compared on them."""
    if not (model and model.job_id):
        return False
    try:
        job = get_job(store, project_id, model.job_id)
    except (NotFound, KalamosError, OSError):
        return False
    return bool({job.groups.get(n) for n in job.train} & groups)


def _rank(store: Store, project_id: str, rows: list[dict[str, Any]], texts: Sequence[str],
          own: dict[str, OcrModel] | None = None) -> list[dict[str, Any]]:
    """Best first: CER plus the characters a model cannot write; models that learnt the held-out lines last;
    for polytonic Greek a base made for it (``grc``…) first unless another reads the lines ``SCRIPT_MARGIN``
    points better."""
    def key(r: dict[str, Any]) -> float:
        return r["CER %"] + r["lacks %"] if "CER %" in r and not r.get("excluded") else 1e9

    rows = sorted(rows, key=key)
    if rows and key(rows[0]) < 1e9 and is_polytonic(texts):
        own = _own_models(store, project_id) if own is None else own
        made = [r for r in rows if key(r) < 1e9 and _made_for(own, r["model"]) == "grc"]
        if made and made[0] is not rows[0] and key(made[0]) - key(rows[0]) <= SCRIPT_MARGIN:
            made[0]["why"] = (f"made for polytonic Greek; {rows[0]['model']} reads these lines "
                              f"{key(made[0]) - key(rows[0]):.1f} points better but fine-tunes worse on them")
            rows.remove(made[0])
            rows.insert(0, made[0])
    return rows


def _read_with_each(store: Store, project_id: str, images: list[Path], names: Sequence[str], texts: Sequence[str],
                    progress: Callable[[int, int, str], None] | None = None,
                    held_groups: set[str] | None = None) -> list[dict[str, Any]]:
    """Each model reading ``images``, best first. "Best" is the CER plus the share of the ground truth's
    characters (``texts``) the model cannot write at all: a fine-tune must learn those from nothing, so
    a monotonic model that reads a polytonic hand a point better is not the better start (measured on
    a Byzantine hand: BENCHMARKS.md)."""
    tessdata = project_tessdata(store, project_id)
    own = _own_models(store, project_id)
    rows = []
    for i, name in enumerate(names, 1):
        if progress:
            progress(i - 1, len(names), name)
        t0 = time.monotonic()
        try:
            total = _total(evaluate_lines(images, name, tessdata))
        except (TesseractError, OSError) as exc:
            rows.append({"model": name, "lines": len(images), "error": str(exc)})
            continue
        lacks, which = _lacking(store, project_id, name, texts)
        row = {"model": name, "lines": len(images), "CER %": round(100 * total.cer, 2),
               "CER no diacritics %": round(100 * total.cer_no_diacritics, 2),
               "lacks %": round(lacks, 2), "lacks": "".join(which[:24]), "seconds": round(time.monotonic() - t0, 1)}
        if held_groups and _trained_on(store, project_id, own.get(name), held_groups):
            row["excluded"] = "trained on some of these lines: its figure is not comparable, never chosen"
        rows.append(row)
    if progress:
        progress(len(names), len(names), "")
    return _rank(store, project_id, rows, texts, own)


def gain_estimate(store: Store, project_id: str, lines_now: int, pages_now: int,
                  more_pages: Sequence[int] = (1, 3, 10), script: str | None = None) -> tuple[GainEstimate | None, list[tuple[int, int]]]:
    """What ``more_pages`` more annotated pages would buy, from the project's finished trainings (their
    training lines and the held-out error of the model they kept): the estimate (None until two
    trainings on different amounts of lines exist) and the (pages, lines) it was read at."""
    from storage.ocrmodels import list_models

    trained_here = {m.name for m in list_models(store, project_id) if m.origin == "trained"}
    points = []
    for job in list_jobs(store, project_id):
        if (job.spec.get("script") or None) != script or job.spec.get("scratch"):
            continue  # another set of lines, or another kind of training: not the same curve
        if job.base in trained_here:
            continue  # built on an earlier model of the project: it has seen more lines than it says
        if job.status == "done" and job.selected and job.summary.train_lines:
            points.append((job.summary.train_lines, job.selected.heldout_cer))
    per_page = 0.9 * lines_now / pages_now if lines_now and pages_now else 25.0  # ~90 % of a page's lines are trained on
    base_lines = max(int(0.9 * lines_now), max((n for n, _ in points), default=0))
    targets = [(k, int(base_lines + k * per_page)) for k in more_pages]
    return estimate_gain(points, [t for _, t in targets]), targets
