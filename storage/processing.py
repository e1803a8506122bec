"""Preprocessing results on disk: which pipeline applies to a page, previews and full-resolution
results cached by (original sha256, pipeline), presets.

Files, per page folder::

    cache/base-1600.png            the page downscaled for previews (long side 1600 px)
    cache/preview-<key>.png|jpg    preview of the pipeline whose ``pipeline_key`` is <key>
    cache/preview-<key>.json       that pipeline and what it found (deskew angle...)
    processed-<key>.png            the full-resolution result, listed in page.json "processed"

And per document, ``cache/stage1600-<key>.npz``: what the first steps of a pipeline gave on a page at
preview size (and found), so that a slider of a later step reruns only the rest (the newest 6).

Every key includes the sha256 of the page's original, so a changed original or a changed pipeline
gives a new file; stale ones are never served. Everything under ``cache/`` may be deleted at will.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ocr.images import encode_preview, load_array, png_bytes
from ocr.pipeline import PipelineError, Report, Step, default_pipeline, pipeline_key, run, to_json, validate
from storage.errors import InvalidInput, KalamosError, NotFound
from storage.jsonio import read_json, write_bytes_atomic, write_cache_bytes, write_json
from storage.models import Page
from storage.store import Store, now_iso

__all__ = [
    "PREVIEW_SIDE", "Preview", "page_pipeline", "document_pipeline", "set_page_pipeline", "set_document_pipeline",
    "result_key", "preview_base", "render_preview", "apply_to_page", "processed_path", "list_presets",
    "save_preset", "delete_preset", "preset_steps", "base_preview_jpeg", "full_result", "apply_to_document",
    "ApplyReport",
]

PREVIEW_SIDE = 1600
KEEP_PREVIEWS = 40
KEEP_STAGES = 6


@dataclass
class Preview:
    key: str
    path: Path
    width: int  #: preview pixels
    height: int
    scale: float  #: preview / full resolution
    notes: list[str]
    values: dict[str, float]
    millis: float
    size_bytes: int


def _checked(raw: Any, where: str) -> list[Step]:
    try:
        return validate(raw)
    except PipelineError as exc:
        raise InvalidInput(f"{where}: {exc}") from None


def document_pipeline(store: Store, project_id: str, document_id: str) -> list[Step]:
    raw = store.get_document(project_id, document_id).settings.get("pipeline")
    return default_pipeline() if raw is None else _checked(raw, "the document's pipeline")


def page_pipeline(store: Store, project_id: str, document_id: str, page: Page) -> tuple[list[Step], bool]:
    """The pipeline that applies to the page, and whether it is the page's own (else the document's)."""
    if page.pipeline is not None:
        return _checked(page.pipeline, f"the pipeline of page {page.label}"), True
    return document_pipeline(store, project_id, document_id), False


def set_document_pipeline(store: Store, project_id: str, document_id: str, steps: list[Step]) -> None:
    store.update_document(project_id, document_id, lambda d: d.settings.__setitem__("pipeline", to_json(steps)))


def set_page_pipeline(store: Store, project_id: str, document_id: str, page_id: str, steps: list[Step] | None) -> Page:
    """Give the page its own pipeline, or (None) make it follow the document's again."""

    def change(p: Page) -> None:
        p.pipeline = None if steps is None else to_json(steps)

    return store.update_page(project_id, document_id, page_id, change)


def result_key(page: Page, steps: list[Step]) -> str:
    return hashlib.sha256(f"{page.source.sha256}:{page.source.frame}:{pipeline_key(steps)}".encode()).hexdigest()[:16]


def preview_scale(page: Page) -> float:
    """Preview size / full size: the long side at most PREVIEW_SIDE."""
    return min(1.0, PREVIEW_SIDE / max(page.width, page.height))


def preview_base(store: Store, project_id: str, document_id: str, page: Page) -> tuple[np.ndarray, float]:
    """The page at preview size (cached), and its scale relative to the full page."""
    folder = store.page_dir(project_id, document_id, page.id)
    scale = preview_scale(page)
    cached = folder / "cache" / f"base-{PREVIEW_SIDE}.png"
    if cached.exists():
        try:
            return load_array(cached), scale
        except (OSError, ValueError):
            pass  # damaged cache file: rebuild it
    full = load_array(store.page_image_path(project_id, document_id, page))
    if scale < 1.0:
        size = (max(1, round(page.width * scale)), max(1, round(page.height * scale)))
        small = cv2.resize(full, size, interpolation=cv2.INTER_AREA)
    else:
        small = full
    write_bytes_atomic(cached, png_bytes(small))
    return small, scale


