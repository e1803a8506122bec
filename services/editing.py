"""Editing the lines of a page: the rules that make ground truth trustworthy.

- **Explicit verification only.** A line becomes *verified* only by an explicit act on it: Enter or
  ✓ (``save_text(..., confirm=True)``) or a bulk verification the user confirmed (``verify_lines``).
  Typing saves the text as *edited* (``confirm=False``: autosave); opening, clicking or leaving a line
  changes nothing. An empty line cannot be verified.
- **Saving that cannot lie.** Every save says which revision of the line the editor showed and which
  editor (browser tab) sends it. It is refused, with nothing written, when someone else changed the
  same part of the line since (``storage.lines``: one's own saves never conflict); the refusal names
  the line by its number, carries both texts, and the user may replace theirs explicitly
  (``replace_rev``: the revision of their version, as the refusal showed it).
- **One way of writing.** Text is stored NFC and in the project's normalisation policy (elision
  mark, ano teleia, lunate sigma); what the policy changed is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ocr.greek import Normalisation, describe_changes, normalise
from services.context import PageRef
from storage import lines as line_store
from storage.errors import InvalidInput, NotFound
from storage.lines import LineConflict
from storage.models import Line, Region
from storage.store import Store

__all__ = ["SaveOutcome", "BulkOutcome", "policy", "set_policy", "prepare_text", "save_text", "verify_lines",
           "delete_line", "page_lines", "move_line", "add_drawn_lines", "reshape_line", "set_band", "undo", "UndoRecord",
           "status_counts", "unify", "UnifyReport", "history", "restore_version", "LineVersion"]

OutcomeStatus = Literal["saved", "unchanged", "conflict", "gone", "refused"]


@dataclass(frozen=True)
class SaveOutcome:
    """What became of one change of one line.

    ``saved``: written (``line`` is the new version); ``unchanged``: nothing to write; ``conflict``:
    someone else changed it first, nothing written (``theirs`` is their version, ``yours`` the text
    that was not saved); ``gone``: the line was deleted meanwhile; ``refused``: the change itself is
    not acceptable (``message`` says why)."""

    status: OutcomeStatus
    line: Line | None = None
    number: int | None = None
    message: str = ""
    yours: str = ""
    theirs: Line | None = None
    normalised: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in ("saved", "unchanged")

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "line": self.line.to_dict() if self.line else None, "number": self.number,
                "message": self.message, "yours": self.yours, "theirs": self.theirs.to_dict() if self.theirs else None,
                "normalised": list(self.normalised)}


@dataclass(frozen=True)
class BulkOutcome:
    done: list[Line] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  #: one message per line left as it was


# ------------------------------------------------------------------ the project's way of writing
def policy(store: Store, project_id: str) -> Normalisation:
    store.get_project(project_id)  # NotFound for a project that is not there
    return line_store.project_rules(store, project_id)


def set_policy(store: Store, project_id: str, new: Normalisation) -> Normalisation:
    def change(project: Any) -> None:
        project.settings["normalisation"] = new.to_settings()

    store.update_project(project_id, change)
    return new


def prepare_text(text: object, rules: Normalisation) -> tuple[str, tuple[str, ...]]:
    """A transcription as it is stored: one line, NFC, the project's forms; and what that changed."""
    clean = line_store.clean_text(text)
    stored, changes = normalise(clean, rules)
    return stored, tuple(d for d in describe_changes(changes) if not d.startswith("decomposed"))


# ------------------------------------------------------------------ saving text
def _number(store: Store, ref: PageRef, line_id: str) -> int | None:
    order = line_store.load(store, *ref).order
    return order.index(line_id) + 1 if line_id in order else None


def _quote(text: str) -> str:
    return f"“{text}”" if text else "(empty)"


