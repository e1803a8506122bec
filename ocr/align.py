"""Aligning the text of an edition to the lines of a manuscript: the edition (any line breaks, any
accents and punctuation) is cut into one piece per line, the piece that best matches what Tesseract
read on that line, so that the edition's spelling replaces the OCR's errors and only the true
differences (the manuscript's variants) are left to correct.

How (no Dash, no store; ``services.align`` reads the lines and stores the proposals):

1. Both texts are *folded* for comparison: decomposed, accents and breathings dropped, case folded,
   final and lunate sigma made σ, punctuation dropped. An edition without accents, or with other
   punctuation, then matches as well as one with them.
2. The folded OCR of all lines (in reading order) is aligned to the folded edition character by
   character (a global Levenshtein alignment, rapidfuzz), which says roughly where each line starts in
   the edition, even through OCR errors, missing and extra lines.
3. The cuts are then chosen exactly, at the edition's word boundaries, by dynamic programming over a
   few words either side of those estimates: the cuts that minimise the summed edit distance between
   each line's OCR and its piece of the edition. A line the edition lacks (a running title, a page
   number) gets nothing; edition text beyond the lines read is reported, not forced onto a line.
4. Where a line's OCR ends with a hyphen and the edition has the word whole, the word is divided as the
   manuscript divides it (``ἀνθρώ-`` / ``πων``).

Each line's score is the similarity (0–1) of its folded OCR and its folded piece; a low score is
marked for attention.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from rapidfuzz.distance import Levenshtein

__all__ = ["Proposal", "Alignment", "align", "fold", "shapes", "variants", "ATTENTION_BELOW"]

MATCH_MARGIN = 0.05  #: how far above chance an edition must match to be taken for these lines' text
ATTENTION_BELOW = 0.5  #: a line whose OCR agrees less than this with its piece of the edition is to be looked at
DIVIDE_GAIN = 2  #: a word is divided at a line's end only when that matches by this many edits better
SKIP_WEIGHT = 0.2  #: per character of edition text left before the first line or after the last
MIN_CONFUSIONS = 3
HYPHEN_WEIGHT = 1.0  #: a piece ending in a hyphen where the line's OCR does not (or the reverse) is unlikelier
WINDOW = 8  #: words either side of the estimated cut that the exact search considers
HYPHENS = ("-", "‐", "‑", "⸗", "¬", "–")
_FOLD = {"ς": "σ", "ϲ": "σ", "Ϲ": "σ", "ϐ": "β", "ϑ": "θ", "ϕ": "φ", "ϖ": "π", "ϰ": "κ", "ϱ": "ρ", "ſ": "s",
         "ͅ": "ι"}


#: Greek letters and digits that Tesseract's Greek model writes for Latin letters of the same shape
#: (stock ``grc`` on a Latin commentary: "ΤΠΙΘ ΠΟ 6556" for "que non esse"), and Latin letters of the
#: same shape as each other: both texts are compared through these classes, so a Latin passage read
#: as Greek still tells where its line starts.
_SHAPES = str.maketrans({
    "α": "a", "β": "b", "γ": "r", "δ": "d", "ε": "e", "ζ": "z", "η": "n", "θ": "e", "ι": "i", "κ": "k",
    "λ": "l", "μ": "u", "ν": "v", "ξ": "e", "ο": "o", "π": "n", "ρ": "p", "σ": "o", "τ": "t", "υ": "u",
    "φ": "q", "χ": "x", "ψ": "v", "ω": "w", "ϊ": "i", "ϋ": "u",
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "6": "e", "8": "s", "9": "q",
    "l": "i", "j": "i", "f": "t", "c": "o", "h": "n", "m": "n", "y": "r", "g": "q",
})


def shapes(text: str) -> str:
    """``fold(text)`` with letters of a like shape in Greek, Latin and digits made one (``_SHAPES``)."""
    return fold(text).translate(_SHAPES)


def fold(text: str) -> str:
    """The text as the alignment compares it: letters and digits only, no accents, one case, σ for
    every sigma, single spaces."""
    out = []
    for ch in unicodedata.normalize("NFD", text.casefold()):
        if unicodedata.combining(ch) and ch != "ͅ":
            continue
        if ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch)[0] in "LN":
            out.append(_FOLD.get(ch, ch))
    return " ".join("".join(out).split())


@dataclass(frozen=True)
class Proposal:
    """The edition's text for one line."""

    text: str
    score: float  #: 0–1: how well the line's OCR agrees with this text (folded)
    attention: bool  #: a poor agreement: look at this line first


