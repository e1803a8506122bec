"""Training, as a user does it: say what the project's pages are (print or a manuscript hand, which sets
the defaults: ``storage.training.recipe``, measured in BENCHMARKS.md), look at what the lines would
teach and which base reads them best, start a job, follow it, stop or cancel it, discard it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocr.greek import SCRIPTS
from ocr.training import GainEstimate, Progress
from storage import KalamosError, Store
from storage.errors import InvalidInput
from storage.records import BaseScore, Job, OcrModel, TrainingPreview
from storage import training as jobs
from storage.training import BEST_BASE, MATERIALS, RESUMABLE, Recipe, TrainSpec, recipe

__all__ = ["material", "set_material", "defaults", "MATERIALS", "TrainForm", "spec_from_form", "start", "run", "get",
           "outcome", "Outcome", "compare", "preview", "gain", "JobsView", "jobs_view", "curve", "log_size", "stop", "discard",
           "BEST_BASE"]


def material(store: Store, project_id: str) -> str:
    """What the project's pages are, as the user said ("print" until said otherwise)."""
    value = store.get_project(project_id).settings.get("material", "print")
    return value if value in MATERIALS else "print"


def set_material(store: Store, project_id: str, value: str) -> str:
    if value not in MATERIALS:
        raise InvalidInput(f"the pages must be one of {', '.join(MATERIALS)}")

    def change(project: Any) -> None:
        project.settings["material"] = value

    store.update_project(project_id, change)
    return value


def defaults(store: Store, project_id: str, lines: int = 0) -> Recipe:
    """The training defaults for the project's pages and ``lines`` training lines."""
    return recipe(material(store, project_id), lines)


def script_or_none(value: str | None) -> str | None:
    return value if value in SCRIPTS else None


@dataclass(frozen=True)
class TrainForm:
    """The Train form as a person fills it (the CLI's flags are the same choices)."""

    name: str
    scratch: bool = False
    base: str = BEST_BASE
    network: str = "small"
    iterations: float | None = 100_000
    minutes: float | None = 10.0
    rate: float | None = None  #: None: chosen by the number of lines
    integer: bool = False
    script: str | None = None
    include_edited: bool = False
    material: str = "print"
    augment: int | None = None  #: None: chosen by the number of lines
    new_top: bool = False
    final_pass: bool = False
    eval_share: float = 0.1  #: share of the pages held out to measure (whole pages)
    stop_early: bool = True  #: stop when the held-out error stalls
    patience: int | None = None  #: iterations without a better checkpoint before stopping (None: automatic)


def spec_from_form(form: TrainForm) -> TrainSpec:
    """The checked training settings, or InvalidInput saying what is wrong with the form."""
    for value, what in ((form.iterations, "number of iterations"), (form.minutes, "time budget")):
        if value is None:
            raise InvalidInput(f"The {what} is empty or not a number.")
    try:
        return TrainSpec(form.name.strip(), form.base or "grc", max_iterations=int(form.iterations),  # type: ignore[arg-type]
                         max_minutes=float(form.minutes), learning_rate=None if form.rate in (None, "") else float(form.rate),  # type: ignore[arg-type]
                         scratch=form.scratch, network=form.network or "small", integer=form.integer,
                         script=script_or_none(form.script), include_edited=form.include_edited,
                         material=form.material or "print", augment=form.augment, new_top=form.new_top,
                         final_pass=form.final_pass, eval_share=float(form.eval_share), stop_early=form.stop_early,
                         patience=form.patience).check()
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"the form has a value that is not a number: {exc}") from None


def start(store: Store, project_id: str, form: TrainForm, documents: Sequence[str] | None = None,
          compare_documents: Sequence[str] | None = None, gt_folder: Path | None = None,
          compare_gt: Path | None = None) -> Job:
    """Gather, check and split the ground truth into a new job (nothing is trained yet: ``run`` does).
    The lines are the verified lines of ``documents`` (all when None), or a tesstrain folder ``gt_folder``;
    ``compare_*`` name a second set on which base and model are compared at the end."""
    return jobs.create_job(store, project_id, spec_from_form(form), gt_folder, None if gt_folder else (documents or None),
                           compare_gt=compare_gt, compare_documents=compare_documents or None)


