"""Running Tesseract: available models, recognising an image region."""

from __future__ import annotations

import os
import re
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytesseract
from PIL import Image

from ocr.hocr import OcrLine, parse_hocr, parse_tsv, parse_tsv_pages

__all__ = ["TesseractError", "languages", "check_language", "recognize", "run_tesseract", "run_on_array", "ocr_page", "ocr_line", "ocr_lines",
           "read_lines"]

_LANG_RE = re.compile(r"^[A-Za-z0-9_\-]+(\+[A-Za-z0-9_\-]+)*\Z")


class TesseractError(RuntimeError):
    """Tesseract is missing, or refused the image or the model."""


def languages(tessdata_dir: Path | None = None) -> list[str]:
    """Models in Tesseract's tessdata folder, or in ``tessdata_dir`` (without ``osd``)."""
    if tessdata_dir is not None:
        return sorted(p.name[: -len(".traineddata")] for p in Path(tessdata_dir).glob("*.traineddata") if p.name != "osd.traineddata")
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


def run_tesseract(image: Path, lang: str, psm: int, config: str, timeout: float = 600,
                  tessdata_dir: Path | None = None, threads: int = 1) -> str:
    """Run the ``tesseract`` command on an image file and return its stdout (``config``: hocr, tsv, txt).

    ``threads``: OpenMP threads of this Tesseract process. One per process and one process per core
    is much faster than Tesseract's own threading on small machines (BENCHMARKS.md).
    """
    cmd = ["tesseract", str(image), "stdout", "-l", lang, "--psm", str(int(psm))]
    if tessdata_dir:
        cmd[1:1] = ["--tessdata-dir", str(tessdata_dir)]
    if config != "txt":  # as -c settings, not config files: a --tessdata-dir may have no configs/ folder
        cmd += ["-c", f"tessedit_create_{config}=1"]
    env = {**os.environ, "OMP_THREAD_LIMIT": str(threads)}
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env, check=False)
    except FileNotFoundError as exc:
        raise TesseractError("Tesseract is not installed (Debian: apt-get install tesseract-ocr)") from exc
    except subprocess.TimeoutExpired as exc:
        raise TesseractError(f"Tesseract took longer than {timeout:.0f} s") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise TesseractError(f"Tesseract failed: {message[-1] if message else done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def _run_list(images: list[Path], lang: str, psm: int, config: str, tessdata_dir: Path | None,
              timeout: float) -> str:
    """One Tesseract over many images (a list file as input, one page per image): the model is loaded once."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as listing:
        listing.write("".join(f"{Path(p).resolve()}\n" for p in images))
    try:
        return run_tesseract(Path(listing.name), lang, psm, config, timeout=timeout, tessdata_dir=tessdata_dir)
    finally:
        os.unlink(listing.name)


def read_lines(images: list[Path], lang: str, psm: int = 7, tessdata_dir: Path | None = None,
               timeout: float = 1800) -> list[str]:
    """The text of each of many line images, read by one Tesseract (``_run_list``; Tesseract puts its
    page separator, a form feed, between them). NFC, one entry per image, in order."""
    if not images:
        return []
    texts = _run_list(images, lang, psm, "txt", tessdata_dir, timeout).split("\f")
    if len(texts) != len(images):
        raise TesseractError(f"Tesseract read {len(texts)} pages of {len(images)} line images")
    return [unicodedata.normalize("NFC", " ".join(t.split())) for t in texts]


def _reading(lines: list[OcrLine]) -> tuple[str, float]:
    """A line image's text and mean confidence from the lines Tesseract found on it (-1: none)."""
    text = " ".join(ln.text for ln in lines)
    conf = round(sum(ln.conf for ln in lines) / len(lines), 1) if lines else -1.0
    return unicodedata.normalize("NFC", text), conf


def ocr_page(image: Path, lang: str, psm: int = 3, tessdata_dir: Path | None = None) -> list[OcrLine]:
    """Whole-page OCR with Tesseract's layout analysis: lines with boxes, baselines, confidences."""
    return parse_hocr(run_tesseract(image, lang, psm, "hocr", tessdata_dir=tessdata_dir))


def run_on_array(img: np.ndarray, lang: str, psm: int, config: str, tessdata_dir: Path | None = None,
                 timeout: float = 120) -> str:
    """``run_tesseract`` on an in-memory image (written to a temporary PNG)."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".png") as tmp:
        Image.fromarray(img).save(tmp.name)
        return run_tesseract(Path(tmp.name), lang, psm, config, timeout=timeout, tessdata_dir=tessdata_dir)


def recognize(img: np.ndarray, lang: str = "grc", psm: int = 6, timeout: float = 60, tessdata_dir: Path | None = None) -> str:
    """Text of an image (uint8 grey or RGB), NFC, trailing blank lines removed."""
    check_language(lang, languages(tessdata_dir) if tessdata_dir else None)
    if img.size == 0:
        return ""
    return unicodedata.normalize("NFC", run_on_array(img, lang, psm, "txt", tessdata_dir, timeout)).rstrip()


def ocr_lines(images: list[np.ndarray], lang: str, tessdata_dir: Path | None = None, psm: int = 7,
              timeout: float = 1800) -> list[tuple[str, float]]:
    """Text and confidence (0–100; -1 when nothing was read) of each of many line images, read by ONE
    Tesseract (the model loaded once: a list file, one page per image, TSV out): what a page's lines
    cost in line mode is then close to what the page costs in page mode. In order, NFC."""
    readable = [i for i, img in enumerate(images) if img.size and min(img.shape[:2]) >= 2]
    out: list[tuple[str, float]] = [("", -1.0)] * len(images)  # an image that cannot be read reads as nothing
    if not readable:
        return out
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kalamos-lines-") as folder:
        paths = []
        for n, i in enumerate(readable):
            path = Path(folder) / f"{n:05d}.png"
            Image.fromarray(images[i]).save(path, compress_level=1)
            paths.append(path)
        by_page = parse_tsv_pages(_run_list(paths, lang, psm, "tsv", tessdata_dir, timeout))
    for n, i in enumerate(readable, 1):
        out[i] = _reading(by_page.get(n, []))
    return out


def ocr_line(img: np.ndarray, lang: str, tessdata_dir: Path | None = None, psm: int = 7) -> tuple[str, float]:
    """Text and confidence (0–100) of one line image."""
    return _reading(parse_tsv(run_on_array(img, lang, psm, "tsv", tessdata_dir)))