def save_text(store: Store, ref: PageRef, line_id: str, base_rev: int, text: object, *, confirm: bool = False,
              editor: str | None = None, user: str | None = None, replace_rev: int | None = None) -> SaveOutcome:
    """Save what an editor typed into a line, shown to them at revision ``base_rev``.

    ``confirm`` False (autosave): the text is stored as *edited* (nothing happens when it is the
    line's text already; the status of an unchanged line is never touched). ``confirm`` True (Enter,
    ✓): the line becomes *verified* with this text. ``replace_rev``: the user chose to replace the
    version of someone else that a refusal showed them (at that revision).
    """
    rules = policy(store, ref.project)
    try:
        stored, normalised = prepare_text(text, rules)
    except InvalidInput as exc:
        return SaveOutcome("refused", number=_number(store, ref, line_id), message=str(exc))
    lines = line_store.load(store, *ref)
    current = lines.lines.get(line_id)
    number = lines.order.index(line_id) + 1 if current else None
    if current is None:
        return SaveOutcome("gone", number=None, yours=stored,
                           message=f"This line was deleted by someone else; your text was not saved: {_quote(stored)}.")
    if confirm and not stored:
        return SaveOutcome("refused", line=current, number=number, message=f"Line {number} is empty: an empty line "
                           "cannot be verified (type its text first).")
    if not confirm and line_store.clean_text(text) == current.text:  # what it holds already: never rewritten,
        return SaveOutcome("unchanged", line=current, number=number)  # not even into the project's forms
    base = replace_rev if replace_rev is not None else base_rev
    status = "verified" if confirm else ("edited" if stored else "empty")
    if stored == current.text and (not confirm or current.status == "verified"):
        return SaveOutcome("unchanged", line=current, number=number, normalised=normalised)  # the line already says so
    try:
        saved = line_store.update_line(store, *ref, line_id, base, editor=editor, user=user, text=stored, status=status)
    except LineConflict as exc:
        theirs = exc.current
        if theirs is None:
            return SaveOutcome("gone", yours=stored, message=f"Line {number} was deleted by someone else meanwhile; "
                               f"your text was not saved: {_quote(stored)}.")
        return SaveOutcome("conflict", line=theirs, number=number, yours=stored, theirs=theirs,
                           message=f"Line {number} was changed by someone else meanwhile, so your text was not saved. "
                                   f"Theirs ({theirs.status}): {_quote(theirs.text)}. Yours: {_quote(stored)}.")
    return SaveOutcome("saved", line=saved, number=number, normalised=normalised)


def verify_lines(store: Store, ref: PageRef, expected: Mapping[str, int], editor: str | None = None, user: str | None = None) -> BulkOutcome:
    """Verify several lines at once (a bulk act the user confirmed): each as the user saw it
    (``expected``: line id → revision shown); a line changed by someone else since, or empty, is skipped."""
    done, skipped = [], []
    for line_id, rev in expected.items():
        lines = line_store.load(store, *ref)
        line = lines.lines.get(line_id)
        number = lines.order.index(line_id) + 1 if line else "?"
        if line is None:
            skipped.append(f"line {number}: deleted meanwhile")
            continue
        if not line.text:
            skipped.append(f"line {number}: empty")
            continue
        if line.status == "verified":
            continue
        try:
            done.append(line_store.update_line(store, *ref, line_id, rev, editor=editor, user=user, status="verified"))
        except LineConflict:
            skipped.append(f"line {number}: changed by someone else meanwhile (look at it again)")
    return BulkOutcome(done, skipped)


def status_counts(lines: list[Line]) -> dict[str, int]:
    counts = {"verified": 0, "edited": 0, "aligned": 0, "machine": 0, "empty": 0}
    for ln in lines:
        counts[ln.status] = counts.get(ln.status, 0) + 1
    return counts


# ------------------------------------------------------------------ shape and order
def _refusal(exc: LineConflict, number: int | None, what: str) -> SaveOutcome:
    name = f"Line {number}" if number else "This line"
    if exc.current is None:
        return SaveOutcome("gone", number=number, message=f"{name} was deleted by someone else meanwhile; {what}.")
    return SaveOutcome("conflict", line=exc.current, number=number, theirs=exc.current,
                       message=f"{name} was changed by someone else meanwhile; {what}. "
                               f"Theirs ({exc.current.status}): {_quote(exc.current.text)}.")


def delete_line(store: Store, ref: PageRef, line_id: str, base_rev: int, editor: str | None = None) -> SaveOutcome:
    number = _number(store, ref, line_id)
    try:
        gone = line_store.delete_line(store, *ref, line_id, base_rev, editor=editor)
    except LineConflict as exc:
        return _refusal(exc, number, "it was not deleted")
    return SaveOutcome("saved", line=gone, number=number, message=f"Line {number} deleted (↶ Undo brings it back).")


def page_lines(store: Store, ref: PageRef) -> list[Line]:
    """The page's lines in reading order, as they are on disk now."""
    return line_store.list_lines(store, *ref)


def move_line(store: Store, ref: PageRef, line_id: str, index: int) -> list[str]:
    """Put a line at ``index`` of the reading order (moves never conflict); the new order."""
    return line_store.move_line(store, *ref, line_id, index)


def add_drawn_lines(store: Store, ref: PageRef, drawn: list[Line]) -> list[Line]:
    """Lines drawn by hand, each put in the reading order by its top edge among the page's lines."""
    added: list[Line] = []
    page = store.get_page(ref.project, ref.document, ref.page)
    for line in drawn:
        line.points = line_store.clamp_to_page(line.points, page.width, page.height)  # drawn over the edge
        top = min(p[1] for p in line.points)
        index = sum(1 for old in line_store.list_lines(store, *ref) if min(p[1] for p in old.points) < top)
        added += line_store.add_lines(store, *ref, [line], index=index)
    return added


