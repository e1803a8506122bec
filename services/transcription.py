"""Transcription: read a document's pages with a model (a background run, resumable), look at a run's
text and scores, find lines by their text. Correcting a line is ``services.editing``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ocr.metrics import Score, strip_diacritics
from services import models as models_uc
from services.context import DocumentRef, PageRef
from storage import Store
from storage import lines as line_store
from storage import ocrruns
from storage.lineimages import line_outline, page_band
from storage.models import Line, Page
from storage.ocrruns import PageEval, RunSpec
from storage.records import OcrRun

__all__ = ["RunForm", "start", "resume", "runs", "page_text", "evaluate", "failures", "fold", "SearchHit", "search",
           "ReviewLine", "review_lines"]


@dataclass(frozen=True)
class RunForm:
    """What a person chooses to read pages with (the CLI's ``ocr`` flags are the same choices)."""

    models: tuple[str, ...] = ("grc",)
    psm: int = 3
    mode: str = "page"  #: page (Tesseract finds the lines) or lines (the page's own lines, one by one)
    preprocessed: bool = True


def start(store: Store, doc: DocumentRef, page_ids: Sequence[str] | None, form: RunForm,
          jobs: int | None = None, progress: Callable[[int, int, float], None] | None = None) -> OcrRun:
    """Read the pages (all when None) with the form's models, the project's own models included."""
    spec = RunSpec("+".join(form.models), int(form.psm), form.mode, bool(form.preprocessed),  # type: ignore[arg-type]
                   str(models_uc.tessdata(store, doc.project)))
    return ocrruns.run_ocr(store, *doc, page_ids or None, spec, jobs, progress)


def resume(store: Store, doc: DocumentRef, run_id: str, jobs: int | None = None,
           progress: Callable[[int, int, float], None] | None = None) -> OcrRun:
    """Read the pages an interrupted run had not read yet, with the run's own settings."""
    return ocrruns.resume_run(store, *doc, run_id, jobs, progress)


def runs(store: Store, doc: DocumentRef) -> list[OcrRun]:
    """The document's runs, newest first."""
    return ocrruns.list_runs(store, *doc)


def page_text(store: Store, ref: PageRef, run_id: str) -> list[str] | None:
    """The lines a run read on a page (None: the run did not read it)."""
    return ocrruns.run_page_text(store, *ref, run_id)


def evaluate(store: Store, doc: DocumentRef, run_id: str) -> tuple[list[PageEval], Score]:
    """The run against the document's verified lines, page by page and in all."""
    return ocrruns.evaluate_run(store, *doc, run_id)


def failures(run: OcrRun) -> list[tuple[int, str]]:
    """(page number in the run, why) for every page the run could not read."""
    return [(run.order.index(pid) + 1 if pid in run.order else 0, st.error or "failed")
            for pid, st in run.pages.items() if st.status == "failed"]


def fold(text: str) -> str:
    """For accent- and case-insensitive search: no diacritics, casefolded, final sigma as σ."""
    return strip_diacritics(text).casefold().replace("ς", "σ")


@dataclass(frozen=True)
class SearchHit:
    page_number: int
    page_id: str
    line_number: int
    line: Line


def search(store: Store, doc: DocumentRef, query: str) -> list[SearchHit]:
    """Every line of the document whose text contains ``query``, ignoring accents, breathings and case."""
    needle = fold(query or "").strip()
    if not needle:
        return []
    hits = []
    for pno, page in enumerate(store.list_pages(*doc), 1):
        for lno, ln in enumerate(line_store.list_lines(store, *doc, page.id), 1):
            if needle in fold(ln.text):
                hits.append(SearchHit(pno, page.id, lno, ln))
    return hits


@dataclass(frozen=True)
class ReviewLine:
    number: int
    line: Line
    outline: list[list[float]]  #: the polygon drawn over the page (the line's cut band)


def review_lines(store: Store, ref: PageRef) -> tuple[Page, list[ReviewLine]]:
    """A page and its lines in reading order, each with the outline the review draws."""
    page = store.get_page(*ref)
    band = page_band(store, ref.project, ref.document, page)
    return page, [ReviewLine(n, ln, line_outline(ln, band)) for n, ln in enumerate(line_store.list_lines(store, *ref), 1)]
