"""Polytonic Greek text: NFC storage, Beta Code input, and checks that catch look-alike characters
before a line becomes training data.

Beta Code follows the TLG conventions: letters ``a b g d e z h q i k l m n c o p r s t u f x y w v``
(case does not matter), ``*`` before a capital (its diacritics between ``*`` and the letter:
``*)/a`` = Ἄ), diacritics after a small letter: ``)`` psili, ``(`` dasia, ``/`` acute, ``\\`` grave,
``=`` circumflex, ``|`` iota subscript, ``+`` diaeresis, ``_`` macron, ``^`` breve; ``:`` ano teleia,
``;`` question mark, ``'`` apostrophe (’), ``#`` numeral sign; ``s`` becomes ς at the end of a word,
``s1`` is σ wherever it stands, ``s2`` is ς, ``s3`` (or ``j``) is lunate ϲ. The conversion accepts text
that is already partly Greek. In the browser (``assets/greek.js``) the same rules convert each key
as it is typed, never text already in the field; typing a text key by key gives what pasting it gives.

The library ``beta-code`` (PyPI) was tried first and rejected: it maps ``s1`` (medial sigma) to ς
and the macron ``_`` to a dash, and it is not incremental.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["nfc", "beta_to_greek", "greek_to_beta", "fix_final_sigma", "Check", "check_line", "LETTERS", "MARKS",
           "Normalisation", "normalise", "describe_changes", "variant_forms", "ELISION_MARKS", "ANO_TELEIA_MARKS", "LUNATE_CHOICES",
           "SCRIPTS", "dominant_script"]

LETTERS = {
    "a": "α", "b": "β", "g": "γ", "d": "δ", "e": "ε", "z": "ζ", "h": "η", "q": "θ", "i": "ι", "k": "κ",
    "l": "λ", "m": "μ", "n": "ν", "c": "ξ", "o": "ο", "p": "π", "r": "ρ", "s": "σ", "t": "τ", "u": "υ",
    "f": "φ", "x": "χ", "y": "ψ", "w": "ω", "v": "ϝ", "j": "ϲ",
}
#: Beta Code diacritic → combining character, in the order they are applied to a letter
MARKS = {
    ")": "\u0313", "(": "\u0314", "+": "\u0308", "/": "\u0301", "\\": "\u0300", "=": "\u0342",
    "|": "\u0345", "_": "\u0304", "^": "\u0306",
}
_MARK_ORDER = ["\u0304", "\u0306", "\u0313", "\u0314", "\u0308", "\u0301", "\u0300", "\u0342", "\u0345"]
PUNCT = {":": "\u00b7", ";": ";", "'": "\u2019", "#": "\u02b9"}
_SIGMA_DIGITS = {"1": "σ", "2": "ς", "3": "ϲ"}
_FIXED_MEDIAL, _FIXED_FINAL = "\ue001", "\ue002"  # σ, ς chosen with a digit, while converting


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _is_greek_letter(ch: str) -> bool:
    if not ch:
        return False
    base = unicodedata.normalize("NFD", ch)[0]
    return ("\u0370" <= base <= "\u03ff" or "\u1f00" <= base <= "\u1fff") and unicodedata.category(base).startswith("L")


SCRIPTS = ("greek", "latin")


def dominant_script(text: str) -> str | None:
    """"greek" or "latin": the script of most of the line's letters (None: no letter). Lets a
    Greek model be trained on the Greek lines of a commentary and a Latin one on the rest."""
    greek = latin = 0
    for ch in unicodedata.normalize("NFC", text):
        if _is_greek_letter(ch):
            greek += 1
        elif ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN"):
            latin += 1
    if not greek and not latin:
        return None
    return "greek" if greek >= latin else "latin"


def _add_marks(letter: str, marks: list[str]) -> str:
    """Combine ``letter`` (possibly already accented) with more combining marks, in Greek order."""
    decomposed = unicodedata.normalize("NFD", letter)
    base, existing = decomposed[0], list(decomposed[1:])
    for m in marks:
        if m in existing:
            continue
        # a new breathing or accent replaces one of the same kind
        for group in (("\u0313", "\u0314"), ("\u0301", "\u0300", "\u0342")):
            if m in group:
                existing = [e for e in existing if e not in group]
        existing.append(m)
    existing.sort(key=lambda c: _MARK_ORDER.index(c) if c in _MARK_ORDER else len(_MARK_ORDER))
    return unicodedata.normalize("NFC", base + "".join(existing))


def fix_final_sigma(text: str, at_end: bool = False) -> str:
    """σ before a non-letter becomes ς, ς before a letter becomes σ; with ``at_end`` also σ at the end."""
    out = list(text)
    for i, ch in enumerate(out):
        nxt = out[i + 1] if i + 1 < len(out) else None
        if ch == "σ" and ((nxt is None and at_end) or (nxt is not None and not unicodedata.category(nxt).startswith("L")
                                                       and unicodedata.category(nxt) != "Mn")):
            out[i] = "ς"
        elif ch == "ς" and nxt is not None and unicodedata.category(nxt).startswith("L"):
            out[i] = "σ"
    return "".join(out)


def beta_to_greek(text: str, final: bool = True) -> str:
    """Convert Beta Code (possibly mixed with Greek already converted) to NFC Greek.

    ``final``: also turn a σ at the very end into ς (when the text is complete, not while typing).
    """
    out: list[str] = []
    capital = False
    pending: list[str] = []
    for ch in nfc(text):
        low = ch.lower()
        if ch == "*":
            capital, pending = True, []
        elif ch in MARKS and capital:
            pending.append(MARKS[ch])
        elif ch in MARKS and out and _is_greek_letter(out[-1]):
            out[-1] = _add_marks(out[-1], [MARKS[ch]])
        elif low in LETTERS and ch.isascii():
            letter = LETTERS[low].upper() if capital else LETTERS[low]
            out.append(_add_marks(letter, pending) if pending else letter)
            capital, pending = False, []
        elif ch in _SIGMA_DIGITS and out and out[-1] in ("σ", "ς", "ϲ", _FIXED_MEDIAL, _FIXED_FINAL):
            out[-1] = {"1": _FIXED_MEDIAL, "2": _FIXED_FINAL}.get(ch, "ϲ")  # explicit: not moved by the final rule
        elif ch in _SIGMA_DIGITS and out and out[-1] in ("Σ", "Ϲ"):
            out[-1] = "Ϲ" if ch == "3" else "Σ"
        elif ch in PUNCT:
            out.append(PUNCT[ch])
        else:
            out.append(ch)
    # s1 stays σ wherever it stands; s2 is ς as a plain s would be at the end of a word (a letter
    # typed after it makes it σ, as it does after any ς: typed key by key or pasted, the same)
    fixed = fix_final_sigma("".join(out).replace(_FIXED_FINAL, "ς"), at_end=final)
    return nfc(fixed.replace(_FIXED_MEDIAL, "σ"))


_REVERSE_LETTERS = {v: k for k, v in LETTERS.items() if k != "j"}
_REVERSE_LETTERS.update({"ς": "s", "ϲ": "s3", "Ϲ": "s3"})
_REVERSE_MARKS = {v: k for k, v in MARKS.items()}
_REVERSE_PUNCT = {v: k for k, v in PUNCT.items()}


def greek_to_beta(text: str) -> str:
    """The Beta Code of Greek text (round-trips with ``beta_to_greek`` for every polytonic letter)."""
    out = []
    for ch in nfc(text):
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        low = "Ϲ" if base == "Ϲ" else base.lower()
        if low in _REVERSE_LETTERS:
            code = "".join(_REVERSE_MARKS.get(m, m) for m in marks)
            out.append(f"*{code}{_REVERSE_LETTERS[low]}" if base != low or base == "Ϲ" else f"{_REVERSE_LETTERS[low]}{code}")
        elif ch in _REVERSE_PUNCT:
            out.append(_REVERSE_PUNCT[ch])
        else:
            out.append(ch)
    return "".join(out)


# --------------------------------------------------------------------------- checks
@dataclass(frozen=True)
class Check:
    code: str  #: short machine name: "not-nfc", "oxia", "spacing-accent", "middle-dot", "apostrophe", "latin-in-greek", "sigma"
    message: str
    position: int | None = None  #: index in the NFC text, when it points at one character


_OXIA = {chr(c) for c in range(0x1F71, 0x1F7E, 2)} | {"\u1FBB", "\u1FC9", "\u1FCB", "\u1FD3", "\u1FDB", "\u1FE3", "\u1FEB", "\u1FF9", "\u1FFB"}
_SPACING_ACCENTS = {
    "\u1FFD": "GREEK OXIA", "\u0384": "GREEK TONOS", "\u00B4": "ACUTE ACCENT", "\u1FEF": "GREEK VARIA", "\u0060": "GRAVE ACCENT",
    "\u1FC0": "GREEK PERISPOMENI", "\u1FFE": "GREEK DASIA", "\u1FEE": "GREEK DIALYTIKA AND OXIA", "\u1FC1": "GREEK DIALYTIKA AND PERISPOMENI",
    "\u1FCD": "GREEK PSILI AND VARIA", "\u1FCE": "GREEK PSILI AND OXIA", "\u1FCF": "GREEK PSILI AND PERISPOMENI",
    "\u1FDD": "GREEK DASIA AND VARIA", "\u1FDE": "GREEK DASIA AND OXIA", "\u1FDF": "GREEK DASIA AND PERISPOMENI",
    "\u00A8": "DIAERESIS", "\u02DC": "SMALL TILDE", "\u0385": "GREEK DIALYTIKA TONOS",
}
_DOT_LOOKALIKES = {"\u2219": "BULLET OPERATOR", "\u22C5": "DOT OPERATOR", "\u2027": "HYPHENATION POINT",
                   "\u2E31": "WORD SEPARATOR MIDDLE DOT", "\u30FB": "KATAKANA MIDDLE DOT", "\u2022": "BULLET",
                   "\u02D1": "MODIFIER LETTER HALF TRIANGULAR COLON", "\u16EB": "RUNIC SINGLE PUNCTUATION"}
_APOSTROPHES = {"\u0027": "APOSTROPHE (typewriter ')", "\u02BC": "MODIFIER LETTER APOSTROPHE", "\u1FBD": "GREEK KORONIS",
                "\u1FBF": "GREEK PSILI (spacing)", "\u2018": "LEFT SINGLE QUOTATION MARK", "\u02B9": "MODIFIER LETTER PRIME",
                "\u0313": "COMBINING COMMA ABOVE (alone)", "\u00B4": "ACUTE ACCENT"}
#: Latin (and Cyrillic) letters that look like Greek ones
_LOOKALIKES = {
    "o": "ο", "O": "Ο", "v": "ν", "A": "Α", "B": "Β", "E": "Ε", "Z": "Ζ", "H": "Η", "I": "Ι", "K": "Κ", "M": "Μ",
    "N": "Ν", "P": "Ρ", "T": "Τ", "Y": "Υ", "X": "Χ", "i": "ι", "k": "κ", "p": "ρ", "x": "χ", "u": "υ", "y": "γ",
    "w": "ω", "a": "α", "t": "τ", "n": "η", "\u043e": "ο", "\u0430": "α", "\u0440": "ρ", "\u0441": "ϲ", "\u0445": "χ",
    "\u0415": "Ε", "\u041e": "Ο", "\u0410": "Α", "\u0420": "Ρ", "\u0422": "Τ", "\u041d": "Η", "\u041a": "Κ", "\u041c": "Μ",
}
_WORD = re.compile(r"[^\W\d_]+(?:[\u0300-\u036f\u1dc0-\u1dff]*[^\W\d_]*)*", re.UNICODE)


def _name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '?')}"


def check_line(raw: str, policy: "Normalisation | None" = None) -> list[Check]:
    """Warnings about a transcription before it becomes training data (empty list: nothing to say).

    Looks at the text as typed or imported (``raw``); positions refer to the NFC form that is stored.
    With the project's ``policy``, an elision mark or ano teleia of another form is said to be
    stored in the project's form rather than flagged as a mistake.
    """
    checks: list[Check] = []
    text = nfc(raw)
    if raw != text:
        decomposed = any(unicodedata.combining(ch) for ch in raw)
        oxia = [ch for ch in raw if ch in _OXIA]
        if oxia:
            checks.append(Check("oxia", f"{len(oxia)} letter(s) with oxia ({', '.join(sorted({_name(c) for c in oxia}))}) "
                                        "are stored as their tonos equivalents (NFC): the same accent, one encoding."))
        if decomposed:
            checks.append(Check("not-nfc", "The text mixes decomposed letters and accents (NFD) with precomposed ones; "
                                           "it is stored normalised (NFC)."))
        elif not oxia:
            checks.append(Check("not-nfc", "The text is not in NFC; it is stored normalised."))
    for i, ch in enumerate(text):
        if ch in _SPACING_ACCENTS:
            checks.append(Check("spacing-accent", f"{_name(ch)} stands alone at position {i + 1}: an accent or breathing "
                                                  "should sit on its letter (use the palette or Beta Code).", i))
        elif policy is not None and ch in ANO_TELEIA_MARKS and ch != policy.ano_teleia:
            checks.append(Check("middle-dot", f"{_name(ch)} at position {i + 1} is stored as {policy.ano_teleia} "
                                              f"({_name(policy.ano_teleia)}), the project's ano teleia.", i))
        elif policy is not None and ch in ELISION_MARKS and ch != policy.elision:
            checks.append(Check("apostrophe", f"{_name(ch)} at position {i + 1} is stored as {policy.elision} "
                                              f"({_name(policy.elision)}), the project's elision mark.", i))
        elif policy is None and ch in _DOT_LOOKALIKES:
            checks.append(Check("middle-dot", f"{_name(ch)} at position {i + 1} looks like the ano teleia; "
                                              "use · (U+00B7 MIDDLE DOT, the normalised ano teleia).", i))
        elif ch in _APOSTROPHES and ch != "\u00B4" and (policy is None or ch not in ELISION_MARKS):
            elision = policy.elision if policy else "\u2019"
            checks.append(Check("apostrophe", f"{_name(ch)} at position {i + 1}: for elision use {elision} "
                                              f"({_name(elision)}); for crasis put the koronis on the letter (κἀγώ).", i))
    for m in _WORD.finditer(text):
        word = m.group()
        greek = [c for c in word if _is_greek_letter(c)]
        foreign = [(j, c) for j, c in enumerate(word) if c in _LOOKALIKES and not _is_greek_letter(c)]
        if greek and foreign:
            for j, c in foreign:
                checks.append(Check("latin-in-greek", f"{_name(c)} inside the Greek word “{word}” looks like "
                                                      f"{_LOOKALIKES[c]} ({_name(_LOOKALIKES[c])}).", m.start() + j))
        if greek:
            for j, c in enumerate(word[:-1]):
                if c == "ς":
                    checks.append(Check("sigma", f"final ς inside the word “{word}”.", m.start() + j))
            if word[-1] == "σ" and len(greek) > 1:
                checks.append(Check("sigma", f"medial σ at the end of the word “{word}” (ς?).", m.end() - 1))
    return checks


# --------------------------------------------------------------------------- normalisation policy
#: Characters written for the elision mark (and the spacing koronis/psili used as one), by name.
ELISION_MARKS = {"\u2019": "’ right single quotation mark (U+2019)", "\u02bc": "ʼ modifier letter apostrophe (U+02BC)",
                 "\u1fbd": "᾽ Greek koronis (U+1FBD)", "\u1fbf": "᾿ Greek psili (U+1FBF)", "'": "' typewriter apostrophe (U+0027)"}
#: Characters written for the ano teleia (U+0387 is stored as U+00B7 by NFC).
ANO_TELEIA_MARKS = {"\u00b7": "· middle dot (U+00B7, the NFC ano teleia)", "\u2e31": "⸱ word separator middle dot (U+2E31)",
                    "\u2022": "• bullet (U+2022)", "\u2219": "∙ bullet operator (U+2219)", "\u22c5": "⋅ dot operator (U+22C5)",
                    "\u02d1": "ˑ half triangular colon (U+02D1)"}
LUNATE_CHOICES = {"sigma": "σ/ς (lunate ϲ written as σ or ς)", "lunate": "ϲ (every σ/ς written lunate)",
                  "keep": "as typed (both may occur)"}


@dataclass(frozen=True)
class Normalisation:
    """How a project writes the characters that have several forms (stored text is always NFC, which
    also turns oxia into tonos and the Greek question mark and ano teleia into ; and ·).

    The elision mark and sigma default to what Tesseract's ``grc`` model knows (’, σ/ς rather than ϲ);
    grc knows no ano teleia at all, so its default is the NFC form ·, which training adds."""

    elision: str = "\u2019"
    ano_teleia: str = "\u00b7"
    lunate: str = "sigma"

    @classmethod
    def from_settings(cls, raw: object) -> "Normalisation":
        d = raw if isinstance(raw, dict) else {}
        default = cls()
        return cls(elision=d.get("elision") if d.get("elision") in ELISION_MARKS else default.elision,
                   ano_teleia=d.get("ano_teleia") if d.get("ano_teleia") in ANO_TELEIA_MARKS else default.ano_teleia,
                   lunate=d.get("lunate") if d.get("lunate") in LUNATE_CHOICES else default.lunate)

    def to_settings(self) -> dict[str, str]:
        return {"elision": self.elision, "ano_teleia": self.ano_teleia, "lunate": self.lunate}


def _is_letter(ch: str | None) -> bool:
    return ch is not None and (unicodedata.category(ch).startswith("L") or unicodedata.category(ch) == "Mn")


#: Marks only polytonic Greek writes (after NFD): grave, psili, dasia, perispomeni, ypogegrammeni.
POLYTONIC_MARKS = frozenset("\u0300\u0313\u0314\u0342\u0345")


def is_polytonic(texts: Iterable[str], share: float = 0.1) -> bool:
    """Whether Greek text is written polytonically: at least ``share`` of its Greek words carry a
    breathing, a circumflex, a grave or an iota subscript (monotonic Greek has none of them)."""
    greek = marked = 0
    for text in texts:
        for word in text.split():
            letters = [c for c in unicodedata.normalize("NFD", word) if "GREEK" in unicodedata.name(c, "")]
            if not letters:
                continue
            greek += 1
            marked += any(c in POLYTONIC_MARKS for c in unicodedata.normalize("NFD", word))
    return greek > 0 and marked >= share * greek


def _after_greek(out: list[str], i: int) -> bool:
    """Whether the character before position ``i`` is a Greek letter (with or without its marks)."""
    j = i - 1
    while j >= 0 and unicodedata.category(out[j]) == "Mn":
        j -= 1
    return j >= 0 and "GREEK" in unicodedata.name(out[j], "")


def normalise(text: str, policy: Normalisation) -> tuple[str, dict[tuple[str, str], int]]:
    """The text written the project's way, and what changed: {(from, to): count} (NFC changes are
    counted as ("NFC", "NFC")). The typewriter apostrophe is an elision mark only after a Greek
    letter: Latin, English or German text and quotation marks keep it."""
    changes: dict[tuple[str, str], int] = {}
    stored = nfc(text)
    if stored != text:
        changes[("NFC", "NFC")] = 1
    out = list(stored)
    for i, ch in enumerate(out):
        new = ch
        if ch in ELISION_MARKS and ch != policy.elision and (ch != "'" or _after_greek(out, i)):
            new = policy.elision
        elif ch in ANO_TELEIA_MARKS and ch != policy.ano_teleia:
            new = policy.ano_teleia
        elif policy.lunate == "sigma" and ch in ("ϲ", "Ϲ"):
            nxt = out[i + 1] if i + 1 < len(out) else None
            new = "Σ" if ch == "Ϲ" else ("σ" if _is_letter(nxt) else "ς")
        elif policy.lunate == "lunate" and ch in ("σ", "ς", "Σ"):
            new = "Ϲ" if ch == "Σ" else "ϲ"
        if new != ch:
            changes[(ch, new)] = changes.get((ch, new), 0) + 1
            out[i] = new
    return nfc("".join(out)), changes


def describe_changes(changes: dict[tuple[str, str], int]) -> list[str]:
    """``["12 × ʼ (U+02BC) → ’ (U+2019)", ...]`` for a report."""
    out = []
    for (a, b), n in sorted(changes.items(), key=lambda kv: -kv[1]):
        if a == "NFC":
            out.append("decomposed or compatibility characters stored as NFC")
        else:
            out.append(f"{n} × {a} (U+{ord(a):04X}) → {b} (U+{ord(b):04X})")
    return out


def variant_forms(texts: list[str]) -> dict[str, dict[str, int]]:
    """Characters of the same role written in several forms across ``texts``: {"elision": {"’": 230,
    "ʼ": 12}, ...}; only roles with two forms or more are listed."""
    roles = {"elision": set(ELISION_MARKS), "ano teleia": set(ANO_TELEIA_MARKS), "sigma": {"σ", "ς", "ϲ"}}
    found: dict[str, dict[str, int]] = {}
    for text in texts:
        for ch in nfc(text):
            for role, chars in roles.items():
                if ch in chars:
                    found.setdefault(role, {}).setdefault(ch, 0)
                    found[role][ch] += 1
    out = {role: forms for role, forms in found.items() if len(forms) > 1}
    if "sigma" in out and "ϲ" not in out["sigma"]:
        del out["sigma"]  # σ and ς together are Greek spelling, not a mixture
    return out