def reshape_line(store: Store, ref: PageRef, line_id: str, base_rev: int, points: list[list[float]],
                 editor: str | None = None, user: str | None = None) -> SaveOutcome:
    number = _number(store, ref, line_id)
    page = store.get_page(ref.project, ref.document, ref.page)
    points = line_store.clamp_to_page(points, page.width, page.height)
    try:
        return SaveOutcome("saved", line=line_store.update_line(store, *ref, line_id, base_rev, editor=editor, user=user, points=points),
                           number=number)
    except LineConflict as exc:
        return _refusal(exc, number, "your change of its shape was not saved")


def set_band(store: Store, ref: PageRef, line_id: str, base_rev: int, above: float, below: float,
             editor: str | None = None, user: str | None = None) -> SaveOutcome:
    number = _number(store, ref, line_id)
    try:
        return SaveOutcome("saved", line=line_store.update_line(store, *ref, line_id, base_rev, editor=editor, user=user,
                                                                above=float(above), below=float(below)), number=number)
    except LineConflict as exc:
        return _refusal(exc, number, "the band was not changed")


# ------------------------------------------------------------------ history
@dataclass(frozen=True)
class LineVersion:
    """One version of a line, as its history shows it: what it said and looked like, who made it, when."""

    rev: int
    text: str
    status: str
    who: str | None  #: the signed-in user (accounts on), else None
    when: str
    changed: tuple[str, ...]  #: which parts this version changed: "text", "shape"
    current: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"rev": self.rev, "text": self.text, "status": self.status, "who": self.who, "when": self.when,
                "changed": list(self.changed), "current": self.current}


def _version(line: Line, current: bool) -> LineVersion:
    entry = next((c for c in reversed(line.changes) if c.get("rev") == line.rev), {})
    return LineVersion(line.rev, line.text, line.status, entry.get("user"), str(entry.get("at") or line.updated),
                       tuple(entry.get("what") or ()), current)


def history(store: Store, ref: PageRef, line_id: str) -> list[LineVersion]:
    """The line's last versions (at most 20), newest first; the first is the current one."""
    versions = line_store.line_versions(store, *ref, line_id)
    live = {ln.id for ln in line_store.list_lines(store, *ref)}
    return [_version(v, i == 0 and line_id in live) for i, v in enumerate(versions)]


def restore_version(store: Store, ref: PageRef, line_id: str, base_rev: int, rev: int, editor: str | None = None,
                    user: str | None = None) -> SaveOutcome:
    """Make an earlier version of the line (its text, status and shape) the current one, as a new version.
    Refused like any change when someone else changed the line since ``base_rev``."""
    number = _number(store, ref, line_id)
    old = next((v for v in line_store.line_versions(store, *ref, line_id) if v.rev == rev), None)
    if old is None:
        return SaveOutcome("refused", message=f"Line {number}: version {rev} is no longer kept.", number=number)
    try:
        line = line_store.update_line(store, *ref, line_id, base_rev, editor=editor, user=user, text=old.text,
                                      status=old.status, points=old.points, kind=old.kind, above=old.above, below=old.below,
                                      baseline=old.baseline)
    except LineConflict as exc:
        return _refusal(exc, number, "the earlier version was not restored")
    return SaveOutcome("saved", line=line, number=number, message=f"Line {number}: version {rev} restored (now version {line.rev}).")


# ------------------------------------------------------------------ undo
@dataclass(frozen=True)
class UndoRecord:
    """The last change an editor made, as the browser keeps it: ``update`` (the line before, and the
    revision the change gave it), ``add`` (the ids of lines drawn) or ``delete`` (the line and its place)."""

    action: Literal["update", "add", "delete", "bulk", "layout"]
    page: str
    line: dict[str, Any] | None = None
    rev: int | None = None
    ids: tuple[str, ...] = ()
    index: int | None = None
    #: ``bulk``: each line before, with the revision the bulk change gave it; ``layout``: the lines it removed
    lines: tuple[tuple[dict[str, Any], int], ...] = ()
    #: ``layout`` (regions found, a region deleted): the page's regions before; ``ids``: the lines it added
    regions: tuple[dict[str, Any], ...] = ()
    #: ``bulk`` over several pages (an alignment): the page of each of ``lines`` (empty: all on ``page``)
    pages: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "UndoRecord":
        return cls(action=d["action"], page=d["page"], line=d.get("line"), rev=d.get("rev"),
                   ids=tuple(d.get("ids", ())), index=d.get("index"),
                   lines=tuple((dict(ln), int(rev)) for ln, rev in d.get("lines", ())),
                   regions=tuple(dict(r) for r in d.get("regions", ())), pages=tuple(d.get("pages", ())))

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "page": self.page, "line": self.line, "rev": self.rev, "ids": list(self.ids),
                "index": self.index, "lines": [[ln, rev] for ln, rev in self.lines], "regions": list(self.regions),
                "pages": list(self.pages)}


