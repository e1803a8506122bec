"""OCR runs over a document: pages in parallel (one single-threaded Tesseract per core), results
kept per page and per run, machine text put into the page's lines (verified lines are never
touched), and the evaluation of a run against the verified lines.

Files::

    documents/<doc>/runs/<run>.json        the run: spec, started/finished, per-page status and errors
    documents/<doc>/pages/<page>/ocr/<run>.json   what that run read on the page (page pixels)
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from filelock import FileLock, Timeout

from ocr.deskew import foreground_mask
from ocr.geometry import apply, invert, masked_crop, pad, polygon_area, scale_of
from ocr.hocr import OcrLine, parse_hocr
from ocr.images import load_array
from ocr.metrics import Score, score
from ocr.regions import is_text_line
from ocr.tesseract import (
    TesseractError,
    check_language,
    ocr_lines,
    ocr_page,
    run_on_array,
)
from storage import lines as line_store
from storage.autolines import find_lines
from storage.errors import Busy, InvalidInput, KalamosError, NotFound
from storage.jsonio import read_json, write_json
from storage.lineimages import cut_lines, page_band, work_image
from storage.lines import LineConflict
from storage.models import Line, Page, Region
from storage.processing import processed_path
from storage.records import OcrRun
from storage.store import Store, check_id, new_id, now_iso

__all__ = ["RunSpec", "run_ocr", "resume_run", "run_state", "list_runs", "get_run", "page_result", "evaluate_run", "PageEval",
           "run_page_text",
           "default_jobs"]

log = logging.getLogger(__name__)
Mode = Literal["page", "lines"]
RunState = Literal["finished", "running", "interrupted"]
PSMS = (1, 3, 4, 6, 11, 12, 13)


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass
class RunSpec:
    model: str = "grc"
    psm: int = 3
    mode: Mode = "page"
    preprocessed: bool = True  #: read the preprocessed page when there is one
    tessdata: str | None = None  #: a tessdata folder holding the model(s) (a project's, with trained models)

    def check(self) -> "RunSpec":
        from ocr.tesseract import languages

        check_language(self.model, languages(Path(self.tessdata)) if self.tessdata else None)
        if self.mode not in ("page", "lines"):
            raise InvalidInput(f"unknown OCR mode {self.mode!r} (page, lines)")
        if self.psm not in PSMS:
            raise InvalidInput(f"page segmentation mode {self.psm} is not one of {PSMS}")
        return self


def _runs_dir(store: Store, project_id: str, document_id: str) -> Path:
    return store.document_dir(project_id, document_id) / "runs"


def _result_path(store: Store, project_id: str, document_id: str, page_id: str, run_id: str) -> Path:
    return store.page_dir(project_id, document_id, page_id) / "ocr" / f"{check_id('run', run_id)}.json"


def get_run(store: Store, project_id: str, document_id: str, run_id: str) -> OcrRun:
    record = _read_run(store, project_id, document_id, run_id)
    return OcrRun.from_dict(record, run_state(store, project_id, document_id, record))


def _read_run(store: Store, project_id: str, document_id: str, run_id: str) -> dict[str, Any]:
    try:
        return read_json(_runs_dir(store, project_id, document_id) / f"{check_id('run', run_id)}.json")
    except FileNotFoundError:
        raise NotFound(f"No OCR run {run_id}.") from None


def list_runs(store: Store, project_id: str, document_id: str) -> list[OcrRun]:
    """The document's runs, newest first."""
    folder = _runs_dir(store, project_id, document_id)
    runs = []
    for path in folder.glob("r-*.json") if folder.exists() else []:
        try:
            record = read_json(path)
        except (KalamosError, OSError):
            continue
        runs.append(OcrRun.from_dict(record, run_state(store, project_id, document_id, record)))
    return sorted(runs, key=lambda r: r.started, reverse=True)


def page_result(store: Store, project_id: str, document_id: str, page_id: str, run_id: str) -> dict[str, Any] | None:
    try:
        return read_json(_result_path(store, project_id, document_id, page_id, run_id))
    except FileNotFoundError:
        return None


