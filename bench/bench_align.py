"""Issue 17: aligning a known text to a page's lines, through the use case (``services.align``).

For each page of ``gazis-pages`` (lines found by Kalamos's "find lines with Tesseract"; see ``_score``)
and of the three GT4HistComment commentaries (the ground truth's line boxes, imported as lines to
read), the page's ground truth joined into one paragraph is the "edition"; the lines are read with
stock ``grc`` (one Tesseract per page, a list file) and the edition aligned to them. Counted: lines
whose proposed text equals the ground truth exactly, the CER of the others, and the alignment's own
time. Then the same readings with the edition's diacritics stripped and its punctuation changed
(``·`` → ``;``, commas dropped, ``’`` → ``'``): the proposal is then compared with the ground truth
changed the same way.

``python -m bench align``
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
import unicodedata
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from bench.common import shared_data
from ocr.align import align
from ocr.metrics import cer
from services import DocumentRef, align as align_uc
from storage import Store
from storage import lines as line_store
from storage.autolines import find_lines
from storage.groundtruth import import_gt
from storage.ingest import ImportLimits, import_paths

COMMENTARIES = ("bsb10234118", "cu31924087948174", "sophokle1v3soph")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def variant(text: str) -> str:
    """What another edition of the same text may look like: no diacritics, other punctuation."""
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    bare = bare.replace("·", ";").replace("’", "'").replace("᾽", "'")
    return nfc(re.sub(r",", "", unicodedata.normalize("NFC", bare)))


def _pages(data: Path, root: Path) -> list[tuple[str, Store, DocumentRef, str, list[str]]]:
    """(name, store, document, page id, ground-truth lines) for every page measured."""
    store = Store(root / "data")
    p = store.create_project("bench")
    out = []
    for ds in COMMENTARIES:
        d = store.create_document(p.id, ds)
        doc = DocumentRef(p.id, d.id)
        base = data / "gt4histcomment" / ds
        rows = [r.split("\t") for r in (base / f"{ds}_training.tsv").read_text(encoding="utf-8").splitlines() if r.strip()]
        import_paths(store, *doc, sorted({base / "imgs" / r[0] for r in rows}), ImportLimits())
        import_gt(store, *doc, [base / f"{ds}_training.tsv"], status="machine")
        for page in store.list_pages(*doc):
            gt = [nfc(r[2]) for r in rows if r[0] == page.source.filename]
            lines = line_store.list_lines(store, *doc, page.id)
            assert len(lines) == len(gt)
            for ln in lines:  # read by the model, not the ground truth
                line_store.update_line(store, *doc, page.id, ln.id, ln.rev, text="", status="empty")
            out.append((page.source.filename, store, doc, page.id, gt))
    d = store.create_document(p.id, "gazis")
    doc = DocumentRef(p.id, d.id)
    for jpg in sorted((data / "gazis-pages").glob("*.jpg")):
        [r] = import_paths(store, *doc, [jpg], ImportLimits())
        gt = [nfc(t) for t in jpg.with_suffix(".gt.txt").read_text(encoding="utf-8").splitlines() if t.strip()]
        find_lines(store, *doc, r.page_ids[0], "tesseract")  # "Find lines with Tesseract", as a user would
        out.append((jpg.name, store, doc, r.page_ids[0], gt))
    return out


def _score(proposed: list[str], truth: list[str]) -> tuple[int, list[tuple[str, str]]]:
    """Lines proposed exactly as the ground truth has them, and the (proposed, true) pairs of the others.
    With the ground truth's own line boxes, line by line; with lines found by Kalamos (gazis pages: a
    stain may be found as a line, which then gets no text), the found lines that got text are matched
    to the ground truth's lines in order, and a ground-truth line matched by none counts as proposed empty."""
    if len(proposed) == len(truth):
        return sum(p == t for p, t in zip(proposed, truth)), [(p, t) for p, t in zip(proposed, truth) if p != t]
    given = [p for p in proposed if p]
    matcher = SequenceMatcher(a=given, b=truth, autojunk=False)
    exact, wrong = 0, []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            exact += b2 - b1
        elif tag in ("replace", "delete", "insert"):
            ours = given[a1:a2] + [""] * max(0, (b2 - b1) - (a2 - a1))
            wrong += list(zip(ours, truth[b1:b2]))
    return exact, wrong


def run() -> dict[str, Any]:
    data = shared_data()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        pages = _pages(data, Path(tmp))
        totals: dict[str, dict[str, Any]] = {}
        align_times, read_times, forty, refused, margins = [], [], [], [], []
        for name, store, doc, page_id, gt in pages:
            group = "gazis-pages" if name.startswith("page-") else name.rsplit("_", 1)[0]
            report = align_uc.propose(store, doc, [page_id], " ".join(gt), "grc")
            readings = [p.reading for p in report.lines]
            margins.append(report.score - report.chance)
            if not report.matches:  # the guard against the wrong text would refuse this page's own text
                refused.append(name)
            align_times.append(report.align_s)
            read_times.append(report.read_s)
            if 35 <= len(gt) <= 45:
                forty.append(report.align_s)
            started = time.perf_counter()
            bare = align(readings, " ".join(variant(t) for t in gt))
            align_times.append(time.perf_counter() - started)
            for kind, proposed, truth in (("as printed", [p.text for p in report.lines], gt),
                                          ("no diacritics, other punctuation", [p.text for p in bare.proposals],
                                           [variant(t) for t in gt])):
                exact, wrong = _score(proposed, truth)
                for key in (group, "all"):
                    t = totals.setdefault(f"{key} / {kind}", {"lines": 0, "exact": 0, "wrong": []})
                    t["lines"] += len(truth)
                    t["exact"] += exact
                    t["wrong"] += wrong
        for key, t in sorted(totals.items()):
            chars = sum(len(truth) for _p, truth in t["wrong"] if truth)
            errors = sum(cer(truth, p) * len(truth) for p, truth in t["wrong"] if truth)
            results[key] = {"lines": t["lines"], "exact": t["exact"], "exact %": round(100 * t["exact"] / t["lines"], 2),
                            "CER of the rest %": round(100 * errors / chars, 2) if chars else 0.0,
                            "ground truth lines empty": sum(1 for _p, truth in t["wrong"] if not truth)}
        results["pages"] = len(pages)
        results["pages whose own text the mismatch guard refuses"] = refused
        results["score above chance, own text (min, median)"] = [round(min(margins), 3), round(statistics.median(margins), 3)]
        results["align time per page (s)"] = {"median": round(statistics.median(align_times), 3),
                                              "max": round(max(align_times), 3)}
        results["align time, pages of 35-45 lines (s)"] = {"n": len(forty), "max": round(max(forty), 3) if forty else None}
        results["reading the lines, one Tesseract per page (s)"] = {"median": round(statistics.median(read_times), 2),
                                                                    "max": round(max(read_times), 2)}
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1, ensure_ascii=False))
