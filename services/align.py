"""Ground truth from an existing edition (the Annotate tab's "Align a known text", ``kalamos align``):
the pages' lines are read with a model (one Tesseract for all the lines of a page, a list file), the
edition's text is cut into one piece per line (``ocr.align``), and each piece is proposed as the line's
text with the status ``aligned``, between machine and verified: the user checks it and confirms it
with Enter. Lines a person verified are never touched (nor lines a person typed in and did not
confirm), but they are aligned and reported like the others: their text guides the alignment better
than any OCR."""

from __future__ import annotations

import io
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


from ocr.align import ATTENTION_BELOW, align
from ocr.tesseract import check_language, languages, ocr_lines
from services.context import DocumentRef
from storage import InvalidInput, Store
from storage import lines as line_store
from storage.lineimages import cut_lines, line_outline, page_band, work_image
from storage.lines import LineConflict
from storage.models import Line
from services.editing import UndoRecord
from storage.ocrmodels import project_tessdata

__all__ = ["LineProposal", "AlignReport", "read_edition", "choose_pages", "propose", "apply", "proposals_tsv",
           "MAX_EDITION_BYTES", "PERSONS"]

MAX_EDITION_BYTES = 8 * 1024 * 1024  #: the whole Iliad is 1 MB of UTF-8
PERSONS = ("verified", "edited")  #: a person's text: aligned and reported, never replaced

Progress = Callable[[int, int, str], None]


@dataclass
class LineProposal:
    """The edition's text for one line, and what became of it."""

    page_id: str
    page_number: int
    image_name: str
    line_id: str
    line_number: int
    rev: int
    box: tuple[int, int, int, int]  #: x0 y0 x1 y1 in page pixels
    status: str  #: the line's status when it was read
    reading: str  #: what the alignment compared with: the OCR, or a person's text
    text: str  #: the edition's piece for this line
    score: float
    attention: bool
    outcome: str = "proposed"  #: proposed, aligned (stored), cleared, kept (a person's), unchanged, conflict


@dataclass
class AlignReport:
    lines: list[LineProposal] = field(default_factory=list)
    unplaced_before: int = 0  #: words of the edition before the first line's piece
    unplaced_after: int = 0
    read_s: float = 0.0  #: reading the lines (Tesseract)
    align_s: float = 0.0  #: the alignment itself
    score: float = 0.0  #: the lines' mean score
    chance: float = 0.0  #: what the same letters in a random word order score (``ocr.align.Alignment.chance``)
    matches: bool = False  #: the edition is these lines' text at all (clearly above chance)
    undo: UndoRecord | None = None  #: after ``apply``: how to take it back (one Undo for every line it changed)

    def count(self, outcome: str) -> int:
        return sum(p.outcome == outcome for p in self.lines)

    @property
    def attention(self) -> int:
        return sum(p.attention for p in self.lines)

    @property
    def summary(self) -> str:
        parts = [f"{len(self.lines)} line(s) aligned with the edition"]
        if self.count("aligned"):
            parts.append(f"{self.count('aligned')} given the edition's text (to check and confirm)")
        if self.count("kept"):
            parts.append(f"{self.count('kept')} kept (a person's text)")
        if self.count("cleared"):
            parts.append(f"{self.count('cleared')} emptied (an earlier alignment's text, where this edition has none)")
        if self.count("conflict"):
            parts.append(f"{self.count('conflict')} changed by someone meanwhile, left as they are")
        if self.attention:
            parts.append(f"{self.attention} with a poor match (score under {ATTENTION_BELOW:.1f}), marked ⚠: look at them first")
        if self.unplaced_before or self.unplaced_after:
            parts.append(f"{self.unplaced_before} word(s) of the edition before the first line and "
                         f"{self.unplaced_after} after the last were not placed (is the text for these pages?)")
        return "; ".join(parts) + "."


def read_edition(data: bytes | str) -> str:
    """An edition's text as given (a UTF-8 file, or pasted): NFC, with a clear refusal for what is not text."""
    if isinstance(data, bytes):
        if len(data) > MAX_EDITION_BYTES:
            raise InvalidInput(f"The edition's text is over {MAX_EDITION_BYTES // 2**20} MB; give the part for these pages.")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"The edition's file is not UTF-8 text (byte {exc.start}); save it as UTF-8 "
                               "(plain text, not Word or PDF).") from None
    if len(data) > MAX_EDITION_BYTES:
        raise InvalidInput(f"The edition's text is over {MAX_EDITION_BYTES // 2**20} MB; give the part for these pages.")
    if "\x00" in data:
        raise InvalidInput("The edition's file is not plain text (it holds NUL bytes).")
    text = unicodedata.normalize("NFC", data)
    if not any(ch.isalpha() for ch in text):
        raise InvalidInput("The edition's text is empty: paste the text of these pages, or choose a UTF-8 file.")
    return text


def choose_pages(store: Store, doc: DocumentRef, first: int | None, last: int | None) -> list[str]:
    """The ids of pages ``first``..``last`` (1-based, both included; the whole document by default)."""
    pages = store.list_pages(*doc)
    if not pages:
        raise InvalidInput("This document has no pages.")
    first, last = first or 1, last or len(pages)
    if not (1 <= first <= last <= len(pages)):
        raise InvalidInput(f"Choose pages between 1 and {len(pages)}, the first not after the last.")
    return [p.id for p in pages[first - 1:last]]