def base_preview_jpeg(store: Store, project_id: str, document_id: str, page: Page) -> Path:
    """The original at preview size as a JPEG, for the 'before' view (cached)."""
    path = store.page_dir(project_id, document_id, page.id) / "cache" / f"base-{PREVIEW_SIDE}.jpg"
    if not path.exists():
        small, _ = preview_base(store, project_id, document_id, page)
        data, _ = encode_preview(small)
        write_bytes_atomic(path, data)
    return path


def _prune(folder: Path, keep: int, pattern: str = "preview-*.*") -> None:
    files = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    stems = []
    for f in files:
        if f.stem not in stems:
            stems.append(f.stem)
    for f in files:
        if f.stem in stems[keep:]:
            f.unlink(missing_ok=True)


def _stage_path(folder: Path, page: Page, done: list[Step]) -> Path:
    return folder / f"stage{PREVIEW_SIDE}-{result_key(page, done)}.npz"


def _load_stage(path: Path) -> tuple[np.ndarray, Report] | None:
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            found = z["image"], Report.from_json(json.loads(str(z["report"])))
        path.touch()
        return found
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return None  # damaged (e.g. cut short by a crash): made again


def _save_stage(path: Path, img: np.ndarray, report: Report) -> None:
    buf = io.BytesIO()
    np.savez(buf, image=img, report=np.array(json.dumps(report.to_json())))
    write_cache_bytes(path, buf.getvalue())


def _run_staged(store: Store, project_id: str, document_id: str, page: Page, steps: list[Step]) -> tuple[np.ndarray, Report, float]:
    """The pipeline on the preview-size page, going on from the longest start of it already run.

    What each step but the last gives is kept (``cache/stage1600-<key>.npz``, the newest few), so
    that moving a slider of a late step runs only the steps from there: the base image is not
    decoded again, nor the page deskewed and flattened again, for each new Sauvola k. The stages are
    kept per document (its ``cache/``), the newest few: they serve the page being worked on, and a
    person going through 500 pages must not leave 500 pages' worth of them behind."""
    on = [s for s in steps if s.on]
    folder = store.document_dir(project_id, document_id) / "cache"
    scale = preview_scale(page)
    img: np.ndarray | None = None
    report: Report | None = None
    start = 0
    for k in range(len(on) - 1, 0, -1):
        found = _load_stage(_stage_path(folder, page, on[:k]))
        if found:
            (img, report), start = found, k
            break
    if img is None:
        img, scale = preview_base(store, project_id, document_id, page)
    for k in range(start, len(on)):
        img, report = run(img, [on[k]], scale, report)
        if k < len(on) - 1:
            _save_stage(_stage_path(folder, page, on[: k + 1]), img, report)
    _prune(folder, KEEP_STAGES, "stage*.npz")
    return img, report or Report(), scale


def render_preview(store: Store, project_id: str, document_id: str, page: Page, steps: list[Step]) -> Preview:
    """Run the pipeline on the preview-size page; reuse the cached result for the same key."""
    t0 = time.perf_counter()
    key = result_key(page, steps)
    folder = store.page_dir(project_id, document_id, page.id) / "cache"
    meta_path = folder / f"preview-{key}.json"
    if meta_path.exists():
        try:
            meta = read_json(meta_path)
            path = folder / meta["file"]
            if path.exists() and path.stat().st_size:
                path.touch()
                return Preview(key, path, meta["width"], meta["height"], meta["scale"], meta["notes"],
                               meta["values"], (time.perf_counter() - t0) * 1000, path.stat().st_size)
        except (ValueError, KeyError, OSError, KalamosError):
            pass
    out, report, scale = _run_staged(store, project_id, document_id, page, steps)
    data, suffix = encode_preview(out)
    path = folder / f"preview-{key}{suffix}"
    write_cache_bytes(path, data)
    write_json(meta_path, {"file": path.name, "width": out.shape[1], "height": out.shape[0], "scale": scale,
                           "notes": report.notes, "values": report.values, "pipeline": to_json(steps)}, durable=False)
    _prune(folder, KEEP_PREVIEWS)
    return Preview(key, path, out.shape[1], out.shape[0], scale, report.notes, report.values,
                   (time.perf_counter() - t0) * 1000, len(data))


