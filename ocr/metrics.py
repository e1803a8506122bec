"""Error rates of recognised text against ground truth (rapidfuzz for the edit distances).

All texts are compared after ``normalize_text`` (NFC, white space collapsed, empty lines dropped):
the UI, ``kalamos eval`` and the benchmarks use these same functions.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields

from rapidfuzz.distance import Levenshtein

__all__ = ["normalize_text", "strip_diacritics", "cer", "char_errors", "Score", "score", "char_diff", "RATE_COLUMNS"]


def normalize_text(text: str) -> str:
    """NFC; each line stripped with inner white space collapsed; empty lines dropped."""
    text = unicodedata.normalize("NFC", text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def strip_diacritics(text: str) -> str:
    """Base letters only: accents, breathings, iota subscript, diaeresis removed (NFD, drop Mn, NFC)."""
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", text)
                                                 if unicodedata.category(c) != "Mn"))


def char_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance, reference length) after ``normalize_text``."""
    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    return Levenshtein.distance(ref, hyp), len(ref)


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edits / reference characters (1.0 for text against an empty reference)."""
    errors, length = char_errors(reference, hypothesis)
    return errors / length if length else float(bool(normalize_text(hypothesis)))


#: The rates of ``Score.as_row``, in the order tables show them.
RATE_COLUMNS = ("CER %", "WER %", "CER no diacritics %", "diacritic errors %", "letter errors %", "space errors %")


@dataclass
class Score:
    """Counts that add up over lines and pages; rates are derived from them."""

    chars: int = 0
    char_errors: int = 0
    words: int = 0
    word_errors: int = 0
    base_chars: int = 0  #: reference length with diacritics stripped
    base_errors: int = 0  #: edits with diacritics stripped
    #: edits of the decomposed (NFD) texts, by what they touch
    diacritic_edits: int = 0
    letter_edits: int = 0
    space_edits: int = 0

    def __add__(self, other: "Score") -> "Score":
        return Score(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def cer(self) -> float:
        return self.char_errors / self.chars if self.chars else 0.0

    @property
    def wer(self) -> float:
        return self.word_errors / self.words if self.words else 0.0

    @property
    def cer_no_diacritics(self) -> float:
        return self.base_errors / self.base_chars if self.base_chars else 0.0

    def shares(self) -> dict[str, float]:
        """Share of the (NFD) edits that are accents/breathings, base letters (and punctuation), spaces."""
        total = self.diacritic_edits + self.letter_edits + self.space_edits
        if not total:
            return {"diacritics": 0.0, "letters": 0.0, "spaces": 0.0}
        return {"diacritics": self.diacritic_edits / total, "letters": self.letter_edits / total,
                "spaces": self.space_edits / total}

    def as_row(self) -> dict[str, float | int]:
        sh = self.shares()
        return {"chars": self.chars, "CER %": round(100 * self.cer, 2), "WER %": round(100 * self.wer, 2),
                "CER no diacritics %": round(100 * self.cer_no_diacritics, 2),
                "diacritic errors %": round(100 * sh["diacritics"], 1), "letter errors %": round(100 * sh["letters"], 1),
                "space errors %": round(100 * sh["spaces"], 1)}


def score(reference: str, hypothesis: str) -> Score:
    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    rb, hb = strip_diacritics(ref), strip_diacritics(hyp)
    rw, hw = ref.split(), hyp.split()
    rd, hd = unicodedata.normalize("NFD", ref), unicodedata.normalize("NFD", hyp)
    dia = letters = spaces = 0
    for op in Levenshtein.editops(rd, hd):
        chars = []
        if op.tag in ("replace", "delete"):
            chars.append(rd[op.src_pos])
        if op.tag in ("replace", "insert"):
            chars.append(hd[op.dest_pos])
        if any(unicodedata.category(c) == "Mn" for c in chars):
            dia += 1
        elif any(c.isspace() for c in chars):
            spaces += 1
        else:
            letters += 1
    return Score(len(ref), Levenshtein.distance(ref, hyp), len(rw), Levenshtein.distance(rw, hw),
                 len(rb), Levenshtein.distance(rb, hb), dia, letters, spaces)


def char_diff(reference: str, hypothesis: str) -> list[tuple[str, str, str]]:
    """The character alignment of two texts (after ``normalize_text``) as ``(tag, reference part,
    hypothesis part)`` runs, tag one of equal, replace, delete, insert: what a diff view shows."""
    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    return [(op.tag, ref[op.src_start:op.src_end], hyp[op.dest_start:op.dest_end]) for op in Levenshtein.opcodes(ref, hyp)]


def pair_lines(a: list[str], b: list[str]) -> list[tuple[int | None, int | None]]:
    """Which line of ``b`` goes with which line of ``a`` (two readings of one page that may have split,
    merged, missed or added lines): a global alignment whose cost is each pair's normalised edit
    distance, a missing line costing 1. Returns index pairs in order, ``None`` for a line without partner."""
    from rapidfuzz.distance import Levenshtein as L

    n, m = len(a), len(b)
    na, nb = [normalize_text(t) for t in a], [normalize_text(t) for t in b]
    cost = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[""] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0], move[i][0] = float(i), "a"
    for j in range(1, m + 1):
        cost[0][j], move[0][j] = float(j), "b"
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            pair = cost[i - 1][j - 1] + L.normalized_distance(na[i - 1], nb[j - 1])
            skip_a, skip_b = cost[i - 1][j] + 1.0, cost[i][j - 1] + 1.0
            cost[i][j], move[i][j] = min((pair, "p"), (skip_a, "a"), (skip_b, "b"))
    out: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i or j:
        step = move[i][j]
        if step == "p":
            out.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif step == "a":
            out.append((i - 1, None))
            i -= 1
        else:
            out.append((None, j - 1))
            j -= 1
    return out[::-1]