def run(store: Store, project_id: str, job_id: str, progress: Callable[[Progress | None, Job], None] | None = None,
        should_stop: Callable[[], bool] | None = None) -> Job:
    """Train (or resume) the job to its end; raises ``storage.training.JobBusy`` when it runs elsewhere."""
    return jobs.run_job(store, project_id, job_id, progress, should_stop)


def get(store: Store, project_id: str, job_id: str) -> Job:
    return jobs.get_job(store, project_id, job_id)


@dataclass(frozen=True)
class Outcome:
    """How a job ended, for the message a person reads: the job and the model it registered (if any)."""

    job: Job
    model: OcrModel | None

    @property
    def no_better(self) -> bool:
        """The model reads the held-out lines no better than its base (and no final pass blurs the figure)."""
        ev = self.model.evaluation if self.model else None
        return bool(ev and ev.no_better and not (self.job.final_pass and self.job.final_pass.done))


def outcome(store: Store, project_id: str, job: Job) -> Outcome:
    from services import models as models_uc

    model = None
    if job.status == "done" and job.model_id:
        try:
            model = models_uc.get(store, project_id, job.model_id)
        except KalamosError:
            model = None  # deleted meanwhile
    return Outcome(job, model)


def compare(store: Store, project_id: str, documents: Sequence[str] | None, script: str | None, include_edited: bool,
            progress: Callable[[int, int, str], None] | None = None) -> list[BaseScore]:
    """Every candidate base reading the lines a training would hold out, best first."""
    spec = TrainSpec("x", script=script_or_none(script), include_edited=include_edited)
    return jobs.compare_bases(store, project_id, documents or None, spec, progress=progress)


def preview(store: Store, project_id: str, documents: Sequence[str] | None, base: str | None, script: str | None,
            include_edited: bool) -> TrainingPreview:
    statuses = ("verified", "edited") if include_edited else ("verified",)
    return jobs.preview(store, project_id, documents or None, None if base == BEST_BASE else base, script_or_none(script),
                        statuses)


def gain(store: Store, project_id: str, found: TrainingPreview,
         script: str | None) -> tuple[GainEstimate | None, list[tuple[int, int]]]:
    """What more annotated pages would buy, from the project's finished trainings."""
    return jobs.gain_estimate(store, project_id, found.lines, found.pages, script=script_or_none(script))


@dataclass(frozen=True)
class JobsView:
    """The project's jobs, newest first, and which of them a process runs now or could resume."""

    jobs: list[Job]
    running: set[str]
    resumable: set[str]

    def choose(self, wanted: str | None) -> str | None:
        """``wanted`` while it exists, else the newest job."""
        ids_ = [j.id for j in self.jobs]
        return wanted if wanted in ids_ else (ids_[0] if ids_ else None)


def jobs_view(store: Store, project_id: str) -> JobsView:
    found = jobs.list_jobs(store, project_id)
    running = {j.id for j in found if j.status not in ("done", "cancelled") and jobs.is_running(store, project_id, j.id)}
    resumable = {j.id for j in found if j.status in RESUMABLE and j.id not in running}
    return JobsView(found, running, resumable)


def curve(store: Store, project_id: str, job_id: str) -> list[Progress]:
    return jobs.curve(store, project_id, job_id)


def log_size(store: Store, project_id: str, job_id: str) -> int:
    """How much the job has written to its curve files: a change means new points to draw."""
    return jobs.curve_bytes(store, project_id, job_id)


def stop(store: Store, project_id: str, job_id: str, keep: bool = True) -> None:
    """Ask the process running the job to stop: ``keep`` makes the best checkpoint the model, else nothing is kept."""
    jobs.request_stop(store, project_id, job_id, keep=keep)


def discard(store: Store, project_id: str, job_id: str) -> Path:
    """Move a job nothing runs to the trash (a model it made stays)."""
    return jobs.discard_job(store, project_id, job_id)