def processed_path(store: Store, project_id: str, document_id: str, page: Page) -> Path | None:
    """The full-resolution preprocessed image of the page, if it was applied and still exists."""
    if not page.processed:
        return None
    path = store.page_dir(project_id, document_id, page.id) / page.processed["image"]
    return path if path.exists() else None


def apply_to_page(store: Store, project_id: str, document_id: str, page_id: str,
                  steps: list[Step] | None = None) -> Page:
    """Run the page's pipeline (or ``steps``) at full resolution, store the result, record it.

    The result is written atomically as ``processed-<key>.png`` and listed in page.json; an older
    result of another pipeline is removed only after the new one is recorded.
    """
    page = store.get_page(project_id, document_id, page_id)
    if steps is None:
        steps, _ = page_pipeline(store, project_id, document_id, page)
    key = result_key(page, steps)
    folder = store.page_dir(project_id, document_id, page_id)
    name = f"processed-{key}.png"
    if not (page.processed and page.processed.get("key") == key and (folder / name).exists()):
        full = load_array(store.page_image_path(project_id, document_id, page))
        out, report = run(full, steps, 1.0)
        write_bytes_atomic(folder / name, png_bytes(out))
        record = {"key": key, "image": name, "width": int(out.shape[1]), "height": int(out.shape[0]),
                  "notes": report.notes, "matrix": np.round(report.matrix, 9).tolist(),
                  "pipeline": to_json(steps), "at": now_iso()}

        def change(p: Page) -> None:
            p.processed = record

        page = store.update_page(project_id, document_id, page_id, change)
    for old in folder.glob("processed-*.png"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return page


@dataclass
class ApplyReport:
    total: int
    done: int
    failed: list[str]  #: one message per page that failed, naming it


def apply_to_document(store: Store, project_id: str, document_id: str,
                      progress: Callable[[int, int], None] | None = None) -> ApplyReport:
    """Apply every page's pipeline at full resolution; a page that fails is reported, the rest go on."""
    pages = store.list_pages(project_id, document_id)
    failed = []
    if progress:
        progress(0, len(pages))
    for i, page in enumerate(pages, 1):
        try:
            apply_to_page(store, project_id, document_id, page.id)
        except (KalamosError, PipelineError, OSError, ValueError, cv2.error) as exc:
            failed.append(f"page {i} ({page.label}): {exc}")
        if progress:
            progress(i, len(pages))
    return ApplyReport(len(pages), len(pages) - len(failed), failed)


# ------------------------------------------------------------------ presets (per project)
def list_presets(store: Store, project_id: str) -> dict[str, list[dict[str, Any]]]:
    return dict(store.get_project(project_id).settings.get("presets", {}))


def save_preset(store: Store, project_id: str, name: str, steps: list[Step]) -> None:
    from storage.store import clean_name

    name = clean_name(name, "preset name")

    def change(project: Any) -> None:
        presets = dict(project.settings.get("presets", {}))
        presets[name] = to_json(steps)
        project.settings["presets"] = presets

    store.update_project(project_id, change)


def delete_preset(store: Store, project_id: str, name: str) -> None:
    def change(project: Any) -> None:
        presets = dict(project.settings.get("presets", {}))
        if name not in presets:
            raise NotFound(f"No preset named {name!r}.")
        del presets[name]
        project.settings["presets"] = presets

    store.update_project(project_id, change)


def preset_steps(store: Store, project_id: str, name: str) -> list[Step]:
    presets = list_presets(store, project_id)
    if name not in presets:
        raise NotFound(f"No preset named {name!r}.")
    return _checked(presets[name], f"the preset {name!r}")


def full_result(store: Store, project_id: str, document_id: str, page: Page, steps: list[Step]) -> np.ndarray:
    """The full-resolution result of ``steps`` on the page without recording it as applied
    (for "try OCR here"); cached as ``cache/full-<key>.png`` (only the latest is kept)."""
    key = result_key(page, steps)
    folder = store.page_dir(project_id, document_id, page.id)
    if page.processed and page.processed.get("key") == key and (folder / page.processed["image"]).exists():
        return load_array(folder / page.processed["image"])
    cached = folder / "cache" / f"full-{key}.png"
    if cached.exists():
        return load_array(cached)
    out, _ = run(load_array(store.page_image_path(project_id, document_id, page)), steps, 1.0)
    for old in (folder / "cache").glob("full-*.png"):
        old.unlink(missing_ok=True)
    write_bytes_atomic(cached, png_bytes(out))
    return out
