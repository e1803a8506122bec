"""Machine help on a page's lines: find them (as shapes to fix) and pre-fill their text with OCR."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


from ocr.geometry import apply, bbox, invert, scale_of
from ocr.layout import detect_lines
from ocr.tesseract import TesseractError, check_language, languages, ocr_lines
from storage import lines as line_store
from storage.errors import InvalidInput
from storage.lineimages import cut_lines, line_outline, page_band, work_image
from storage.lines import LineConflict
from storage.models import Line
from storage.ocrmodels import project_tessdata
from storage.store import Store

__all__ = ["boxes_overlap", "find_lines", "PrefillReport", "prefill_lines"]


def find_lines(store: Store, project_id: str, document_id: str, page_id: str, method: str = "projection",
               lang: str = "grc", replace: bool = False) -> list[Line]:
    """Detect the page's text lines (on its preprocessed image when there is one) and add them as
    baselines in page pixels. Lines Tesseract also read come with their text, marked "machine"."""
    if method not in ("tesseract", "projection"):
        raise InvalidInput(f"unknown line finder {method!r} (tesseract, projection)")
    if method == "tesseract":
        check_language(lang)
    page = store.get_page(project_id, document_id, page_id)
    work = work_image(store, project_id, document_id, page)
    back = invert(work.matrix)
    k = 1.0 / scale_of(work.matrix)
    found = detect_lines(work.pixels, method, lang)  # type: ignore[arg-type]
    lines = [Line("", "baseline", apply(back, d.baseline), above=round(d.above * k, 1), below=round(d.below * k, 1),
                  text=d.text, status="machine" if d.text else "empty", source=f"detected:{method}")
             for d in found]
    lines = [ln for ln in lines if abs(ln.points[-1][0] - ln.points[0][0]) >= 4]
    band = page_band(store, project_id, document_id, page)
    lines = _once(lines, band)
    if not replace:  # propose only where there is no line yet
        taken = [bbox(line_outline(ln, band)) for ln in line_store.list_lines(store, project_id, document_id, page_id)]
        lines = [ln for ln in lines if not any(boxes_overlap(bbox(line_outline(ln, band)), t) for t in taken)]
    if replace:
        return line_store.replace_lines(store, project_id, document_id, page_id, lines)
    return line_store.add_lines(store, project_id, document_id, page_id, lines)


def _once(lines: list[Line], band) -> list[Line]:  # type: ignore[no-untyped-def]
    """Each text line once: of lines found over the same text (Tesseract finds a line twice when two of
    its blocks cover it), the longest is kept; the order is kept."""
    boxes = [bbox(line_outline(ln, band)) for ln in lines]
    kept: list[int] = []
    for i in sorted(range(len(lines)), key=lambda i: -(boxes[i][2] - boxes[i][0])):
        if not any(boxes_overlap(boxes[i], boxes[j]) for j in kept):
            kept.append(i)
    return [lines[i] for i in sorted(kept)]


def boxes_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Two line boxes that share half the height of the smaller one and a third of its width."""
    dy = min(a[3], b[3]) - max(a[1], b[1])
    dx = min(a[2], b[2]) - max(a[0], b[0])
    return dy > 0.5 * min(a[3] - a[1], b[3] - b[1]) and dx > 0.3 * min(a[2] - a[0], b[2] - b[0])


@dataclass
class PrefillReport:
    filled: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def prefill_lines(store: Store, project_id: str, document_id: str, page_id: str, lang: str = "grc",
                  progress: Callable[[int, int], None] | None = None) -> PrefillReport:
    """OCR every empty line of the page with ``lang``; its text is marked "machine" until confirmed."""
    tessdata = project_tessdata(store, project_id)
    check_language(lang, languages(tessdata))
    page = store.get_page(project_id, document_id, page_id)
    todo = [ln for ln in line_store.list_lines(store, project_id, document_id, page_id) if ln.status == "empty"]
    report = PrefillReport()
    if not todo:
        return report
    work = work_image(store, project_id, document_id, page)
    band = page_band(store, project_id, document_id, page)
    images, uncut = cut_lines(work, todo, band)
    report.problems += [f"line {i + 1}: {why}" for i, why in uncut.items()]
    if progress:
        progress(0, len(todo))
    try:  # all the empty lines by one Tesseract (the model loaded once), not one process per line
        read = ocr_lines(images, lang, tessdata_dir=tessdata)
    except TesseractError as exc:
        report.problems.append(str(exc))
        return report
    for i, (line, (text, conf)) in enumerate(zip(todo, read), 1):
        try:
            if text.strip():
                line_store.update_line(store, project_id, document_id, page_id, line.id, line.rev,
                                       text=text, status="machine", conf=conf if conf >= 0 else None)
                report.filled += 1
            else:
                report.skipped += 1
        except LineConflict:
            report.skipped += 1  # someone typed in it meanwhile: theirs wins
        except InvalidInput as exc:
            report.problems.append(f"line {i}: {exc}")
        if progress:
            progress(i, len(todo))
    return report