@dataclass(frozen=True)
class Alignment:
    proposals: list[Proposal]  #: one per OCR line, in the same order
    unplaced_before: int  #: words of the edition before the first line's text (not on these pages?)
    unplaced_after: int  #: words after the last line's
    chance: float = 0.0  #: the mean score a text of the same letters in a random word order gets

    @property
    def score(self) -> float:
        """The mean score of the lines."""
        return sum(p.score for p in self.proposals) / len(self.proposals) if self.proposals else 0.0

    @property
    def matches(self) -> bool:
        """Whether the edition is the text of these lines at all: its score clearly above ``chance``
        (measured on a Byzantine hand read at about 70 % CER: the right text 0.10–0.23 above, another
        page's 0.02 at most)."""
        return self.score - self.chance >= MATCH_MARGIN


OPENING = "([{«‹„“‘¿¡"


def _units(edition: str) -> list[str]:
    """The edition's words, each with the punctuation standing apart around it (``χέρα ;`` and
    ``« ἔα``): a line never begins with a closing mark nor ends with an opening one."""
    units: list[str] = []
    pending = ""
    for word in edition.split():
        if fold(word):
            units.append(f"{pending} {word}".strip())
            pending = ""
        elif word[0] in OPENING or not units:
            pending = f"{pending} {word}".strip()
        else:
            units[-1] += " " + word
    if pending:
        if units:
            units[-1] += " " + pending
        else:
            units.append(pending)
    return units


def _segment_fold(folded: Sequence[str], a: int, b: int) -> str:
    return " ".join(w for w in folded[a:b] if w)


def _estimates(ocr_parts: Sequence[str], folded: Sequence[str]) -> list[int]:
    """For each line, the word of the edition where it roughly starts, then where the last one ends
    (len(lines) + 1 values), from a character alignment of the whole texts."""
    ocr = ""
    starts = []
    for part in ocr_parts:
        starts.append(len(ocr))
        ocr += part + " "
    end_o = len(ocr.rstrip())
    ed = ""
    word_at: list[int] = []  # edition character → word index
    for i, w in enumerate(folded):
        if w:
            ed += w + " "
            word_at.extend([i] * (len(w) + 1))
    word_at.append(len(folded))
    ops = Levenshtein.opcodes(ocr, ed)

    def to_edition(o: int, end: bool = False) -> int:
        for tag, o1, o2, e1, e2 in ops:
            if tag == "insert":
                continue
            if o1 <= o < o2 or (end and o == o2 and o2 == len(ocr)):
                return e1 if tag == "delete" else min(e2, e1 + (o - o1))
        return len(ed)

    marks = [word_at[min(to_edition(s), len(word_at) - 1)] for s in starts]
    last = to_edition(max(0, end_o - 1))
    marks.append(min(len(folded), word_at[min(last, len(word_at) - 1)] + 1))
    return marks


