"""The use cases one by one, without Dash, Flask or the CLI: typed arguments in, typed results out, and the
disk checked afterwards. (Editing has its own file, tests/test_editing.py; exports tests/test_transcribe.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import page_with_lines

from services import DocumentRef, PageRef, annotation, documents, preprocessing, transcription
from services import models as models_uc
from services import training as training_uc
from storage import InvalidInput, NotFound, Store
from storage import lines as line_store
from storage.ingest import ImportLimits
from storage.models import Line
from storage.records import Evaluation, Job, OcrModel, OcrRun


@pytest.fixture()
def page(tmp_path: Path, shared_data: Path) -> tuple[Store, PageRef]:
    return page_with_lines(tmp_path, shared_data, [
        Line("", "box", [[10, 10], [300, 10], [300, 50], [10, 50]], text="ἐν ἀρχῇ ἦν", status="machine"),
        Line("", "box", [[10, 60], [300, 60], [300, 100], [10, 100]], text="ὁ λόγος", status="verified")])


# ------------------------------------------------------------------ annotation
def test_shapes_geometry_from_plotly() -> None:
    assert annotation.path_points("M1,2L3.5,4L5,-6Z") == [[1, 2], [3.5, 4], [5, -6]]
    assert annotation.shape_geometry({"type": "line", "x0": 9, "y0": 1, "x1": 2, "y1": 3}) == ("baseline", [[2, 3], [9, 1]])
    assert annotation.shape_geometry({"type": "rect", "x0": 5, "y0": 6, "x1": 1, "y1": 2})[1][0] == [1, 2]  # type: ignore[index]
    assert annotation.shape_geometry({"type": "path", "path": "M1,2L3,4Z"}) is None  # two points: not a polygon
    assert annotation.reshape_changes({"shapes[2].x0": 1, "shapes[2].y1": 4, "dragmode": "pan"}) == {2: {"x0": 1, "y1": 4}}


def test_drawing_through_a_view_matrix_lands_in_page_pixels(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    shown = line_store.list_lines(store, *ref)
    half = [[0.5, 0, 0], [0, 0.5, 0], [0, 0, 1]]  # the view is the page at half size
    out = annotation.apply_drawing(store, ref, shown, [{"name": ln.id} for ln in shown] +
                                   [{"type": "rect", "x0": 10, "y0": 20, "x1": 100, "y1": 25}], half)
    assert out.problems == [] and out.undo is not None and out.undo.action == "add"
    [new] = out.added
    assert new.points[0] == [20.0, 40.0]  # doubled back to the page
    assert [ln.id for ln in line_store.list_lines(store, *ref)][1] == new.id  # by its top, between the two


def test_a_reshape_of_a_line_changed_meanwhile_is_refused(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    shown = line_store.list_lines(store, *ref)
    line_store.update_line(store, *ref, shown[0].id, shown[0].rev, points=[[0, 0], [50, 0], [50, 20], [0, 20]])
    out = annotation.apply_reshapes(store, ref, shown, {0: {"x0": 1, "y0": 1, "x1": 40, "y1": 2}}, [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert out.refused and out.undo is None
    assert line_store.list_lines(store, *ref)[0].points == [[0, 0], [50, 0], [50, 20], [0, 20]]


def test_the_digest_changes_with_any_line(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    before = annotation.page_digest(store, ref)
    first = line_store.list_lines(store, *ref)[0]
    line_store.update_line(store, *ref, first.id, first.rev, text="x")
    assert annotation.page_digest(store, ref) != before and before.startswith(ref.page + ":")


def test_open_page_without_a_processed_image_says_so(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    shown = annotation.open_page(store, ref, processed=True)
    assert not shown.processed and shown.note and shown.key == "orig" and len(shown.lines) == 2


# ------------------------------------------------------------------ preprocessing
def test_crop_and_try_ocr_rectangles(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    pg = store.get_page(*ref)
    crop = preprocessing.crop_step(pg, preprocessing.Rect(0, 0, pg.width / 2, pg.height))
    assert crop["params"] == {"x0": 0.0, "y0": 0.0, "x1": 0.5, "y1": 1.0}
    assert [s["op"] for s in preprocessing.with_crop([{"op": "crop"}, {"op": "grayscale"}], crop)] == ["crop", "grayscale"]
    with pytest.raises(InvalidInput, match="too small"):
        preprocessing.crop_step(pg, preprocessing.Rect(0, 0, 2, 2))
    with pytest.raises(InvalidInput, match="larger rectangle"):
        preprocessing.try_ocr(store, ref, [], preprocessing.Rect(0, 0, 5, 5))
    text = preprocessing.try_ocr(store, ref, [], preprocessing.Rect(0, 0, pg.width, pg.height / 3), "grc")
    assert len(text.strip()) > 10


def test_save_and_render_keeps_the_pipeline_where_it_belongs(page: tuple[Store, PageRef]) -> None:
    from ocr.pipeline import new_step

    store, ref = page
    steps = [new_step("grayscale")]
    _, pv = preprocessing.save_and_render(store, ref, steps, page_scope=True)
    assert pv.path.exists() and store.get_page(*ref).pipeline is not None
    assert store.get_document(ref.project, ref.document).settings.get("pipeline") is None


# ------------------------------------------------------------------ transcription
def test_search_and_failures(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    [hit] = transcription.search(store, ref.doc, "ΛΟΓΟΣ")
    assert (hit.page_number, hit.line_number, hit.line.text) == (1, 2, "ὁ λόγος")
    assert transcription.search(store, ref.doc, "  ") == []
    run = OcrRun.from_dict({"id": "r-1", "spec": {"model": "grc"}, "started": "", "finished": "x", "order": ["a", "b"],
                            "pages": {"a": {"status": "done"}, "b": {"status": "failed", "error": "unreadable"}}})
    assert transcription.failures(run) == [(2, "unreadable")] and run.count("done") == 1


# ------------------------------------------------------------------ models and training
def test_picker_labels_and_evaluation_of_an_installed_model(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    grc = next(m for m in models_uc.installed() if m.name == "grc")
    assert models_uc.picker_label(grc).startswith("grc (system") and grc.trainable and not grc.own
    trained = OcrModel.from_dict({"id": "m-1", "name": "hand", "origin": "trained", "kind": "float",
                                  "eval": {"lines": 9, "new": {"CER %": 4.5}, "base": {"CER %": 9.0}}})
    assert models_uc.picker_label(trained) == "hand (trained here, CER 4.5%)"
    assert isinstance(trained.evaluation, Evaluation) and not trained.evaluation.no_better
    with pytest.raises(NotFound):
        models_uc.evaluation(store, ref.project, "nothing")


def test_the_train_form_is_checked_with_a_message_per_field() -> None:
    with pytest.raises(InvalidInput, match="number of iterations"):
        training_uc.spec_from_form(training_uc.TrainForm("x", iterations=None))
    with pytest.raises(InvalidInput, match="time budget"):
        training_uc.spec_from_form(training_uc.TrainForm("x", minutes=0))
    with pytest.raises(InvalidInput, match="learning rate"):
        training_uc.spec_from_form(training_uc.TrainForm("x", rate=5))
    spec = training_uc.spec_from_form(training_uc.TrainForm(" x ", script="nonsense", material="manuscript"))
    assert spec.name == "x" and spec.script is None and spec.max_minutes == 10.0  # an unknown script: all lines


def test_jobs_view_keeps_the_choice_while_it_exists() -> None:
    jobs = [Job.from_dict({"id": f"j-00000000000{i}", "status": "done", "created": str(i), "spec": {"name": "m"}})
            for i in (2, 1)]
    view = training_uc.JobsView(jobs, set(), set())
    assert view.choose("j-000000000001") == "j-000000000001" and view.choose("j-gone") == "j-000000000002"
    assert training_uc.JobsView([], set(), set()).choose("x") is None


# ------------------------------------------------------------------ documents
def test_page_pictures(page: tuple[Store, PageRef]) -> None:
    store, ref = page
    assert documents.thumbnail(store, ref).exists() and documents.original(store, ref).exists()
    first = line_store.list_lines(store, *ref)[0]
    picture = documents.line_picture(store, ref, first.id)
    assert picture.exists() and picture.name.startswith(f"line-{first.id}-")
    line_store.update_line(store, *ref, first.id, first.rev, text="a new text")
    assert documents.line_picture(store, ref, first.id) == picture  # the text changed, not the picture
    moved = line_store.update_line(store, *ref, first.id, first.rev + 1, points=[[10, 12], [300, 12], [300, 52], [10, 52]])
    again = documents.line_picture(store, ref, moved.id)
    assert again != picture and again.exists() and not picture.exists()  # a new shape, a new picture; the old one gone
    with pytest.raises(NotFound):
        documents.line_picture(store, ref, "ln-000000000000")
    with pytest.raises(NotFound, match="not been preprocessed"):
        documents.processed_view(store, ref)
    with pytest.raises(NotFound, match="no longer cached"):
        documents.preview(store, ref, "preview-0123456789abcdef.png")
    with pytest.raises(InvalidInput, match="verified .* or machine"):
        documents.import_ground_truth(store, ref.doc, [], status="edited")


# ------------------------------------------------------------------ line history
def test_a_lines_history_keeps_twenty_versions_with_their_authors_and_restores_one(page: tuple[Store, PageRef]) -> None:
    from services import editing

    store, ref = page
    line = line_store.list_lines(store, *ref)[0]
    rev = line.rev
    for i in range(1, 26):
        out = editing.save_text(store, ref, line.id, rev, f"version {i}", editor="e-aaaaaa", user="ada" if i % 2 else "bob")
        assert out.status == "saved", out
        rev = out.line.rev  # type: ignore[union-attr]
    versions = editing.history(store, ref, line.id)
    assert len(versions) == 20 and versions[0].current and versions[0].text == "version 25" and versions[0].who == "ada"
    assert [v.rev for v in versions] == list(range(rev, rev - 20, -1)) and versions[1].who == "bob"
    old = versions[5]
    stale = editing.restore_version(store, ref, line.id, rev - 1, old.rev, editor="e-bbbbbb", user="bob")
    assert stale.status == "conflict"  # someone (ada) saved since the version bob saw
    done = editing.restore_version(store, ref, line.id, rev, old.rev, editor="e-bbbbbb", user="bob")
    assert done.status == "saved" and done.line.text == old.text and done.line.rev == rev + 1  # type: ignore[union-attr]
    assert editing.history(store, ref, line.id)[0].who == "bob"
    assert editing.restore_version(store, ref, line.id, rev + 1, 1, "e-bbbbbb").status == "refused"  # no longer kept


def test_importing_with_replace_never_replaces_a_persons_work(tmp_path: Path, shared_data: Path) -> None:
    """A page where someone typed or confirmed lines in Kalamos is left as it is by an import that
    replaces lines, and the report says why; a page with only imported or machine lines is replaced."""
    from services import editing

    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    doc = DocumentRef(p.id, d.id)
    tsv = shared_data / "gt4histcomment" / "cu31924087948174" / "cu31924087948174_training.tsv"
    first = documents.import_ground_truth(store, doc, [tsv], status="machine")
    assert first.lines == 464 and first.pages == 7
    pages = store.list_pages(p.id, d.id)
    worked = PageRef(p.id, d.id, pages[0].id)
    line = line_store.list_lines(store, *worked)[0]
    assert editing.save_text(store, worked, line.id, line.rev, "MEINE KORREKTUR", confirm=True, editor="e-person").status == "saved"
    again = documents.import_ground_truth(store, doc, [tsv], replace=True)
    assert again.pages == 6 and any("typed, corrected or confirmed" in f for f in again.failed)
    assert any(ln.text == "MEINE KORREKTUR" for ln in line_store.list_lines(store, *worked))  # kept
    other = line_store.list_lines(store, p.id, d.id, pages[1].id)
    assert other and all(ln.status == "verified" for ln in other)  # the others replaced by the ground truth


def test_a_whole_page_run_is_scored_only_once_the_page_is_verified(tmp_path: Path, shared_data: Path) -> None:
    """One corrected line of an OCR'd page must not give the page a CER of thousands of percent, nor spoil the total."""
    from services import editing

    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    doc = DocumentRef(p.id, d.id)
    src = sorted((shared_data / "gazis-pages").glob("*.jpg"))[0]
    documents.import_files(store, doc, [src], ImportLimits())
    run = transcription.start(store, doc, None, transcription.RunForm(("grc",), 3, "page", True))
    ref = PageRef(p.id, d.id, store.list_pages(p.id, d.id)[0].id)
    lines = line_store.list_lines(store, *ref)
    assert len(lines) > 5 and all(ln.status == "machine" for ln in lines)
    editing.save_text(store, ref, lines[0].id, lines[0].rev, lines[0].text + " ", confirm=True, editor="e-person")
    [row], total = transcription.evaluate(store, doc, run.id)
    assert row.score is None and "1 of" in row.note and total.chars == 0
    editing.verify_lines(store, ref, {ln.id: ln.rev for ln in line_store.list_lines(store, *ref) if ln.status != "verified"},
                         "e-person")
    [row], total = transcription.evaluate(store, doc, run.id)
    assert row.score is not None and row.score.cer < 0.05 and total.chars > 100  # its own text, confirmed: near 0
