"""Ground truth a scholar can trust, in a real browser, typed and clicked as a person does: nothing
becomes verified by accident, text typed for a line goes to that line (typing fast, clicking
elsewhere mid-word), Beta Code typed key by key reads as pasted, and two people on one page are told
the truth. After each step the test reads the store, not only the screen."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import eventually
from ocr.greek import Normalisation, beta_to_greek, normalise
from storage import Store
from storage import lines as line_store
from storage.ingest import ImportLimits, import_paths
from storage.models import Line

pytestmark = pytest.mark.browser


@pytest.fixture
def server_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """The page looks for other people's changes every 8 s by default; most tests here must decide
    when the other person's change reaches the page, so their server polls once an hour (a test
    that wants the poll parametrizes this fixture with its seconds)."""
    return {"KALAMOS_POLL_SECONDS": str(getattr(request, "param", 3600))}

#: Machine text as OCR leaves it on real pages: apostrophes, brackets, asterisks, Beta-Code-like bits.
OCR_TEXTS = ["τοῦ δ' ἠμείβετ' ἔπειτα", "(ἀλλ') ἄγε δή", "*τὸν δ' αὖτε", "ἦ μάλα δή σε *)/", "μῆνιν ἄειδε θεά",
             "Πηληϊάδεω Ἀχιλῆος", "οὐλομένην, ἣ μυρί'", "πολλὰς δ' ἰφθίμους"]


def _page_with_lines(store: Store, commentary_pages: list[Path], texts: list[str], status: str = "machine"):  # type: ignore[no-untyped-def]
    p = store.create_project("Iliad")
    d = store.create_document(p.id, "Venetus")
    [r] = import_paths(store, p.id, d.id, [commentary_pages[1]], ImportLimits())
    pg = r.page_ids[0]
    lines = [Line("", "box", [[100, 150 + 90 * i], [1400, 150 + 90 * i], [1400, 215 + 90 * i], [100, 215 + 90 * i]],
                  text=t, status=status if t else "empty", conf=55.0 if status == "machine" else None)  # type: ignore[arg-type]
             for i, t in enumerate(texts)]
    line_store.add_lines(store, p.id, d.id, pg, lines)
    return p.id, d.id, pg


def _snapshot(store: Store, p: str, d: str, pg: str) -> list[tuple[str, str, str, int]]:
    return [(ln.id, ln.text, ln.status, ln.rev) for ln in line_store.list_lines(store, p, d, pg)]


def _open(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url)
    page.get_by_role("tab", name="Annotate").click()
    expect(page.locator("#annotate-list .list-group-item").first).to_be_visible()
    page.wait_for_load_state("networkidle")


def _select(page, n: int) -> None:  # type: ignore[no-untyped-def]
    page.locator("#annotate-list .list-group-item").nth(n - 1).click()
    expect(page.locator("#annotate-title")).to_contain_text(f"Line {n} of")


def test_opening_clicking_and_leaving_lines_changes_nothing(page, server, commentary_pages: list[Path]) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p, d, pg = _page_with_lines(store, commentary_pages, OCR_TEXTS)
    before = _snapshot(store, p, d, pg)
    _open(page, server)
    page.locator("#annotate-beta").check()  # Beta Code on: the OCR text holds ' ( ) * that it would convert
    field = page.locator("#annotate-text")
    for n in range(1, len(OCR_TEXTS) + 1):
        _select(page, n)
        expect(field).to_have_value(normalise(OCR_TEXTS[n - 1], Normalisation())[0])  # as stored (OCR text too)
        field.click()
        page.keyboard.press("End")
        page.keyboard.press("Home")
        page.locator("#annotate-title").click()  # leave the field
    field.click()
    for _ in range(3):
        page.keyboard.press("Alt+ArrowUp")
    page.keyboard.press("Alt+ArrowDown")
    page.wait_for_timeout(1500)  # longer than the autosave delay
    page.reload()
    page.get_by_role("tab", name="Annotate").click()
    expect(page.locator("#annotate-list .list-group-item")).to_have_count(len(OCR_TEXTS))
    assert _snapshot(store, p, d, pg) == before, "opening, clicking or leaving a line changed it"
    expect(page.locator("#annotate-counts")).to_contain_text(f"{len(OCR_TEXTS)} machine")


@pytest.mark.parametrize("delay", [0, "person"])
def test_typing_is_edited_enter_verifies_and_text_stays_on_its_line(page, server, commentary_pages: list[Path],  # type: ignore[no-untyped-def]
                                                                     delay) -> None:
    store = Store(server.data_dir)
    p, d, pg = _page_with_lines(store, commentary_pages, OCR_TEXTS)
    ids = [ln.id for ln in line_store.list_lines(store, p, d, pg)]
    rng = random.Random(7)
    _open(page, server)
    field = page.locator("#annotate-text")

    def type_(text: str) -> None:
        if delay == 0:
            page.keyboard.type(text)
        else:
            for ch in text:
                page.keyboard.type(ch)
                page.wait_for_timeout(rng.randint(30, 80))

    # line 2: correct it without Enter, then click line 5 mid-word and type there
    _select(page, 2)
    field.click()
    page.keyboard.press("End")
    type_(" καὶ")
    _select(page, 5)  # at once, while the autosave of line 2 may still be waiting
    field.click()
    page.keyboard.press("End")
    type_(" μοῦσα")
    page.keyboard.press("Enter")
    expect(page.locator("#annotate-title")).to_contain_text("Line 6 of")  # Enter went on once saved
    type_("x")  # line 6: one key, then away with Alt+↓
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator("#annotate-title")).to_contain_text("Line 7 of")
    by_id = {ln.id: ln for ln in line_store.list_lines(store, p, d, pg)}

    def state(i: int) -> tuple[str, str]:
        ln = {x.id: x for x in line_store.list_lines(store, p, d, pg)}[ids[i]]
        return ln.text, ln.status

    def stored(text: str) -> str:  # as the project's policy writes it (’ for elision)
        return normalise(text, Normalisation())[0]

    eventually(lambda: state(1), lambda s: s == (stored(OCR_TEXTS[1] + " καὶ"), "edited"))
    eventually(lambda: state(4), lambda s: s == (stored(OCR_TEXTS[4] + " μοῦσα"), "verified"))
    eventually(lambda: state(5), lambda s: s == (stored(OCR_TEXTS[5] + "x"), "edited"))
    by_id = {ln.id: ln for ln in line_store.list_lines(store, p, d, pg)}
    for i in (0, 2, 3, 6, 7):
        assert (by_id[ids[i]].text, by_id[ids[i]].status) == (stored(OCR_TEXTS[i]), "machine"), i
    assert not page.locator("#annotate-editor-box.kalamos-editor-conflict").is_visible()
    expect(page.locator("#annotate-counts")).to_contain_text("1 verified · 2 edited · 5 machine")
    # the list shows the statuses too
    expect(page.locator("#annotate-list .list-group-item").nth(1)).to_contain_text("edited")
    expect(page.locator("#annotate-list .list-group-item").nth(4)).to_contain_text("verified")


BETA_CASES = [("*feu=", "Φεῦ"), ("*)odusseu/s", "Ὀδυσσεύς"), ("*(/hra", "Ἥρα"), ("*)axilh=os", "Ἀχιλῆος"),
              ("th=| o(dw=|", "τῇ ὁδῷ"), ("*phlhi+a/dew", "Πηληϊάδεω"), ("mh=nin a)/eide qea/:", "μῆνιν ἄειδε θεά·"),
              ("o(/s3", "ὅϲ"), ("a)ll' e)gw/", "ἀλλ’ ἐγώ"), ("*)/w *zeu=", "Ὤ Ζεῦ")]


@pytest.mark.parametrize("delay", [0, 55])
def test_beta_code_typed_key_by_key_reads_as_pasted(page, server, commentary_pages: list[Path], delay: int) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p, d, pg = _page_with_lines(store, commentary_pages, [""] * len(BETA_CASES), status="empty")
    ids = [ln.id for ln in line_store.list_lines(store, p, d, pg)]
    _open(page, server)
    page.locator("#annotate-beta").check()
    field = page.locator("#annotate-text")
    _select(page, 1)
    for i, (beta, greek) in enumerate(BETA_CASES):
        expect(page.locator("#annotate-title")).to_contain_text(f"Line {i + 1} of")
        field.click()
        page.keyboard.type(beta, delay=delay)
        expect(field).to_have_value(greek)
        assert beta_to_greek(beta) == greek  # the server's rule (and a paste) give the same
        page.keyboard.press("Enter")
    stored = [normalise(g, Normalisation())[0] for _, g in BETA_CASES]  # the project's forms: ϲ is stored σ/ς by default
    assert stored[7] == "ὅς"
    texts = eventually(lambda: {ln.id: (ln.text, ln.status) for ln in line_store.list_lines(store, p, d, pg)},
                       lambda t: all(t[i] == (g, "verified") for i, g in zip(ids, stored)))
    assert len(texts) == len(BETA_CASES)
    # pasted Beta Code is converted whole
    _select(page, 1)
    field.click()
    field.press("Control+a")
    page.evaluate("""() => {
        const el = document.getElementById('annotate-text'); const dt = new DataTransfer();
        dt.setData('text/plain', '*)odusseu/s kai\\\\ *phnelo/peia');
        el.dispatchEvent(new InputEvent('beforeinput', {inputType: 'insertFromPaste', dataTransfer: dt,
                                                         bubbles: true, cancelable: true}));
    }""")
    expect(field).to_have_value("Ὀδυσσεύς καὶ Πηνελόπεια")


def test_two_people_on_one_page_are_told_the_truth(browser, server, commentary_pages: list[Path]) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p, d, pg = _page_with_lines(store, commentary_pages, OCR_TEXTS)
    ids = [ln.id for ln in line_store.list_lines(store, p, d, pg)]
    tabs = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        tab.set_default_timeout(30_000)
        _open(tab, server)
        tabs.append(tab)
    a, b = tabs

    def text(i: int) -> tuple[str, str]:
        ln = {x.id: x for x in line_store.list_lines(store, p, d, pg)}[ids[i]]
        return ln.text, ln.status

    # different lines, at the same time: both saved, nobody warned
    _select(a, 2)
    _select(b, 4)
    for tab, word in ((a, " Α"), (b, " Β")):
        tab.locator("#annotate-text").click()
        tab.keyboard.press("End")
        tab.keyboard.type(word)
    for tab in (a, b):
        tab.keyboard.press("Enter")
    def stored(t: str) -> str:
        return normalise(t, Normalisation())[0]

    eventually(lambda: (text(1), text(3)),
               lambda t: t == ((stored(OCR_TEXTS[1] + " Α"), "verified"), (stored(OCR_TEXTS[3] + " Β"), "verified")))
    for tab in (a, b):
        assert not tab.locator("#annotate-editor-box.kalamos-editor-conflict").is_visible()

    # the same line: A confirms first; B, who opened it before, is refused and told both texts
    _select(a, 6)
    _select(b, 6)
    a.locator("#annotate-text").fill("ἀλφα")
    a.keyboard.press("Enter")
    eventually(lambda: text(5), lambda t: t == ("ἀλφα", "verified"))
    b.locator("#annotate-text").click()
    b.locator("#annotate-text").fill("βῆτα")
    b.keyboard.press("Enter")
    box = b.locator("#annotate-editor-box")
    expect(box).to_contain_text("Line 6 was changed by someone else")
    expect(box.locator(".kalamos-theirs")).to_have_text("ἀλφα")
    expect(box.locator(".kalamos-yours")).to_have_text("βῆτα")
    expect(b.locator("#annotate-title")).to_contain_text("Line 6 of")  # B stays on that line
    b.wait_for_timeout(1500)
    assert text(5) == ("ἀλφα", "verified") and text(6) == (normalise(OCR_TEXTS[6], Normalisation())[0], "machine")
    # B keeps theirs: nothing written, the field shows A's text
    box.locator(".kalamos-keep").click()
    expect(b.locator("#annotate-text")).to_have_value("ἀλφα")
    assert text(5) == ("ἀλφα", "verified")
    # now B, having seen A's text, changes it: accepted; A, still showing its own version, is refused
    b.locator("#annotate-text").click()
    b.keyboard.press("End")
    b.keyboard.type("ς")
    b.keyboard.press("Enter")
    eventually(lambda: text(5), lambda t: t == ("ἀλφας", "verified"))
    # A's page still shows A's own last version: A's next change of that line is refused, with B's text
    _select(a, 6)
    a.locator("#annotate-text").click()
    a.keyboard.press("End")
    a.keyboard.type("ω")
    a.keyboard.press("Enter")
    expect(a.locator("#annotate-editor-box .kalamos-theirs")).to_have_text("ἀλφας")
    assert text(5) == ("ἀλφας", "verified")
    a.reload()  # after a reload A sees B's text
    a.get_by_role("tab", name="Annotate").click()
    _select(a, 6)
    expect(a.locator("#annotate-text")).to_have_value("ἀλφας")
    for tab in tabs:
        tab.context.close()


@pytest.mark.parametrize("server_env", [2], indirect=True)
def test_keys_typed_into_a_line_someone_deletes_go_into_no_other_line(browser, server, commentary_pages: list[Path]) -> None:  # type: ignore[no-untyped-def]
    """B types in a line while A deletes it; B's page hears of it (the poll) and selects another line in its
    place: B is told, and the keys B goes on typing are not saved into that other line."""
    store = Store(server.data_dir)
    p, d, pg = _page_with_lines(store, commentary_pages, OCR_TEXTS)
    tabs = []
    for _ in range(2):
        tab = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        tab.set_default_timeout(30_000)
        _open(tab, server)
        tabs.append(tab)
    a, b = tabs
    _select(a, 8)
    _select(b, 8)
    b.locator("#annotate-text").click()
    b.keyboard.press("End")
    b.keyboard.type(" ab", delay=60)
    a.click("#annotate-delete")
    eventually(lambda: len(line_store.list_lines(store, p, d, pg)), lambda n: n == 7)
    before = _snapshot(store, p, d, pg)
    # (Latin keys: Playwright types other letters as text put into the page, which focuses the field again)
    b.keyboard.type(" cdefghijklmnopqrstuvw xyzcdefghijklmnopqrstu", delay=100)
    expect(b.locator("#annotate-title")).not_to_contain_text("Line 8")  # B's page moved to another line
    b.wait_for_timeout(1500)
    assert _snapshot(store, p, d, pg) == before
    for tab in tabs:
        tab.context.close()


@pytest.mark.parametrize("server_env", [2], indirect=True)
def test_someone_elses_change_reaches_an_open_page_without_a_reload(page, server, commentary_pages: list[Path]) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p, d, pg = _page_with_lines(store, commentary_pages, OCR_TEXTS)
    _open(page, server)
    _select(page, 2)
    field = page.locator("#annotate-text")
    field.click()
    page.keyboard.press("End")
    page.keyboard.type(" ἐγώ")  # typing on line 2 while someone else verifies line 5
    lines = line_store.list_lines(store, p, d, pg)
    line_store.update_line(store, p, d, pg, lines[4].id, lines[4].rev, text="μῆνιν ἄειδε θεὰ Πηληϊάδεω", status="verified")
    expect(page.locator("#annotate-list .list-group-item").nth(4)).to_contain_text("Πηληϊάδεω", timeout=15_000)
    expect(field).to_have_value(normalise(OCR_TEXTS[1], Normalisation())[0] + " ἐγώ")  # what is typed stays
    page.keyboard.press("Enter")
    eventually(lambda: line_store.list_lines(store, p, d, pg)[1].text,
               lambda t: t == normalise(OCR_TEXTS[1], Normalisation())[0] + " ἐγώ")
    assert line_store.list_lines(store, p, d, pg)[4].text == "μῆνιν ἄειδε θεὰ Πηληϊάδεω"


def test_a_refused_autosave_brings_the_person_back_to_that_line(page, server, commentary_pages: list[Path]) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p, d, pg = _page_with_lines(store, commentary_pages, OCR_TEXTS)
    lines = line_store.list_lines(store, p, d, pg)
    _open(page, server)
    _select(page, 3)
    line_store.update_line(store, p, d, pg, lines[2].id, lines[2].rev, text="someone else's", status="verified")  # Latin: the apostrophe is kept
    field = page.locator("#annotate-text")
    field.click()
    page.keyboard.press("End")
    page.keyboard.type(" mine")
    page.locator("#annotate-list .list-group-item").nth(6).click()  # leaving sends the autosave (or it went already)
    box = page.locator("#annotate-editor-box")
    expect(box).to_contain_text("Line 3 was changed by someone else")
    expect(page.locator("#annotate-title")).to_contain_text("Line 3 of")
    expect(field).to_have_value(normalise(OCR_TEXTS[2], Normalisation())[0] + " mine")
    assert line_store.list_lines(store, p, d, pg)[2].text == "someone else's"
    assert line_store.list_lines(store, p, d, pg)[6].text == normalise(OCR_TEXTS[6], Normalisation())[0]
    # going elsewhere before deciding brings the person back to line 3
    page.locator("#annotate-list .list-group-item").nth(5).click()
    expect(box).to_contain_text("Decide about this line first")
    expect(page.locator("#annotate-title")).to_contain_text("Line 3 of")
    box.locator(".kalamos-keep").click()
    expect(field).to_have_value("someone else's")
    _select(page, 6)  # decided: free to go
    assert [ln.text for ln in line_store.list_lines(store, p, d, pg)][2:7] == \
        ["someone else's", *(normalise(t, Normalisation())[0] for t in OCR_TEXTS[3:7])]


def test_bulk_verification_asks_first(page, server, commentary_pages: list[Path]) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p, d, pg = _page_with_lines(store, commentary_pages, OCR_TEXTS[:4] + [""])
    _open(page, server)
    page.once("dialog", lambda dlg: dlg.dismiss())
    page.click("#annotate-verify-all")
    page.wait_for_timeout(1000)
    assert {ln.status for ln in line_store.list_lines(store, p, d, pg)} == {"machine", "empty"}
    questions: list[str] = []
    page.once("dialog", lambda dlg: (questions.append(dlg.message), dlg.accept()))
    page.click("#annotate-verify-all")
    expect(page.locator("#annotate-message")).to_contain_text("Verified 4 line(s)")
    assert "Verify the 4 line(s)" in questions[0]  # the question says how many
    assert [ln.status for ln in line_store.list_lines(store, p, d, pg)] == ["verified"] * 4 + ["empty"]
    page.click("#annotate-undo")  # a bulk verification can be taken back too
    expect(page.locator("#annotate-message")).to_contain_text("Undone for 4 line(s)")
    assert [ln.status for ln in line_store.list_lines(store, p, d, pg)] == ["machine"] * 4 + ["empty"]


def test_a_click_on_the_words_of_a_line_selects_it(page, server, commentary_pages: list[Path]) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p, d, pg = _page_with_lines(store, commentary_pages, OCR_TEXTS)
    _open(page, server)
    _select(page, 1)
    height = store.get_page(p, d, pg).height
    for n in (5, 3):  # the middle of the line's box, where its words are (not its outline)
        box = page.locator("#annotate-graph image").bounding_box()  # measured again: the page may have moved
        y = 150 + 90 * (n - 1) + 32
        cx, cy = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * y / height
        page.mouse.move(cx, cy, steps=8)
        page.mouse.click(cx, cy)  # at once after the last one: not a double click that resets the zoom
        expect(page.locator("#annotate-title")).to_contain_text(f"Line {n} of")
        assert page.locator("#annotate-graph image").bounding_box() == box  # the view did not jump


@pytest.mark.parametrize("delay, select_all", [(30, False), (60, True), (0, False)])
def test_line_after_line_at_speed_each_word_lands_on_its_line(page, server, commentary_pages: list[Path],  # type: ignore[no-untyped-def]
                                                             delay: int, select_all: bool) -> None:
    """A fast typist: word, Enter, next word at once (no pause), line after line; and with Alt+↓.
    Each word on its own line, confirmed where Enter was pressed, nothing on the other lines."""
    store = Store(server.data_dir)
    texts = OCR_TEXTS if select_all else [""] * len(OCR_TEXTS)
    p, d, pg = _page_with_lines(store, commentary_pages, texts, status="machine" if select_all else "empty")
    ids = [ln.id for ln in line_store.list_lines(store, p, d, pg)]
    words = ["ἀρετή", "δόξα", "τέλος", "κόσμος", "λόγος"]
    _open(page, server)
    _select(page, 2)
    page.locator("#annotate-text").click()
    for word in words:
        if select_all:
            page.keyboard.press("Control+a")
        page.keyboard.type(word, delay=delay)
        page.keyboard.press("Enter")
    # and two more with Alt+↓ (saved as edited, not verified)
    for word in ("ὕλη", "φύσις"):
        if select_all:
            page.keyboard.press("Control+a")
        page.keyboard.type(word, delay=delay)
        page.keyboard.press("Alt+ArrowDown")
    page.wait_for_timeout(1500)

    def stored(text: str) -> str:
        return normalise(text, Normalisation())[0]

    want = {ids[0]: (stored(texts[0]), "machine" if texts[0] else "empty")}  # not touched: as it was stored
    for i, word in enumerate(words, 1):
        want[ids[i]] = (word if not select_all else word, "verified")
    want[ids[6]] = ("ὕλη", "edited")
    want[ids[7]] = ("φύσις", "edited")
    eventually(lambda: {ln.id: (ln.text, ln.status) for ln in line_store.list_lines(store, p, d, pg)}, lambda got: got == want)



def test_enter_after_enter_the_tab_keeps_every_line_as_on_disk(page, server, commentary_pages: list[Path]) -> None:  # type: ignore[no-untyped-def]
    """Line after line confirmed at speed (End, a dot, Enter, 0.15 s): when two save answers come close together
    Dash passes on only the last one; the earlier must not leave an old revision in the tab (its row would show
    the old status, and the poll for others' changes would reload the whole page)."""
    store = Store(server.data_dir)
    p, d, pg = _page_with_lines(store, commentary_pages, OCR_TEXTS, status="machine")
    _open(page, server)
    _select(page, 1)
    page.locator("#annotate-text").click()
    for _ in range(len(OCR_TEXTS) - 1):
        page.keyboard.press("End")
        page.keyboard.type(".")
        page.keyboard.press("Enter")
        page.wait_for_timeout(150)

    def on_disk() -> dict[str, str]:
        return {ln.id: ln.status for ln in line_store.list_lines(store, p, d, pg)}

    eventually(on_disk, lambda got: list(got.values()).count("verified") == len(OCR_TEXTS) - 1)

    def badges() -> dict[str, str]:
        return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('[id^="{"]')]
            .map(el => [JSON.parse(el.id), el.textContent.trim()])
            .filter(([id]) => id.type === 'annotate-row-badge').map(([id, text]) => [id.line, text]))""")

    eventually(badges, lambda got: got == on_disk())


def test_an_earlier_version_of_a_line_is_restored_from_its_history(page, server, commentary_pages: list[Path]) -> None:  # type: ignore[no-untyped-def]
    """Typed over a line by mistake: its history lists the version before, and Restore brings it back as a
    new version (on disk, in the field)."""
    store = Store(server.data_dir)
    p, d, pg = _page_with_lines(store, commentary_pages, OCR_TEXTS[:3], status="machine")
    first = line_store.list_lines(store, p, d, pg)[0]
    line_store.update_line(store, p, d, pg, first.id, first.rev, text="a wrong text", status="edited")
    _open(page, server)
    _select(page, 1)
    expect(page.locator(".kalamos-last-change")).to_contain_text("Version 2")
    page.locator(".kalamos-versions summary").click()
    page.locator(".kalamos-restore").first.click()
    want = normalise(OCR_TEXTS[0], Normalisation())[0]
    eventually(lambda: line_store.list_lines(store, p, d, pg)[0], lambda ln: ln.text == want and ln.rev == 3)
    expect(page.locator("#annotate-text")).to_have_value(want)
    expect(page.locator(".kalamos-last-change")).to_contain_text("Version 3")
