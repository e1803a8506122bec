"""What a user does with a page's layout: find regions and lines, draw, retype, reshape, reorder and
delete regions (issue 16). A page's text region by region is the text export's
(``storage/formats/text.py``, ``services.exports``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ocr.geometry import apply, bbox, invert, scale_of
from ocr.regions import find_layout
from ocr.tesseract import TesseractError, check_language, languages
from services.context import DocumentRef, PageRef
from storage import lines as line_store
from storage import regions as region_store
from storage.errors import InvalidInput
from storage.autolines import boxes_overlap
from storage.lineimages import line_outline, page_band, work_image
from services.editing import UndoRecord
from storage.lines import region_of
from storage.models import Line, Region
from storage.ocrmodels import project_tessdata
from storage.store import Store

__all__ = ["PERSONS_WORK", "LayoutReport", "DocumentLayoutReport", "find_regions_and_lines", "layout_document",
           "page_layout", "region_types", "add_region_type", "add_region", "update_region", "delete_region",
           "move_region", "move_line"]

#: Line statuses that are a person's work: a new layout never removes such a line.
PERSONS_WORK = ("edited", "verified")


@dataclass
class LayoutReport:
    regions: int = 0
    lines: int = 0
    kept: int = 0  #: lines a person made or imported, kept
    skipped: bool = False  #: the page has regions already (and no ``replace``)
    refused: str = ""  #: why nothing was changed
    removed: int = 0  #: machine-found lines that gave way
    undo: UndoRecord | None = None  #: how to take it back

    def message(self) -> str:
        if self.skipped:
            return "This page has regions already: tick “replace this page's regions” to find them again."
        if self.refused:
            return self.refused
        text = f"{self.regions} region(s) and {self.lines} line(s) found"
        if self.kept:
            text += f"; {self.kept} line(s) you drew, imported or typed kept as they are"
        if self.removed:
            text += f"; {self.removed} line(s) found by machine before gave way"
        return text + " (↶ Undo takes it back)."


#: Lines a new layout may take away: found by a machine and not touched by a person.
MACHINE_SOURCES = ("detected:", "ocr:")


def _persons(line: Line) -> bool:
    """A line a person made (drawn, imported) or wrote in: a new layout never takes it away."""
    return line.status in PERSONS_WORK or not line.source.startswith(MACHINE_SOURCES)


def find_regions_and_lines(store: Store, ref: PageRef, lang: str = "grc", replace: bool = False) -> LayoutReport:
    """Propose regions with types and the lines in them, in reading order, on one page (its
    preprocessed image when there is one). ``replace``: the page's regions and the lines a machine
    found give way; lines a person drew, imported or wrote in always stay and join the new regions.
    Nothing is changed when nothing is found, or when the regions found would leave most of the
    page's own lines outside every region (a photograph Tesseract reads as a picture)."""
    tessdata = project_tessdata(store, ref.project)
    check_language(lang, languages(tessdata))
    current = line_store.load(store, *ref)
    if current.regions and not replace:
        return LayoutReport(skipped=True)
    page = store.get_page(*ref)
    work = work_image(store, ref.project, ref.document, page)
    back = invert(work.matrix)
    k = 1.0 / scale_of(work.matrix)
    try:
        found = find_layout(work.pixels, lang, tessdata)
    except TesseractError as exc:
        raise InvalidInput(f"Tesseract could not analyse this page: {exc}") from None
    width, height = page.width, page.height
    regions, lines = [], []
    for n, r in enumerate(found):
        x0, y0, x1, y1 = r.box
        outline = line_store.clamp_to_page(apply(back, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]), width, height)
        regions.append(Region("", r.type, outline, r.subtype, "detected:tesseract"))
        for ln in r.lines:
            (xa, ya), (xb, yb) = ln.baseline[0], ln.baseline[-1]
            if abs(xb - xa) < 4:
                continue
            above = max(4.0, min(ya, yb) - ln.bbox[1]) * k
            below = max(2.0, ln.bbox[3] - max(ya, yb) + 2) * k
            base = line_store.clamp_to_page(apply(back, [[xa, ya], [xb, yb]]), width, height)
            lines.append((Line("", "baseline", base, text=ln.text, status="machine" if ln.text else "empty",
                               above=round(above, 1), below=round(below, 1), conf=ln.conf if ln.conf >= 0 else None,
                               source="detected:tesseract"), n))
    if not regions:
        return LayoutReport(refused="Tesseract found no text on this page (a photograph with a dark background or the "
                                    "facing page is often taken for one picture): crop it in the Preprocess tab, or draw "
                                    "the regions yourself. Nothing was changed.")
    # without ``replace`` every line the page has stays; with it, those a person made or wrote in
    keep = [ln for ln in current.ordered() if not replace or _persons(ln)]
    if keep:
        held = sum(region_of(ln, regions) is not None for ln in keep)
        if current.regions and held < 0.5 * len(keep):
            return LayoutReport(refused=f"The regions found would hold only {held} of this page's {len(keep)} lines: your "
                                        "regions were kept. Tesseract may read this page badly (crop or preprocess it), "
                                        "or draw the regions yourself.")
        band = page_band(store, ref.project, ref.document, page)
        taken = [bbox(line_outline(ln, band)) for ln in keep]  # found lines where a kept line is already are left out
        lines = [(ln, n) for ln, n in lines if not any(boxes_overlap(bbox(line_outline(ln, band)), t) for t in taken)]
    removed = [ln for ln in current.ordered() if ln not in keep]
    new_regions, new_lines = region_store.set_layout(store, *ref, regions, lines, replace=True,
                                                     keep=[ln.id for ln in keep])
    undo = UndoRecord("layout", ref.page, ids=tuple(ln.id for ln in new_lines),
                      lines=tuple((ln.to_dict(), ln.rev) for ln in removed),
                      regions=tuple(r.to_dict() for r in current.regions))
    return LayoutReport(len(new_regions), len(new_lines), len(keep), removed=len(removed), undo=undo)


