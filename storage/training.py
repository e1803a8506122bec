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
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from ocr.metrics import Score, score
from ocr.tesseract import run_tesseract
from ocr.training import (Progress, Sample, Starter, TrainingError, build_starter, finish_model, lstmtraining_command,
                          make_lstmfs, parse_log_line, split_by_group)
from storage.errors import InvalidInput, NotFound
from storage.groundtruth import export_tesstrain
from storage.jsonio import read_json, write_json
from storage.store import Store, check_id, new_id, now_iso

__all__ = ["TrainSpec", "create_job", "run_job", "request_stop", "project_tessdata", "get_job", "list_jobs", "curve", "list_models", "get_model",
           "model_path", "MIN_LINES", "evaluate_model"]

MIN_LINES = 10
MIN_FREE_BYTES = 500 * 1024 * 1024
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")


@dataclass
class TrainSpec:
    name: str  #: the model's name, as Tesseract's -l will use it
    base: str = "grc"  #: an installed model (its .traineddata in Tesseract's tessdata folder)
    max_iterations: int = 3000
    max_minutes: float = 10.0
    learning_rate: float = 0.0001
    eval_share: float = 0.1
    seed: int = 42

    def check(self) -> "TrainSpec":
        if not _NAME.match(self.name):
            raise InvalidInput(f"the model name {self.name!r} must start with a letter and hold only letters, digits "
                               "and _ (at most 40): Tesseract uses it as a language code")
        if not 1 <= self.max_iterations <= 1_000_000:
            raise InvalidInput("the number of iterations must be between 1 and 1,000,000")
        if not 0.1 <= self.max_minutes <= 7 * 24 * 60:
            raise InvalidInput("the time budget must be between 0.1 minutes and a week")
        if not 1e-6 <= self.learning_rate <= 0.1:
            raise InvalidInput("the learning rate must be between 0.000001 and 0.1")
        if not 0.02 <= self.eval_share <= 0.5:
            raise InvalidInput("the evaluation share must be between 0.02 and 0.5")
        return self


def _jobs_dir(store: Store, project_id: str) -> Path:
    return store.project_dir(project_id) / "training"


def _models_dir(store: Store, project_id: str) -> Path:
    return store.project_dir(project_id) / "models"


def _job_dir(store: Store, project_id: str, job_id: str) -> Path:
    return _jobs_dir(store, project_id) / check_id("job", job_id)


def get_job(store: Store, project_id: str, job_id: str) -> dict[str, Any]:
    try:
        return read_json(_job_dir(store, project_id, job_id) / "job.json")
    except FileNotFoundError:
        raise NotFound(f"No training job {job_id}.") from None


def list_jobs(store: Store, project_id: str) -> list[dict[str, Any]]:
    folder = _jobs_dir(store, project_id)
    jobs = [read_json(p) for p in folder.glob("j-*/job.json")] if folder.exists() else []
    return sorted(jobs, key=lambda j: j["created"], reverse=True)


def _save(store: Store, project_id: str, job: dict[str, Any]) -> dict[str, Any]:
    job = {k: v for k, v in job.items() if k != "schema_version"}
    job["updated"] = now_iso()
    write_json(_job_dir(store, project_id, job["id"]) / "job.json", job)
    return job


def base_model_path(name: str) -> Path:
    from ocr.tesseract import check_language

    check_language(name)
    for folder in (Path(os.environ.get("TESSDATA_PREFIX", "")), Path("/usr/share/tesseract-ocr/5/tessdata"),
                   Path("/usr/share/tessdata"), Path("/usr/local/share/tessdata")):
        candidate = folder / f"{name}.traineddata"
        if candidate.exists():
            return candidate
    raise InvalidInput(f"the base model {name} is installed but its file was not found")


def _collect_gt_folder(folder: Path, lines: Path) -> tuple[list[Sample], list[str]]:
    """Line images with .gt.txt from a folder, as PNG into the job; problems are listed, not fatal."""
    samples, problems = [], []
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
        samples.append(Sample(target, gt.read_text(encoding="utf-8"), group))
    return samples, problems


def _collect_project(store: Store, project_id: str, document_ids: Sequence[str] | None, lines: Path) -> list[Sample]:
    export_tesstrain(store, project_id, document_ids, lines)
    samples = []
    for png in sorted(lines.glob("*.png")):
        samples.append(Sample(png, png.with_suffix("").with_suffix(".gt.txt").read_text(encoding="utf-8"),
                              png.stem.rsplit("_l", 1)[0]))
    return samples


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


