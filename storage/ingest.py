"""Importing uploaded files into a document: the one function the upload route and the CLI share.

Each file is checked (size, type, decodability, pixel count), copied byte for byte with its
sha256, split into pages (TIFF frames, PDF pages rasterised), given thumbnails, and only then
committed to the document in one locked step. A file that fails leaves nothing behind; the other
files of the same batch are imported regardless.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from ocr.images import (DEFAULT_MAX_PAGES, EXTENSIONS, UnreadableImage, describe_unsupported, iter_frames, measure,
                        sniff, thumbnail_jpeg)
from storage.errors import Conflict, InvalidInput, KalamosError
from storage.jsonio import write_json
from storage.models import Page, PageSource
from storage.store import Store, new_id, now_iso

__all__ = ["ImportLimits", "ImportResult", "clean_filename", "import_stream", "import_paths", "receive_stream"]

log = logging.getLogger(__name__)

CHUNK = 1 << 20
THUMB = "thumb.jpg"


@dataclass(frozen=True)
class ImportLimits:
    """What one import may cost (``Config.import_limits`` builds it from the settings).

    Attributes:
        max_bytes: largest file.
        max_pixels: largest image or rendered PDF page (checked from the header, before decoding).
        pdf_dpi: resolution at which PDF pages are rendered.
        max_pages: most pages (TIFF frames, PDF pages) taken from one file.
        max_file_pixels: most pixels of all the pages of one file together (a small file announcing a
            thousand huge blank frames would keep the server busy for an hour).
        slots: how many big files (over ``small_pixels``) are decoded at once in the whole data
            directory (all processes); the others wait their turn, so memory stays bounded (a 300 MP
            page needs up to 2.7 GB). Small files (most scans) do not wait for them.
        slot_wait_s: how long a file waits for a slot before it is refused as "busy".
    """

    max_bytes: int = 512 * 1024 * 1024
    max_pixels: int = 300_000_000
    pdf_dpi: int = 300
    max_pages: int = DEFAULT_MAX_PAGES
    max_file_pixels: int = 3_000_000_000
    slots: int = 2
    slot_wait_s: float = 600.0
    small_pixels: int = 40_000_000


@dataclass
class ImportResult:
    """What became of one uploaded file."""

    filename: str  #: the name as the user gave it (for the message)
    status: Literal["imported", "skipped", "failed"]
    message: str
    page_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"filename": self.filename, "status": self.status, "message": self.message,
                "page_ids": self.page_ids, "warnings": self.warnings}


def clean_filename(raw: str) -> tuple[str, str | None]:
    """A display name from a user's file name: last path component, no control characters, NFC.

    Returns the name and, when it had to change, a warning saying so. The name is never used
    as a path: files are stored under generated ids and their sha256.
    """
    text = unicodedata.normalize("NFC", raw or "")
    base = text.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    base = " ".join(base.split())[:150]
    if base in ("", ".", ".."):
        base = "unnamed"
    if base != " ".join(text.split()):
        return base, f"its name held path parts or control characters; it is shown as {base!r}"
    return base, None


def _describe_size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _read(src: BinaryIO) -> bytes:
    try:
        return src.read(CHUNK)
    except Exception as exc:  # noqa: BLE001 - any failure of the source (a closed connection, a chunked
        # body without its end) means the file did not arrive whole
        raise InvalidInput("the upload was interrupted before the end of the file; nothing was kept, "
                           f"please upload it again ({type(exc).__name__})") from None


def receive_stream(src: BinaryIO, dest: Path, max_bytes: int, declared_size: int | None = None) -> tuple[str, int]:
    """Copy an upload to ``dest``, computing its sha256; returns (sha256, size).

    Raises ``InvalidInput`` as soon as it passes ``max_bytes``, when the stream fails, and when fewer
    (or more) bytes arrive than the request announced: a connection closed midway must never
    leave a truncated file that looks complete.
    """
    if declared_size is not None and declared_size > max_bytes:
        raise InvalidInput(f"the file is {_describe_size(declared_size)}, larger than the limit of "
                           f"{_describe_size(max_bytes)} (KALAMOS_MAX_FILE_MB)")
    digest = hashlib.sha256()
    size = 0
    with open(dest, "wb") as out:
        while chunk := _read(src):
            size += len(chunk)
            if size > max_bytes:
                raise InvalidInput(
                    f"the file is larger than the limit of {_describe_size(max_bytes)} (KALAMOS_MAX_FILE_MB)")
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if declared_size is not None and size != declared_size:
        raise InvalidInput(f"the upload was cut off: {_describe_size(size)} of the announced "
                           f"{_describe_size(declared_size)} arrived; nothing was kept, please upload it again")
    return digest.hexdigest(), size


def import_stream(store: Store, project_id: str, document_id: str, stream: BinaryIO, filename: str,
                  limits: ImportLimits, declared_size: int | None = None,
                  iiif: dict[str, Any] | None = None) -> ImportResult:
    """Import one file from a binary stream into the document. Never raises for a bad file.

    ``iiif``: the canvas the file was fetched from (``Page.iiif``); a canvas already in the document
    is skipped, checked again under the document's lock (two imports of one manifest at once never
    make a page twice)."""
    shown, warning = clean_filename(filename)
    warnings = [warning] if warning else []

    def failed(reason: str) -> ImportResult:
        return ImportResult(shown, "failed", f"{shown}: {reason}", warnings=warnings)

    try:
        existing = {p.source.sha256: (i, p) for i, p in enumerate(store.list_pages(project_id, document_id), 1)}
        with store.staging() as staged:
            upload = staged / "upload"
            sha, size = receive_stream(stream, upload, limits.max_bytes, declared_size)
            if size == 0:
                return failed("the file is empty (0 bytes)")
            with open(upload, "rb") as fh:
                head = fh.read(1024)
            kind = sniff(head)
            if kind is None:
                return failed(f"unsupported type: {describe_unsupported(head)}. "
                              "Kalamos imports JPEG, PNG, TIFF, WebP and PDF")
            if sha in existing and iiif is None:
                number, page = existing[sha]
                return ImportResult(shown, "skipped",
                                    f"{shown}: skipped, the same file is already page {number} ({page.source.filename})",
                                    warnings=warnings)
            _count, pixels = measure(upload, kind, max_pages=limits.max_pages, pdf_dpi=limits.pdf_dpi)
            if pixels > limits.max_file_pixels:
                return failed(f"its pages hold {pixels / 1e6:,.0f} megapixels together, over the limit of "
                              f"{limits.max_file_pixels / 1e6:,.0f} per file (KALAMOS_MAX_FILE_MEGAPIXELS); split it")
            heavy = store.slot("import", limits.slots, limits.slot_wait_s) if pixels > limits.small_pixels \
                else contextlib.nullcontext()
            with heavy:
                pages = _make_pages(staged, upload, kind, sha, size, shown, document_id, limits, iiif)
            store.commit_pages(project_id, document_id, staged, pages)
    except UnreadableImage as exc:
        return failed(str(exc))
    except Conflict as exc:  # the same canvas committed meanwhile by another import
        return ImportResult(shown, "skipped", f"{shown}: {exc}", warnings=warnings)
    except KalamosError as exc:
        return failed(str(exc))
    except OSError as exc:  # disk full, permissions: say so, keep nothing
        log.exception("import of %s failed", shown)
        return failed(f"could not be stored ({exc.strerror or exc})")
    n = len(pages)
    what = f"{n} pages" if n > 1 else "1 page"
    return ImportResult(shown, "imported", f"{shown}: imported ({what})", [p.id for p in pages], warnings)


def _make_pages(staged: Path, upload: Path, kind: str, sha: str, size: int, shown: str,
                document_id: str, limits: ImportLimits, iiif: dict[str, Any] | None = None) -> list[Page]:
    """Decode all frames into ``staged/pages/<id>/`` and move the upload to ``staged/originals/``."""
    original_name = f"{sha}{EXTENSIONS[kind]}"
    (staged / "originals").mkdir()
    pages: list[Page] = []
    for frame in iter_frames(upload, kind, max_pixels=limits.max_pixels, pdf_dpi=limits.pdf_dpi,
                             max_pages=limits.max_pages):
        page_id = new_id("page")
        folder = staged / "pages" / page_id
        folder.mkdir(parents=True)
        if frame.derived:
            image = "image.png"
            frame.image.save(folder / image, "PNG", compress_level=3, dpi=(frame.dpi, frame.dpi) if frame.dpi else None)
        else:
            image = f"../../originals/{original_name}"
        (folder / THUMB).write_bytes(thumbnail_jpeg(frame.image))
        page = Page(
            id=page_id, document_id=document_id,
            source=PageSource(filename=shown, sha256=sha, original=f"originals/{original_name}", kind=kind,  # type: ignore[arg-type]
                              frame=frame.index, frames=frame.count, size=size),
            image=image, width=frame.image.width, height=frame.image.height, dpi=frame.dpi, created=now_iso(),
            iiif=dict(iiif) if iiif else None,
        )
        write_json(folder / "page.json", page.to_dict())
        pages.append(page)
        frame.image.close()
    shutil.move(str(upload), staged / "originals" / original_name)
    return pages


def import_paths(store: Store, project_id: str, document_id: str, paths: Iterable[Path],
                 limits: ImportLimits) -> list[ImportResult]:
    """Import files from disk (the CLI's ``kalamos import``); one result per path."""
    results = []
    for path in paths:
        path = Path(path)
        try:
            size = path.stat().st_size
            with open(path, "rb") as fh:
                results.append(import_stream(store, project_id, document_id, fh, path.name, limits, size))
        except OSError as exc:
            results.append(ImportResult(path.name, "failed", f"{path.name}: cannot be read ({exc.strerror or exc})"))
    return results
