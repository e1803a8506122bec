"""Polytonic Greek: Beta Code on the whole Greek range (Python and the browser's JavaScript agree),
and each check that warns before a line becomes training data."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from ocr.greek import beta_to_greek, check_line, fix_final_sigma, greek_to_beta

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def polytonic_letters() -> list[str]:
    """Every precomposed Greek letter of Unicode's Greek and Greek Extended blocks that Beta Code can write."""
    out = []
    for cp in list(range(0x0370, 0x0400)) + list(range(0x1F00, 0x2000)):
        ch = chr(cp)
        if not unicodedata.category(ch).startswith("L") or unicodedata.normalize("NFC", ch) != ch:
            continue
        base = unicodedata.normalize("NFD", ch)[0].lower()
        if (base in "αβγδεζηθικλμνξοπρτυφχψωϝϲ" or ch in "Σϲ") and ch != "ϴ":  # σ/ς: by position (below); ϴ is a symbol
            out.append(ch)
    return out


def test_the_greek_range_is_large() -> None:
    letters = polytonic_letters()
    assert len(letters) > 260  # all of Greek Extended's polytonic letters, and the basic ones


def test_beta_code_round_trips_every_polytonic_letter() -> None:
    failures = [(ch, greek_to_beta(ch), beta_to_greek(greek_to_beta(ch)))
                for ch in polytonic_letters() if beta_to_greek(greek_to_beta(ch)) != ch]
    assert not failures, failures[:10]


@pytest.mark.parametrize("beta,greek", [
    ("mh=nin a)/eide qea/", "μῆνιν ἄειδε θεά"),
    ("*)odusseu/s", "Ὀδυσσεύς"),
    ("*(/ektwr", "Ἕκτωρ"),
    ("a)/|dhs h(=| tw=|", "ᾄδης ᾗ τῷ"),
    ("ti/s; lo/gos:", "τίς; λόγος·"),
    ("r(o/dos kai\\ a)ll' e)gw/", "ῥόδος καὶ ἀλλ’ ἐγώ"),
    ("prai+/", "πραΐ"),
    ("a_ a^", "ᾱ ᾰ"),
    ("s3ofo/s3", "ϲοφόϲ"),
    ("*(ELLHNIKH/", "Ἑλληνική"),
    ("μη=νιν", "μῆνιν"),  # partly converted already: the browser converts at every keystroke
])
def test_beta_code_examples(beta: str, greek: str) -> None:
    assert beta_to_greek(beta) == greek


def test_final_sigma_while_typing_and_at_the_end() -> None:
    assert beta_to_greek("logos", final=False) == "λογοσ"  # the word may go on
    assert beta_to_greek("logos") == "λογος"
    assert beta_to_greek("logos kai") == "λογος και"
    assert fix_final_sigma("λογοςα") == "λογοσα"  # a letter typed after ς


def test_javascript_agrees_with_python(browser) -> None:  # type: ignore[no-untyped-def]
    samples = [greek_to_beta(ch) for ch in polytonic_letters()] + [
        "mh=nin a)/eide qea/", "*)odusseu/s", "a)/|dhs h(=| tw=|", "ti/s; lo/gos:", "r(o/dos a)ll' e)gw/",
        "prai+/", "a_ a^", "s3ofo/s3", "*(ELLHNIKH/", "μη=νιν", "logos", "logos kai", "λογοςα"]
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=str(ASSETS / "greek.js"))
    js = page.evaluate(f"{json.dumps(samples)}.map(s => [window.kalamosGreek.betaToGreek(s, true), "
                       "window.kalamosGreek.betaToGreek(s, false)])")
    py = [[beta_to_greek(s, final=True), beta_to_greek(s, final=False)] for s in samples]
    mismatches = [(s, j, p) for s, j, p in zip(samples, js, py) if j != p]
    page.close()
    assert not mismatches, mismatches[:10]


