"""Manuscripts from IIIF libraries, for the Upload tab and ``kalamos import --iiif``: read a manifest
(v2 or v3), list its canvases, and import a range of them as pages, a few images at a time, each
committed whole (the staged import of an upload) and in the manifest's order. A canvas already in the
document is skipped, so an import stopped midway (a closed tab, a killed server) is finished by
starting it again. The manifest's address, label, attribution and rights go into the document
(``Document.source``) and each canvas into its page (``Page.iiif``): every export carries them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ocr.images import sniff, thumbnail_jpeg, to_page_mode
from services.context import DocumentRef
from storage import InvalidInput, NotFound, Store
from storage.iiif import (MAX_MANIFEST_BYTES, Canvas, HttpClient, IIIFError, Manifest, image_url, is_url,
                          parse_manifest, thumbnail_url)
from storage.ingest import ImportLimits, ImportResult, clean_filename, import_stream
from storage.jsonio import read_json, write_bytes_atomic, write_json
from storage.store import now_iso

__all__ = ["IIIFReport", "read_manifest", "remember_manifest", "remembered_manifest", "choose", "import_canvases",
           "canvas_thumbnail", "canvas_rows", "describe", "imported_canvases", "MAX_WIDTH", "DEFAULT_WORKERS"]

log = logging.getLogger(__name__)

DEFAULT_WORKERS = 3  #: images fetched at once: polite to a library's server, enough to hide its latency
MAX_WIDTH = 20_000
MAX_THUMB_BYTES = 4 * 1024 * 1024
MAX_WHOLE_BYTES = 64 * 1024 * 1024  #: a canvas's whole image, when the library offers no smaller one
SIZE_TOLERANCE = 0.03  #: how far an image's proportions may differ from its canvas's before we say so

Progress = Callable[[int, int, str], None]


@dataclass
class IIIFReport:
    """What became of each chosen canvas (in the manifest's order)."""

    manifest: Manifest
    results: list[ImportResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def summary(self) -> str:
        parts = [f"{self.count('imported')} imported"]
        if self.count("skipped"):
            parts.append(f"{self.count('skipped')} already there (skipped)")
        if self.count("failed"):
            parts.append(f"{self.count('failed')} failed (see why below; Import again retries them)")
        return f"{self.manifest.label}: {len(self.results)} canvas(es): " + ", ".join(parts) + "."


def read_manifest(source: str, client: HttpClient, allow_files: bool = False) -> tuple[Manifest, bytes]:
    """The manifest at an http(s) address (or in a file, for the CLI), parsed, with its bytes."""
    source = source.strip()
    if is_url(source):
        data = client.get(source, MAX_MANIFEST_BYTES, "manifest")
    elif allow_files and source and Path(source).is_file():
        if Path(source).stat().st_size > MAX_MANIFEST_BYTES:
            raise IIIFError(f"{source}: over the limit of {MAX_MANIFEST_BYTES // 2**20} MB for a manifest")
        data = Path(source).read_bytes()
    elif not source:
        raise InvalidInput("Give the address of a IIIF manifest (https://…/manifest.json).")
    else:
        raise InvalidInput(f"{source[:200]!r} is not an http(s) address of a IIIF manifest"
                           + (" nor a file" if allow_files else ""))
    return parse_manifest(data, source), data


def _folder(store: Store, doc: DocumentRef) -> Path:
    return store.document_dir(*doc) / "iiif"


def remember_manifest(store: Store, doc: DocumentRef, manifest: Manifest, data: bytes) -> None:
    """Keep a manifest read in the Upload tab with the document, for its thumbnails and its import (one
    of another manuscript than the document's pages is refused, and the one kept stays)."""
    _check_same_manuscript(store, doc, manifest)
    folder = _folder(store, doc)
    folder.mkdir(exist_ok=True)
    write_bytes_atomic(folder / "manifest.json", data)
    write_json(folder / "read.json", {"url": manifest.url, "at": now_iso()})
    for old in (folder / "thumbs").glob("*.jpg") if (folder / "thumbs").exists() else ():
        old.unlink(missing_ok=True)


def remembered_manifest(store: Store, doc: DocumentRef) -> Manifest:
    folder = _folder(store, doc)
    try:
        url = read_json(folder / "read.json")["url"]
        return parse_manifest((folder / "manifest.json").read_bytes(), url)
    except (FileNotFoundError, KeyError):
        raise NotFound("Read a manifest first (its address, then Read).") from None


def choose(manifest: Manifest, first: int | None = None, last: int | None = None) -> list[Canvas]:
    """The canvases numbered ``first``..``last`` (1-based, both included; all by default), numbered as
    the manifest lists them and as the thumbnails show them (canvases without an image keep their
    numbers, and are left out)."""
    n = manifest.total or len(manifest.canvases)
    first, last = first or 1, last or n
    if not (1 <= first <= n and 1 <= last <= n):
        raise InvalidInput(f"Choose canvases between 1 and {n}.")
    if first > last:
        raise InvalidInput(f"The first canvas ({first}) comes after the last ({last}).")
    chosen = [c for c in manifest.canvases if first <= c.index <= last]
    if not chosen:
        raise InvalidInput(f"No canvas between {first} and {last} has an image (see the canvases left out).")
    return chosen


def _check_width(width: int | None) -> int | None:
    if width is None:
        return None
    if not 100 <= width <= MAX_WIDTH:
        raise InvalidInput(f"The image width must be between 100 and {MAX_WIDTH:,} pixels (or full size).")
    return width


def imported_canvases(store: Store, doc: DocumentRef) -> dict[str, int]:
    """Canvas id → page number, for the canvases already imported into the document."""
    return {p.iiif["canvas"]: n for n, p in enumerate(store.list_pages(*doc), 1) if p.iiif}


def _check_same_manuscript(store: Store, doc: DocumentRef, manifest: Manifest) -> None:
    """A document holds one manuscript: a manifest other than the one its IIIF pages came from is
    refused (a document whose earlier import brought no page, or whose pages were all deleted, is free)."""
    source = store.get_document(*doc).source or {}
    mine = manifest.source_record()["manifest"]
    if source.get("manifest") not in (None, mine) and any(p.iiif for p in store.list_pages(*doc)):
        raise InvalidInput(f"This document holds pages of another manuscript ({source.get('label') or source['manifest']}); "
                           "import this manifest into a new document.")


def _claim_document(store: Store, doc: DocumentRef, manifest: Manifest) -> None:
    """The document's source becomes the manifest (once a page of it is in)."""
    record = manifest.source_record()

    def claim(d) -> None:  # type: ignore[no-untyped-def]
        if (d.source or {}).get("manifest") != record["manifest"]:
            d.source = {**record, "imported": now_iso()}

    store.update_document(*doc, claim)


def _place_new(store: Store, doc: DocumentRef, new: set[str]) -> None:
    """Pages just imported go where their canvases belong: after the page of the nearest earlier canvas
    (in the document's order as it is), else before the first later one, else at the end. The other
    pages keep the order the user gave them."""
    pages = {p.id: p for p in store.list_pages(*doc)}

    def index(pid: str) -> int | None:
        page = pages.get(pid)
        return page.iiif.get("index") if page and page.iiif else None

    def order(d) -> None:  # type: ignore[no-untyped-def]
        placed = [pid for pid in d.page_ids if pid not in new]
        for pid in sorted((p for p in d.page_ids if p in new), key=lambda p: index(p) or 0):
            mine = index(pid) or 0
            earlier = [j for j, other in enumerate(placed) if (index(other) or 0) and (index(other) or 0) < mine]
            if earlier:
                placed.insert(earlier[-1] + 1, pid)
            else:
                later = [j for j, other in enumerate(placed) if (index(other) or 0) > mine]
                placed.insert(later[0] if later else len(placed), pid)
        d.page_ids = placed

    store.update_document(*doc, order)


def _size_warning(canvas: Canvas, width: int | None, got: tuple[int, int]) -> str | None:
    w, h = got
    if width and canvas.service and abs(w - width) > 2:  # (without a service, no size can be asked for)
        return f"the server sent an image {w} pixels wide instead of the {width} asked for"
    if canvas.width and canvas.height and h:
        ratio = (w / h) / (canvas.width / canvas.height)
        if abs(ratio - 1) > SIZE_TOLERANCE:
            return (f"the image ({w}×{h}) does not have the proportions the manifest gives the canvas "
                    f"({canvas.width}×{canvas.height}); positions sent back to IIIF are scaled on each axis")
    return None


def import_canvases(store: Store, doc: DocumentRef, manifest: Manifest, canvases: Sequence[Canvas],
                    width: int | None, limits: ImportLimits, client: HttpClient,
                    workers: int = DEFAULT_WORKERS, progress: Progress | None = None) -> IIIFReport:
    """Fetch the canvases' images (``width`` pixels wide, or full size) ``workers`` at a time and import
    them in order; one result per canvas, never raising for one canvas's failure."""
    width = _check_width(width)
    _check_same_manuscript(store, doc, manifest)
    report = IIIFReport(manifest)
    done = imported_canvases(store, doc)
    todo = []
    for c in canvases:
        if c.id in done:
            report.results.append(ImportResult(c.label, "skipped", f"{c.label}: already page {done[c.id]}, skipped"))
        else:
            todo.append(c)
    total = len(canvases)
    if progress:
        progress(len(report.results), total, f"{len(report.results)} already there; fetching {len(todo)}…")
    with store.staging() as tmp, ThreadPoolExecutor(max(1, min(workers, 8)), thread_name_prefix="iiif") as pool:
        def fetch(c: Canvas) -> Path:
            return client.get_to(image_url(c, width), tmp / f"{c.index}.img", limits.max_bytes, "image")

        futures: list[tuple[Canvas, Future[Path]]] = [(c, pool.submit(fetch, c)) for c in todo]
        try:
            for c, future in futures:
                report.results.append(_commit(store, doc, c, future, width, limits))
                if progress:
                    progress(len(report.results), total, report.results[-1].message)
        finally:
            for _c, future in futures:
                future.cancel()
    new = {pid for r in report.results if r.status == "imported" for pid in r.page_ids}
    if new:
        _claim_document(store, doc, manifest)
        _place_new(store, doc, new)
    return report


def _commit(store: Store, doc: DocumentRef, canvas: Canvas, future: Future[Path], width: int | None,
            limits: ImportLimits) -> ImportResult:
    name = clean_filename(canvas.label)[0]
    try:
        path = future.result()
    except IIIFError as exc:
        return ImportResult(name, "failed", f"{name}: {exc}")
    except OSError as exc:
        return ImportResult(name, "failed", f"{name}: could not be kept ({exc.strerror or exc})")
    try:
        with open(path, "rb") as fh:
            result = import_stream(store, *doc, fh, name, limits, path.stat().st_size,
                                   iiif=canvas.record(image_url(canvas, width)))
    finally:
        path.unlink(missing_ok=True)
    if result.status == "imported":
        page = store.get_page(*doc, result.page_ids[0])
        warning = _size_warning(canvas, width, (page.width, page.height))
        if warning:
            result.warnings.append(warning)
            result.message += f" ({warning})"
    return result


def canvas_thumbnail(store: Store, doc: DocumentRef, index: int, client: HttpClient) -> Path:
    """A small JPEG of canvas ``index`` of the document's manifest, fetched once by the server (the
    browser loads nothing from elsewhere), re-encoded, and cached."""
    manifest = remembered_manifest(store, doc)
    if not 1 <= index <= (manifest.total or len(manifest.canvases)):
        raise NotFound("No such canvas.")
    cached = _folder(store, doc) / "thumbs" / f"{index}.jpg"
    if cached.exists():
        return cached
    canvas = manifest.canvas(index)
    if canvas is None:
        raise NotFound("This canvas has no image.")
    url = thumbnail_url(canvas)
    if url is None:
        raise NotFound("This canvas has no thumbnail.")
    whole = not (canvas.thumbnail or canvas.service)  # the image itself: as large as a page may be
    data = client.get(url, MAX_WHOLE_BYTES if whole else MAX_THUMB_BYTES, "image" if whole else "thumbnail")
    if sniff(data[:16]) is None:
        raise IIIFError(f"{url}: the thumbnail is not an image")
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(data)) as img:
        img.draft("RGB", (400, 400))  # a JPEG is decoded at a fraction of its size (a whole page may be 50 MP)
        small = thumbnail_jpeg(to_page_mode(img)[0])
    cached.parent.mkdir(exist_ok=True)
    write_bytes_atomic(cached, small)
    return cached


def canvas_rows(manifest: Manifest, imported: dict[str, int]) -> list[dict[str, object]]:
    """The canvases as the Upload tab lists them: number, label, size, and the page it already is."""
    return [{"index": c.index, "label": c.label, "size": f"{c.width}×{c.height}" if c.width else "",
             "page": imported.get(c.id)} for c in manifest.canvases]


def describe(manifest: Manifest) -> str:
    """One paragraph on a manifest for the user."""
    total = manifest.total or len(manifest.canvases)
    kept = "" if total == len(manifest.canvases) else f" ({len(manifest.canvases)} with an image)"
    parts = [f"{manifest.label} — {total} canvas(es){kept}, IIIF Presentation {manifest.version}"]
    if not any(c.service for c in manifest.canvases):
        parts.append("its images have no IIIF image service: they come at the size the library gives them "
                     "(a width cannot be chosen)")
    if manifest.attribution:
        parts.append(manifest.attribution)
    if manifest.rights or manifest.license:
        parts.append(f"rights: {manifest.rights or manifest.license}")
    return ". ".join(parts) + "."