def undo(store: Store, ref: PageRef, record: UndoRecord, editor: str | None = None, user: str | None = None) -> SaveOutcome:
    """Take back an editor's last change, unless someone else changed the line since (then refused)."""
    if record.action == "update" and record.line and record.rev is not None:
        before = Line.from_dict(record.line)
        number = _number(store, ref, before.id)
        try:
            line = line_store.update_line(store, *ref, before.id, record.rev, editor=editor, user=user, points=before.points,
                                          kind=before.kind, text=before.text, status=before.status,
                                          above=before.above, below=before.below, baseline=before.baseline)
        except LineConflict as exc:
            return _refusal(exc, number, "your change cannot be undone")
        return SaveOutcome("saved", line=line, number=number, message="Undone.")
    if record.action == "add":
        for line in [ln for ln in line_store.list_lines(store, *ref) if ln.id in record.ids]:
            try:
                line_store.delete_line(store, *ref, line.id, line.rev, editor=editor)
            except LineConflict as exc:
                return _refusal(exc, _number(store, ref, line.id), "the line drawn was not taken away")
        return SaveOutcome("saved", message="Undone.")
    if record.action == "bulk":  # a bulk verification or an alignment: each line back to its text and status before
        undone, kept = 0, []
        for i, (before_dict, rev) in enumerate(record.lines):
            before = Line.from_dict(before_dict)
            where = PageRef(ref.project, ref.document, record.pages[i]) if record.pages else ref
            try:
                line_store.update_line(store, *where, before.id, rev, editor=editor, user=user, text=before.text,
                                       status=before.status, aligned=before.aligned, conf=before.conf, source=before.source)
                undone += 1
            except LineConflict:
                kept.append(str(_number(store, where, before.id) or "?"))
            except NotFound:
                kept.append("?")
        note = f" Lines changed since were left: {', '.join(kept)}." if kept else ""
        return SaveOutcome("saved", message=f"Undone for {undone} line(s).{note}")
    if record.action == "layout":  # the regions as they were; lines found taken away, lines removed put back
        from storage import regions as region_store

        region_store.restore_layout(store, *ref, [Region.from_dict(r) for r in record.regions], record.ids,
                                    [Line.from_dict(ln) for ln, _ in record.lines])
        return SaveOutcome("saved", message="Undone: the page's regions are as they were.")
    if record.action == "delete" and record.line:
        try:
            line = line_store.restore_line(store, *ref, Line.from_dict(record.line), record.index, editor=editor)
        except LineConflict as exc:
            return SaveOutcome("refused", message=f"Cannot undo: {exc}")
        return SaveOutcome("saved", line=line, number=_number(store, ref, line.id), message="Undone.")
    raise NotFound("Nothing to undo.")


@dataclass(frozen=True)
class UnifyReport:
    lines: int = 0  #: lines rewritten
    changes: tuple[str, ...] = ()  #: "12 × ʼ (U+02BC) → ’ (U+2019)", ...
    skipped: tuple[str, ...] = ()  #: lines someone changed while this ran


def unify(store: Store, project_id: str, document_ids: list[str] | None = None, editor: str | None = None, user: str | None = None) -> UnifyReport:
    """Write every line of these documents (all: None) the project's way (ocr.greek.Normalisation):
    one elision mark, one ano teleia, σ/ς or ϲ. Statuses are kept; a line changed meanwhile is skipped."""
    rules = policy(store, project_id)
    total: dict[tuple[str, str], int] = {}
    count, skipped = 0, []
    for did in document_ids or [d.id for d in store.list_documents(project_id)]:
        for number, page in enumerate(store.list_pages(project_id, did), 1):
            for line in line_store.list_lines(store, project_id, did, page.id):
                text, changes = normalise(line.text, rules)
                if text == line.text:
                    continue
                try:
                    line_store.update_line(store, project_id, did, page.id, line.id, line.rev, editor=editor, user=user,
                                           text=text, status=line.status)
                except LineConflict:
                    skipped.append(f"page {number}: a line changed meanwhile")
                    continue
                count += 1
                for key, n in changes.items():
                    total[key] = total.get(key, 0) + n
    return UnifyReport(count, tuple(describe_changes(total)), tuple(skipped))
