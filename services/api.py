"""Kalamos from Python: the same projects, pages, lines, OCR and training as the web app and the CLI,
for researchers who work in notebooks.

    from services.api import Workbench
    kb = Workbench("~/kalamos-data")                 # the data directory the app uses
    doc = kb.project("Barocci").document("fol. 42-45")  # opened, or created when missing
    doc.import_files(["42v.jpg", "43r.jpg"])
    doc.ocr(model="grc")                             # machine text on every page
    for line in doc.page(1).lines:
        print(line.number, line.status, line.conf, line.text)
    model = kb.project("Barocci").train("hand1", base="best", material="manuscript", minutes=15)
    print(model.heldout_cer, model.evaluation.new.cer)

Every call goes through the functions the app's callbacks and the CLI call (``services``,
``storage``): what a notebook does, the app shows, and the reverse. Nothing is kept in memory
between calls; the store on disk is the truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services import documents, exports, transcription
from services.context import DocumentRef
from services import models as models_uc
from services import training as training_uc
from storage import NotFound, Store
from storage import lines as line_store
from storage.ingest import ImportLimits, ImportResult
from storage.models import Line
from storage.records import BaseScore, Evaluation, Job, OcrModel, OcrRun

__all__ = ["Workbench", "ProjectHandle", "DocumentHandle", "PageLinesView", "LineView", "TrainedModel"]


@dataclass(frozen=True)
class LineView:
    number: int  #: in reading order, from 1
    id: str
    text: str
    status: str  #: empty, machine, edited, verified
    conf: float | None  #: the engine's confidence (0–100) for machine text
    points: list[list[float]]


@dataclass(frozen=True)
class PageLinesView:
    number: int
    id: str
    filename: str
    width: int
    height: int
    lines: list[LineView]

    @property
    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines if ln.text)


@dataclass(frozen=True)
class TrainedModel:
    name: str
    id: str
    heldout_cer: float | None  #: % on the held-out lines, of the checkpoint that became the model
    evaluation: Evaluation | None  #: base against new on the held-out lines (``.new.cer``, ``.base.cer``, WER...)
    job: Job


class Workbench:
    """A Kalamos data directory (the one ``kalamos serve --data-dir`` uses)."""

    def __init__(self, data_dir: str | Path) -> None:
        self.store = Store(Path(data_dir).expanduser())

    def projects(self) -> list[str]:
        return [p.name for p in self.store.list_projects()]

    def project(self, name: str, create: bool = True) -> ProjectHandle:
        """The project of that name (or id); created when missing unless ``create`` is False."""
        try:
            p = self.store.find_project(name)
        except NotFound:
            if not create:
                raise
            p = self.store.create_project(name)
        return ProjectHandle(self.store, p.id)


class ProjectHandle:
    def __init__(self, store: Store, project_id: str) -> None:
        self.store, self.id = store, project_id

    @property
    def name(self) -> str:
        return self.store.get_project(self.id).name

    def documents(self) -> list[str]:
        return [d.name for d in self.store.list_documents(self.id)]

    def document(self, name: str, create: bool = True) -> DocumentHandle:
        try:
            d = self.store.find_document(self.id, name)
        except NotFound:
            if not create:
                raise
            d = self.store.create_document(self.id, name)
        return DocumentHandle(self.store, self.id, d.id)

    def models(self) -> list[OcrModel]:
        """The project's own models (trained, imported, downloaded) with their evaluations."""
        return models_uc.own(self.store, self.id)

    def compare_bases(self, documents: Sequence[str] | None = None) -> list[BaseScore]:
        """How each candidate base reads the lines a training would hold out (best first)."""
        return training_uc.compare(self.store, self.id, self._document_ids(documents), None, False)

    def train(self, name: str, base: str = "best", documents: Sequence[str] | None = None,
              material: str | None = None, minutes: float | None = None, **options: Any) -> TrainedModel:
        """Fine-tune ``base`` ("best": the base that reads the held-out lines best) on the verified lines
        of ``documents`` (all by default) and register the model; ``options`` are ``TrainForm`` fields
        (``iterations``, ``rate``, ``script``, ``augment``…)."""
        if material:
            training_uc.set_material(self.store, self.id, material)
        kind = training_uc.material(self.store, self.id)
        form = training_uc.TrainForm(name, base=training_uc.BEST_BASE if base == "best" else base, material=kind,
                                     minutes=minutes if minutes is not None else training_uc.defaults(self.store, self.id).max_minutes,
                                     **options)
        job = training_uc.start(self.store, self.id, form, self._document_ids(documents))
        job = training_uc.run(self.store, self.id, job.id)
        done = training_uc.outcome(self.store, self.id, job)
        if done.model is None:
            raise RuntimeError(f"training {job.status}: {job.error}")
        return TrainedModel(done.model.name, done.model.id, job.selected.heldout_cer if job.selected else None,
                            done.model.evaluation, job)

    def _document_ids(self, names: Sequence[str] | None) -> list[str] | None:
        return [self.store.find_document(self.id, n).id for n in names] if names else None


class DocumentHandle:
    def __init__(self, store: Store, project_id: str, document_id: str) -> None:
        self.store, self.project_id, self.id = store, project_id, document_id
        self.ref = DocumentRef(project_id, document_id)

    def import_files(self, paths: Iterable[str | Path], limits: ImportLimits = ImportLimits()) -> list[ImportResult]:
        """Images and PDFs as pages (each result says imported, duplicate or failed, and why)."""
        return documents.import_files(self.store, self.ref, [Path(p).expanduser() for p in paths], limits)

    def import_ground_truth(self, files: Iterable[str | Path], status: str = "verified", replace: bool = False) -> Any:
        """PAGE XML, ALTO or GT4HistComment TSV files onto the document's pages."""
        return documents.import_ground_truth(self.store, self.ref, [Path(f).expanduser() for f in files],
                                             status=status, replace=replace)

    @property
    def pages(self) -> int:
        return len(self.store.list_pages(self.project_id, self.id))

    def page(self, number: int) -> PageLinesView:
        """Page ``number`` (from 1) with its lines in reading order."""
        pages = self.store.list_pages(self.project_id, self.id)
        if not 1 <= number <= len(pages):
            raise IndexError(f"the document has {len(pages)} page(s); there is no page {number}")
        page = pages[number - 1]
        lines = line_store.list_lines(self.store, self.project_id, self.id, page.id)
        return PageLinesView(number, page.id, page.source.filename, page.width, page.height,
                             [_view(i, ln) for i, ln in enumerate(lines, 1)])

    def ocr(self, model: str = "grc", mode: str = "page", psm: int = 3, jobs: int | None = None) -> OcrRun:
        """Read every page (``mode`` "lines": only the lines drawn, one by one); machine text is stored
        on lines nobody typed or verified. Returns the run (``.pages``: each page done or failed, and why)."""
        form = transcription.RunForm(tuple(model.split("+")), psm, mode, True)
        return transcription.start(self.store, self.ref, None, form, jobs)

    def export(self, fmt: str = "txt") -> dict[str, bytes]:
        """The transcription in a format of the registry (txt, hocr, alto, page, pdf, tei, webanno): file name → bytes."""
        return exports.transcript_files(self.store, self.project_id, self.id, fmt)


def _view(number: int, ln: Line) -> LineView:
    return LineView(number, ln.id, ln.text, ln.status, ln.conf, ln.points)