def test_typing_key_by_key_gives_what_pasting_gives(browser, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    """Every polytonic letter, and 3,000 words of the Greek New Testament in Beta Code, typed one key at
    a time (assets/greek.js, typeKey) read exactly as the whole text converted (beta_to_greek)."""
    import random

    words = (shared_data / "corpus" / "nestle1904.txt").read_text(encoding="utf-8").split()
    rng = random.Random(3)
    sample = [greek_to_beta(w) for w in rng.sample(words, 3000)]
    texts = [greek_to_beta(ch) for ch in polytonic_letters()] + sample + [
        " ".join(sample[i:i + 8]) for i in range(0, 400, 8)] + [
        "*feu=", "*)odusseu/s", "*(/hra", "th=| o(dw=|", "*phlhi+a/dew", "a)ll' e)gw/", "o(/s3", "s1", "fws2fw", "*)/w *zeu="]
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=str(ASSETS / "greek.js"))
    typed = page.evaluate(f"{json.dumps(texts)}.map(s => window.kalamosGreek.typeKeys(s))")
    page.close()
    mismatches = [(t, k, beta_to_greek(t)) for t, k in zip(texts, typed) if k != beta_to_greek(t)]
    assert not mismatches, mismatches[:10]


def codes(text: str) -> list[str]:
    return [c.code for c in check_line(text)]


def test_clean_text_has_no_warning() -> None:
    assert check_line("μῆνιν ἄειδε θεὰ Πηληϊάδεω Ἀχιλῆος· οὐλομένην, ἣ μυρί’ Ἀχαιοῖς ἄλγε’ ἔθηκε;") == []


def test_mixed_normalisation() -> None:
    assert "not-nfc" in codes("α\u0313\u0301λλα")  # decomposed ἄ


def test_oxia_forms_are_reported_as_tonos() -> None:
    found = check_line("\u1f71λλα")  # ά with OXIA (U+1F71), NFC gives U+03AC with tonos
    assert [c.code for c in found] == ["oxia"] and "U+1F71" in found[0].message


def test_spacing_accents() -> None:
    assert "spacing-accent" in codes("α\u1ffdλλα")  # GREEK OXIA alone
    assert "spacing-accent" in codes("ε\u1fc0")  # spacing perispomeni


def test_ano_teleia_lookalikes() -> None:
    assert codes("τοῦτο\u00b7 καί") == []  # U+00B7 is the ano teleia's NFC form
    assert codes("τοῦτο\u0387 καί") == ["not-nfc"]
    assert "middle-dot" in codes("τοῦτο\u2219 καί")
    assert "middle-dot" in codes("τοῦτο\u22c5 καί")


@pytest.mark.parametrize("mark", ["\u0027", "\u02bc", "\u1fbd", "\u1fbf"])
def test_apostrophe_lookalikes(mark: str) -> None:
    assert "apostrophe" in codes(f"ἀλλ{mark} ἐγώ")
    assert codes("ἀλλ\u2019 ἐγώ") == []


@pytest.mark.parametrize("word,latin", [("λόγoς", "o"), ("ἄvθρωπος", "v"), ("Kαί", "K"), ("ἀρxή", "x"), ("λόγ\u043eς", "\u043e")])
def test_latin_letters_inside_greek_words(word: str, latin: str) -> None:
    found = [c for c in check_line(word) if c.code == "latin-in-greek"]
    assert found and f"U+{ord(latin):04X}" in found[0].message
    assert check_line("Sophocles, Ajax") == []  # Latin words are fine


def test_sigma_in_the_wrong_place() -> None:
    assert "sigma" in codes("λογοσ καί")
    assert "sigma" in codes("λόςγος")


def test_dominant_script() -> None:
    from ocr.greek import dominant_script

    assert dominant_script("Φρονοῦντα γάρ νιν οὐκ ἂν ἐξέστην ὄκνῳ.") == "greek"
    assert dominant_script("Quod autem dicit ἐξέστην, hoc est") == "latin"
    assert dominant_script("ΑΙΑΣ 85.") == "greek" and dominant_script("— 12, 3") is None
