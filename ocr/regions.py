"""Page layout: regions with SegmOnto types, the lines in them, and the order a reader reads them.

``find_layout`` runs Tesseract's layout analysis once (``--psm 3``, hOCR: its text lines with their
words) and groups the lines itself, because Tesseract's own blocks cut one column into several
pieces wherever a line number or an indent interrupts it (BENCHMARKS.md, issue 16):

1. numbers: a line that is a short number (page number, verse or line number in a margin) becomes a
   ``NumberingZone`` of its own (``page`` in the top or bottom band, else ``line``);
2. blocks: the other lines, top to bottom, join the block just above them when they overlap it
   horizontally, follow it closely, have about its type size, and no other line beside them
   overlaps it too (that is where a block splits into columns);
3. types: a block of clearly smaller type than the page's main text is ``MainZone:commentary``; a
   single short line above everything else is the ``RunningTitleZone``;
4. reading order (``reading_order``): recursive XY cut, top to bottom, then columns left to right;
   numbering zones after the text they number.

Nothing here knows the store: boxes are in the pixels of the image given.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocr.hocr import OcrLine, parse_hocr
from ocr.tesseract import check_language, languages, run_on_array

__all__ = [
    "SEGMONTO_ZONES",
    "Box",
    "FoundRegion",
    "analyse",
    "find_layout",
    "is_marginal_number",
    "is_text_line",
    "reading_order",
    "zone_label",
]

#: The zone types of SegmOnto (https://segmonto.github.io), as eScriptorium and HTR-United use them.
SEGMONTO_ZONES = ("MainZone", "MarginTextZone", "NumberingZone", "RunningTitleZone", "QuireMarksZone",
                  "DropCapitalZone", "GraphicZone", "DamageZone", "DigitizationArtefactZone", "MusicZone",
                  "SealZone", "StampZone", "TableZone", "TitlePageZone", "CustomZone")

Box = tuple[float, float, float, float]  #: x0, y0, x1, y1


def zone_label(type_: str, subtype: str = "") -> str:
    """``MainZone`` or ``MainZone:commentary`` (SegmOnto's way of writing a subtype)."""
    return f"{type_}:{subtype}" if subtype else type_


def is_marginal_number(type_: str, subtype: str) -> bool:
    """A line or verse number in a margin (``NumberingZone:line…``): the reading order puts it after the
    text it stands beside (``reading_order``'s ``marginal``); a page number keeps its own place."""
    return type_ == "NumberingZone" and subtype.startswith("line")


@dataclass
class FoundRegion:
    type: str
    subtype: str
    box: Box
    lines: list[OcrLine] = field(default_factory=list)  #: in reading order

    @property
    def label(self) -> str:
        return zone_label(self.type, self.subtype)


_NUMBER = re.compile(r"^[\[(]?(\d{1,4}|[ivxlcdm]{1,6}|[IVXLCDM]{1,6})[.,:;)\]*]?$")


def _size(line: OcrLine) -> float:
    """The line's type size: Tesseract's ``x_size``, else the median height of its longer words."""
    if line.size > 0:
        return line.size
    heights = [w.bbox[3] - w.bbox[1] for w in line.words if len(w.text) >= 2] or \
              [w.bbox[3] - w.bbox[1] for w in line.words] or [line.bbox[3] - line.bbox[1]]
    return float(statistics.median(heights))


def _is_number(line: OcrLine, size: float) -> bool:
    text = line.text.replace(" ", "")
    return bool(_NUMBER.match(text)) and (line.bbox[2] - line.bbox[0]) < 5 * size


def is_text_line(line: OcrLine) -> bool:
    """Not a row of accents or specks read as a line: enough letters among its marks."""
    x0, y0, x1, y1 = line.bbox
    ink = [ch for ch in line.text if not ch.isspace()]
    letters = sum(ch.isalnum() for ch in ink)
    return x1 - x0 >= 4 and y1 - y0 >= 4 and letters >= 1 and letters >= 0.6 * len(ink)


def _numbers(lines: list[OcrLine], sizes: dict[int, float]) -> list[OcrLine]:
    """Lines that are numbers: a number read as one, or a short word standing alone in a margin (a
    verse number that a Greek model reads as letters)."""
    out = []
    left = min(ln.bbox[0] for ln in lines)
    right = max(ln.bbox[2] for ln in lines)
    top = min(ln.bbox[1] for ln in lines)
    bottom = max(ln.bbox[3] for ln in lines)
    span_x, span_y = max(1.0, right - left), max(1.0, bottom - top)
    for ln in lines:
        size = sizes[id(ln)]
        if _is_number(ln, size):
            out.append(ln)
            continue
        short = len(ln.text.replace(" ", "")) <= 4 and (ln.bbox[2] - ln.bbox[0]) < 3 * size
        alone = not any(o is not ln and _overlap(ln.bbox[1], ln.bbox[3], o.bbox[1], o.bbox[3]) > 0
                        and min(abs(o.bbox[0] - ln.bbox[2]), abs(ln.bbox[0] - o.bbox[2])) < 4 * size for o in lines)
        x0, y0, x1, y1 = ln.bbox
        margin = x0 > right - 0.15 * span_x or x1 < left + 0.15 * span_x or y1 < top + 0.05 * span_y \
            or y0 > bottom - 0.05 * span_y
        if short and alone and margin:
            out.append(ln)
    return out


def _split_at_gaps(line: OcrLine, sizes: dict[int, float]) -> list[OcrLine]:
    """A line cut where its words stand far apart (a page number beside a running title)."""
    size = sizes[id(line)]
    words = sorted(line.words, key=lambda w: w.bbox[0])
    groups: list[list] = [[]]
    for w in words:
        if groups[-1] and w.bbox[0] - groups[-1][-1].bbox[2] > 2.0 * size:
            groups.append([])
        groups[-1].append(w)
    if len(groups) == 1:
        return [line]
    (bx0, by0), (bx1, by1) = line.baseline[0], line.baseline[-1]

    def base_y(x: float) -> float:
        return by0 + (by1 - by0) * ((x - bx0) / (bx1 - bx0) if bx1 != bx0 else 0.0)

    out = []
    for g in groups:
        x0, x1 = min(w.bbox[0] for w in g), max(w.bbox[2] for w in g)
        piece = OcrLine([x0, min(w.bbox[1] for w in g), x1, max(w.bbox[3] for w in g)],
                        [[x0, base_y(x0)], [x1, base_y(x1)]], " ".join(w.text for w in g), line.conf, g, line.size)
        sizes[id(piece)] = size
        out.append(piece)
    return out


def _merge_pieces(lines: list[OcrLine], sizes: dict[int, float]) -> list[OcrLine]:
    """Pieces of one text line that Tesseract cut at a wide word space, joined again (left to right)."""
    out: list[OcrLine] = []
    for ln in sorted(lines, key=lambda ln: ln.bbox[0]):
        size = sizes[id(ln)]
        for prev in out:
            px0, py0, px1, py1 = prev.bbox
            same_row = _overlap(py0, py1, ln.bbox[1], ln.bbox[3]) > 0.6 * min(py1 - py0, ln.bbox[3] - ln.bbox[1])
            if same_row and 0 <= ln.bbox[0] - px1 < 0.9 * max(size, sizes[id(prev)]):
                prev.bbox = [px0, min(py0, ln.bbox[1]), max(px1, ln.bbox[2]), max(py1, ln.bbox[3])]
                prev.baseline = [prev.baseline[0], ln.baseline[-1]]
                prev.text = f"{prev.text} {ln.text}"
                prev.words = prev.words + ln.words
                break
        else:
            copy = OcrLine(list(ln.bbox), [list(p) for p in ln.baseline], ln.text, ln.conf, list(ln.words), ln.size)
            sizes[id(copy)] = size
            out.append(copy)
    return out


@dataclass
class _Block:
    lines: list[OcrLine]
    sizes: list[float]

    @property
    def box(self) -> Box:
        return (min(ln.bbox[0] for ln in self.lines), min(ln.bbox[1] for ln in self.lines),
                max(ln.bbox[2] for ln in self.lines), max(ln.bbox[3] for ln in self.lines))

    @property
    def size(self) -> float:
        """The median type size of its lines, weighted by their widths (headings and names count less)."""
        pairs = sorted(zip(self.sizes, (ln.bbox[2] - ln.bbox[0] for ln in self.lines)))
        half, acc = sum(w for _, w in pairs) / 2, 0.0
        for size, w in pairs:
            acc += w
            if acc >= half:
                return float(size)
        return float(pairs[-1][0])

    @property
    def width(self) -> float:
        return float(statistics.median(ln.bbox[2] - ln.bbox[0] for ln in self.lines))


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _joins(block: _Block, line: OcrLine, size: float, row: list[OcrLine]) -> float | None:
    """How well ``line`` continues ``block`` (smaller is better), or None when it does not."""
    last = block.lines[-1]
    bx0, _, bx1, _ = block.box
    x0, y0, x1, y1 = line.bbox
    common = _overlap(bx0, bx1, x0, x1)
    if common < 0.5 * min(bx1 - bx0, x1 - x0):
        return None
    ref = max(size, block.size)
    gap = y0 - last.bbox[3]
    if gap > 1.3 * ref or y1 < last.bbox[1]:
        return None
    if len(block.lines) == 1 and (last.bbox[2] - last.bbox[0]) < 0.5 * (x1 - x0) and gap > 0.5 * ref:
        return None  # a heading above a paragraph
    if not 0.78 <= size / block.size <= 1.28:
        return None
    if (x1 - x0) > 1.6 * block.width and len(block.lines) >= 2:
        return None  # a full-width line below a column
    for other in row:  # another line beside this one over the same block: the block splits into columns
        if other is not line and _overlap(bx0, bx1, other.bbox[0], other.bbox[2]) > 0.3 * (other.bbox[2] - other.bbox[0]):
            if _overlap(x0, x1, other.bbox[0], other.bbox[2]) <= 0:
                return None
    return gap / ref + abs(size / block.size - 1)


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _side(box: Box, gutter: tuple[float, float, float]) -> int | None:
    """Which side of a gutter (x, top, bottom) a block lies on: -1 left, 1 right, 0 across it; None
    when it does not reach the gutter's height."""
    x, top, bottom = gutter
    if box[3] <= top or box[1] >= bottom:
        return None
    return -1 if box[2] <= x + 2 else 1 if box[0] >= x - 2 else 0


def _merge_blocks(blocks: list[_Block], height: int, gutters: Sequence[tuple[float, float, float]] = ()) -> list[_Block]:
    """Blocks that belong together, joined: one mostly inside another (a name or a heading within a
    column of verse), or one right below another in the same column with the same type size; never
    two on different sides of a gutter found between columns (a line across both is a side of its own)."""
    blocks = list(blocks)
    widest = max(ln.bbox[2] - ln.bbox[0] for b in blocks for ln in b.lines)
    heads = [b for b in blocks if len(b.lines) <= 2 and b.box[1] < 0.12 * height
             and b.box[2] - b.box[0] < 0.7 * widest and not any(c.box[3] <= b.box[1] for c in blocks if c is not b)]
    changed = True
    while changed:
        changed = False
        for a in blocks:
            for b in blocks:
                if a is b or any(a is h or b is h for h in heads):
                    continue
                if any((sa := _side(a.box, g)) is not None and (sb := _side(b.box, g)) is not None and sa != sb
                       for g in gutters):
                    continue
                ab, bb = a.box, b.box
                inter = _overlap(ab[0], ab[2], bb[0], bb[2]) * _overlap(ab[1], ab[3], bb[1], bb[3])
                inside = (inter >= 0.6 * _area(ab) and _area(ab) <= _area(bb)) or \
                    (inter > 0.05 * min(_area(ab), _area(bb)) and 0.8 <= a.size / b.size <= 1.25)
                widths = min(ab[2] - ab[0], bb[2] - bb[0])
                name = any(len(x.lines) == 1 and (x.box[2] - x.box[0]) < 0.7 * (y.box[2] - y.box[0])
                           and x.box[0] >= y.box[0] and x.box[2] <= y.box[2] for x, y in ((a, b), (b, a)))
                below = (0 <= bb[1] - ab[3] < 2.2 * max(a.size, b.size)
                         and _overlap(ab[0], ab[2], bb[0], bb[2]) >= 0.7 * widths
                         and (0.8 <= a.size / b.size <= 1.25 or name)
                         and not any(c is not a and c is not b and _overlap(ab[3], bb[1], c.box[1], c.box[3]) > 0
                                     and _overlap(ab[0], ab[2], c.box[0], c.box[2]) > 0 for c in blocks))
                if inside or below:
                    b.lines += a.lines
                    b.sizes += a.sizes
                    blocks.remove(a)
                    changed = True
                    break
            if changed:
                break
    return blocks


def _group(body: list[OcrLine], sizes: dict[int, float]) -> list[_Block]:
    """Lines, top to bottom, each joined to the block it best continues (``_joins``), or a new one."""
    body = sorted(body, key=lambda ln: (ln.bbox[1], ln.bbox[0]))
    blocks: list[_Block] = []
    for ln in body:
        row = [o for o in body if _overlap(ln.bbox[1], ln.bbox[3], o.bbox[1], o.bbox[3]) > 0.5 * (ln.bbox[3] - ln.bbox[1])]
        scored = [(s, b) for b in blocks if (s := _joins(b, ln, sizes[id(ln)], row)) is not None]
        if scored:
            best = min(scored, key=lambda t: t[0])[1]
            best.lines.append(ln)
            best.sizes.append(sizes[id(ln)])
        else:
            blocks.append(_Block([ln], [sizes[id(ln)]]))
    return blocks


def analyse(lines: Sequence[OcrLine], width: int, height: int) -> list[FoundRegion]:
    """Regions (in reading order) from the text lines of a page, in the page's pixels."""
    found = [ln for ln in lines if is_text_line(ln)]
    if not found:
        return []
    sizes = {id(ln): _size(ln) for ln in found}
    found = _merge_pieces([piece for ln in found for piece in _split_at_gaps(ln, sizes)], sizes)
    numbers = _numbers(found, sizes)
    body = [ln for ln in found if not any(ln is n for n in numbers)]
    blocks = _merge_blocks(_group(body, sizes), height) if body else []
    gutters: list[tuple[float, float, float]] = []
    cut = _split_columns(blocks, sizes, gutters)
    if gutters:  # again, with the lines of a block of columns cut at its gutters, never merged across them
        body = [piece for ln in body for piece in cut.get(id(ln), [ln])]
        blocks = _merge_blocks(_group(body, sizes), height, gutters)
    regions = _types(_split_tails(blocks), width, height)
    for n in numbers:
        band = "page" if n.bbox[3] < 0.12 * height or n.bbox[1] > 0.9 * height else "line"
        regions.append(FoundRegion("NumberingZone", band, tuple(n.bbox), [n]))  # type: ignore[arg-type]
    order = reading_order([r.box for r in regions], [is_marginal_number(r.type, r.subtype) for r in regions])
    return [regions[i] for i in order]


def _split_columns(blocks: list[_Block], sizes: dict[int, float],
                   gutters: list[tuple[float, float, float]]) -> dict[int, list[OcrLine]]:
    """Blocks that are two columns side by side (their lines read across a narrow gutter): a strip
    in the middle of the block that the words of almost no line cover. Returns the pieces of each
    line to cut there (line id → pieces); lines whose words cross the gutter stay whole. The gutters
    found (x, top, bottom) are added to ``gutters``."""
    out: dict[int, list[OcrLine]] = {}
    for b in blocks:
        if len(b.lines) < 6:
            continue
        x0, _, x1, _ = (int(v) for v in b.box)
        cover = np.zeros(max(1, x1 - x0 + 1), dtype=np.int32)
        for ln in b.lines:
            row = np.zeros_like(cover, dtype=bool)
            for w in ln.words:
                row[max(0, int(w.bbox[0]) - x0):max(0, int(w.bbox[2]) - x0 + 1)] = True
            cover += row
        lo, hi = int(0.25 * len(cover)), int(0.75 * len(cover))
        free = cover[lo:hi] <= 0.1 * len(b.lines)
        if not free.any():
            continue
        # the widest free run in the middle half, wider than a word space
        best, start = (0, 0), None
        for i, f in enumerate(np.append(free, False)):
            if f and start is None:
                start = i
            elif not f and start is not None:
                best = max(best, (i - start, start))
                start = None
        run, at = best
        if run < 0.8 * b.size:  # wider than a space between words
            continue
        gutter = x0 + lo + at + run / 2
        gutters.append((gutter, b.box[1], b.box[3]))
        for ln in b.lines:
            left = [w for w in ln.words if w.bbox[2] <= gutter]
            right = [w for w in ln.words if w.bbox[0] >= gutter]
            if left and right and len(left) + len(right) == len(ln.words):
                pieces = []
                for part in (left, right):
                    px0, px1 = part[0].bbox[0], part[-1].bbox[2]
                    piece = OcrLine([px0, min(w.bbox[1] for w in part), px1, max(w.bbox[3] for w in part)],
                                    [[px0, ln.baseline[0][1]], [px1, ln.baseline[-1][1]]],
                                    " ".join(w.text for w in part), ln.conf, part, ln.size)
                    sizes[id(piece)] = sizes[id(ln)]
                    pieces.append(piece)
                out[id(ln)] = pieces
    return out


def _main_size(blocks: list[_Block]) -> float:
    """The main text's type size: the largest among the blocks that hold much text."""
    weight = {id(b): sum(ln.bbox[2] - ln.bbox[0] for ln in b.lines) for b in blocks}
    most = max(weight.values())
    return max(b.size for b in blocks if weight[id(b)] >= 0.25 * most)


def _split_tails(blocks: list[_Block]) -> list[_Block]:
    """A block whose last lines are in clearly smaller type (footnotes run on below the text with a
    small gap) cut there: the longest run of at least two last lines each smaller than the rest's
    median by an eighth."""
    out = []
    for b in blocks:
        order = sorted(range(len(b.lines)), key=lambda i: b.lines[i].bbox[1])
        cut = None
        for k in range(len(order) - 2, 1, -1):
            head = statistics.median(b.sizes[i] for i in order[:k])
            if all(b.sizes[i] < 0.88 * head for i in order[k:]):
                cut = k
            else:
                break
        if cut is None:
            out.append(b)
            continue
        out.append(_Block([b.lines[i] for i in order[:cut]], [b.sizes[i] for i in order[:cut]]))
        out.append(_Block([b.lines[i] for i in order[cut:]], [b.sizes[i] for i in order[cut:]]))
    return out


_LEMMA = re.compile(r"^\s*(?:[vV]\.\s*)?\d{1,4}\s?[.)]\s+\S")


def _lemmata(block: _Block) -> bool:
    """A block of commentary in the text's own type size: many of its lines begin with the number of
    the verse they comment on and a dot (``464. γυμνόν …``); verse numbers in a text stand alone."""
    starts = sum(bool(_LEMMA.match(ln.text)) for ln in block.lines)
    return starts >= 3 and starts >= 0.08 * len(block.lines)


def _types(blocks: list[_Block], width: int, height: int) -> list[FoundRegion]:
    regions: list[FoundRegion] = []
    if blocks:
        limit = 0.85 * _main_size(blocks)  # commentary: type smaller than the main text's by a sixth
        tall = [b.box[1] for b in blocks if len(b.lines) >= 3]
        top = min(tall) if tall else height
        for b in blocks:
            x0, y0, x1, y1 = b.box
            if len(b.lines) <= 2 and y1 <= top and y0 < 0.15 * height and (x1 - x0) < 0.8 * width:
                kind, sub = "RunningTitleZone", ""
            elif len(b.lines) == 1 and any(len(c.lines) >= 3 and 0 < c.box[1] - y1 < 4 * b.size
                                           and _overlap(x0, x1, c.box[0], c.box[2]) > 0 for c in blocks):
                kind, sub = "MainZone", "title"
            elif b.size < limit or _lemmata(b):
                kind, sub = "MainZone", "commentary"
            else:
                kind, sub = "MainZone", ""
            regions.append(FoundRegion(kind, sub, b.box, sorted(b.lines, key=lambda ln: (ln.bbox[1], ln.bbox[0]))))
    return regions


def reading_order(boxes: Sequence[Box], marginal: Sequence[bool] | None = None) -> list[int]:
    """The order a reader takes: bands top to bottom, and within a band columns left to right
    (recursive XY cut on the boxes). ``marginal`` boxes (line numbers in a margin) come after the
    text they stand beside."""
    marginal = list(marginal or [False] * len(boxes))
    main = [i for i in range(len(boxes)) if not marginal[i]]
    side = [i for i in range(len(boxes)) if marginal[i]]
    order = _xy_cut(list(boxes), main, horizontal=True)
    out: list[int] = []
    placed: set[int] = set()
    for i in order:
        out.append(i)
        bx = boxes[i]
        near = [j for j in side if j not in placed and _overlap(bx[1], bx[3], boxes[j][1], boxes[j][3]) > 0]
        for j in sorted(near, key=lambda j: (boxes[j][1], boxes[j][0])):
            out.append(j)
            placed.add(j)
    out += sorted((j for j in side if j not in placed), key=lambda j: (boxes[j][1], boxes[j][0]))
    return out


def _xy_cut(boxes: list[Box], ids: list[int], horizontal: bool, depth: int = 0) -> list[int]:
    if len(ids) <= 1 or depth > 40:
        return list(ids)
    for axis in ((1, 3) if horizontal else (0, 2), (0, 2) if horizontal else (1, 3)):
        lo, hi = axis
        spans = sorted((boxes[i][lo], boxes[i][hi], i) for i in ids)
        groups: list[list[int]] = [[spans[0][2]]]
        reach = spans[0][1]
        for a, b, i in spans[1:]:
            # a cut where nothing crosses (a fifth of the next box may overlap: skewed scans)
            if a >= reach - 0.2 * (b - a):
                groups.append([i])
            else:
                groups[-1].append(i)
            reach = max(reach, b)
        if len(groups) > 1:
            return [j for g in groups for j in _xy_cut(boxes, g, lo == 0, depth + 1)]
    # nothing cuts: top to bottom, then left to right
    return sorted(ids, key=lambda i: (boxes[i][1], boxes[i][0]))


def find_layout(img: np.ndarray, lang: str = "grc", tessdata_dir: Path | None = None) -> list[FoundRegion]:
    """Regions and their lines on a page image (grey or RGB), in reading order."""
    check_language(lang, languages(tessdata_dir) if tessdata_dir else None)
    lines = parse_hocr(run_on_array(img, lang, 3, "hocr", tessdata_dir, timeout=300))
    return analyse(lines, img.shape[1], img.shape[0])