@dataclass
class DocumentLayoutReport:
    pages: int = 0
    regions: int = 0
    lines: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def layout_document(store: Store, doc: DocumentRef, lang: str = "grc", replace: bool = False,
                    progress: Callable[[int, int], None] | None = None) -> DocumentLayoutReport:
    """``find_regions_and_lines`` on every page that has no regions (every page with ``replace``)."""
    pages = store.list_pages(*doc)
    report = DocumentLayoutReport()
    for i, page in enumerate(pages, 1):
        try:
            one = find_regions_and_lines(store, doc.page(page.id), lang, replace)
        except InvalidInput as exc:
            report.problems.append(f"page {i}: {exc}")
            one = None
        if one is not None and one.skipped:
            report.skipped += 1
        elif one is not None:
            report.pages += 1
            report.regions += one.regions
            report.lines += one.lines
        if progress:
            progress(i, len(pages))
    return report


def page_layout(store: Store, ref: PageRef) -> tuple[list[Line], list[Region]]:
    """The page's lines (reading order) and regions, read together."""
    data = line_store.load(store, *ref)
    return data.ordered(), data.regions


def region_types(store: Store, project_id: str) -> tuple[str, ...]:
    return region_store.region_types(store, project_id)


def add_region_type(store: Store, project_id: str, name: object) -> tuple[str, ...]:
    return region_store.add_region_type(store, project_id, name)


def add_region(store: Store, ref: PageRef, points: object, type_: object = "MainZone", subtype: object = "") -> Region:
    return region_store.add_region(store, *ref, points, type_, subtype)


def update_region(store: Store, ref: PageRef, region_id: str, points: object = None, type_: object = None,
                  subtype: object = None) -> Region:
    return region_store.update_region(store, *ref, region_id, points, type_, subtype)


def delete_region(store: Store, ref: PageRef, region_id: str) -> tuple[list[str], UndoRecord]:
    """Delete a region (its lines stay); returns the lines it held and how to take it back."""
    before = tuple(r.to_dict() for r in region_store.list_regions(store, *ref))
    freed = region_store.delete_region(store, *ref, region_id)
    return freed, UndoRecord("layout", ref.page, regions=before)


def move_region(store: Store, ref: PageRef, region_id: str, delta: int) -> list[str]:
    """Move a region ``delta`` places earlier (negative) or later in the reading order."""
    ids = [r.id for r in region_store.list_regions(store, *ref)]
    if region_id not in ids:
        raise InvalidInput("This region no longer exists: reload the page.")
    return region_store.move_region(store, *ref, region_id, ids.index(region_id) + int(delta))


def move_line(store: Store, ref: PageRef, line_id: str, delta: int) -> list[str]:
    return region_store.move_line_in_region(store, *ref, line_id, delta)
