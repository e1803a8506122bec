"""The editing rules of services/editing.py, without a browser: explicit verification only, saves
that cannot lie (one's own saves never conflict, someone else's are never overwritten silently),
the project's way of writing; and a stateful property test with two editors doing everything in
any order against an oracle of what the store must hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ocr.greek import Normalisation, normalise, variant_forms
from services import PageRef, editing
from storage import Store
from storage import lines as line_store
from storage.models import Line

SIZE = (1000, 1400)


def _page(root: Path) -> tuple[Store, PageRef]:
    """A store with one page (a record only: the rules never read its pixels)."""
    from storage.jsonio import write_json
    from storage.models import Page, PageSource
    from storage.store import new_id, now_iso

    store = Store(root)
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    pid = new_id("page")
    page = Page(pid, d.id, PageSource("x.png", "0" * 64, "originals/x.png", "png"), "x.png", SIZE[0], SIZE[1], None, now_iso())
    (store.document_dir(p.id, d.id) / "pages" / pid).mkdir()
    write_json(store.page_dir(p.id, d.id, pid) / "page.json", page.to_dict())
    store.update_document(p.id, d.id, lambda doc: doc.page_ids.append(pid))
    return store, PageRef(p.id, d.id, pid)


def _box(i: int, text: str = "", status: str = "empty") -> Line:
    y = 50 + 60 * i
    return Line("", "box", [[50, y], [900, y], [900, y + 40], [50, y + 40]], text=text, status=status)  # type: ignore[arg-type]


@pytest.fixture
def page(tmp_path: Path) -> tuple[Store, PageRef]:
    return _page(tmp_path / "data")


def test_typing_is_edited_only_a_confirmation_verifies(page) -> None:  # type: ignore[no-untyped-def]
    store, ref = page
    [ln] = line_store.add_lines(store, *ref, [_box(0, "τοῦ δ' ἠμείβετ'", "machine")])
    same = editing.save_text(store, ref, ln.id, ln.rev, "τοῦ δ' ἠμείβετ'", editor="e-aaaaaaaa")
    assert same.status == "unchanged" and line_store.list_lines(store, *ref)[0].status == "machine"  # opening/leaving
    typed = editing.save_text(store, ref, ln.id, ln.rev, "τοῦ δ’ ἠμείβετο", editor="e-aaaaaaaa")
    assert typed.status == "saved" and typed.line.status == "edited" and typed.line.conf is None
    confirmed = editing.save_text(store, ref, ln.id, typed.line.rev, "τοῦ δ’ ἠμείβετο", confirm=True, editor="e-aaaaaaaa")
    assert confirmed.line.status == "verified"
    again = editing.save_text(store, ref, ln.id, confirmed.line.rev, "τοῦ δ’ ἠμείβετο", confirm=True, editor="e-aaaaaaaa")
    assert again.status == "unchanged"
    [empty] = line_store.add_lines(store, *ref, [_box(1)])
    refused = editing.save_text(store, ref, empty.id, empty.rev, "  ", confirm=True)
    assert refused.status == "refused" and "Line 2" in refused.message and "empty" in refused.message


def test_ones_own_saves_never_conflict(page) -> None:  # type: ignore[no-untyped-def]
    store, ref = page
    [ln] = line_store.add_lines(store, *ref, [_box(0, "α", "machine")])
    # autosaves sent in a burst, each with the revision the editor showed when it was typed (the first)
    for text in ("αβ", "αβγ", "αβγδ"):
        outcome = editing.save_text(store, ref, ln.id, ln.rev, text, editor="e-aaaaaaaa")
        assert outcome.status == "saved", outcome.message
    final = editing.save_text(store, ref, ln.id, ln.rev, "αβγδε", confirm=True, editor="e-aaaaaaaa")
    assert final.status == "saved" and (final.line.text, final.line.status) == ("αβγδε", "verified")


def test_someone_elses_change_is_never_overwritten_silently(page) -> None:  # type: ignore[no-untyped-def]
    store, ref = page
    lines = line_store.add_lines(store, *ref, [_box(i, f"line {i}", "machine") for i in range(4)])
    a, b = "e-aaaaaaaa", "e-bbbbbbbb"
    seen = lines[2].rev
    theirs = editing.save_text(store, ref, lines[2].id, seen, "text of A", confirm=True, editor=a)
    mine = editing.save_text(store, ref, lines[2].id, seen, "text of B", confirm=True, editor=b)
    assert mine.status == "conflict" and mine.number == 3
    assert mine.theirs.text == "text of A" and mine.yours == "text of B"
    assert "Line 3" in mine.message and "text of A" in mine.message and "text of B" in mine.message
    assert [ln.text for ln in line_store.list_lines(store, *ref)] == ["line 0", "line 1", "text of A", "line 3"]
    # replacing theirs is explicit, for that line, from the version the refusal showed
    replaced = editing.save_text(store, ref, lines[2].id, seen, "text of B", confirm=True, editor=b,
                                 replace_rev=mine.theirs.rev)
    assert replaced.status == "saved" and replaced.line.text == "text of B"
    assert theirs.line is not None
    # a change of the shape by someone else does not block a text save (and is kept)
    moved = editing.reshape_line(store, ref, lines[0].id, lines[0].rev, [[60, 50], [900, 50], [900, 90], [60, 90]], editor=a)
    typed = editing.save_text(store, ref, lines[0].id, lines[0].rev, "new text", editor=b)
    assert typed.status == "saved" and typed.line.points == moved.line.points
    # ... but a deletion is refused when someone else changed the line since
    gone = editing.delete_line(store, ref, lines[0].id, moved.line.rev, editor=a)
    assert gone.status == "conflict" and len(line_store.list_lines(store, *ref)) == 4


def test_a_deleted_line_is_gone_not_shifted(page) -> None:  # type: ignore[no-untyped-def]
    store, ref = page
    lines = line_store.add_lines(store, *ref, [_box(i, f"line {i}", "machine") for i in range(3)])
    editing.delete_line(store, ref, lines[1].id, lines[1].rev, editor="e-aaaaaaaa")
    late = editing.save_text(store, ref, lines[1].id, lines[1].rev, "typed late", editor="e-bbbbbbbb")
    assert late.status == "gone" and late.yours == "typed late"
    assert [ln.text for ln in line_store.list_lines(store, *ref)] == ["line 0", "line 2"]


def test_the_project_writes_its_way(page) -> None:  # type: ignore[no-untyped-def]
    store, ref = page
    [ln] = line_store.add_lines(store, *ref, [_box(0)])
    saved = editing.save_text(store, ref, ln.id, ln.rev, "ἀλλʼ ἐγὼ ϲοφόϲ", editor="e-aaaaaaaa")
    assert saved.line.text == "ἀλλ’ ἐγὼ σοφός" and any("ʼ" in n for n in saved.normalised)
    editing.set_policy(store, ref.project, Normalisation(elision="\u02bc", lunate="keep"))
    again = editing.save_text(store, ref, ln.id, saved.line.rev, "ἀλλ’ ἐγὼ ϲοφόϲ", editor="e-aaaaaaaa")
    assert again.line.text == "ἀλλʼ ἐγὼ ϲοφόϲ"
    assert variant_forms(["ἀλλ’", "δʼ", "σοφός ϲοφόϲ"]) == {"elision": {"’": 1, "ʼ": 1}, "sigma": {"σ": 1, "ς": 1, "ϲ": 2}}
    assert normalise("τ' ἄρ'", Normalisation())[0] == "τ’ ἄρ’"
    # the typewriter apostrophe is elision only after a Greek letter: English, Latin and quotes keep it
    assert normalise("don't 'x' ἀλλ' τοῦ'", Normalisation())[0] == "don't 'x' ἀλλ’ τοῦ’"


def test_bulk_verification_skips_what_changed(page) -> None:  # type: ignore[no-untyped-def]
    store, ref = page
    lines = line_store.add_lines(store, *ref, [_box(0, "a", "machine"), _box(1, "b", "edited"), _box(2), _box(3, "d", "machine")])
    editing.save_text(store, ref, lines[3].id, lines[3].rev, "changed by B", editor="e-bbbbbbbb")
    result = editing.verify_lines(store, ref, {ln.id: ln.rev for ln in lines}, editor="e-aaaaaaaa")
    assert [ln.text for ln in result.done] == ["a", "b"]
    assert any("line 3: empty" in s for s in result.skipped) and any("line 4: changed" in s for s in result.skipped)
    assert [ln.status for ln in line_store.list_lines(store, *ref)] == ["verified", "verified", "empty", "edited"]


def test_undo_takes_back_ones_own_change_only(page) -> None:  # type: ignore[no-untyped-def]
    store, ref = page
    [ln] = line_store.add_lines(store, *ref, [_box(0, "before", "machine")])
    saved = editing.save_text(store, ref, ln.id, ln.rev, "after", editor="e-aaaaaaaa")
    record = editing.UndoRecord("update", ref.page, line=ln.to_dict(), rev=saved.line.rev)
    assert editing.undo(store, ref, record, "e-aaaaaaaa").status == "saved"
    assert (line_store.list_lines(store, *ref)[0].text, line_store.list_lines(store, *ref)[0].status) == ("before", "machine")
    later = editing.save_text(store, ref, ln.id, ln.rev, "someone", editor="e-bbbbbbbb")
    assert later.status == "conflict" or later.status == "saved"
    current = line_store.list_lines(store, *ref)[0]
    stale = editing.UndoRecord("update", ref.page, line=ln.to_dict(), rev=saved.line.rev)
    if current.text == "someone":  # B changed it after A's undo: A's stale undo is refused
        assert editing.undo(store, ref, stale, "e-aaaaaaaa").status == "conflict"
        assert line_store.list_lines(store, *ref)[0].text == "someone"


# ------------------------------------------------------------------ two editors, everything, any order
TEXTS = st.sampled_from(["", "α", "λόγος", "μῆνιν ἄειδε", "δ' ἄρ", "ϲοφόϲ", "x y"])
EDITORS = ("e-aaaaaaaa", "e-bbbbbbbb")


class TwoEditors(RuleBasedStateMachine):
    """Two browser tabs on one page. Each holds its own view of the lines (what it last loaded or
    saved); every outcome is checked against what the store may hold (the oracle), and the store
    against the oracle after every step:

    - an acknowledged save is in the store until an acknowledged change replaces it;
    - a refusal writes nothing, and only happens when someone else really changed that part since
      the view the save was made from (or deleted the line);
    - an editor alone never meets a refusal.
    """

    def __init__(self) -> None:
        super().__init__()
        import tempfile

        self.tmp = tempfile.TemporaryDirectory()
        self.store, self.ref = _page(Path(self.tmp.name) / "data")
        self.oracle: dict[str, dict] = {}  # line id -> {"text", "status", "shape"}
        self.order: list[str] = []
        # per editor: line id -> (rev seen, text seen, shape seen)
        self.views: dict[str, dict[str, tuple[int, str, list]]] = {e: {} for e in EDITORS}
        self.undo: dict[str, editing.UndoRecord | None] = {e: None for e in EDITORS}
        self.solo = False

    def teardown(self) -> None:
        self.tmp.cleanup()

    @initialize(n=st.integers(2, 5), solo=st.booleans())
    def start(self, n: int, solo: bool) -> None:
        self.solo = solo
        added = line_store.add_lines(self.store, *self.ref, [_box(i, "μ", "machine") for i in range(n)])
        for ln in added:
            self.oracle[ln.id] = {"text": ln.text, "status": ln.status, "shape": ln.points}
            self.order.append(ln.id)
        for e in EDITORS:
            self.reload(e)

    def reload(self, editor: str) -> None:
        self.views[editor] = {ln.id: (ln.rev, ln.text, ln.points) for ln in line_store.list_lines(self.store, *self.ref)}

    def editor(self, data: st.DataObject) -> str:
        return EDITORS[0] if self.solo else data.draw(st.sampled_from(EDITORS))

    def pick(self, data: st.DataObject, editor: str) -> str | None:
        seen = [i for i in self.views[editor]]
        return data.draw(st.sampled_from(seen)) if seen else None

    def store_line(self, line_id: str) -> Line | None:
        return next((ln for ln in line_store.list_lines(self.store, *self.ref) if ln.id == line_id), None)

    def check_refusal(self, outcome: editing.SaveOutcome, editor: str, line_id: str, part: str) -> None:
        assert not self.solo, f"an editor alone was refused: {outcome.message}"
        now = self.store_line(line_id)
        if outcome.status == "gone":
            assert now is None
            return
        rev, text, shape = self.views[editor][line_id]
        assert now is not None and now.rev != rev, "refused although nobody changed the line"
        assert line_store.changed_by_others(now, rev, [part], editor), "refused for a change that was not someone else's"

    @rule(data=st.data(), text=TEXTS, confirm=st.booleans())
    def type_text(self, data: st.DataObject, text: str, confirm: bool) -> None:
        editor = self.editor(data)
        line_id = self.pick(data, editor)
        if line_id is None:
            return
        rev, seen_text, shape = self.views[editor][line_id]
        before = self.store_line(line_id)
        outcome = editing.save_text(self.store, self.ref, line_id, rev, text, confirm=confirm, editor=editor)
        stored = normalise(text.strip(), Normalisation())[0]
        if outcome.status == "saved":
            assert before is not None
            # no silent overwrite: the text replaced is the one this editor saw (its view follows its own saves)
            assert before.text == seen_text, (before.text, seen_text)
            self.oracle[line_id].update(text=stored, status="verified" if confirm else ("edited" if stored else "empty"))
            self.views[editor][line_id] = (outcome.line.rev, outcome.line.text, shape)
            if not confirm:
                self.undo[editor] = editing.UndoRecord("update", self.ref.page, line=before.to_dict(), rev=outcome.line.rev)
        elif outcome.status == "unchanged":
            assert before is not None and before.text == stored
        elif outcome.status == "refused":
            assert confirm and not stored
        else:
            self.check_refusal(outcome, editor, line_id, "text")

    @rule(data=st.data(), dx=st.integers(-30, 30))
    def reshape(self, data: st.DataObject, dx: int) -> None:
        editor = self.editor(data)
        line_id = self.pick(data, editor)
        if line_id is None:
            return
        rev, text, shape = self.views[editor][line_id]
        points = [[max(0, x + dx), y] for x, y in shape]
        outcome = editing.reshape_line(self.store, self.ref, line_id, rev, points, editor=editor)
        if outcome.status == "saved":
            before = Line.from_dict({**outcome.line.to_dict(), "points": shape, "rev": outcome.line.rev - 1})
            self.oracle[line_id]["shape"] = outcome.line.points
            # the tab draws the line as the server returned it: its text too (someone else's, merged)
            self.views[editor][line_id] = (outcome.line.rev, outcome.line.text, outcome.line.points)
            self.undo[editor] = editing.UndoRecord("update", self.ref.page, line=before.to_dict(), rev=outcome.line.rev)
        else:
            self.check_refusal(outcome, editor, line_id, "shape")

    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        editor = self.editor(data)
        line_id = self.pick(data, editor)
        if line_id is None or len(self.order) <= 1:
            return
        rev = self.views[editor][line_id][0]
        index = self.order.index(line_id) if line_id in self.order else 0
        outcome = editing.delete_line(self.store, self.ref, line_id, rev, editor=editor)
        if outcome.status == "saved":
            del self.oracle[line_id]
            self.order.remove(line_id)
            self.views[editor].pop(line_id)
            self.undo[editor] = editing.UndoRecord("delete", self.ref.page, line=outcome.line.to_dict(), index=index)
        else:
            assert outcome.status in ("conflict", "gone") and not self.solo
            now = self.store_line(line_id)
            if outcome.status == "conflict":  # refused only for someone else's change since this editor's view
                assert now is not None and line_store.changed_by_others(now, rev, ["text", "shape"], editor)

    @rule(data=st.data(), to=st.integers(0, 6))
    def move(self, data: st.DataObject, to: int) -> None:
        editor = self.editor(data)
        line_id = self.pick(data, editor)
        if line_id is None or line_id not in self.order:
            return
        order = editing.move_line(self.store, self.ref, line_id, to)
        self.order.remove(line_id)
        self.order.insert(max(0, min(to, len(self.order))), line_id)
        assert order == self.order

    @rule(data=st.data())
    def reload_view(self, data: st.DataObject) -> None:
        self.reload(self.editor(data))

    @precondition(lambda self: any(self.undo.values()))
    @rule(data=st.data())
    def undo_last(self, data: st.DataObject) -> None:
        editor = self.editor(data)
        record = self.undo[editor]
        if record is None:
            return
        self.undo[editor] = None
        outcome = editing.undo(self.store, self.ref, record, editor)
        before = Line.from_dict(record.line)
        if outcome.status == "saved" and record.action == "delete":
            self.oracle[before.id] = {"text": before.text, "status": before.status, "shape": before.points}
            self.order.insert(max(0, min(record.index or 0, len(self.order))), before.id)
            self.views[editor][before.id] = (outcome.line.rev, before.text, before.points)
        elif outcome.status == "saved":
            self.oracle[before.id].update(text=before.text, status=before.status, shape=before.points)
            self.views[editor][before.id] = (outcome.line.rev, before.text, before.points)
        else:
            assert not self.solo, outcome.message

    @invariant()
    def store_equals_oracle(self) -> None:
        if not self.oracle:
            return
        lines = line_store.list_lines(self.store, *self.ref)
        assert [ln.id for ln in lines] == self.order
        for ln in lines:
            want = self.oracle[ln.id]
            assert (ln.text, ln.status) == (want["text"], want["status"]), (ln.id, ln.text, ln.status, want)
            assert ln.points == want["shape"]


TwoEditors.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])
test_two_editors = TwoEditors.TestCase