def create_job(store: Store, project_id: str, spec: TrainSpec, gt_folder: Path | None = None,
               document_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Gather and check the ground truth, split it, and describe the job (nothing is trained yet)."""
    spec.check()
    store.get_project(project_id)
    if any(m["name"] == spec.name for m in list_models(store, project_id)):
        raise InvalidInput(f"the project has a model named {spec.name} already: choose another name")
    base = base_model_path(spec.base)
    if shutil.disk_usage(store.root).free < MIN_FREE_BYTES:
        raise InvalidInput("less than 500 MB of free disk: training needs room for its checkpoints")
    job_id = new_id("job")
    folder = _job_dir(store, project_id, job_id)
    lines = folder / "lines"
    lines.mkdir(parents=True)
    try:
        if gt_folder is not None:
            if not gt_folder.is_dir():
                raise InvalidInput(f"{gt_folder} is not a folder")
            raw, problems = _collect_gt_folder(gt_folder, lines)
        else:
            raw, problems = _collect_project(store, project_id, document_ids, lines), []
        samples, more = _checked_samples(raw)
        problems += more
        if len(samples) < MIN_LINES:
            raise InvalidInput(f"only {len(samples)} usable line(s) of ground truth; training needs at least {MIN_LINES} "
                               "(verify lines in the Annotate or Transcribe tab)")
        train, evaluation = split_by_group(samples, spec.eval_share, spec.seed)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    job = {"id": job_id, "spec": asdict(spec), "base_path": str(base), "status": "prepared", "created": now_iso(),
           "source": str(gt_folder) if gt_folder else {"documents": list(document_ids or [])},
           "summary": {"lines": len(samples), "characters": sum(len(s.text) for s in samples),
                       "pages": len({s.group for s in samples}), "train_lines": len(train), "eval_lines": len(evaluation)},
           "train": [s.image.name for s in train], "eval": [s.image.name for s in evaluation],
           "groups": {s.image.name: s.group for s in samples}, "problems": problems, "error": None, "model": None}
    return _save(store, project_id, job)


def curve(store: Store, project_id: str, job_id: str) -> list[Progress]:
    log = _job_dir(store, project_id, job_id) / "log.txt"
    if not log.exists():
        return []
    return [p for p in (parse_log_line(line) for line in log.read_text(encoding="utf-8", errors="replace").splitlines()) if p]


def _best_checkpoint(checkpoints: Path, lang: str) -> Path | None:
    best = None
    for p in checkpoints.glob(f"{lang}_*_*_*.checkpoint"):
        m = re.match(rf"{re.escape(lang)}_([\d.]+)_(\d+)_(\d+)\.checkpoint$", p.name)
        if m and (best is None or float(m.group(1)) < best[0]):
            best = (float(m.group(1)), p)
    if best:
        return best[1]
    latest = checkpoints / f"{lang}_checkpoint"
    return latest if latest.exists() else None


def request_stop(store: Store, project_id: str, job_id: str) -> None:
    """Ask a running job to stop and keep its best checkpoint (another process may be running it)."""
    get_job(store, project_id, job_id)
    (_job_dir(store, project_id, job_id) / "STOP").write_text("stop requested\n")


def run_job(store: Store, project_id: str, job_id: str, progress: Callable[[Progress | None, dict[str, Any]], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Train (or go on training) and register the best model; returns the job record."""
    job = get_job(store, project_id, job_id)
    if job["status"] in ("done", "cancelled"):
        return job
    spec = TrainSpec(**job["spec"])
    folder = _job_dir(store, project_id, job_id)
    lines, checkpoints = folder / "lines", folder / "checkpoints"
    checkpoints.mkdir(exist_ok=True)
    groups = job["groups"]
    samples = {name: Sample(lines / name, (lines / name).with_suffix("").with_suffix(".gt.txt").read_text(encoding="utf-8").strip(),
                            groups[name]) for name in job["train"] + job["eval"]}
    try:
        job["status"] = "preparing"
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
        starter = build_starter(Path(job["base_path"]), list(samples.values()), folder / "model", spec.name)
        job["summary"]["missing_characters"] = starter.missing
        job["status"] = "training"
        job = _save(store, project_id, job)
        resume = checkpoints / f"{spec.name}_checkpoint"
        cmd = lstmtraining_command(starter, checkpoints, folder / "list.train", folder / "list.eval",
                                   spec.max_iterations, spec.learning_rate, resume if resume.exists() else None)
        stop_file = folder / "STOP"
        stop_file.unlink(missing_ok=True)

        def stop_now() -> bool:
            return stop_file.exists() or bool(should_stop and should_stop())

        stopped = _train(cmd, folder / "log.txt", spec.max_minutes, job, progress, stop_now)
        job["stopped_early"] = stopped
        best = _best_checkpoint(checkpoints, spec.name)
        if best is None:
            raise TrainingError("lstmtraining wrote no checkpoint (see log.txt)")
        job["status"] = "finishing"
        job = _save(store, project_id, job)
        job["model"] = _register(store, project_id, job, starter, best)
        job["status"] = "done"
    except (TrainingError, InvalidInput, OSError) as exc:
        job["status"], job["error"] = "failed", str(exc)
    return _save(store, project_id, job)


def _train(cmd: list[str], log_path: Path, max_minutes: float, job: dict[str, Any],
           progress: Callable[[Progress | None, dict[str, Any]], None] | None, should_stop: Callable[[], bool] | None) -> bool:
    """Run lstmtraining, appending its log; stop it at the time budget or on request. True if stopped early."""
    deadline = time.monotonic() + 60 * max_minutes
    stopped = False
    with open(log_path, "a", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                                env={**os.environ, "OMP_THREAD_LIMIT": "1"}, start_new_session=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            log.flush()
            point = parse_log_line(line)
            if progress and point:
                progress(point, job)
            if (should_stop and should_stop()) or time.monotonic() > deadline:
                stopped = True
                os.killpg(proc.pid, signal.SIGTERM)
                break
        code = proc.wait()
    if not stopped and code != 0:
        raise TrainingError(f"lstmtraining stopped with code {code} (see log.txt): "
                            + " / ".join(log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-2:]))
    return stopped


def evaluate_model(eval_images: Sequence[Path], lang: str, tessdata_dir: Path | None = None) -> Score:
    total = Score()
    for img in eval_images:
        text = run_tesseract(img, lang, 7, "txt", timeout=120, tessdata_dir=tessdata_dir)
        total = total + score(img.with_suffix("").with_suffix(".gt.txt").read_text(encoding="utf-8"), text)
    return total


def _register(store: Store, project_id: str, job: dict[str, Any], starter: Starter, checkpoint: Path) -> str:
    """Write the model into a staging folder, evaluate it, then rename the folder into models/."""
    spec = job["spec"]
    model_id = new_id("model")
    staging = _models_dir(store, project_id) / f".{model_id}.tmp"
    staging.mkdir(parents=True)
    try:
        finish_model(checkpoint, starter, staging / f"{spec['name']}.traineddata")
        lines = _job_dir(store, project_id, job["id"]) / "lines"
        evals = [lines / n for n in job["eval"]]
        base = evaluate_model(evals, spec["base"])
        new = evaluate_model(evals, spec["name"], staging)
        record = {"id": model_id, "name": spec["name"], "kind": "float", "base": spec["base"], "job": job["id"],
                  "created": now_iso(), "training": job["summary"], "checkpoint": checkpoint.name,
                  "eval": {"lines": len(evals), "base": base.as_row(), "new": new.as_row()}}
        write_json(staging / "model.json", record)
        os.replace(staging, _models_dir(store, project_id) / model_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return model_id


def list_models(store: Store, project_id: str) -> list[dict[str, Any]]:
    folder = _models_dir(store, project_id)
    models = [read_json(p) for p in folder.glob("m-*/model.json")] if folder.exists() else []
    return sorted(models, key=lambda m: m["created"], reverse=True)


def get_model(store: Store, project_id: str, name_or_id: str) -> dict[str, Any]:
    for m in list_models(store, project_id):
        if name_or_id in (m["id"], m["name"]):
            return m
    raise NotFound(f"No model named {name_or_id!r} in this project.")


def model_path(store: Store, project_id: str, model: dict[str, Any]) -> Path:
    return _models_dir(store, project_id) / model["id"] / f"{model['name']}.traineddata"


def project_tessdata(store: Store, project_id: str) -> Path:
    """A tessdata folder for the project: links to every installed model and to the project's trained
    ones, so that Tesseract can combine them (``grc+mymodel``). Rebuilt on each call (cheap)."""
    from ocr.tesseract import languages

    folder = _models_dir(store, project_id) / "tessdata"
    folder.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, Path] = {}
    for name in languages():
        try:
            wanted[f"{name}.traineddata"] = base_model_path(name)
        except InvalidInput:
            continue
    for model in list_models(store, project_id):
        wanted[f"{model['name']}.traineddata"] = model_path(store, project_id, model)
    if wanted:  # Tesseract's config files (hocr, tsv, lstm.train...) beside the models
        system = next(iter(wanted.values())).resolve().parent
        for sub in ("configs", "tessconfigs"):
            if (system / sub).is_dir():
                wanted[sub] = system / sub
    for link in folder.iterdir():
        if link.name not in wanted or not link.exists():
            link.unlink()
    for name, target in wanted.items():
        link = folder / name
        if not link.exists():
            link.symlink_to(target)
    return folder
