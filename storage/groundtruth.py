"""Ground truth in and out of the store: tesstrain sets, PAGE XML and ALTO per page, and imports of
PAGE/ALTO/TSV files onto a document's pages (bringing in their images when they are beside them)."""

from __future__ import annotations

import logging
import shutil
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as with_changes
from pathlib import Path

from ocr.geometry import bbox
from ocr.greek import Normalisation, describe_changes, normalise
from ocr.images import png_bytes
from ocr.regions import is_marginal_number, reading_order
from storage import lines as line_store
from storage import regions as region_store
from storage.errors import InvalidInput, KalamosError
from storage.formats import FormatError, ImportedPage, PageLines, registry
from storage.formats.olr import looks_like_olr, read_olr
from storage.formats.xmlcommon import local, parse_xml
from storage.ingest import ImportLimits, import_paths
from storage.lineimages import (
    cut_line,
    line_baseline,
    line_outline,
    page_band,
    work_image,
)
from storage.models import MAX_SUBTYPE, Line, Page, Region
from storage.store import Store

__all__ = ["ExportReport", "ImportReport", "export_tesstrain", "export_xml", "read_gt_file", "import_gt", "page_lines"]

log = logging.getLogger(__name__)


@dataclass
class ExportReport:
    lines: int = 0
    pages: int = 0
    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: where each exported line comes from: file stem → {"document", "page", "line", "number"}
    sources: dict[str, dict[str, object]] = field(default_factory=dict)


def _documents(store: Store, project_id: str, document_ids: Sequence[str] | None) -> list[str]:
    return list(document_ids) if document_ids else [d.id for d in store.list_documents(project_id)]


def _selected(lines: list[Line], statuses: Sequence[str]) -> list[Line]:
    return [ln for ln in lines if ln.status in statuses and ln.text]


