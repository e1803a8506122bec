"""CER/WER and the diacritic breakdown on hand-made cases; Tesseract's hOCR and TSV parsed into lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocr.hocr import parse_hocr, parse_tsv
from ocr.metrics import cer, score, strip_diacritics

RES = Path(__file__).resolve().parent / "resources"


def test_cer_and_wer_hand_made() -> None:
    s = score("λόγος καί", "λογος καί")  # one accent missing
    assert (s.chars, s.char_errors) == (9, 1) and s.words == 2 and s.word_errors == 1
    assert s.base_errors == 0 and s.cer_no_diacritics == 0
    assert s.shares() == {"diacritics": 1.0, "letters": 0.0, "spaces": 0.0}
    s = score("λόγος καί", "λόγοςκαί")  # a space lost
    assert s.char_errors == 1 and s.shares()["spaces"] == 1.0 and s.word_errors == 2
    s = score("λόγος", "λόγοσ")  # a base letter
    assert s.shares()["letters"] == 1.0 and s.cer_no_diacritics == pytest.approx(1 / 5)
    total = score("ἄνθρωπος", "ἀνθρωπος") + score("abc", "abd")
    assert total.chars == 11 and total.char_errors == 2 and total.diacritic_edits == 1 and total.letter_edits == 1


def test_normalisation_makes_encodings_equal() -> None:
    assert cer("ἄλλα", "α\u0313\u0301λλα") == 0  # NFD hypothesis
    assert cer("a  b\n\n c", "a b\nc") == 0  # white space
    assert strip_diacritics("ᾄδης Ἕκτωρ") == "αδης Εκτωρ"
    assert cer("", "") == 0 and cer("", "x") == 1


HOCR = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><body>
<div class='ocr_page' id='page_1' title='image "x.png"; bbox 0 0 1000 800; ppageno 0'>
 <div class='ocr_carea' id='block_1_1' title="bbox 100 100 900 300">
  <p class='ocr_par' id='par_1_1' lang='grc' title="bbox 100 100 900 300">
   <span class='ocr_line' id='line_1_1' title="bbox 100 100 900 150; baseline 0.01 -10; x_size 40; x_descenders 10; x_ascenders 10">
    <span class='ocrx_word' id='word_1_1' title='bbox 100 100 300 150; x_wconf 96'>μῆνιν</span>
    <span class='ocrx_word' id='word_1_2' title='bbox 320 100 900 150; x_wconf 50'>ἄειδε</span>
   </span>
   <span class='ocr_textfloat' id='line_1_2' title="bbox 100 200 500 240; baseline 0 -5">
    <span class='ocrx_word' id='word_1_3' title='bbox 100 200 500 240; x_wconf 80'>θεά</span>
   </span>
  </p>
 </div>
</div></body></html>"""


def test_parse_hocr() -> None:
    lines = parse_hocr(HOCR)
    assert [ln.text for ln in lines] == ["μῆνιν ἄειδε", "θεά"]
    first = lines[0]
    assert first.bbox == [100, 100, 900, 150]
    assert first.baseline == [[100, 140], [900, 148]]
    assert first.conf == pytest.approx((96 * 5 + 50 * 5) / 10)
    assert [w.conf for w in first.words] == [96, 50]
    assert parse_hocr("") == []


TSV = "\n".join([
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
    "1\t1\t0\t0\t0\t0\t0\t0\t1000\t800\t-1\t",
    "4\t1\t1\t1\t1\t0\t100\t100\t800\t50\t-1\t",
    "5\t1\t1\t1\t1\t1\t100\t100\t200\t50\t96.5\tμῆνιν",
    "5\t1\t1\t1\t1\t2\t320\t100\t580\t50\t50.0\tἄειδε",
    "4\t1\t1\t1\t2\t0\t100\t200\t400\t40\t-1\t",
    "5\t1\t1\t1\t2\t1\t100\t200\t400\t40\t-1\t ",
])


def test_parse_tsv() -> None:
    lines = parse_tsv(TSV)
    assert len(lines) == 1 and lines[0].text == "μῆνιν ἄειδε" and lines[0].bbox == [100, 100, 900, 150]
    assert lines[0].conf == pytest.approx((96.5 * 5 + 50 * 5) / 10, abs=0.1)
    assert parse_tsv("") == []


def test_real_tesseract_output_parses(commentary_pages: list[Path]) -> None:
    from ocr.tesseract import ocr_page

    lines = ocr_page(commentary_pages[1], "lat")
    assert len(lines) > 15 and all(0 <= ln.conf <= 100 for ln in lines if ln.words)
    assert any("causae" in ln.text for ln in lines)
    assert all(ln.bbox[0] < ln.bbox[2] and ln.bbox[1] < ln.bbox[3] for ln in lines)


def test_many_lines_read_by_one_tesseract_are_read_as_one_by_one(shared_data) -> None:  # type: ignore[no-untyped-def]
    """``ocr_lines`` (a list file, TSV out, one process) gives each line what ``ocr_line`` gives it,
    in order, and an image that cannot be read (empty) as nothing."""
    import numpy as np
    from PIL import Image

    from ocr.tesseract import ocr_line, ocr_lines

    pairs = sorted((shared_data / "gt4histcomment" / "bsb10234118" / "GT-pairs").glob("bsb10234118_0027_*.png"))[:6]
    images = [np.asarray(Image.open(p).convert("L")) for p in pairs]
    images.insert(3, np.zeros((0, 0), np.uint8))
    together = ocr_lines(images, "grc")
    assert together[3] == ("", -1.0)
    alone = [ocr_line(img, "grc") for img in images[:3] + images[4:]]
    assert together[:3] + together[4:] == alone
    assert all(text and conf > 0 for text, conf in alone)
