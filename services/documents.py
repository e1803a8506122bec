"""Documents and their pages: importing page files (a browser's streamed upload, files on disk) and ground
truth, and the page images the tabs show (thumbnail, original, preview, the processed view, one line's image
as the engine sees it), each made once and kept in the page's cache."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

import cv2
from PIL import Image

from ocr.images import encode_preview, load_array, png_bytes, sniff, thumbnail_jpeg, to_page_mode
from services.context import DocumentRef, PageRef
from storage import InvalidInput, NotFound, Store
from storage.groundtruth import ImportReport, import_gt
from storage.ingest import THUMB, ImportLimits, ImportResult, clean_filename, import_paths, import_stream
from storage.jsonio import write_bytes_atomic
from storage.lineimages import line_image
from storage.lines import list_lines
from storage.processing import PREVIEW_SIDE, base_preview_jpeg, processed_path
from storage.store import check_id

__all__ = ["import_upload", "import_files", "import_ground_truth", "is_image", "clean_filename", "thumbnail",
           "original", "preview", "processed_view", "line_picture", "job_line_picture", "ImportResult", "ImportReport"]


def import_upload(store: Store, doc: DocumentRef, stream: BinaryIO, filename: str, limits: ImportLimits,
                  declared_size: int | None = None) -> ImportResult:
    """One file sent by a browser, as pages of the document (never raises for a bad file: the result says why)."""
    store.get_document(*doc)
    return import_stream(store, *doc, stream, filename, limits, declared_size=declared_size)


def import_files(store: Store, doc: DocumentRef, paths: Iterable[Path], limits: ImportLimits) -> list[ImportResult]:
    """Files on disk (the CLI, a notebook), one result per file."""
    return import_paths(store, *doc, paths, limits)


def import_ground_truth(store: Store, doc: DocumentRef, files: Sequence[Path],
                        image_dirs: Sequence[Path] = (), status: str = "verified", replace: bool = False,
                        limits: ImportLimits = ImportLimits(), replace_hint: str = "with --replace") -> ImportReport:
    """PAGE XML, ALTO or GT4HistComment TSV files onto the document's pages (matched by image name; page
    images they name, found beside them or in ``image_dirs``, are imported first)."""
    if status not in ("verified", "machine"):
        raise InvalidInput("Imported lines are either verified (ground truth) or machine (text to check).")
    return import_gt(store, *doc, files, image_dirs, status, replace, limits, replace_hint)


def is_image(path: Path) -> bool:
    """Whether a file is a page image (by its first bytes), not a ground-truth file."""
    with open(path, "rb") as fh:
        return sniff(fh.read(16)) is not None


def thumbnail(store: Store, ref: PageRef) -> Path:
    """The page's thumbnail (made again when it was removed by hand)."""
    page = store.get_page(*ref)
    path = store.inside(store.page_dir(*ref) / THUMB)
    if not path.exists():
        with Image.open(store.page_image_path(ref.project, ref.document, page)) as img:
            write_bytes_atomic(path, thumbnail_jpeg(to_page_mode(img)[0]))
    return path


def original(store: Store, ref: PageRef) -> Path:
    page = store.get_page(*ref)
    return store.page_image_path(ref.project, ref.document, page)


def preview(store: Store, ref: PageRef, name: str) -> Path:
    """A file of the page's preview cache: the original at preview size, or a preprocessing preview."""
    page = store.get_page(*ref)
    if name == f"base-{PREVIEW_SIDE}.jpg":
        return base_preview_jpeg(store, ref.project, ref.document, page)
    path = store.inside(store.page_dir(*ref) / "cache" / name)
    if not path.exists():
        raise NotFound("This preview is no longer cached; change a setting to make it again.")
    return path


def line_picture(store: Store, ref: PageRef, line_id: str) -> Path:
    """One line's image as the engine sees it (cut from the processed page when there is one), cached
    per shape of the line and processed result."""
    check_id("line", line_id)
    page = store.get_page(*ref)
    line = next((ln for ln in list_lines(store, *ref) if ln.id == line_id), None)
    if line is None:
        raise NotFound("No such line (deleted?).")
    key = (page.processed or {}).get("key", "orig")
    # keyed by what the picture is cut by (the line's shape, the processed result), not by its revision:
    # typing a line's text changes its revision, not its picture
    shape = hashlib.sha256(json.dumps([line.kind, line.points, line.baseline, line.above, line.below],
                                      default=str).encode()).hexdigest()[:12]
    cached = store.page_dir(*ref) / "cache" / f"line-{line_id}-{shape}-{key}.png"
    if not cached.exists():
        try:
            img = line_image(store, ref.project, ref.document, page, line)
        except (ValueError, cv2.error) as exc:
            raise InvalidInput(f"This line's image cannot be cut: {str(exc).splitlines()[-1]}") from None
        write_bytes_atomic(cached, png_bytes(img))
        for old in cached.parent.glob(f"line-{line_id}-*.png"):
            if old != cached:
                old.unlink(missing_ok=True)
    return cached


def processed_view(store: Store, ref: PageRef) -> Path:
    """The preprocessed page at preview size (grey antialiasing reads better than 1-bit here), cached by key."""
    page = store.get_page(*ref)
    path = processed_path(store, ref.project, ref.document, page)
    if path is None or not page.processed:
        raise NotFound("This page has not been preprocessed yet (Preprocess tab, Apply).")
    key = page.processed["key"]
    folder = store.page_dir(*ref) / "cache"
    cached = next(iter(folder.glob(f"view-{key}.*")), None)
    if cached is None:
        arr = load_array(path)
        scale = min(1.0, PREVIEW_SIDE / max(arr.shape[:2]))
        if scale < 1:
            arr = cv2.resize(arr, (max(1, round(arr.shape[1] * scale)), max(1, round(arr.shape[0] * scale))),
                             interpolation=cv2.INTER_AREA)
        data, suffix = encode_preview(arr)
        cached = folder / f"view-{key}{suffix}"
        write_bytes_atomic(cached, data)
    return cached


def job_line_picture(store: Store, project_id: str, job_id: str, name: str) -> Path:
    """A line image as a training job cut it (what the model learnt from or was measured on)."""
    check_id("job", job_id)
    folder = store.project_dir(project_id) / "training" / job_id
    for sub in ("lines", "second"):
        path = folder / sub / name
        if path.is_file():
            return path
    raise NotFound("This line image is no longer kept (the job was discarded?).")
