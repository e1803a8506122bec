"""Issue 16: automatic layout on the three GT4HistComment commentaries against their ``*_olr.tsv``.

- region detection: precision and recall per type group at IoU ≥ 0.5 (``GROUPS``; GT regions labelled
  ``other``/``undefined``/``index_siglorum``/``printed_marginalia`` are ignored: a detection on one
  of them is neither right nor wrong);
- reading order: a page counts as right when the regions matched to its ground truth come in the
  reader's order: running title and page number, main text, then apparatus/commentary columns left
  to right (``reader_rank``), numbers left out;
- time of ``find regions and lines`` per page (Tesseract's layout analysis with OCR, and the grouping);
- whole-page CER with the pages read region by region in reading order (``--cer``; slow).

``python -m bench layout``
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.common import shared_data
from ocr.regions import FoundRegion, find_layout
from storage.formats.olr import OlrRegion, read_olr

LANGS = {"bsb10234118": "grc+lat", "sophokle1v3soph": "grc+deu", "cu31924087948174": "grc+eng"}
GROUPS = {"main text": {"primary_text", "preface", "introduction"},
          "commentary": {"commentary", "footnote", "app_crit"},
          "numbers and titles": {"page_number", "line_number_text", "line_number_commentary", "title", "running_header"}}
IGNORED = {"other", "undefined", "index_siglorum", "printed_marginalia"}


def predicted_group(r: FoundRegion) -> str:
    if r.type in ("NumberingZone", "RunningTitleZone") or (r.type == "MainZone" and r.subtype == "title"):
        return "numbers and titles"
    if r.type == "MarginTextZone" or r.subtype == "commentary":
        return "commentary"
    return "main text"


def gt_group(label: str) -> str | None:
    return next((g for g, labels in GROUPS.items() if label in labels), None)


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    inter = _inter(a, b)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _inter(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def gt_pages(root: Path) -> Iterator[tuple[str, str, list[OlrRegion], tuple[int, int]]]:
    for d in sorted(LANGS):
        regions, _ = read_olr((root / d / f"{d}_olr.tsv").read_bytes(), d)
        by_page: dict[str, list[OlrRegion]] = defaultdict(list)
        for r in regions:
            by_page[r.image].append(r)
        for page in sorted(by_page):
            with Image.open(root / d / "imgs" / page) as im:
                yield d, page, by_page[page], im.size


def reader_rank(label: str) -> int:
    return {"page_number": 0, "running_header": 0, "title": 1, "primary_text": 2, "preface": 2, "introduction": 2,
            "app_crit": 3, "commentary": 4, "footnote": 5}.get(label, 9)


def match(gt: list[OlrRegion], found: list[FoundRegion]) -> dict[str, Any]:
    """Per group: true positives, false positives, false negatives; and (gt index → found index)."""
    pairs = []
    for i, g in enumerate(gt):
        for j, f in enumerate(found):
            v = iou(g.box, f.box)
            if v >= 0.5:
                pairs.append((v, i, j))
    pairs.sort(reverse=True)
    used_g, used_f, matched = set(), set(), {}
    for v, i, j in pairs:  # same group first
        if i in used_g or j in used_f or gt_group(gt[i].label) != predicted_group(found[j]):
            continue
        used_g.add(i), used_f.add(j)
        matched[i] = j
    def inside_ignored(f: FoundRegion) -> bool:  # a detection on a region the ground truth leaves unlabelled
        a = max(1.0, (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))
        return any(iou(g.box, f.box) >= 0.5 or _inter(g.box, f.box) >= 0.5 * a for g in gt if g.label in IGNORED)

    ignored_f = {j for j, f in enumerate(found) if j not in used_f and inside_ignored(f)}
    counts: dict[str, list[int]] = {g: [0, 0, 0] for g in GROUPS}
    for i, j in matched.items():
        counts[gt_group(gt[i].label)][0] += 1  # type: ignore[index]
    for j, f in enumerate(found):
        if j not in used_f and j not in ignored_f:
            counts[predicted_group(f)][1] += 1
    for i, g in enumerate(gt):
        grp = gt_group(g.label)
        if grp and i not in matched:
            counts[grp][2] += 1
    return {"counts": counts, "matched": matched}


def order_ok(gt: list[OlrRegion], found: list[FoundRegion], matched: dict[int, int]) -> bool | None:
    """Whether the matched text regions (numbers left out) come in the reader's order; None: fewer than two."""
    items = [(i, j) for i, j in matched.items() if gt[i].label in GROUPS["main text"] | GROUPS["commentary"]
             | {"title", "running_header"}]
    if len(items) < 2:
        return None
    by_found = [i for i, j in sorted(items, key=lambda t: t[1])]
    expected = sorted(by_found, key=lambda i: (reader_rank(gt[i].label), gt[i].box[0] // 200, gt[i].box[1]))
    return by_found == expected


def score_pages(results: dict[tuple[str, str], tuple[list[OlrRegion], list[FoundRegion]]], verbose: bool = False) -> dict[str, Any]:
    total: dict[str, list[int]] = {g: [0, 0, 0] for g in GROUPS}
    per_doc: dict[str, dict[str, list[int]]] = defaultdict(lambda: {g: [0, 0, 0] for g in GROUPS})
    orders: list[bool] = []
    for (d, page), (gt, found) in sorted(results.items()):
        m = match(gt, found)
        for g, (tp, fp, fn) in m["counts"].items():
            for acc in (total[g], per_doc[d][g]):
                acc[0] += tp
                acc[1] += fp
                acc[2] += fn
        ok = order_ok(gt, found, m["matched"])
        if ok is not None:
            orders.append(ok)
        if verbose:
            print(d, page, {g: c for g, c in m["counts"].items()}, "order", ok)
    out: dict[str, Any] = {"groups": {}, "documents": {}}
    for g, (tp, fp, fn) in total.items():
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out["groups"][g] = {"precision": round(p, 3), "recall": round(r, 3),
                            "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0, "tp": tp, "fp": fp, "fn": fn}
    for d, counts in per_doc.items():
        out["documents"][d] = {g: {"tp": tp, "fp": fp, "fn": fn} for g, (tp, fp, fn) in counts.items()}
    out["order"] = {"pages": len(orders), "right": sum(orders)}
    for g, v in out["groups"].items():
        print(f"{g:20s} P {v['precision']:.3f} R {v['recall']:.3f} F1 {v['f1']:.3f}  (tp {v['tp']} fp {v['fp']} fn {v['fn']})")
    print(f"reading order right on {sum(orders)} of {len(orders)} pages")
    return out


def crossing_lines(lines: list, regions: list) -> int:
    """Ground-truth lines that run across two text regions (both columns of a commentary in one line
    box: such a page cannot be read column by column and match its ground truth)."""
    from ocr.geometry import bbox

    text = [bbox(r.points) for r in regions if r.type not in ("NumberingZone", "RunningTitleZone")]
    count = 0
    for ln in lines:
        x0, y0, x1, y1 = bbox(ln.points)
        over = [b for b in text if min(x1, b[2]) - max(x0, b[0]) > 0.25 * (x1 - x0) / 2
                and min(y1, b[3]) - max(y0, b[1]) > 0.5 * (y1 - y0)]
        count += len(over) >= 2
    return count


def reading_cer(root: Path, work: Path) -> dict[str, Any]:
    """Whole-page CER in reading order, per commentary: page mode as before (Tesseract's own order),
    page mode reading the regions Kalamos finds, and reading the ground truth's regions; line mode
    (the ground-truth boxes read one by one) beside them. The reference is the same for all: the
    ground-truth lines ordered by the ground-truth regions (``*_olr.tsv`` imported), lines within a
    region in the file's order. Figures for all pages, and for the pages none of whose ground-truth
    lines runs across two columns ("clean")."""
    from ocr.metrics import Score, score
    from services import DocumentRef
    from services import regions as layout_service
    from storage import Store
    from storage import lines as line_store
    from storage.groundtruth import import_gt
    from storage.ingest import ImportLimits, import_paths
    from storage.ocrruns import RunSpec, run_ocr, run_page_text

    store = Store(work / "data")
    out: dict[str, Any] = {}
    for d, lang in LANGS.items():
        p = store.create_project(d)
        gt = store.create_document(p.id, "gt")
        import_gt(store, p.id, gt.id, [root / d / f"{d}_training.tsv"], [root / d / "imgs"])
        import_gt(store, p.id, gt.id, [root / d / f"{d}_olr.tsv"])
        gt_pages = store.list_pages(p.id, gt.id)
        images = [root / d / "imgs" / pg.source.filename for pg in gt_pages]
        reference, clean = {}, set()
        for pg in gt_pages:
            layout = line_store.load(store, p.id, gt.id, pg.id)
            reference[pg.source.filename] = "\n".join(ln.text for ln in layout.ordered())
            if not crossing_lines(list(layout.lines.values()), layout.regions):
                clean.add(pg.source.filename)
        plain = store.create_document(p.id, "plain")
        auto = store.create_document(p.id, "auto")
        for doc in (plain, auto):
            import_paths(store, p.id, doc.id, images, ImportLimits())
        t = time.perf_counter()
        layout_service.layout_document(store, DocumentRef(p.id, auto.id), lang)
        row: dict[str, Any] = {"pages": len(images), "clean pages": len(clean),
                               "layout seconds": round(time.perf_counter() - t, 1)}
        variants = (("page mode", plain, "page", None), ("page mode, regions found", auto, "page", None),
                    ("page mode, ground-truth regions", gt, "page", None),
                    ("line mode", gt, "lines", [pg.id for pg in gt_pages if pg.source.filename in clean]))
        for name, doc, mode, only in variants:
            run = run_ocr(store, p.id, doc.id, only, RunSpec(lang, 3, mode, False), jobs=2)
            every, tidy = Score(), Score()
            for pg in store.list_pages(p.id, doc.id):
                if only is not None and pg.id not in only:
                    continue
                got = score(reference[pg.source.filename], "\n".join(run_page_text(store, p.id, doc.id, pg.id, run.id) or []))
                every = every + got
                if pg.source.filename in clean:
                    tidy = tidy + got
            if only is None:
                row[name] = round(100 * every.cer, 2)
            row[name + " (clean pages)"] = round(100 * tidy.cer, 2) if tidy.chars else None
        print(d, row, flush=True)
        out[d] = row
    return out


def run() -> dict[str, Any]:
    import tempfile

    root = shared_data() / "gt4histcomment"
    with tempfile.TemporaryDirectory() as tmp:
        cer = reading_cer(root, Path(tmp))
    results, times = {}, []
    for d, page, gt, _ in gt_pages(root):
        img = np.asarray(Image.open(root / d / "imgs" / page).convert("L"))
        t = time.perf_counter()
        found = find_layout(img, LANGS[d])
        times.append(time.perf_counter() - t)
        results[(d, page)] = (gt, found)
    out = score_pages(results)
    out["seconds per page"] = {"median": round(statistics.median(times), 2), "max": round(max(times), 2),
                               "pages": len(times)}
    print(out["seconds per page"])
    out["whole-page CER in reading order (%)"] = cer
    return out