def align(lines: Sequence[str], edition: str, window: int = WINDOW,
          widths: Sequence[float] | None = None) -> Alignment:
    """Cut ``edition`` into one piece per OCR line of ``lines`` (reading order). ``widths``: the
    lines' widths on the page, which tell how much text a line Tesseract read nothing on holds."""
    words = _units(edition)
    n, m = len(lines), len(words)
    if n == 0:
        return Alignment([], 0, m)
    folded = [shapes(w) for w in words]
    if not any(folded):
        return Alignment([Proposal("", 0.0, True) for _ in lines], 0, m)
    ocr = [shapes(t) for t in lines]
    if widths is not None:
        ocr = _fill_unread(ocr, widths)
    hyphen = [t.rstrip().endswith(HYPHENS) for t in lines]
    word_hyphen = [w.endswith(HYPHENS) for w in words]
    cuts = _cuts(ocr, folded, hyphen, word_hyphen, _estimates(ocr, folded), window)
    # what this OCR confuses on these pages (a Latin "n" read as "π", a Fraktur "g" as "σ"), learnt from
    # the first cuts, makes the second more exact
    table = _confusions(ocr, [_segment_fold(folded, cuts[k], cuts[k + 1]) for k in range(n)])
    if table:  # (a second round was measured: no better)
        ocr = [t.translate(table) for t in ocr]
        folded = [w.translate(table) for w in folded]
        cuts = _cuts(ocr, folded, hyphen, word_hyphen, _estimates(ocr, folded), window)
    pieces = _divide_hyphenated(lines, [words[cuts[k]:cuts[k + 1]] for k in range(n)])
    proposals = []
    for k, piece in enumerate(pieces):
        text = " ".join(piece)
        mine = shapes(text).translate(table)
        score = Levenshtein.normalized_similarity(ocr[k], mine) if (ocr[k] and mine) else 0.0
        proposals.append(Proposal(text, round(score, 3), score < ATTENTION_BELOW))
    # how well a text of the same letters in another order would match: the edition is for these
    # pages only when it matches clearly better than that
    shuffled = list(range(m))
    random.Random(m).shuffle(shuffled)
    mixed = [folded[i] for i in shuffled]
    mixed_cuts = _cuts(ocr, mixed, hyphen, [word_hyphen[i] for i in shuffled], _estimates(ocr, mixed), window)
    chance = sum(Levenshtein.normalized_similarity(ocr[k], _segment_fold(mixed, mixed_cuts[k], mixed_cuts[k + 1]))
                 for k in range(n) if ocr[k]) / n
    return Alignment(proposals, cuts[0], m - cuts[-1], round(chance, 3))


UNREAD = "\u2591"  #: stands for each letter expected on a line Tesseract read nothing on (matches no letter)


