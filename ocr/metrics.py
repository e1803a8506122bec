"""Error rates of recognised text against ground truth (rapidfuzz for the edit distance)."""

from __future__ import annotations

import unicodedata

from rapidfuzz.distance import Levenshtein

__all__ = ["normalize_text", "cer", "char_errors"]


def normalize_text(text: str) -> str:
    """NFC; each line stripped with inner white space collapsed; empty lines dropped."""
    text = unicodedata.normalize("NFC", text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def char_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance, reference length) after ``normalize_text``."""
    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    return Levenshtein.distance(ref, hyp), len(ref)


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edits / reference characters (1.0 for text against an empty reference)."""
    errors, length = char_errors(reference, hypothesis)
    return errors / length if length else float(bool(normalize_text(hypothesis)))
