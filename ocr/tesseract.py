"""Running Tesseract: available models, recognising an image region."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pytesseract
from PIL import Image

__all__ = ["TesseractError", "languages", "check_language", "recognize"]

_LANG_RE = re.compile(r"^[A-Za-z0-9_\-]+(\+[A-Za-z0-9_\-]+)*$")


class TesseractError(RuntimeError):
    """Tesseract is missing, or refused the image or the model."""


def languages() -> list[str]:
    """Models installed in Tesseract's tessdata folder (without ``osd``)."""
    try:
        return sorted(lang for lang in pytesseract.get_languages(config="") if lang != "osd")
    except (pytesseract.TesseractNotFoundError, OSError) as exc:
        raise TesseractError("Tesseract is not installed (Debian: apt-get install tesseract-ocr)") from exc


def check_language(lang: str, available: list[str] | None = None) -> str:
    """Refuse a model name that is malformed or not installed (``grc+lat`` combinations allowed)."""
    if not isinstance(lang, str) or not _LANG_RE.match(lang):
        raise TesseractError(f"{lang!r} is not a model name")
    known = available if available is not None else languages()
    missing = [part for part in lang.split("+") if part not in known]
    if missing:
        raise TesseractError(f"model(s) {', '.join(missing)} not installed; available: {', '.join(known)}")
    return lang


def recognize(img: np.ndarray, lang: str = "grc", psm: int = 6, timeout: float = 60) -> str:
    """Text of an image (uint8 grey or RGB), NFC, trailing blank lines removed."""
    check_language(lang)
    if img.size == 0:
        return ""
    try:
        text = pytesseract.image_to_string(Image.fromarray(img), lang=lang, config=f"--psm {int(psm)}", timeout=timeout)
    except RuntimeError as exc:  # pytesseract raises RuntimeError on timeout
        raise TesseractError(f"Tesseract took longer than {timeout:.0f} s") from exc
    except pytesseract.TesseractError as exc:
        raise TesseractError(f"Tesseract failed: {exc.message or exc}") from exc
    return unicodedata.normalize("NFC", text).rstrip()