def _fill_unread(ocr: Sequence[str], widths: Sequence[float]) -> list[str]:
    """A line read as nothing counts as as many unknown letters as its width holds (letters per pixel
    of the lines that were read): so it takes its share of the edition instead of none."""
    rates = sorted(len(o) / w for o, w in zip(ocr, widths) if o and w and w > 0)
    if not rates:
        return list(ocr)
    rate = rates[len(rates) // 2]
    return [o if o or not w or w <= 0 else UNREAD * max(1, round(w * rate)) for o, w in zip(ocr, widths)]


def _cuts(ocr: Sequence[str], folded: Sequence[str], hyphen: Sequence[bool], ends_hyphen: Sequence[bool],
          est: Sequence[int], window: int) -> list[int]:
    """The n + 1 cuts (word indices) that minimise the summed cost of the lines' pieces, searched
    ``window`` words either side of the estimates."""
    n, m = len(ocr), len(folded)
    cands = [sorted({max(0, min(m, e + d)) for d in range(-window, window + 1)}) for e in est]
    cands[0] = sorted(set(cands[0]) | {0})
    cands[-1] = sorted(set(cands[-1]) | {m})
    skipped = [0.0]
    for w in folded:
        skipped.append(skipped[-1] + SKIP_WEIGHT * len(w))
    inf = float("inf")
    cost: list[dict[int, float]] = [{b: skipped[b] for b in cands[0]}]  # words before the first line cost a little
    back: list[dict[int, int]] = [{}]
    for k in range(n):
        row: dict[int, float] = {}
        ptr: dict[int, int] = {}
        for b in cands[k + 1]:
            best, arg = inf, -1
            for a, c in cost[k].items():
                if a > b or c == inf:
                    continue
                piece = _segment_fold(folded, a, b)
                total = c + Levenshtein.distance(ocr[k], piece)
                if b > a and hyphen[k] != ends_hyphen[b - 1]:
                    total += HYPHEN_WEIGHT
                if total < best:
                    best, arg = total, a
            row[b], ptr[b] = best, arg
        cost.append(row)
        back.append(ptr)
    # words left after the last line cost a little too, so that extra edition text is not swallowed
    cuts = [min(cost[n], key=lambda b: cost[n][b] + skipped[m] - skipped[b])]
    for k in range(n, 0, -1):
        cuts.append(back[k][cuts[-1]])
    return cuts[::-1]


def _confusions(ocr: Sequence[str], pieces: Sequence[str]) -> dict[int, str]:
    """Characters the OCR writes for others on these lines, often enough to be a habit (at least
    ``MIN_CONFUSIONS`` times and a fifth of the character's appearances): a translation making each
    such pair one character on both sides."""
    pairs: dict[tuple[str, str], int] = {}
    seen: dict[str, int] = {}
    for o, e in zip(ocr, pieces):
        if UNREAD in o:
            continue
        for ch in o:
            seen[ch] = seen.get(ch, 0) + 1
        for tag, o1, o2, e1, e2 in Levenshtein.opcodes(o, e):
            if tag == "replace" and o2 - o1 == e2 - e1:
                for a, b in zip(o[o1:o2], e[e1:e2]):
                    if a != " " and b != " ":
                        pairs[a, b] = pairs.get((a, b), 0) + 1
    parent: dict[str, str] = {}

    def root(c: str) -> str:
        while parent.get(c, c) != c:
            c = parent[c]
        return c

    for (a, b), count in sorted(pairs.items(), key=lambda kv: -kv[1]):
        if count >= MIN_CONFUSIONS and count >= 0.2 * seen.get(a, 0):
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {ord(c): root(c) for c in parent if root(c) != c}


def _divide_hyphenated(lines: Sequence[str], pieces: list[list[str]]) -> list[list[str]]:
    """Where a line's OCR ends with a hyphen and the edition has the word whole (at the end of this
    line's piece or at the start of the next's), divide it where the two lines' OCR says, and give the
    first part a hyphen; kept whole when no division matches better."""
    out = [list(p) for p in pieces]
    for k in range(len(lines) - 1):
        ocr_k, ocr_next = lines[k].split(), lines[k + 1].split()
        if not ocr_k or not ocr_k[-1].endswith(HYPHENS) or (out[k] and out[k][-1].endswith(HYPHENS)):
            continue
        head_ocr, tail_ocr = shapes(ocr_k[-1]), shapes(ocr_next[0]) if ocr_next else ""
        for here in (True, False):  # the word whole at the end of this line, or at the start of the next
            piece = out[k] if here else out[k + 1]
            if not piece:
                continue
            word = piece[-1] if here else piece[0]
            after = (out[k + 1][0] if out[k + 1] else "") if here else word
            before = word if here else (out[k][-1] if out[k] else "")
            whole = Levenshtein.distance(head_ocr, shapes(before)) + Levenshtein.distance(tail_ocr, shapes(after))
            best, at = whole - DIVIDE_GAIN, 0  # divided only when clearly better
            for i in range(1, len(word)):
                left, right = shapes(word[:i]), shapes(word[i:])
                if left and right:
                    d = Levenshtein.distance(head_ocr, left) + Levenshtein.distance(tail_ocr, right)
                    if d < best:
                        best, at = d, i
            if at and best < max(2, len(shapes(word)) // 2):  # and the division itself matches well
                if here:
                    out[k][-1] = word[:at] + "-"
                    out[k + 1].insert(0, word[at:])
                else:
                    out[k].append(word[:at] + "-")
                    out[k + 1][0] = word[at:]
                break
    return out


def variants(text: str, reading: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Where a line's text (the edition's) and what was read there differ, word by word, compared as
    ``fold`` compares (an accent Tesseract missed is not a variant): the words of each, with True on
    those that differ. For the line editor's diff view."""
    ours, theirs = text.split(), reading.split()
    matcher = SequenceMatcher(a=[fold(w) for w in ours], b=[fold(w) for w in theirs], autojunk=False)
    left = [(w, True) for w in ours]
    right = [(w, True) for w in theirs]
    for block in matcher.get_matching_blocks():
        for i in range(block.size):
            left[block.a + i] = (ours[block.a + i], False)
            right[block.b + i] = (theirs[block.b + i], False)
    return left, right