def export_tesstrain(store: Store, project_id: str, document_ids: Sequence[str] | None, out_dir: Path,
                     statuses: Sequence[str] = ("verified",)) -> ExportReport:
    """Line images (PNG) with their ``.gt.txt`` (UTF-8, NFC, one line): the layout tesstrain reads.

    Files are named ``<document id>_p<page>_l<line>``; images come from the preprocessed page when
    it was preprocessed, as the engine will see them.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    for did in _documents(store, project_id, document_ids):
        for pno, page in enumerate(store.list_pages(project_id, did), 1):
            chosen = _selected(line_store.list_lines(store, project_id, did, page.id), statuses)
            if not chosen:
                continue
            try:
                work = work_image(store, project_id, did, page)
                band = page_band(store, project_id, did, page)
            except OSError as exc:  # the page's image damaged on disk: the other pages go on
                report.problems.append(f"page {pno}: its image cannot be read ({exc.strerror or type(exc).__name__}); left out")
                continue
            all_ids = [ln.id for ln in line_store.list_lines(store, project_id, did, page.id)]
            report.pages += 1
            for line in chosen:
                stem = f"{did}_p{pno:04d}_l{all_ids.index(line.id) + 1:04d}"
                try:
                    data = png_bytes(cut_line(work, line, band))
                except ValueError as exc:  # outside the image, or not encodable
                    report.problems.append(f"page {pno}, line {all_ids.index(line.id) + 1}: {exc}")
                    continue
                (out_dir / f"{stem}.png").write_bytes(data)
                (out_dir / f"{stem}.gt.txt").write_text(unicodedata.normalize("NFC", line.text) + "\n", encoding="utf-8")
                report.files += [out_dir / f"{stem}.png", out_dir / f"{stem}.gt.txt"]
                report.sources[stem] = {"document": did, "page": page.id, "line": line.id, "page_number": pno,
                                        "number": all_ids.index(line.id) + 1}
                report.lines += 1
    return report


def page_lines(store: Store, project_id: str, document_id: str, page: Page, number: int, image_name: str,
               statuses: Sequence[str] | None = ("verified",), layout: bool = False) -> PageLines:
    """One page as the format writers take it: its regions, and its lines of ``statuses`` with text
    (every line, with or without text, when None), in reading order, with their outlines and
    baselines in page pixels. ``layout``: the other lines too, without their text (layout only)."""
    data = line_store.load(store, project_id, document_id, page.id)
    lines = data.ordered()
    chosen = lines if statuses is None else _selected(lines, statuses)
    if layout and statuses is not None:
        ids = {ln.id for ln in chosen}
        chosen = [ln if ln.id in ids else with_changes(ln, text="") for ln in lines]
    band = page_band(store, project_id, document_id, page)
    source = store.get_document(project_id, document_id).source or {}
    return PageLines(number, page, store.page_image_path(project_id, document_id, page), image_name,
                     [(ln, line_outline(ln, band), line_baseline(ln)) for ln in chosen], tuple(data.regions), source)


def export_xml(store: Store, project_id: str, document_ids: Sequence[str] | None, out_dir: Path, fmt: str,
               statuses: Sequence[str] | None = ("verified",)) -> ExportReport:
    """One XML file per page (PAGE 2019 or ALTO 4.4) beside a copy of the page image it describes."""
    writer = registry.get(fmt)
    if not (writer.ground_truth and writer.transcript):
        raise InvalidInput(f"{fmt!r} is not an XML ground-truth format (page, alto)")
    out_dir.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    for did in _documents(store, project_id, document_ids):
        for pno, page in enumerate(store.list_pages(project_id, did), 1):
            source = store.page_image_path(project_id, did, page)
            stem = f"{did}_p{pno:04d}"
            # a page with regions goes out with all of them and its lines (those without verified text as
            # layout only); a page without, with its verified lines
            content = page_lines(store, project_id, did, page, pno, stem + source.suffix, statuses, layout=True)
            if not content.regions:
                content = page_lines(store, project_id, did, page, pno, stem + source.suffix, statuses)
            if not content.rows and not content.regions:
                continue
            [data] = writer.transcript([content], did).values()
            shutil.copyfile(source, out_dir / content.image_name)
            (out_dir / f"{stem}.xml").write_bytes(data)
            report.files += [out_dir / content.image_name, out_dir / f"{stem}.xml"]
            report.pages += 1
            report.lines += len([r for r in content.rows if r[0].text])
    return report


# ------------------------------------------------------------------ import
@dataclass
class ImportReport:
    pages: int = 0
    lines: int = 0
    regions: int = 0
    images_imported: int = 0
    messages: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def read_gt_file(path: Path) -> list[ImportedPage]:
    """Parse a PAGE XML, ALTO or TSV file, recognised by its content."""
    data = path.read_bytes()
    head = data[:2000].lstrip()
    if head.startswith(b"<") or path.suffix.lower() == ".xml":
        root = local(parse_xml(data, path.name))
        for fmt in registry.import_formats():
            if fmt.xml_root == root and fmt.read:
                return fmt.read(data, path.name)
        raise FormatError(f"{path.name}: an XML file that is neither PAGE nor ALTO (root element {root})")
    if looks_like_olr(data):
        return _olr_pages(data, path.name)
    if path.suffix.lower() in (".tsv", ".txt", ".csv") or b"\t" in head:
        return registry.get("tsv").read(data, path.name)  # type: ignore[misc]
    raise FormatError(f"{path.name}: not PAGE XML, ALTO or TSV")


def _olr_pages(data: bytes, name: str) -> list[ImportedPage]:
    """A GT4HistComment layout file: regions only, per page image, in the default reading order."""
    regions, problems = read_olr(data, name)
    pages: dict[str, ImportedPage] = {}
    for r in regions:
        page = pages.setdefault(r.image, ImportedPage(r.image, None, None))
        x0, y0, x1, y1 = r.box
        page.regions.append(Region("", r.type, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], r.subtype, "imported:olr"))
    for page in pages.values():
        order = reading_order([bbox(r.points) for r in page.regions],
                              [is_marginal_number(r.type, r.subtype) for r in page.regions])
        page.regions = [page.regions[i] for i in order]
    if pages:
        next(iter(pages.values())).messages.extend(problems)
    elif problems:
        raise FormatError(problems[0])
    return list(pages.values())


def _match(pages: list[Page], name: str) -> Page | None:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].casefold()
    stem = base.rsplit(".", 1)[0]
    exact = [p for p in pages if p.source.filename.casefold() == base and p.source.frames == 1]
    if exact:
        return exact[0]
    same_stem = [p for p in pages if p.source.filename.casefold().rsplit(".", 1)[0] == stem and p.source.frames == 1]
    return same_stem[0] if len(same_stem) == 1 else None


def _find_image(name: str, places: Iterable[Path]) -> Path | None:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    for folder in places:
        for candidate in (folder / base, folder / "imgs" / base, folder / "images" / base):
            if candidate.is_file():
                return candidate
    return None


def _scaled(line: Line, sx: float, sy: float) -> Line:
    if sx == 1 and sy == 1:
        return line
    line.points = [[x * sx, y * sy] for x, y in line.points]
    if line.baseline:
        line.baseline = [[x * sx, y * sy] for x, y in line.baseline]
    return line


def import_gt(store: Store, project_id: str, document_id: str, files: Sequence[Path],
              image_dirs: Sequence[Path] = (), status: str = "verified", replace: bool = False,
              limits: ImportLimits = ImportLimits(), replace_hint: str = "with --replace") -> ImportReport:
    """Attach the lines of PAGE/ALTO/TSV files to the document's pages, matched by image file name.

    A page image not yet in the document is imported when it lies beside the file (or in its
    ``imgs/`` folder, or in ``image_dirs``). A page that has lines already is left alone unless
    ``replace``. Lines with text get ``status`` (default verified: it is ground truth), the others
    are empty. Every problem is reported by file and page; the rest is imported. ``replace_hint``
    says, in the words of the caller's interface, how to replace lines (``with --replace``).
    """
    report = ImportReport()
    rules = Normalisation.from_settings(store.get_project(project_id).settings.get("normalisation"))
    normalised: dict[str, int] = {}
    for path in files:
        try:
            imported = read_gt_file(path)
        except (FormatError, OSError, ValueError, ArithmeticError) as exc:
            report.failed.append(str(exc) if isinstance(exc, FormatError) else f"{path.name}: cannot be read ({exc})")
            continue
        absent: list[str] = []  # page images of this file that are neither in the document nor beside it
        pages_before = report.pages
        for ip in imported:
            where = f"{path.name}: page image {ip.image_filename!r}"
            pages = store.list_pages(project_id, document_id)
            page = _match(pages, ip.image_filename)
            if page is None:
                image = _find_image(ip.image_filename, [path.parent, *image_dirs])
                if image is None:
                    absent.append(ip.image_filename)
                    continue
                [result] = import_paths(store, project_id, document_id, [image], limits)
                if result.status == "failed":
                    report.failed.append(f"{where}: {result.message}")
                    continue
                report.images_imported += result.status == "imported"
                page = _match(store.list_pages(project_id, document_id), ip.image_filename)
                if page is None:
                    report.failed.append(f"{where}: imported, but could not be matched")
                    continue
            report.messages.extend(f"{path.name}: {m}" for m in ip.messages)
            ip.messages.clear()
            current = line_store.list_lines(store, project_id, document_id, page.id)
            if not ip.lines and ip.regions:  # a layout file: regions only, the lines stay as they are
                _import_regions(store, project_id, document_id, page, ip, replace, where, report, replace_hint)
                continue
            if current and not replace:
                report.messages.append(f"{where}: the page has {len(current)} line(s) already; left as it is "
                                       f"(replace them {replace_hint})")
                continue
            worked = [ln for ln in current if any(c.get("editor") or c.get("user") for c in ln.changes)]
            if replace and worked:  # a person's typing, corrections and confirmations are never replaced by a file
                report.failed.append(f"{where}: left as it is: {len(worked)} of its {len(current)} line(s) were typed, "
                                     "corrected or confirmed in Kalamos, and replacing would lose that work (delete "
                                     "those lines first, or import into another document)")
                continue
            sx = page.width / ip.width if ip.width else 1.0
            sy = page.height / ip.height if ip.height else 1.0
            lines, outside, line_regions = [], [], []
            regions, region_index = _fitting_regions(ip, page, sx, sy, where, report,
                                                     region_store.region_types(store, project_id))
            for n, ln in enumerate(ip.lines, 1):
                ln = _scaled(ln, sx, sy)
                try:
                    line_store.check_inside(ln, page.width, page.height)
                except InvalidInput as exc:
                    outside.append(f"{where}, line {n}: {exc}; left out")
                    continue
                k = ip.line_regions[n - 1] if n - 1 < len(ip.line_regions) else None
                line_regions.append(region_index.get(k) if k is not None else None)
                ln.text, changed = normalise(ln.text.strip(), rules)
                for change in describe_changes(changed):
                    normalised[change] = normalised.get(change, 0) + 1
                ln.status = status if ln.text else "empty"  # type: ignore[assignment]
                lines.append(ln)
            report.failed.extend(outside[:20] + ([f"{where}: {len(outside) - 20} more lines outside the page"]
                                                 if len(outside) > 20 else []))
            try:
                if regions:
                    _, added = region_store.set_layout(store, project_id, document_id, page.id, regions,
                                                       list(zip(lines, line_regions)), replace=True)
                else:
                    write = line_store.replace_lines if replace else line_store.add_lines
                    added = write(store, project_id, document_id, page.id, lines)
            except KalamosError as exc:
                report.failed.append(f"{where}: {exc}")
                continue
            report.pages += 1
            report.lines += len(added)
            report.regions += len(regions)
        if absent:  # one message for all of them: a book's whole TSV onto the pages one has is normal
            shown = ", ".join(absent[:6]) + (f" and {len(absent) - 6} more" if len(absent) > 6 else "")
            text = (f"{path.name}: {len(absent)} page image(s) not in the document and not found beside the file, "
                    f"their lines left out: {shown}")
            (report.messages if report.pages > pages_before else report.failed).append(text)
    if normalised:
        report.messages.append("Written the project's way (Annotate › conventions): " +
                               "; ".join(f"{c} in {n} line(s)" if n > 1 else c for c, n in normalised.items()))
    return report


def _fitting_regions(ip: ImportedPage, page: Page, sx: float, sy: float, where: str,
                     report: ImportReport, known: Sequence[str] = ()) -> tuple[list[Region], dict[int, int]]:
    """The file's regions scaled to the page, those outside it left out with a message (their lines are
    kept, in no region); and the file's region index → the kept list's index. A type the reader did
    not know but the project has (``known``) is the project's."""
    kept: list[Region] = []
    index: dict[int, int] = {}
    for k, r in enumerate(ip.regions):
        pts = [[x * sx, y * sy] for x, y in r.points]
        x0, y0, x1, y1 = bbox(pts)
        if x0 < -0.05 * page.width or y0 < -0.05 * page.height or x1 > 1.05 * page.width or y1 > 1.05 * page.height:
            report.failed.append(f"{where}: region {k + 1} ({r.label}) reaches ({x1:.0f}, {y1:.0f}), outside the page "
                                 f"({page.width}×{page.height} px); left out (its lines are kept)")
            continue
        index[k] = len(kept)
        type_, subtype = r.type, r.subtype
        if type_ == "CustomZone" and subtype.partition(":")[0] in known:
            type_, _, subtype = subtype.partition(":")
        kept.append(Region("", type_, line_store.clamp_to_page(pts, page.width, page.height), subtype, r.source))
    return kept, index


def _import_regions(store: Store, project_id: str, document_id: str, page: Page, ip: ImportedPage, replace: bool,
                    where: str, report: ImportReport, replace_hint: str) -> None:
    """Regions of a layout file onto a page; its lines stay and join the regions they lie in."""
    current = line_store.load(store, project_id, document_id, page.id)
    if current.regions and not replace:
        report.messages.append(f"{where}: the page has {len(current.regions)} region(s) already; left as it is "
                               f"(replace them {replace_hint})")
        return
    sx = page.width / ip.width if ip.width else 1.0
    sy = page.height / ip.height if ip.height else 1.0
    known = region_store.region_types(store, project_id)
    regions, _ = _fitting_regions(ip, page, sx, sy, where, report, known)
    for r in [r for r in regions if r.type not in known]:
        r.subtype, r.type = r.label[:MAX_SUBTYPE], "CustomZone"
    try:
        region_store.set_layout(store, project_id, document_id, page.id, regions, [], replace=True,
                                keep=list(current.order))
    except KalamosError as exc:
        report.failed.append(f"{where}: {exc}")
        return
    report.pages += 1
    report.regions += len(regions)