def _to_page(line: OcrLine, back: np.ndarray) -> OcrLine:
    x0, y0, x1, y1 = line.bbox
    corners = apply(back, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    words = [type(w)(bbox=_box(apply(back, [[w.bbox[0], w.bbox[1]], [w.bbox[2], w.bbox[3]]])), text=w.text, conf=w.conf)
             for w in line.words]
    return OcrLine([min(xs), min(ys), max(xs), max(ys)], apply(back, line.baseline), line.text, line.conf, words,
                   line.size * scale_of(back))


def _box(pts: list[list[float]]) -> list[float]:
    (a, b), (c, d) = pts
    return [min(a, c), min(b, d), max(a, c), max(b, d)]


def _ocr_page_mode(store: Store, project_id: str, document_id: str, page: Page, spec: RunSpec) -> dict[str, Any]:
    path = processed_path(store, project_id, document_id, page) if spec.preprocessed else None
    if path is not None and page.processed and page.processed.get("matrix"):
        matrix = np.asarray(page.processed["matrix"], dtype=np.float64)
    else:
        path, matrix = store.page_image_path(project_id, document_id, page), np.eye(3)
    back = invert(matrix)
    tessdata = Path(spec.tessdata) if spec.tessdata else None
    layout = line_store.load(store, project_id, document_id, page.id)
    if layout.regions:
        found = [_to_page(ln, back) for ln in _ocr_by_region(path, matrix, layout.regions, spec, tessdata) if ln.text]
    else:
        found = [_to_page(ln, back) for ln in ocr_page(path, spec.model, spec.psm, tessdata) if ln.text]
    existing = layout.ordered()
    added = 0
    if not existing:  # the page's lines come from this run: they can be reviewed and corrected
        new = []
        for ln in found:
            (xa, ya), (xb, yb) = ln.baseline
            if abs(xb - xa) < 4:
                continue
            new.append(Line("", "baseline", ln.baseline, text=ln.text, status="machine", conf=ln.conf,
                            above=max(4.0, min(ya, yb) - ln.bbox[1]), below=max(2.0, ln.bbox[3] - max(ya, yb) + 2),
                            source=f"ocr:{spec.model}"))
        added = len(line_store.add_lines(store, project_id, document_id, page.id, new))
    preprocessed = path != store.page_image_path(project_id, document_id, page)
    return {"lines": [ln.to_dict() for ln in found], "line_ids": None, "lines_added": added,
            "image": "preprocessed" if preprocessed else "original"}


#: The page segmentation Tesseract gets for each kind of region (page mode with regions): a block of
#: text for text zones, one line for a running title, a sparse scatter for numbers.
REGION_PSM = {"RunningTitleZone": 7, "NumberingZone": 7, "QuireMarksZone": 7, "DropCapitalZone": 10}
SKIPPED_REGIONS = ("GraphicZone", "DamageZone", "DigitizationArtefactZone", "SealZone", "StampZone", "MusicZone")


def _ocr_by_region(path: Path, matrix: np.ndarray, regions: list[Region], spec: RunSpec,
                   tessdata: Path | None) -> list[OcrLine]:
    """Read a page region by region in its reading order (each with the segmentation that suits it),
    then what lies outside every region (with those masked out), so that nothing on the page is
    lost. A smaller region lying on a larger one (a verse number in the text's margin) is painted
    out of the larger one's image: it is read once, on its own. Boxes in the pixels of the image at
    ``path``."""
    img = load_array(path)
    h, w = img.shape[:2]
    white = 255 if img.ndim == 2 else (255, 255, 255)
    polys = [np.asarray(apply(matrix, r.points), dtype=np.float64) for r in regions]
    areas = [polygon_area(p.tolist()) for p in polys]
    boxes = [(p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()) for p in polys]
    rest = img.copy()
    out: list[OcrLine] = []
    for k, region in enumerate(regions):
        x0, y0 = max(0, int(boxes[k][0])), max(0, int(boxes[k][1]))
        x1, y1 = min(w, int(np.ceil(boxes[k][2]))), min(h, int(np.ceil(boxes[k][3])))
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        cv2.fillPoly(rest, [polys[k].astype(np.int32)], white)
        if region.type in SKIPPED_REGIONS:
            continue
        crop = masked_crop(img, polys[k].tolist(), 255)
        for j in range(len(regions)):  # smaller regions on this one are read on their own
            b = boxes[j]
            if j != k and areas[j] < areas[k] and b[0] < x1 and b[2] > x0 and b[1] < y1 and b[3] > y0:
                cv2.fillPoly(crop, [(polys[j] - [x0, y0]).astype(np.int32)], white)
        crop = pad(crop, 10)
        psm = REGION_PSM.get(region.type, 6 if region.type != "MainZone" else 4)
        try:
            lines = parse_hocr(run_on_array(crop, spec.model, psm, "hocr", tessdata))
        except TesseractError:
            lines = []
        dx, dy = x0 - 10, y0 - 10
        for ln in filter(is_text_line, lines):  # back into the page image's pixels (rows of accents read as lines left out)
            ln.bbox = [ln.bbox[0] + dx, ln.bbox[1] + dy, ln.bbox[2] + dx, ln.bbox[3] + dy]
            ln.baseline = [[x + dx, y + dy] for x, y in ln.baseline]
            for wd in ln.words:
                wd.bbox = [wd.bbox[0] + dx, wd.bbox[1] + dy, wd.bbox[2] + dx, wd.bbox[3] + dy]
            out.append(ln)
    if (foreground_mask(rest) > 0).mean() > 0.002:  # ink outside every region: read it too (text, not specks)
        try:
            out += [ln for ln in parse_hocr(run_on_array(rest, spec.model, spec.psm, "hocr", tessdata))
                    if sum(ch.isalnum() for ch in ln.text) >= 2 and ln.conf >= 40]
        except TesseractError:
            pass
    return out


def _ocr_lines_mode(store: Store, project_id: str, document_id: str, page: Page, spec: RunSpec) -> dict[str, Any]:
    lines = line_store.list_lines(store, project_id, document_id, page.id)
    detected = 0
    if not lines:
        detected = len(find_lines(store, project_id, document_id, page.id, "projection"))
        lines = line_store.list_lines(store, project_id, document_id, page.id)
    work = work_image(store, project_id, document_id, page, prefer_processed=spec.preprocessed)
    band = page_band(store, project_id, document_id, page)
    results, ids = [], []
    images, _uncut = cut_lines(work, lines, band)  # (a line that cannot be cut reads as nothing)
    # the page's lines by one Tesseract (the model loaded once), not one process per line
    read = ocr_lines(images, spec.model, Path(spec.tessdata) if spec.tessdata else None)
    for line, (text, conf) in zip(lines, read):
        ids.append(line.id)
        results.append({"text": text, "conf": conf})
        if line.status in ("empty", "machine") and text:  # a person's text (edited, verified) is never replaced
            try:
                line_store.update_line(store, project_id, document_id, page.id, line.id, line.rev, text=text,
                                       status="machine", conf=conf, source=f"ocr:{spec.model}")
            except LineConflict:
                pass  # someone is editing it: their text wins (the run's own text stays in its result)
    return {"lines": results, "line_ids": ids, "lines_added": detected,
            "image": "preprocessed" if work.processed else "original"}


def _running_lock(folder: Path, run_id: str) -> FileLock:
    """Held by the process reading a run's pages, for as long as it reads them: a run that is not
    finished while nobody holds its lock was interrupted (its process died or the server stopped)."""
    return FileLock(str(folder / f".{run_id}.running"))


def run_state(store: Store, project_id: str, document_id: str, record: dict[str, Any]) -> RunState:
    """``finished``, ``running`` (a process is reading its pages) or ``interrupted`` (resumable)."""
    if record.get("finished"):
        return "finished"
    lock = _running_lock(_runs_dir(store, project_id, document_id), record["id"])
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return "running"
    lock.release()
    return "interrupted"


def run_ocr(store: Store, project_id: str, document_id: str, page_ids: Sequence[str] | None, spec: RunSpec,
            jobs: int | None = None, progress: Callable[[int, int, float], None] | None = None) -> OcrRun:
    """OCR the pages (all when None) with ``jobs`` Tesseract processes at once; returns the run record.

    ``progress(done, total, seconds_left)`` is called after each page. A page that fails is recorded
    with its error and the others go on. Results are written page by page as they finish, so an
    interrupted run keeps what it did, and ``resume_run`` reads the rest.
    """
    spec.check()
    pages = store.list_pages(project_id, document_id)
    if page_ids is not None:
        wanted = set(page_ids)
        pages = [p for p in pages if p.id in wanted]
    if not pages:
        raise InvalidInput("There are no pages to read.")
    run_id = new_id("run")
    folder = _runs_dir(store, project_id, document_id)
    folder.mkdir(exist_ok=True)
    record: dict[str, Any] = {"id": run_id, "spec": asdict(spec), "started": now_iso(), "finished": None,
                              "pages": {p.id: {"status": "waiting"} for p in pages}, "order": [p.id for p in pages]}
    running = _running_lock(folder, run_id)
    with running:
        with FileLock(str(folder / f".{run_id}.lock")):
            write_json(folder / f"{run_id}.json", record)
        return _read_pages(store, project_id, document_id, run_id, pages, spec, jobs, progress)


def resume_run(store: Store, project_id: str, document_id: str, run_id: str, jobs: int | None = None,
               progress: Callable[[int, int, float], None] | None = None) -> OcrRun:
    """Read the pages an interrupted run had not read yet (with the run's own settings); returns
    the record. Refused while another process is reading the run, and for a finished run."""
    _read_run(store, project_id, document_id, run_id)  # NotFound for a run that does not exist
    folder = _runs_dir(store, project_id, document_id)
    running = _running_lock(folder, run_id)
    try:
        running.acquire(timeout=0)
    except Timeout:
        raise Busy("This OCR run is being read right now (in another window or process).") from None
    try:
        record = _read_run(store, project_id, document_id, run_id)
        if record.get("finished"):
            raise InvalidInput("This OCR run is finished; there is nothing to resume.")
        spec = RunSpec(**{k: v for k, v in record["spec"].items() if k in RunSpec.__dataclass_fields__}).check()
        todo = {pid for pid, st in record["pages"].items() if st.get("status") == "waiting"}
        pages = [p for p in store.list_pages(project_id, document_id) if p.id in todo]
        gone = todo - {p.id for p in pages}
        with FileLock(str(folder / f".{run_id}.lock")):
            record = read_json(folder / f"{run_id}.json")
            for pid in gone:  # deleted since: say so rather than wait for them for ever
                record["pages"][pid] = {"status": "failed", "error": "the page was deleted before it was read"}
            record["resumed"] = [*record.get("resumed", []), now_iso()]
            if not pages:
                record["finished"] = now_iso()
            write_json(folder / f"{run_id}.json", {k: v for k, v in record.items() if k != "schema_version"})
        if not pages:
            return OcrRun.from_dict(record, "finished")
        return _read_pages(store, project_id, document_id, run_id, pages, spec, jobs, progress)
    finally:
        running.release()


def _costliest_first(store: Store, project_id: str, document_id: str, pages: list[Page], spec: RunSpec) -> list[Page]:
    """The pages in the order to start them: the longest first, so that no core waits idle at the end
    while the last, long page is read alone (measured on 25 commentary pages: Tesseract's time grows
    with the compressed size of the image, i.e. with how much is written on it). The run's record
    keeps the order the pages were asked in."""
    def size(page: Page) -> int:
        path = processed_path(store, project_id, document_id, page) if spec.preprocessed else None
        try:
            return (path or store.page_image_path(project_id, document_id, page)).stat().st_size
        except OSError:
            return 0

    return sorted(pages, key=size, reverse=True)


def _read_pages(store: Store, project_id: str, document_id: str, run_id: str, pages: list[Page], spec: RunSpec,
                jobs: int | None, progress: Callable[[int, int, float], None] | None) -> OcrRun:
    """Read ``pages`` for the run (whose running lock the caller holds), recording each as it ends."""
    folder = _runs_dir(store, project_id, document_id)
    lock = FileLock(str(folder / f".{run_id}.lock"))

    def one(page: Page) -> tuple[str, dict[str, Any]]:
        t0 = time.perf_counter()
        try:
            doing = _ocr_page_mode if spec.mode == "page" else _ocr_lines_mode
            result = doing(store, project_id, document_id, page, spec)
            result.update({"run": run_id, "page": page.id, "spec": asdict(spec), "at": now_iso()})
            write_json(_result_path(store, project_id, document_id, page.id, run_id), result)
            return page.id, {"status": "done", "seconds": round(time.perf_counter() - t0, 2),
                             "lines": len(result["lines"])}
        except (KalamosError, TesseractError, OSError, ValueError) as exc:
            log.warning("OCR of page %s failed: %s", page.id, exc)
            return page.id, {"status": "failed", "error": str(exc)}

    started = time.perf_counter()
    done = 0
    record = _read_run(store, project_id, document_id, run_id)
    with ThreadPoolExecutor(max_workers=max(1, jobs or default_jobs())) as pool:
        futures = [pool.submit(one, p) for p in _costliest_first(store, project_id, document_id, pages, spec)]
        for fut in as_completed(futures):
            page_id, status = fut.result()
            done += 1
            with lock:
                record = read_json(folder / f"{run_id}.json")
                record["pages"][page_id] = status
                if all(st.get("status") != "waiting" for st in record["pages"].values()):
                    record["finished"] = now_iso()
                write_json(folder / f"{run_id}.json", {k: v for k, v in record.items() if k != "schema_version"})
            if progress:
                elapsed = time.perf_counter() - started
                progress(done, len(pages), elapsed / done * (len(pages) - done))
    return OcrRun.from_dict(record, "finished" if record.get("finished") else "interrupted")


@dataclass
class PageEval:
    page_id: str
    number: int
    label: str
    score: Score | None  #: None: nothing of the run can be compared any more (see ``note``)
    lines: int = 0
    note: str = ""


def evaluate_run(store: Store, project_id: str, document_id: str, run_id: str) -> tuple[list[PageEval], Score]:
    """Score a run where the pages have verified lines (their current text is the reference)."""
    _read_run(store, project_id, document_id, run_id)  # NotFound for a run that does not exist
    rows: list[PageEval] = []
    total = Score()
    for number, page in enumerate(store.list_pages(project_id, document_id), 1):
        result = page_result(store, project_id, document_id, page.id, run_id)
        if result is None:
            continue
        lines = line_store.list_lines(store, project_id, document_id, page.id)
        verified = [ln for ln in lines if ln.status == "verified"]
        if not verified:
            continue
        if result.get("line_ids"):
            hyp = dict(zip(result["line_ids"], (r["text"] for r in result["lines"])))
            read = [ln for ln in verified if ln.id in hyp]
            later = len(verified) - len(read)
            if not read:  # the lines were drawn or replaced after the run: nothing it read can be compared
                rows.append(PageEval(page.id, number, page.label, None, len(verified),
                                     "lines changed since this run: run it again to score them"))
                continue
            s = Score()
            for ln in read:
                s = s + score(ln.text, hyp[ln.id])
            note = "line by line" + (f"; {later} line(s) drawn or replaced since this run are not scored" if later else "")
            verified = read
        else:
            unverified = [ln for ln in lines if ln.status != "verified" and ln.text.strip()]
            if unverified:  # the whole page's text against part of it: a meaningless figure, left out of the total
                rows.append(PageEval(page.id, number, page.label, None, len(verified),
                                     f"{len(verified)} of {len(verified) + len(unverified)} lines verified: a whole-page "
                                     "run is scored once every line of the page with text is verified"))
                continue
            s = score("\n".join(ln.text for ln in verified), "\n".join(r["text"] for r in result["lines"]))
            note = "whole page (the reading order counts)"
        rows.append(PageEval(page.id, number, page.label, s, len(verified), note))
        total = total + s
    return rows, total


def run_page_text(store: Store, project_id: str, document_id: str, page_id: str, run_id: str) -> list[str] | None:
    """What a run read on a page, line by line, as it read it (None: the run did not read this page).

    Line mode: in the page's current reading order where its lines still exist, then lines since
    deleted; page mode: Tesseract's own lines. The lines' current (corrected) text is elsewhere: this
    stays what the machine read."""
    result = page_result(store, project_id, document_id, page_id, run_id)
    if result is None:
        return None
    texts = [r.get("text", "") for r in result.get("lines", [])]
    ids = result.get("line_ids")
    if not ids:
        return texts
    read = dict(zip(ids, texts))
    order = [ln.id for ln in line_store.list_lines(store, project_id, document_id, page_id)]
    return [read[i] for i in order if i in read] + [read[i] for i in ids if i not in order]
