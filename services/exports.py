"""Exports, for the Transcribe and Annotate tabs, the routes and the CLI alike: a document's (or a
page's) transcription in any transcript format of ``storage.formats.registry``, and its ground truth
(verified lines) as training data."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from storage import regions as region_store
from storage.errors import InvalidInput
from storage.formats import PageLines, registry
from storage.groundtruth import ExportReport, export_tesstrain, export_xml, page_lines
from storage.store import Store

__all__ = ["Download", "transcript_files", "transcript_download", "export_ground_truth", "ground_truth_download",
           "zip_files", "document_stem"]


@dataclass(frozen=True)
class Download:
    """A file for the browser: its name, content and media type."""

    name: str
    data: bytes
    media_type: str


def document_stem(store: Store, project_id: str, document_id: str) -> str:
    """The document's name as a safe file-name stem."""
    name = store.get_document(project_id, document_id).name
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "document"


def _pages(store: Store, project_id: str, document_id: str, page_ids: Sequence[str] | None, stem: str,
           leave_out: Collection[str] = ()) -> list[PageLines]:
    numbered = list(enumerate(store.list_pages(project_id, document_id), 1))
    if page_ids is not None:
        numbered = [(n, p) for n, p in numbered if p.id in set(page_ids)]
    if not numbered:
        raise InvalidInput("No such page in this document.")
    pages = [page_lines(store, project_id, document_id, p, n, p.source.filename, statuses=None) for n, p in numbered]
    return [without(p, leave_out) for p in pages] if leave_out else pages


#: Region types left out by "the text only": numbers, running titles and quire marks.
NOT_TEXT = ("NumberingZone", "RunningTitleZone", "QuireMarksZone")


def check_leave_out(store: Store, project_id: str, leave_out: Collection[str]) -> list[str]:
    """Region types (``NumberingZone``) or types with subtype (``NumberingZone:page``) to leave out of an
    export, checked against the project's types."""
    known = region_store.region_types(store, project_id)
    out = []
    for item in leave_out:
        item = item.strip()
        if not item:
            continue
        if item.partition(":")[0] not in known:
            raise InvalidInput(f"{item[:40]!r} is not a region type; choose among {', '.join(known)}")
        out.append(item)
    return out


def without(page: PageLines, leave_out: Collection[str]) -> PageLines:
    """The page without the regions of the types in ``leave_out`` and their lines."""
    drop = {r.id for r in page.regions if r.type in leave_out or r.label in leave_out}
    return replace(page, rows=[row for row in page.rows if row[0].region not in drop],
                   regions=tuple(r for r in page.regions if r.id not in drop))


def transcript_files(store: Store, project_id: str, document_id: str, fmt: str,
                     page_ids: Sequence[str] | None = None, leave_out: Collection[str] = ()) -> dict[str, bytes]:
    """File name → content: every line with text (its current, corrected text), in reading order;
    ``leave_out``: region types whose regions and lines are left out (``check_leave_out``)."""
    writer = registry.get(fmt)
    if writer.transcript is None:
        raise InvalidInput(f"{fmt!r} is not a transcript format; choose one of "
                           f"{', '.join(f.key for f in registry.transcript_formats())}")
    stem = document_stem(store, project_id, document_id)
    pages = _pages(store, project_id, document_id, page_ids, stem, check_leave_out(store, project_id, leave_out))
    files = writer.transcript(pages, stem)
    if page_ids is None or len(pages) != 1:
        return files
    page = f"{stem}_p{pages[0].number:04d}"  # one page: every file is named after it (hOCR and PDF too)
    return {(name if name.startswith(page) else page + name[len(stem):]): data for name, data in files.items()}


def zip_files(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    stamp = datetime.now(timezone.utc).timetuple()[:6]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=stamp), data)
    return buf.getvalue()


def transcript_download(store: Store, project_id: str, document_id: str, fmt: str,
                        page_ids: Sequence[str] | None = None, leave_out: Collection[str] = ()) -> Download:
    """One format, or ``zip``: every transcript format in its folder; several files are zipped."""
    if fmt == "zip":
        files = {f"{f.key}/{name}": data for f in registry.transcript_formats()
                 for name, data in transcript_files(store, project_id, document_id, f.key, page_ids, leave_out).items()}
    else:
        files = transcript_files(store, project_id, document_id, fmt, page_ids, leave_out)
    if len(files) == 1:
        [(name, data)] = files.items()
        return Download(name, data, registry.media_type(name))
    page = ""
    if page_ids:
        numbers = [n for n, p in enumerate(store.list_pages(project_id, document_id), 1) if p.id in set(page_ids)]
        page = f"_p{numbers[0]:04d}" if len(numbers) == 1 else ""
    name = f"{document_stem(store, project_id, document_id)}{page}-{'all-formats' if fmt == 'zip' else fmt}.zip"
    return Download(name, zip_files(files), "application/zip")


def export_ground_truth(store: Store, project_id: str, document_ids: Sequence[str] | None, fmt: str, out: Path,
                        all_lines: bool = False) -> ExportReport:
    """The verified lines (every line with text when ``all_lines``) as training data in ``out``:
    tesstrain line images with their texts, or one PAGE/ALTO file per page beside its image."""
    chosen = registry.get(fmt)
    if not chosen.ground_truth:
        raise InvalidInput(f"{fmt!r} is not a ground-truth format; choose one of "
                           f"{', '.join(f.key for f in registry.ground_truth_formats())}")
    if fmt == "tesstrain":
        return export_tesstrain(store, project_id, document_ids, out)
    return export_xml(store, project_id, document_ids, out, fmt, None if all_lines else ("verified",))


def ground_truth_download(store: Store, project_id: str, document_id: str | None, fmt: str) -> Download | None:
    """The ground truth of a document (or of the whole project) as one zip; None when nothing is verified."""
    project = store.get_project(project_id)
    docs = None if document_id is None else [store.get_document(project_id, document_id).id]
    who = project.name if document_id is None else f"{project.name}-{store.get_document(project_id, document_id).name}"
    with store.staging() as tmp:
        report = export_ground_truth(store, project_id, docs, fmt, tmp / "export")
        if report.lines == 0:
            return None
        archive = shutil.make_archive(str(tmp / "kalamos-export"), "zip", tmp / "export")
        data = Path(archive).read_bytes()
    return Download(f"{who}-ground-truth-{fmt}.zip".replace("/", "_").replace('"', ""), data, "application/zip")
