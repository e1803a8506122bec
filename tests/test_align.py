"""Aligning an edition to a manuscript's lines: the algorithm on the hard cases (OCR errors, an edition
without accents and with other punctuation, a line the edition lacks, edition text beyond the pages,
a word divided at the line's end), the use case and ``kalamos align`` on a real page with real
Tesseract, asserting on what is on disk."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from ocr.align import align, fold, variants
from ocr.tesseract import TesseractError
from services import DocumentRef, PageRef, align as align_uc, editing
from storage import InvalidInput, Store
from storage import lines as line_store

REPO = Path(__file__).resolve().parent.parent

GT = ["Μῆνιν ἄειδε θεὰ Πηληϊάδεω Ἀχιλῆος", "οὐλομένην, ἣ μυρί’ Ἀχαιοῖς ἄλγε’ ἔθηκε,",
      "πολλὰς δ’ ἰφθίμους ψυχὰς Ἄϊδι προΐαψεν", "ἡρώων, αὐτοὺς δὲ ἑλώρια τεῦχε κύνεσσιν",
      "οἰωνοῖσί τε πᾶσι· Διὸς δ’ ἐτελείετο βουλή,"]
OCR = ["Μῆνιν ἀειδε θεα Πηληιάδεω Αχιλῆος", "ουλομένην, ῆ μυρί Ἀχαιοις ἀλγε᾽ ἐθηκε", "ΙΛΙΑΔΟΣ Α.",
       "πολλας δ ἰφθίμους ψυχάς Αϊδι προΐαψεν", "ἡρωων, αυτοὺς δε ἑλωρια τεύχε κυνεσσιν",
       "οἰωνοισί τε πασι: Διος δ᾽ ἐτελειετο βου-", "λή, ἐξ ου δη τα πρωτα"]


def strip(text: str) -> str:
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)))


def test_the_edition_is_cut_at_the_lines_through_ocr_errors_a_running_title_and_a_divided_word() -> None:
    result = align(OCR, "\n".join(GT) + "\n\n" + "ἐξ οὗ δὴ τὰ πρῶτα\nδιαστήτην ἐρίσαντε Ἀτρεΐδης τε ἄναξ ἀνδρῶν")
    texts = [p.text for p in result.proposals]
    assert texts == [GT[0], GT[1], "", GT[2], GT[3], "οἰωνοῖσί τε πᾶσι· Διὸς δ’ ἐτελείετο βου-", "λή, ἐξ οὗ δὴ τὰ πρῶτα"]
    assert result.proposals[2].attention and not result.proposals[0].attention  # the title: nothing to put there
    assert result.unplaced_after == 6 and result.unplaced_before == 0  # the edition goes on beyond the page


def test_an_edition_without_accents_and_with_other_punctuation_aligns_the_same() -> None:
    edition = " ".join(strip(t).replace("·", ";").replace(",", "") for t in GT)
    texts = [p.text for p in align(OCR, edition).proposals]
    assert texts[0] == strip(GT[0]) and texts[2] == "" and texts[4] == strip(GT[3]).replace(",", "")
    # and text of the page before, given too, is left before the first line
    result = align(OCR[3:], "ἄλλος δ’ ἄλλον ἔειπε. " + " ".join(GT[2:]))
    assert result.unplaced_before == 4 and result.proposals[0].text == GT[2]


def test_a_latin_passage_read_by_the_greek_model_still_finds_its_lines() -> None:
    # what stock grc makes of Lobeck's Latin (bsb10234118): letters of like shape stand in
    ocr = ["ΤΠΙΘ ΠΟ 6556 νϑ θαι ποαὰρ ἴαίθμι 65569 48}15 ογδΐ.", "ΟἿ αὐ πον ροβοσγοΐαν μυ]π5 Πρ τὶ 60, φαδπὶ π6-",
           "ἵπϑρογαπΐ τ οἱ παρᾶγαίο 564 ναὶ άς ορίδηξ, δσο-"]
    gt = ["que non esse vellem neque talem esse, qualis erat.", "cidit ut nova posceretur hujus libri editio, quem ne-",
          "Insperanti mihi et imparato sed valde optanti ce-"]
    assert [p.text for p in align(ocr, " ".join(gt)).proposals] == gt


def test_fold_and_variants_compare_letters_not_accents() -> None:
    assert fold("Ἀχιλῆος,") == fold("αχιληος") == fold("ΑΧΙΛΗΟΣ") == "αχιληοσ"
    ours, theirs = variants("ἄλγε’ ἔθηκε πολλὰς", "αλγε εθηκεν πολλας")
    assert [w for w, d in ours if d] == ["ἔθηκε"] and [w for w, d in theirs if d] == ["εθηκεν"]


def test_an_edition_that_is_not_text_is_refused_with_a_reason() -> None:
    with pytest.raises(InvalidInput, match="not UTF-8"):
        align_uc.read_edition("μῆνιν".encode("utf-16"))
    with pytest.raises(InvalidInput, match="empty"):
        align_uc.read_edition(b"  \n 12 . \n")
    with pytest.raises(InvalidInput, match="NUL"):
        align_uc.read_edition(b"abc\x00def")
    assert align_uc.read_edition("\ufeffε\u0301".encode()) == "έ"  # BOM dropped, NFC


@pytest.fixture
def lobeck_title_page(tmp_path: Path, shared_data: Path) -> tuple[Path, Path, list[str]]:
    """A real page (Lobeck's Ajax, the opening verses) with its lines imported as machine text."""
    src = shared_data / "gt4histcomment" / "bsb10234118"
    rows = [r for r in (src / "bsb10234118_training.tsv").read_text(encoding="utf-8").splitlines()
            if r.startswith("bsb10234118_0027.png")]
    tsv = tmp_path / "p27.tsv"
    tsv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    for args in (["import", "--project", "A", "--document", "D", str(src / "imgs" / "bsb10234118_0027.png")],
                 ["import-gt", "--project", "A", "--document", "D", "--status", "machine", str(tsv)]):
        r = subprocess.run([sys.executable, "-m", "cli", "--data-dir", str(data), *args], cwd=REPO, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stderr
    gt = [unicodedata.normalize("NFC", " ".join(r.split("\t")[2].split())) for r in rows]
    return data, tsv, gt


def _opened(data: Path):  # type: ignore[no-untyped-def]
    """(store, project, document, page id) of ``lobeck_title_page``."""
    store = Store(data)
    project = store.find_project("A")
    doc = DocumentRef(project.id, store.find_document(project.id, "D").id)
    return store, project, doc, store.list_pages(*doc)[0].id


def test_cli_align_proposes_then_applies_without_touching_a_persons_lines(lobeck_title_page, tmp_path: Path) -> None:
    data, _tsv, gt = lobeck_title_page
    store, project, doc, page_id = _opened(data)
    ref = PageRef(*doc, page_id)
    lines = line_store.list_lines(store, *ref)
    # a person verified line 3 with a reading of their own, and typed line 5 without confirming it
    editing.save_text(store, ref, lines[2].id, lines[2].rev, "Φρονοῦντα γάρ νιν οὐκ ἂν ἐξέστην ὄκνῳ", confirm=True)
    editing.save_text(store, ref, lines[4].id, lines[4].rev, "Ἀλλ’ οὐδὲ νῦν σε")
    before = {ln.id: (ln.text, ln.status, ln.rev) for ln in line_store.list_lines(store, *ref)}
    edition = tmp_path / "ajax.txt"
    # the edition as a reader has it: its own line breaks, no accents, other punctuation
    edition.write_text("\n".join(strip(" ".join(gt[i:i + 3])).replace("·", ";") for i in range(0, len(gt), 3)),
                       encoding="utf-8")
    out = tmp_path / "proposals.tsv"

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cli", "--data-dir", str(data), "align", "--project", "A",
                               "--document", "D", "--text", str(edition), *extra], cwd=REPO, capture_output=True,
                              text=True, timeout=300)

    r = run("--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "nothing stored" in r.stdout
    after = {ln.id: (ln.text, ln.status, ln.rev) for ln in line_store.list_lines(store, *ref)}
    assert after == before  # without --apply nothing changes
    rows = [row.split("\t") for row in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(gt) and all(len(row) == 4 and row[0] == "bsb10234118_0027.png" for row in rows)
    assert all(0 <= float(row[3]) <= 1 for row in rows)
    want = [strip(t).replace("·", ";") for t in gt]
    exact = sum(row[2] == w for row, w in zip(rows, want))
    assert exact >= 0.9 * len(gt), [(row[2], w) for row, w in zip(rows, want) if row[2] != w]

    r = run("--apply")
    assert r.returncode == 0, r.stderr
    stored = line_store.list_lines(store, *ref)
    assert (stored[2].text, stored[2].status) == ("Φρονοῦντα γάρ νιν οὐκ ἂν ἐξέστην ὄκνῳ", "verified")
    assert (stored[4].text, stored[4].status) == ("Ἀλλ’ οὐδὲ νῦν σε", "edited")
    others = [ln for i, ln in enumerate(stored) if i not in (2, 4)]
    assert all(ln.status == "aligned" and ln.aligned and isinstance(ln.aligned["reading"], str) for ln in others)
    rules = editing.policy(store, project.id)  # stored in the project's forms (its elision mark...)
    assert all(ln.text == editing.prepare_text(row[2], rules)[0] for ln, row in zip(stored, rows) if ln in others)
    # Enter on an aligned line verifies it; its text stays the edition's
    first = stored[0]
    saved = editing.save_text(store, ref, first.id, first.rev, first.text, confirm=True)
    assert saved.status == "saved" and line_store.list_lines(store, *ref)[0].status == "verified"
    # the proposals, corrected in a spreadsheet, come back in as a TSV (the score column is read as such)
    from storage.formats.tsv import read_tsv
    [page] = read_tsv(out.read_bytes(), "proposals.tsv")
    assert [ln.text for ln in page.lines] == [row[2] for row in rows]


def test_align_refuses_what_it_cannot_do(tmp_path: Path, lobeck_title_page) -> None:
    data, _tsv, _gt = lobeck_title_page
    store, project, doc, _page_id = _opened(data)
    with pytest.raises(InvalidInput, match="between 1 and 1"):
        align_uc.choose_pages(store, doc, 1, 3)
    empty = store.create_document(project.id, "empty")
    with pytest.raises(InvalidInput, match="no pages"):
        align_uc.choose_pages(store, DocumentRef(project.id, empty.id), None, None)
    with pytest.raises(TesseractError, match="nosuchmodel not installed"):
        align_uc.propose(store, doc, align_uc.choose_pages(store, doc, None, None), "μῆνιν", "nosuchmodel")


def test_a_line_read_as_nothing_takes_its_share_by_its_width() -> None:
    ocr = [OCR[0], "", OCR[3], OCR[4]]
    edition = " ".join([GT[0], GT[1], GT[2], GT[3]])
    widths = [900, 880, 950, 940]
    texts = [p.text for p in align(ocr, edition, widths=widths).proposals]
    assert texts == [GT[0], GT[1], GT[2], GT[3]]
    result = align(ocr, edition)  # without widths, nothing says the unread line holds text
    assert result.proposals[1].attention


def test_the_wrong_text_is_refused_and_an_alignment_is_undone_as_one(lobeck_title_page, shared_data: Path) -> None:
    data, _tsv, gt = lobeck_title_page
    store, project, doc, page_id = _opened(data)
    ref = PageRef(*doc, page_id)
    before = [(ln.text, ln.status) for ln in line_store.list_lines(store, *ref)]
    other = (shared_data / "corpus" / "nestle1904.txt").read_text(encoding="utf-8").split("\n")[0][:3000]
    wrong = align_uc.propose(store, doc, [page_id], other, "grc")
    assert not wrong.matches and wrong.score - wrong.chance < 0.05
    with pytest.raises(InvalidInput, match="does not seem to be the text of these lines"):
        align_uc.apply(store, doc, wrong)
    assert [(ln.text, ln.status) for ln in line_store.list_lines(store, *ref)] == before
    right = align_uc.propose(store, doc, [page_id], " ".join(gt), "grc")
    assert right.matches and right.score - right.chance > 0.2
    align_uc.apply(store, doc, right)
    assert all(ln.status == "aligned" for ln in line_store.list_lines(store, *ref))
    # one Undo takes the whole of it back, line by line (the record names each line's page)
    assert editing.undo(store, ref, editing.UndoRecord.from_dict(right.undo.to_dict())).status == "saved"
    assert [(ln.text, ln.status) for ln in line_store.list_lines(store, *ref)] == before
    right = align_uc.apply(store, doc, align_uc.propose(store, doc, [page_id], " ".join(gt), "grc"))
    # a second alignment with a text that leaves a line nothing empties it (no stale words stay)
    shorter = align_uc.propose(store, doc, [page_id], " ".join(gt[:-1]), "grc")
    align_uc.apply(store, doc, shorter)
    stored = line_store.list_lines(store, *ref)
    cleared = [i for i, p in enumerate(shorter.lines) if p.outcome == "cleared"]
    assert cleared and all((stored[i].text, stored[i].status) == ("", "empty") for i in cleared)
    assert editing.undo(store, ref, editing.UndoRecord.from_dict(shorter.undo.to_dict())).status == "saved"
    assert [ln.text for ln in line_store.list_lines(store, *ref)] == [p.text for p in right.lines]
