"""Training jobs of a project: ground truth in, a registered model out.

A job lives in ``projects/<project>/training/<job>/`` (``job.json``, the line images and their
``.gt.txt``/``.box``/``.lstmf``, ``list.train``/``list.eval``, the starter model, ``checkpoints/``,
``log.txt``). ``run_job`` is re-entrant: run again on a job that was interrupted (server restart,
killed process) it continues from the last checkpoint. Only a finished model is registered, by
renaming a complete folder into ``projects/<project>/models/``: a failed or cancelled job leaves no
half-registered model.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from filelock import FileLock, Timeout

from ocr.greek import SCRIPTS, dominant_script, variant_forms
from ocr.metrics import Score
from ocr.tessmodel import ModelFormatError, describe_model
from ocr.tesseract import TesseractError
from ocr.training import (Progress, Sample, Starter, TrainingError, build_scratch_starter, build_starter, finish_model,
                          lstmtraining_command, make_lstmfs, missing_characters, model_symbols, parse_best_checkpoint,
                          parse_log_line, split_by_group)
from storage.errors import InvalidInput, KalamosError, NotFound
from storage.groundtruth import export_tesstrain
from storage.jsonio import read_json, write_json
from storage.ocrmodels import check_model_name, model_file, project_tessdata, register_model
from storage.records import BaseScore, Job, TrainingPreview
from storage.store import Store, new_id, now_iso
from storage.jobs import _job_dir, _read_job, get_job, list_jobs
from storage.bases import (_compare, _read_with_each, _total, candidate_bases,
                           evaluate_lines, gain_estimate)

__all__ = ["TrainSpec", "NETWORKS", "create_job", "run_job", "request_stop", "get_job", "list_jobs", "interrupted_jobs",
           "is_running", "preview", "curve", "discard_job", "RESUMABLE", "MIN_LINES", "evaluate_lines", "JobBusy",
           "default_augment", "recipe", "Recipe", "MATERIALS", "HELDOUT_BEST", "compare_bases", "candidate_bases", "BEST_BASE", "gain_estimate"]

MIN_LINES = 10
MIN_FREE_BYTES = 500 * 1024 * 1024
PID_FILE = "lstmtraining.pid"  #: in a job folder while its lstmtraining runs (its process id)
BEST_BASE = "@best"  #: as a TrainSpec base: the model that reads the held-out lines best (compared first)
HELDOUT_BEST = "heldout_best.checkpoint"  #: in checkpoints/: the checkpoint with the lowest held-out error
RUNNING = ("preparing", "training", "finishing")
RESUMABLE = ("prepared", "failed", *RUNNING)  #: statuses of a job that can be run (again) when nothing runs it
#: Network sizes for training from scratch (VGSL; ``###`` becomes the unicharset size). "small" is
#: the size of Debian's ``ell`` model, "medium" tesstrain's default, "large" that of ``eng`` best.
NETWORKS = {
    "small": "[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx128 O1c###]",
    "medium": "[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx192 O1c###]",
    "large": "[1,48,0,1 Ct3,3,16 Mp3,3 Lfys64 Lfx96 Lrx96 Lfx512 O1c###]",
}


class JobBusy(InvalidInput):
    """The job is being run by another process already."""


@dataclass
class TrainSpec:
    name: str  #: the model's name, as Tesseract's -l will use it
    base: str = "grc"  #: an installed model or one of the project's (ignored when ``scratch``)
    max_iterations: int = 3000
    max_minutes: float = 10.0
    learning_rate: float | None = None  #: None: 0.0001 to fine-tune, 0.002 from scratch (tesstrain's)
    eval_share: float = 0.1
    seed: int = 42
    scratch: bool = False  #: train a new network instead of fine-tuning ``base``
    network: str = "small"  #: a key of NETWORKS, for ``scratch``
    integer: bool = False  #: also register an integer ("fast") copy, ``<name>_fast``
    script: str | None = None  #: only the lines mostly in this script ("greek", "latin"): one model per script
    include_edited: bool = False  #: also the lines typed or corrected but not confirmed ("edited"), not only verified
    #: stop when the held-out error has not improved for a while (the model learns the training lines by heart)
    stop_early: bool = True
    #: how many iterations "a while" is (None: as many as it took to reach the best checkpoint, at least 1,500:
    #: a held-out set of a few lines improves by steps, far apart; measured in BENCHMARKS.md, issue 13)
    patience: int | None = None
    #: augmented copies of each training line (slant, size, ink, blur, noise); None: by the number of
    #: lines (few lines, more copies: ``default_augment``); 0: none. Held-out lines are never augmented.
    augment: int | None = None
    #: replace the base's top layers (its last LSTM and its output) by new ones: for a hand unlike the base's
    new_top: bool = False
    #: what the pages are ("print" or "manuscript"): the defaults of the rate and augmentation follow it
    material: str = "print"
    #: once the held-out optimum is known, train again from the base on all lines, held-out ones too,
    #: for as many iterations (scaled to the larger set): no line of ground truth is left unused
    final_pass: bool = False

    def copies(self, lines: int) -> int:
        return recipe(self.material, lines).augment if self.augment is None else self.augment

    @property
    def statuses(self) -> tuple[str, ...]:
        return ("verified", "edited") if self.include_edited else ("verified",)

    def rate(self, lines: int = 0) -> float:
        """The learning rate: the one chosen, else 0.002 from scratch, else by the number of training lines."""
        if self.learning_rate is not None:
            return self.learning_rate
        return 0.002 if self.scratch else recipe(self.material, lines).learning_rate

    def check(self) -> "TrainSpec":
        if not 1 <= self.max_iterations <= 1_000_000:
            raise InvalidInput("the number of iterations must be between 1 and 1,000,000")
        if not 0.1 <= self.max_minutes <= 7 * 24 * 60:
            raise InvalidInput("the time budget must be between 0.1 minutes and a week")
        if not 1e-6 <= self.rate() <= 0.1:
            raise InvalidInput("the learning rate must be between 0.000001 and 0.1")
        if not 0.02 <= self.eval_share <= 0.5:
            raise InvalidInput("the evaluation share must be between 0.02 and 0.5")
        if self.scratch and self.network not in NETWORKS:
            raise InvalidInput(f"the network size must be one of {', '.join(NETWORKS)}")
        if self.script not in (None, *SCRIPTS):
            raise InvalidInput(f"the script must be one of {', '.join(SCRIPTS)} (or none: all lines)")
        if not self.scratch and not self.base:
            raise InvalidInput("choose a base model to fine-tune, or train from scratch")
        if self.material not in MATERIALS:
            raise InvalidInput(f"the pages must be one of {', '.join(MATERIALS)}")
        if self.augment is not None and not 0 <= self.augment <= 20:
            raise InvalidInput("the augmented copies per line must be between 0 and 20")
        return self


def default_augment(lines: int) -> int:
    """Augmented copies per training line when none is chosen: many for a few pages, none for thousands."""
    return 0 if lines >= 3000 else 1 if lines >= 1000 else 3 if lines >= 300 else 5


MATERIALS = ("print", "manuscript")


#: Below this many training lines a fine-tune learns faster with the higher rate (measured, issue 13).
FEW_LINES = 150


@dataclass(frozen=True)
class Recipe:
    """The training defaults for a kind of pages (measured: BENCHMARKS.md, issue 13)."""

    learning_rate: float  #: a fine-tune's (``--reset_learning_rate``: the base's own is not kept)
    augment: int  #: augmented copies per training line
    max_minutes: float
    max_iterations: int


def recipe(material: str, lines: int = 0) -> Recipe:
    """The defaults for printed pages or a manuscript hand with ``lines`` training lines: the rate 0.001
    below ``FEW_LINES`` lines, 0.0005 above (60 print lines: 1.87 % against 2.24 %; 270: 0.43 % against
    1.12 %; tesstrain's 0.0001 read 2.78 % and 1.12 %); a hand gets more augmented copies and a longer
    budget, the held-out optimum stopping it first."""
    rate = 0.001 if 0 < lines < FEW_LINES else 0.0005
    if material == "manuscript":
        return Recipe(learning_rate=rate, augment=min(8, 2 * default_augment(lines)) if lines < 3000 else 1,
                      max_minutes=30.0, max_iterations=100_000)
    return Recipe(learning_rate=rate, augment=default_augment(lines), max_minutes=10.0, max_iterations=100_000)


def _lock(store: Store, project_id: str, job_id: str) -> FileLock:
    return FileLock(str(_job_dir(store, project_id, job_id) / "job.lock"))


def is_running(store: Store, project_id: str, job_id: str) -> bool:
    """True while some process (this one or another) runs the job: it holds the job's lock."""
    lock = _lock(store, project_id, job_id)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


def interrupted_jobs(store: Store, project_id: str) -> list[Job]:
    """Jobs that were started (or prepared) but that nothing runs now: a restart stopped them."""
    return [j for j in list_jobs(store, project_id) if j.status in RESUMABLE and not is_running(store, project_id, j.id)]


def _save(store: Store, project_id: str, job: dict[str, Any]) -> dict[str, Any]:
    job = {k: v for k, v in job.items() if k != "schema_version"}
    job["updated"] = now_iso()
    write_json(_job_dir(store, project_id, job["id"]) / "job.json", job)
    return job


def _collect_gt_folder(folder: Path, lines: Path) -> tuple[list[Sample], list[str]]:
    """Line images with .gt.txt from a folder, as PNG into the job; problems are listed, not fatal."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder")
    samples, problems = [], []
    lines.mkdir(parents=True, exist_ok=True)
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".tif", ".tiff"))
    for img in images:
        gt = img.with_suffix(".gt.txt")
        if not gt.exists():
            problems.append(f"{img.name}: no .gt.txt beside it")
            continue
        target = lines / f"{img.stem}.png"
        try:
            with Image.open(img) as im:
                im.convert("L").save(target)
        except (OSError, UnidentifiedImageError) as exc:
            problems.append(f"{img.name}: the image cannot be read ({exc})")
            continue
        group = img.stem.rsplit("_", 1)[0] if "_" in img.stem else img.stem.rsplit("-", 1)[0]
        samples.append(Sample(target, gt.read_text(encoding="utf-8", errors="replace"), group))
    return samples, problems


def _collect_project(store: Store, project_id: str, document_ids: Sequence[str] | None, lines: Path,
                     statuses: Sequence[str] = ("verified",)) -> tuple[list[Sample], list[str], dict[str, Any]]:
    report = export_tesstrain(store, project_id, document_ids, lines, statuses)
    samples = []
    for png in sorted(lines.glob("*.png")):
        samples.append(Sample(png, png.with_suffix("").with_suffix(".gt.txt").read_text(encoding="utf-8"),
                              png.stem.rsplit("_l", 1)[0]))
    return samples, report.problems, {f"{stem}.png": src for stem, src in report.sources.items()}


def _choose_base(store: Store, project_id: str, job: dict[str, Any], spec: TrainSpec, held_out: list[Path],
                 texts: Sequence[str], progress: Callable[[Progress | None, dict[str, Any]], None] | None) -> None:
    """Read the held-out lines with every candidate base and start from the best (recorded in the job)."""
    names = [n for n in candidate_bases(store, project_id) if n != spec.name]
    groups = {job["groups"].get(p.name) for p in held_out} - {None}
    rows = _read_with_each(store, project_id, held_out[:80], names, texts, held_groups=groups)  # type: ignore[arg-type]
    usable = [r for r in rows if "CER %" in r and not r.get("excluded")]
    if not usable:
        raise TrainingError("no base model could read the held-out lines: " + "; ".join(r.get("error", "") for r in rows[:3]))
    spec.base = usable[0]["model"]
    job["spec"]["base"] = spec.base
    job["base_path"] = str(model_file(store, project_id, spec.base))
    job["base_comparison"] = rows
    job.update(_save(store, project_id, job))


def _augment(train: list[Sample], copies: int, seed: int) -> list[Sample]:
    """``copies`` augmented variants of each training line, beside it (``<stem>_aug<k>.png`` and its text)."""
    import cv2

    from ocr.augment import variants

    out: list[Sample] = []
    if copies <= 0:
        return out
    for i, sample in enumerate(train):
        img = cv2.imread(str(sample.image), cv2.IMREAD_GRAYSCALE)
        if img is None:
            continue
        for k, variant in enumerate(variants(img, copies, seed * 100_003 + i), 1):
            path = sample.image.with_name(f"{sample.image.stem}_aug{k}.png")
            cv2.imwrite(str(path), variant)
            path.with_suffix("").with_suffix(".gt.txt").write_text(sample.text + "\n", encoding="utf-8")
            out.append(Sample(path, sample.text, sample.group))
    return out


def _checked_samples(samples: list[Sample]) -> tuple[list[Sample], list[str]]:
    good, problems = [], []
    for s in samples:
        text = unicodedata.normalize("NFC", " ".join(s.text.split()))
        with Image.open(s.image) as im:
            w, h = im.size
        if not text:
            problems.append(f"{s.image.name}: empty transcription")
        elif len(text) > max(4, w / 3):
            problems.append(f"{s.image.name}: {len(text)} characters for an image {w} px wide: the text is far too long for it")
        elif h < 8 or w < 8:
            problems.append(f"{s.image.name}: the image is too small ({w}×{h})")
        else:
            (s.image.with_suffix("").with_suffix(".gt.txt")).write_text(text + "\n", encoding="utf-8")
            good.append(Sample(s.image, text, s.group))
    return good, problems


def _collect(store: Store, project_id: str, gt_folder: Path | None, document_ids: Sequence[str] | None,
             lines: Path, script: str | None = None, statuses: Sequence[str] = ("verified",),
             sources: dict[str, Any] | None = None) -> tuple[list[Sample], list[str]]:
    """The samples (line image + text) and the problems; ``sources`` receives, for lines of the
    project, where each image comes from (document, page, line), for links back to them."""
    if gt_folder is not None:
        raw, problems = _collect_gt_folder(gt_folder, lines)
    else:
        raw, problems, found = _collect_project(store, project_id, document_ids, lines, statuses)
        if sources is not None:
            sources.update(found)
    samples, more = _checked_samples(raw)
    if script:
        scripts = {s.image: dominant_script(s.text) for s in samples}
        other = [s for s in samples if scripts[s.image] != script]
        for s in other:
            s.image.unlink(missing_ok=True)
            s.image.with_suffix("").with_suffix(".gt.txt").unlink(missing_ok=True)
        samples = [s for s in samples if scripts[s.image] == script]
        if other:
            more.append(f"{len(other)} line(s) mostly in another script than {script} left out")
    return samples, problems + more


def create_job(store: Store, project_id: str, spec: TrainSpec, gt_folder: Path | None = None,
               document_ids: Sequence[str] | None = None, compare_gt: Path | None = None,
               compare_documents: Sequence[str] | None = None) -> Job:
    """Gather and check the ground truth, split it, and describe the job (nothing is trained yet).

    ``compare_gt``/``compare_documents`` name a second set of lines on which base and new model are
    also compared at the end, to show what fine-tuning made the model forget."""
    spec.check()
    store.get_project(project_id)
    spec.name = check_model_name(store, project_id, spec.name)
    if spec.integer:
        check_model_name(store, project_id, f"{spec.name}_fast")
    base = None
    if not spec.scratch and spec.base != BEST_BASE:
        try:
            base = model_file(store, project_id, spec.base)
        except NotFound as exc:
            raise InvalidInput(f"the base model {spec.base} is not installed: {exc}") from None
        try:
            kind = describe_model(base).kind
        except (ModelFormatError, OSError) as exc:
            raise InvalidInput(f"the base model {spec.base} cannot be read: {exc}") from None
        if kind == "legacy":
            raise InvalidInput(f"the base model {spec.base} has no LSTM network (legacy engine only): it cannot be "
                               "fine-tuned; choose an LSTM model or train from scratch")
    if shutil.disk_usage(store.root).free < MIN_FREE_BYTES:
        raise InvalidInput("less than 500 MB of free disk: training needs room for its checkpoints")
    job_id = new_id("job")
    folder = _job_dir(store, project_id, job_id)
    folder.mkdir(parents=True)
    try:
        sources: dict[str, Any] = {}
        samples, problems = _collect(store, project_id, gt_folder, document_ids, folder / "lines", spec.script,
                                     spec.statuses, sources)
        if len(samples) < MIN_LINES:
            raise InvalidInput(f"only {len(samples)} usable line(s) of ground truth; training needs at least {MIN_LINES} "
                               "(verify lines in the Annotate or Transcribe tab)")
        train, evaluation = split_by_group(samples, spec.eval_share, spec.seed)
        if {s.group for s in train} & {s.group for s in evaluation}:
            problems.append(f"only {len({s.group for s in samples})} page(s): too few to hold out whole pages, so lines of "
                            "the same pages are in both the training and the evaluation set (the evaluation is optimistic)")
        augmented = _augment(train, spec.copies(len(train)), spec.seed)
        second = None
        if compare_gt is not None or compare_documents:
            extra, extra_problems = _collect(store, project_id, compare_gt, compare_documents, folder / "second", spec.script,
                                             spec.statuses, sources)
            problems += [f"second set: {p}" for p in extra_problems]
            if gt_folder is None and compare_documents and set(compare_documents) & set(document_ids or []):
                problems.append("second set: it shares documents with the training data, so it cannot show what was forgotten")
            if extra:
                label = str(compare_gt) if compare_gt is not None else ", ".join(
                    store.get_document(project_id, d).name for d in compare_documents or [])
                second = {"label": label, "lines": [s.image.name for s in extra]}
            else:
                problems.append("second set: no usable line in it; it is left out")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    job = {"id": job_id, "spec": asdict(spec), "base_path": str(base) if base else None, "status": "prepared",
           "created": now_iso(), "source": str(gt_folder) if gt_folder else {"documents": list(document_ids or [])},
           "summary": {"lines": len(samples), "characters": sum(len(s.text) for s in samples),
                       "pages": len({s.group for s in samples}), "train_lines": len(train), "eval_lines": len(evaluation)},
           "train": [s.image.name for s in train + augmented], "eval": [s.image.name for s in evaluation], "second": second,
           "augmented": len(augmented),
           "groups": {s.image.name: s.group for s in samples + augmented}, "problems": problems, "error": None, "model": None,
           "trained_seconds": 0.0, "sources": sources}
    return Job.from_dict(_save(store, project_id, job))


def preview(store: Store, project_id: str, document_ids: Sequence[str] | None, base: str | None,
            script: str | None = None, statuses: Sequence[str] = ("verified",)) -> TrainingPreview:
    """What training on these documents' lines of ``statuses`` (of ``script``, if given) would use,
    before anything is cut: lines, characters, pages, the characters ``base`` cannot write yet, the
    characters written in several forms (``variants``, see ocr.greek.variant_forms), and how many
    lines are edited but not verified."""
    from storage import lines as line_store

    texts, pages, edited = [], 0, 0
    for did in document_ids or [d.id for d in store.list_documents(project_id)]:
        for page in store.list_pages(project_id, did):
            lines = line_store.list_lines(store, project_id, did, page.id)
            edited += sum(ln.status == "edited" for ln in lines)
            chosen = [ln.text for ln in lines
                      if ln.status in statuses and (script is None or dominant_script(ln.text) == script)]
            pages += bool(chosen)
            texts += [unicodedata.normalize("NFC", " ".join(t.split())) for t in chosen if t.strip()]
    missing: dict[str, int] = {}
    if base:
        try:
            missing = missing_characters(texts, model_symbols(model_file(store, project_id, base)))
        except (NotFound, TrainingError, ModelFormatError, OSError):
            missing = {}
    spacing: dict[str, int] = {}
    for t in texts:  # an accent or breathing standing alone (´ ῾ ¨): usually one that lost its letter
        for ch in t:
            if unicodedata.category(ch) == "Sk":
                spacing[ch] = spacing.get(ch, 0) + 1
    return TrainingPreview(lines=len(texts), characters=sum(map(len, texts)), pages=pages, missing=missing,
                           variants=variant_forms(texts), edited=edited, statuses=tuple(statuses), spacing=spacing)


def curve_bytes(store: Store, project_id: str, job_id: str) -> int:
    """How much the job has written to its curve files: a change means new points to draw."""
    folder = _job_dir(store, project_id, job_id)
    return sum(p.stat().st_size for p in (folder / "log.txt", folder / "eval.txt") if p.exists())


def curve(store: Store, project_id: str, job_id: str) -> list[Progress]:
    """The job's curve points so far: training CER from lstmtraining's log, evaluation CER from
    Kalamos's evaluations of the best checkpoints (``eval.txt``)."""
    points = []
    for name in ("log.txt", "eval.txt"):
        path = _job_dir(store, project_id, job_id) / name
        if path.exists():
            points += [p for p in map(parse_log_line, path.read_text(encoding="utf-8", errors="replace").splitlines()) if p]
    return points


def _bests(checkpoints: Path, lang: str) -> list[tuple[float, Path]]:
    """The best checkpoints lstmtraining wrote (``<lang>_<error>_<iteration>_<iteration>.checkpoint``)
    with their training error."""
    found = []
    for p in checkpoints.glob(f"{lang}_*_*_*.checkpoint"):
        m = re.match(rf"{re.escape(lang)}_([\d.]+)_(\d+)_(\d+)\.checkpoint$", p.name)
        if m:
            found.append((float(m.group(1)), p))
    return found


def _best_checkpoint(checkpoints: Path, lang: str) -> Path | None:
    bests = _bests(checkpoints, lang)
    if bests:
        return min(bests)[1]
    latest = checkpoints / f"{lang}_checkpoint"
    return latest if latest.exists() else None


def discard_job(store: Store, project_id: str, job_id: str) -> Path:
    """Move a job that nothing runs to the store's trash (its model, if any, stays); returns where."""
    get_job(store, project_id, job_id)
    if is_running(store, project_id, job_id):
        raise InvalidInput("this training job is running: stop or cancel it first")
    return store._to_trash("job", job_id, _job_dir(store, project_id, job_id))


def request_stop(store: Store, project_id: str, job_id: str, keep: bool = True) -> None:
    """Ask a running job to stop; with ``keep`` its best checkpoint becomes the model, without it
    the job is cancelled and registers nothing (another process may be running it)."""
    _read_job(store, project_id, job_id)
    (_job_dir(store, project_id, job_id) / "STOP").write_text("keep\n" if keep else "cancel\n")


def run_job(store: Store, project_id: str, job_id: str, progress: Callable[[Progress | None, Job], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> Job:
    """Train (or go on training) and register the best model; returns the job record.
    ``progress(point_or_None, job)`` is called as the curve grows. Raises JobBusy when another process
    runs the job already."""
    job = get_job(store, project_id, job_id)
    if job.status in ("done", "cancelled"):
        return job
    lock = _lock(store, project_id, job_id)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise JobBusy("this training job is running already (in another window or process)") from None
    try:
        told = (lambda point, state: progress(point, Job.from_dict(state))) if progress else None
        return Job.from_dict(_run_locked(store, project_id, _read_job(store, project_id, job_id), told, should_stop))
    finally:
        lock.release()


def _run_locked(store: Store, project_id: str, job: dict[str, Any],
                progress: Callable[[Progress | None, dict[str, Any]], None] | None,
                should_stop: Callable[[], bool] | None) -> dict[str, Any]:
    spec = TrainSpec(**job["spec"])
    folder = _job_dir(store, project_id, job["id"])
    lines, checkpoints = folder / "lines", folder / "checkpoints"
    checkpoints.mkdir(exist_ok=True)
    groups = job["groups"]
    samples = {name: Sample(lines / name, (lines / name).with_suffix("").with_suffix(".gt.txt").read_text(encoding="utf-8").strip(),
                            groups[name]) for name in job["train"] + job["eval"]}
    stop_file = folder / "STOP"
    stop_file.unlink(missing_ok=True)
    try:
        if shutil.disk_usage(store.root).free < MIN_FREE_BYTES:
            raise InvalidInput("less than 500 MB of free disk: free some room, then resume the job")
        check_model_name(store, project_id, spec.name)  # still free? (a model may have been imported meanwhile)
        job["status"], job["error"] = "preparing", None
        job = _save(store, project_id, job)
        todo = [s for s in samples.values() if not s.image.with_suffix(".lstmf").exists()]
        _, failed = make_lstmfs(todo)
        bad = {Path(f.split(":", 1)[0]).name for f in failed}
        job["problems"] = job["problems"] + failed
        for key in ("train", "eval"):
            job[key] = [n for n in job[key] if n not in bad and (lines / n).with_suffix(".lstmf").exists()]
        if not job["train"] or not job["eval"]:
            raise TrainingError("no training or no evaluation lines are left after making the training data")
        (folder / "list.train").write_text("".join(f"{(lines / n).with_suffix('.lstmf')}\n" for n in job["train"]))
        (folder / "list.eval").write_text("".join(f"{(lines / n).with_suffix('.lstmf')}\n" for n in job["eval"]))
        if not spec.scratch and spec.base == BEST_BASE:
            _choose_base(store, project_id, job, spec, [lines / n for n in job["eval"]],
                         [s.text for n, s in samples.items() if "_aug" not in n], progress)
        if spec.scratch:
            starter = build_scratch_starter(list(samples.values()), folder / "model", spec.name)
        else:
            starter = build_starter(Path(job["base_path"]), list(samples.values()), folder / "model", spec.name)
        job["summary"]["missing_characters"] = starter.missing
        job["status"] = "training"
        job = _save(store, project_id, job)
        resume = checkpoints / f"{spec.name}_checkpoint"
        net_spec = NETWORKS[spec.network].replace("###", str(starter.unicharset_size)) if spec.scratch else None
        cmd = lstmtraining_command(starter, checkpoints, folder / "list.train", folder / "list.eval",
                                   spec.max_iterations, spec.rate(job["summary"]["train_lines"]),
                                   resume if resume.exists() else None, net_spec,
                                   new_top=spec.new_top)

        def stop_now() -> bool:
            return stop_file.exists() or bool(should_stop and should_stop())

        evaluator = _Evaluator(starter, [folder / "lines" / n for n in job["eval"]], folder / "eval.txt", progress, job,
                               folder / "evaluating", checkpoints / HELDOUT_BEST)
        try:
            stopped = _train(store, project_id, cmd, folder / "log.txt", spec.max_minutes, job, progress, stop_now, evaluator,
                             spec.stop_early, spec.patience)
        finally:
            evaluator.close()
        if stopped and stop_file.exists() and stop_file.read_text().strip() == "cancel":
            job["status"], job["stopped_early"] = "cancelled", True
            return _save(store, project_id, job)
        job["stopped_early"] = stopped
        best = evaluator.keep if evaluator.keep.exists() else _best_checkpoint(checkpoints, spec.name)
        if best is None:
            raise TrainingError("lstmtraining wrote no checkpoint (see log.txt)")
        job["selected"] = evaluator.chosen()
        if spec.final_pass and job["selected"] and not spec.scratch and not stop_now():
            best = _final_pass(store, project_id, job, spec, starter, folder, progress, stop_now) or best
        job["status"] = "finishing"
        job = _save(store, project_id, job)
        job["model"] = _register(store, project_id, job, spec, starter, best)
        job["status"] = "done"
        _tidy(folder, spec.name, best)
    except (TrainingError, InvalidInput, OSError, TesseractError) as exc:
        job["status"], job["error"] = "failed", str(exc)
    return _save(store, project_id, job)


def _final_pass(store: Store, project_id: str, job: dict[str, Any], spec: TrainSpec, starter: Starter, folder: Path,
                progress: Callable[[Progress | None, dict[str, Any]], None] | None,
                stop_now: Callable[[], bool]) -> Path | None:
    """Train from the base again on every line (the held-out ones and their augmented copies too) for the
    chosen checkpoint's iterations scaled to the larger set; the result becomes the model. Its held-out
    error cannot be measured any more (it learnt those lines): the job keeps the first pass's."""
    lines = folder / "lines"
    held = [Sample(lines / n, (lines / n).with_suffix("").with_suffix(".gt.txt").read_text(encoding="utf-8").strip(),
                   job["groups"].get(n, "")) for n in job["eval"]]
    extra = _augment(held, spec.copies(len(held) + job["summary"]["train_lines"]), spec.seed + 1)
    make_lstmfs([s for s in extra if not s.image.with_suffix(".lstmf").exists()])
    names = job["train"] + job["eval"] + [s.image.name for s in extra if s.image.with_suffix(".lstmf").exists()]
    (folder / "list.all").write_text("".join(f"{(lines / n).with_suffix('.lstmf')}\n" for n in names))
    iterations = max(100, round(job["selected"]["iteration"] * len(names) / max(1, len(job["train"]))))
    out = folder / "final"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    cmd = lstmtraining_command(starter, out, folder / "list.all", folder / "list.eval", iterations,
                               spec.rate(job["summary"]["train_lines"]),
                               new_top=spec.new_top)
    job["final_pass"] = {"iterations": iterations, "lines": len(names), "status": "training"}
    job.update(_save(store, project_id, job))
    _train(store, project_id, cmd, folder / "final.log.txt", float(job.get("trained_seconds") or 0) / 60 + spec.max_minutes,
           job, progress, stop_now, None, stop_early=False)
    result = out / f"{spec.name}_checkpoint"
    if stop_now() or not result.exists():
        job["final_pass"]["status"] = "not finished: the model is the first pass's chosen checkpoint"
        return None
    job["final_pass"]["status"] = "done"
    return result


class _Evaluator:
    """Measures each best checkpoint on the held-out lines exactly as the final table does (the
    checkpoint made into a model, the line images read by Tesseract, scored by ocr.metrics), one at
    a time in a thread while training goes on; when busy only the newest waiting checkpoint is kept.
    (``lstmeval`` was used before: it reads without Tesseract's dictionary and normalisation, and
    read 23–29 % where the final table said 8.6 %.)"""

    def __init__(self, starter: Starter, images: list[Path], out: Path,
                 progress: Callable[[Progress | None, dict[str, Any]], None] | None, job: dict[str, Any],
                 workdir: Path, keep: Path) -> None:
        self.starter, self.images, self.out, self.progress, self.job = starter, images, out, progress, job
        self.workdir, self.keep = workdir, keep
        #: the checkpoint with the lowest held-out error so far (kept as ``keep``): it becomes the model
        self.best: dict[str, Any] | None = None
        self.last_iteration = 0
        record = keep.with_suffix(".json")
        if keep.exists() and record.exists():  # a resumed job remembers its optimum
            try:
                self.best = read_json(record)
            except (OSError, ValueError, KalamosError):
                self.best = None
        self.cond = threading.Condition()
        self.pending: tuple[Path, int] | None = None
        self.closed = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def submit(self, model: Path, iteration: int) -> None:
        with self.cond:
            self.pending = (model, iteration)
            self.cond.notify()

    def close(self, timeout: float = 300) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify()
        self.thread.join(timeout)

    def _keep(self, checkpoint: Path, iteration: int, total: Score) -> None:
        """Copy the best checkpoint so far aside (a newer best of lstmtraining's would delete it)."""
        tmp = self.keep.with_name(f".{self.keep.name}.tmp")
        try:
            shutil.copyfile(checkpoint, tmp)
            os.replace(tmp, self.keep)
        except OSError:
            tmp.unlink(missing_ok=True)
            return
        self.best = {"iteration": iteration, "cer": total.cer, "wer": total.wer, "checkpoint": checkpoint.name}
        write_json(self.keep.with_suffix(".json"), self.best)

    def chosen(self) -> dict[str, Any] | None:
        """Which checkpoint became the model, and why (None: lstmtraining's last best, none was measured)."""
        if self.best is None:
            return None
        return {"iteration": self.best["iteration"], "heldout_cer": round(100 * self.best["cer"], 2),
                "by": "the lowest error on the held-out lines"}

    def stalled(self, iteration: int, patience: int | None = None) -> bool:
        """Whether the held-out error has stopped improving: no better checkpoint in the last
        ``patience`` iterations (default: the best's own iteration count, at least 1,500), checkpoints measured since."""
        if self.best is None:
            return False
        wait = patience if patience is not None else max(1500, self.best["iteration"])
        since = iteration - self.best["iteration"]
        measured_since = self.last_iteration - self.best["iteration"]
        return since > wait and measured_since >= min(since, wait) * 0.5

    def measure(self, checkpoint: Path) -> Score | None:
        """The held-out score of one checkpoint (None if it could not be read)."""
        if not self.images:
            return None
        name = "heldout"
        shutil.rmtree(self.workdir, ignore_errors=True)
        try:
            finish_model(checkpoint, self.starter, self.workdir / f"{name}.traineddata")
            return _total(evaluate_lines(self.images, name, self.workdir))
        except (TrainingError, TesseractError, OSError):
            return None
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _loop(self) -> None:
        while True:
            with self.cond:
                while self.pending is None and not self.closed:
                    self.cond.wait()
                if self.pending is None:
                    return
                model, iteration = self.pending
                self.pending = None
            if not model.exists():  # pruned meanwhile by a better one
                continue
            total = self.measure(model)
            if total is None:
                continue
            self.last_iteration = max(self.last_iteration, iteration)
            if self.best is None or total.cer < self.best["cer"] - 1e-9:
                self._keep(model, iteration, total)
            line = (f"At iteration {iteration}, stage 0, Eval Char error rate={100 * total.cer:.2f}, "
                    f"Word error rate={100 * total.wer:.2f}\n")
            with open(self.out, "a", encoding="utf-8") as f:
                f.write(line)
            if self.progress:
                self.progress(parse_log_line(line), self.job)


def _train(store: Store, project_id: str, cmd: list[str], log_path: Path, max_minutes: float, job: dict[str, Any],
           progress: Callable[[Progress | None, dict[str, Any]], None] | None, should_stop: Callable[[], bool] | None,
           evaluator: _Evaluator | None, stop_early: bool = True, patience: int | None = None) -> bool:
    """Run lstmtraining, appending its log; stop it when the time budget (counted over resumed runs)
    is spent, on request, or (``stop_early``) when the held-out error has stopped improving. True if
    stopped early. Without an ``evaluator`` (a final pass: nothing is held out) no checkpoint is measured."""
    started = time.monotonic()
    already = float(job.get("trained_seconds") or 0.0)
    last_saved = started
    stopped = False
    with open(log_path, "a", encoding="utf-8") as log:
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                                    env={**os.environ, "OMP_THREAD_LIMIT": "1"}, start_new_session=True)
        except FileNotFoundError:
            raise TrainingError("lstmtraining is missing (Debian: apt-get install tesseract-ocr)") from None
        assert proc.stdout is not None
        pid_file = log_path.parent / PID_FILE  # lstmtraining has its own session: who must stop it finds it here
        pid_file.write_text(str(proc.pid))
        try:
            for line in proc.stdout:
                log.write(line)
                log.flush()
                point = parse_log_line(line)
                if progress and point:
                    progress(point, job)
                best = parse_best_checkpoint(line)
                if best:
                    if evaluator:
                        evaluator.submit(*best)
                    _prune(best[0])
                now = time.monotonic()
                if now - last_saved > 30:  # the time spent survives a restart
                    job["trained_seconds"] = already + now - started
                    job.update(_save(store, project_id, job))
                    last_saved = now
                if stop_early and evaluator and point and evaluator.stalled(point.iteration, patience):
                    job["stop_reason"] = (f"the error on the held-out lines stopped improving after iteration "
                                          f"{evaluator.best['iteration'] if evaluator.best else '?'}")
                    stopped = True
                    os.killpg(proc.pid, signal.SIGTERM)
                    break
                if (should_stop and should_stop()) or already + now - started > 60 * max_minutes:
                    stopped = True
                    os.killpg(proc.pid, signal.SIGTERM)
                    break
        except BaseException:  # a full disk, Ctrl-C in the CLI...: lstmtraining (its own session) must not outlive us
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            raise
        finally:
            code = proc.wait()
            pid_file.unlink(missing_ok=True)
            job["trained_seconds"] = already + time.monotonic() - started
    if not stopped and code != 0:
        how = f"was killed (signal {-code})" if code < 0 else f"stopped with code {code}"
        tail = " / ".join(log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-2:])
        raise TrainingError(f"lstmtraining {how}; the job can be resumed from its last checkpoint. Log: {tail}")
    return stopped


def _tidy(folder: Path, lang: str, best: Path) -> None:
    """A finished job keeps its line images, texts, logs and best checkpoint; what only training
    needed goes (the ``.lstmf``/``.box`` files, the latest checkpoint)."""
    for pattern in ("lines/*.lstmf", "lines/*.box", f"checkpoints/{lang}_checkpoint", f"checkpoints/{lang}_*.checkpoint",
                    "final/*"):
        for path in folder.glob(pattern):
            if path != best:
                path.unlink(missing_ok=True)


def _prune(best: Path) -> None:
    """Keep only the newest best checkpoint (about 10 MB each; a 10-minute run writes dozens) beside
    the latest one lstmtraining resumes from."""
    for _, old in _bests(best.parent, best.name.rsplit("_", 3)[0]):
        if old != best:
            old.unlink(missing_ok=True)


def _register(store: Store, project_id: str, job: dict[str, Any], spec: TrainSpec, starter: Starter, checkpoint: Path) -> str:
    """Write the model(s) into staging folders, evaluate, then register them (nothing half-made)."""
    folder = _job_dir(store, project_id, job["id"])
    base = None if spec.scratch else spec.base
    tessdata = project_tessdata(store, project_id)
    models_dir = store.project_dir(project_id) / "models"
    model_id = new_id("model")
    staging = models_dir / f".{model_id}.tmp"
    staging.mkdir(parents=True)
    try:
        finish_model(checkpoint, starter, staging / f"{spec.name}.traineddata")
        summary, rows = _compare([folder / "lines" / n for n in job["eval"]], base, tessdata, spec.name, staging)
        second = None
        if job.get("second"):
            second, second_rows = _compare([folder / "second" / n for n in job["second"]["lines"]], base, tessdata, spec.name, staging)
            second["label"] = job["second"]["label"]
            rows += [{**r, "set": "second"} for r in second_rows]
        write_json(staging / "eval.json", {"rows": rows})
        record = {"id": model_id, "name": spec.name, "origin": "trained", "base": base or f"scratch ({spec.network})",
                  "job": job["id"], "training": job["summary"], "checkpoint": checkpoint.name,
                  "iterations": spec.max_iterations, "eval": {**summary, "second": second},
                  "final_pass": job.get("final_pass"), "heldout_cer": (job.get("selected") or {}).get("heldout_cer")}
        register_model(store, project_id, staging, record)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if spec.integer:  # optional: a failure here leaves the float model registered and says so
        fast_id = new_id("model")
        fast_staging = models_dir / f".{fast_id}.tmp"
        fast_staging.mkdir()
        try:
            fast = finish_model(checkpoint, starter, fast_staging / f"{spec.name}_fast.traineddata", integer=True)
            fast_summary, _ = _compare([folder / "lines" / n for n in job["eval"]], base, tessdata, fast.stem, fast_staging)
            register_model(store, project_id, fast_staging, {**record, "id": fast_id, "name": fast.stem,
                                                             "eval": {**fast_summary, "second": None}, "integer_of": model_id})
        except (TrainingError, InvalidInput, OSError, TesseractError) as exc:
            job["problems"] = job["problems"] + [f"the integer copy could not be made: {exc}"]
        finally:
            shutil.rmtree(fast_staging, ignore_errors=True)
    return model_id


def compare_bases(store: Store, project_id: str, document_ids: Sequence[str] | None, spec: TrainSpec,
                  candidates: Sequence[str] | None = None, max_lines: int = 80,
                  progress: Callable[[int, int, str], None] | None = None) -> list[BaseScore]:
    """How well each candidate base reads the lines a training with ``spec`` would hold out (the same
    split), before anything is trained: one row per model, best first. The best is where a fine-tune
    should start."""
    import tempfile

    names = list(candidates) if candidates else candidate_bases(store, project_id)
    with tempfile.TemporaryDirectory(dir=store.root / "tmp") as tmp:
        samples, _ = _collect(store, project_id, None, document_ids, Path(tmp) / "lines", spec.script, spec.statuses)
        if len(samples) < 2:
            raise InvalidInput("there are not enough confirmed lines to compare models on: verify some lines first")
        _, held_out = split_by_group(samples, spec.eval_share, spec.seed)
        rows = _read_with_each(store, project_id, [s.image for s in held_out[:max_lines]], names,
                               [s.text for s in samples], progress, {s.group for s in held_out})
        return [BaseScore.from_dict(r) for r in rows]