def propose(store: Store, doc: DocumentRef, page_ids: Sequence[str], edition: str, model: str = "grc",
            progress: Progress | None = None) -> AlignReport:
    """Read the pages' lines with ``model`` and align the edition to them; nothing is stored."""
    tessdata = project_tessdata(store, doc.project)
    check_language(model, languages(tessdata))
    numbers = {p.id: n for n, p in enumerate(store.list_pages(*doc), 1)}
    report = AlignReport()
    started = time.perf_counter()
    for i, page_id in enumerate(page_ids, 1):
        if page_id not in numbers:
            raise InvalidInput("A chosen page is no longer in this document.")
        page = store.get_page(*doc, page_id)
        lines = line_store.list_lines(store, *doc, page_id)
        if progress:
            progress(i - 1, len(page_ids), f"reading the {len(lines)} lines of page {numbers[page_id]}…")
        band = page_band(store, *doc, page)
        readings = _readings(store, doc, page, lines, band, model, tessdata)
        for n, (ln, reading) in enumerate(zip(lines, readings), 1):
            xs, ys = zip(*line_outline(ln, band))
            report.lines.append(LineProposal(page_id, numbers[page_id], page.source.filename, ln.id, n, ln.rev,
                                             (int(min(xs)), int(min(ys)), int(round(max(xs))), int(round(max(ys)))),
                                             ln.status, reading, "", 0.0, False))
    report.read_s = time.perf_counter() - started
    if not report.lines:
        raise InvalidInput("These pages have no lines yet: draw them or find them first (Annotate, Find lines).")
    started = time.perf_counter()
    result = align([p.reading for p in report.lines], edition, widths=[p.box[2] - p.box[0] for p in report.lines])
    for p, proposal in zip(report.lines, result.proposals):
        p.text, p.score, p.attention = proposal.text, proposal.score, proposal.attention
    report.unplaced_before, report.unplaced_after = result.unplaced_before, result.unplaced_after
    report.score, report.chance, report.matches = round(result.score, 3), result.chance, result.matches
    report.align_s = time.perf_counter() - started
    if progress:
        progress(len(page_ids), len(page_ids), "aligned")
    return report


def _readings(store: Store, doc: DocumentRef, page, lines, band, model: str, tessdata) -> list[str]:  # type: ignore[no-untyped-def]
    """Each line's text to align with: a person's own, else what ``model`` reads (all of the page's
    lines by one Tesseract, ``ocr.tesseract.ocr_lines``)."""
    todo = [ln for ln in lines if ln.status not in PERSONS]
    texts: dict[str, str] = {ln.id: ln.text for ln in lines if ln.status in PERSONS}
    if todo:
        images, _uncut = cut_lines(work_image(store, *doc, page), todo, band)  # (an uncut line reads as nothing)
        for ln, (text, _conf) in zip(todo, ocr_lines(images, model, tessdata_dir=tessdata)):
            texts[ln.id] = text
    return [texts[ln.id] for ln in lines]


def apply(store: Store, doc: DocumentRef, report: AlignReport, editor: str | None = None,
          user: str | None = None, force: bool = False) -> AlignReport:
    """Store each proposal as the line's text with the status ``aligned``. A person's text is kept; a
    line changed since it was read is left as it is, and counted; a line the edition gives nothing
    loses the text an earlier alignment put there (never OCR text). Refused, unless ``force``, when
    the edition does not match these lines at all (another page's text, a wrong range): nothing is
    changed then. ``report.undo`` takes the whole of it back."""
    if not report.matches and not force:
        raise InvalidInput(
            f"This text does not seem to be the text of these lines: they match it no better than its words "
            f"in a random order (agreement {report.score:.0%}, by chance {report.chance:.0%}). Nothing was "
            "changed. Check the pages chosen and the text.")
    before: dict[str, Line] = {}
    undo: list[tuple[dict, int]] = []
    pages: list[str] = []
    for page_id in dict.fromkeys(p.page_id for p in report.lines):
        before.update({ln.id: ln for ln in line_store.list_lines(store, *doc, page_id)})
    for p in report.lines:
        current = before.get(p.line_id)
        if p.status in PERSONS:
            p.outcome = "kept"
            continue
        if not p.text:
            if current is None or current.status != "aligned":
                p.outcome = "unchanged"  # OCR text, or nothing, stays
                continue
            changes = {"text": "", "status": "empty", "aligned": None, "source": "aligned"}
        else:
            changes = {"text": p.text, "status": "aligned", "source": "aligned", "conf": None,
                       "aligned": {"reading": p.reading, "score": p.score, "attention": p.attention}}
        try:
            new = line_store.update_line(store, *doc, p.page_id, p.line_id, p.rev, editor=editor, user=user, **changes)
        except LineConflict:
            p.outcome = "conflict"
            continue
        p.outcome = "aligned" if p.text else "cleared"
        if current is not None:
            undo.append((current.to_dict(), new.rev))
            pages.append(p.page_id)
    report.undo = UndoRecord("bulk", pages[0], lines=tuple(undo), pages=tuple(pages)) if undo else None
    return report


def proposals_tsv(report: AlignReport) -> bytes:
    """One row per line in the GT4HistComment form (page image, ``x0 y0 x1 y1``, text) and a fourth
    column: the score (0–1; under ``ATTENTION_BELOW``, a line to look at first)."""
    out = io.StringIO()
    for p in report.lines:
        clean = " ".join(p.text.replace("\t", " ").split())
        out.write(f"{p.image_name}\t{p.box[0]} {p.box[1]} {p.box[2]} {p.box[3]}\t{clean}\t{p.score:.3f}\n")
    return out.getvalue().encode("utf-8")
