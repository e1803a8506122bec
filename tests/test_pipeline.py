"""Preprocessing steps, pipeline validation and JSON, and the on-disk cache of results."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr.deskew import estimate_skew, rotate
from ocr.pipeline import STEPS, PipelineError, Step, default_pipeline, new_step, pipeline_key, run, to_json, validate
from ocr.textsize import estimate_xheight
from storage import InvalidInput, Store
from storage.ingest import ImportLimits, import_paths
from storage.processing import (apply_to_page, page_pipeline, preset_steps, processed_path, render_preview,
                                save_preset, set_document_pipeline, set_page_pipeline)


def text_page(width: int = 1600, height: int = 1200, lines: int = 14, scale: float = 1.2) -> np.ndarray:
    """A synthetic page: black text lines on white, grey."""
    page = np.full((height, width), 255, np.uint8)
    for i in range(lines):
        y = 80 + i * (height - 120) // lines
        cv2.putText(page, "Lorem ipsum dolor sit amet consectetur adipiscing", (60, y),
                    cv2.FONT_HERSHEY_SIMPLEX, scale, 0, 2, cv2.LINE_AA)
    return page


def step(op: str, **params: object) -> Step:
    s = new_step(op)
    return Step(op, {**s.params, **params})


@pytest.mark.parametrize("angle", [-4.0, -1.5, 0.7, 2.5, 4.5])
def test_deskew_recovers_a_known_rotation(angle: float) -> None:
    turned = rotate(text_page(), angle)
    assert abs(estimate_skew(turned) - angle) <= 0.15
    levelled, report = run(turned, [new_step("deskew")])
    assert abs(report.values["deskew_angle"] - angle) <= 0.15
    assert abs(estimate_skew(levelled)) <= 0.15


def test_sauvola_keeps_text_and_removes_a_gradient_background() -> None:
    text = text_page()
    gradient = np.tile(np.linspace(90, 250, text.shape[1], dtype=np.float32), (text.shape[0], 1))
    page = np.minimum(gradient, text.astype(np.float32) * gradient / 255 + 0).astype(np.uint8)
    page = np.where(text < 128, (gradient * 0.25).astype(np.uint8), gradient.astype(np.uint8))
    out, _ = run(page, [step("binarize", method="sauvola", window=41, k=0.2)])
    assert set(np.unique(out)) <= {0, 255}
    ink, paper = text < 128, text >= 250
    paper_far = cv2.erode(paper.astype(np.uint8), np.ones((15, 15))) > 0
    assert (out[ink] == 0).mean() > 0.9, "text lost"
    assert (out[paper_far] == 255).mean() > 0.995, "gradient left in the background"
    # Otsu on the same page fails on the dark side: this is why Sauvola is the default
    otsu, _ = run(page, [step("binarize", method="otsu")])
    assert (otsu[paper_far] == 255).mean() < 0.9


def test_flatten_background_evens_a_stain() -> None:
    text = text_page()
    yy, xx = np.mgrid[: text.shape[0], : text.shape[1]]
    stain = 1 - 0.5 * np.exp(-((xx - 800) ** 2 + (yy - 600) ** 2) / (2 * 250.0**2))
    page = (text * stain).astype(np.uint8)
    out, _ = run(page, [step("flatten", size=81)])
    paper_far = cv2.erode((text >= 250).astype(np.uint8), np.ones((15, 15))) > 0
    assert out[paper_far].min() > 200 and page[paper_far].min() < 140


def test_crop_rotate_geometry() -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    out, _ = run(img, [step("crop", x0=0.25, y0=0.1, x1=0.75, y1=0.6)])
    assert out.shape == (50, 100, 3)
    out, _ = run(img, [step("rotate90", angle="90")])
    assert out.shape == (200, 100, 3)
    out, _ = run(img, [step("rotate90", angle="180")])
    assert out.shape == (100, 200, 3)
    out, _ = run(img, [step("rotate", angle=90.0 - 45.0)])
    assert abs(out.shape[0] - out.shape[1]) <= 1 and out.shape[0] > 200  # the whole page is kept
    marked = img.copy()
    marked[0:10, 0:10] = 255
    out, _ = run(marked, [step("rotate90", angle="90")])
    assert out[0:10, -10:].min() == 255  # top-left goes to top-right when turned clockwise


def test_rescale_auto_reaches_the_target_xheight() -> None:
    page = text_page(scale=1.0)
    xh = estimate_xheight(page)
    assert xh is not None and 10 <= xh <= 30
    out, report = run(page, [step("rescale", target=40, factor=0.0)])
    assert abs(report.values["rescale"] - 40 / xh) < 1e-6
    assert abs(estimate_xheight(out) - 40) <= 4  # type: ignore[operator]


def test_remove_borders_whitens_a_dark_frame() -> None:
    page = text_page()
    page[:, :40] = 20
    page[-30:, :] = 20
    out, report = run(page, [step("remove_borders")])
    assert out[:, :40].min() == 255 and out[-30:, :].min() == 255
    assert (out[text_page() < 128] < 128).mean() > 0.99  # text untouched
    assert report.notes


def test_every_step_runs_on_grey_and_colour() -> None:
    grey = text_page(400, 300, 4, 0.5)
    colour = cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)
    for op in STEPS:
        for img in (grey, colour):
            out, _ = run(img, [new_step(op)])
            assert out.dtype == np.uint8 and out.size > 0, op
            assert img is not out


def test_preview_scaling_makes_the_preview_look_like_the_full_result() -> None:
    full = text_page(1600, 1200, 12, 1.4)
    steps = [step("denoise", method="median", size=5), step("binarize", method="sauvola", window=61)]
    big, _ = run(full, steps, 1.0)
    small_in = cv2.resize(full, (800, 600), interpolation=cv2.INTER_AREA)
    small, _ = run(small_in, steps, 0.5)
    assert abs((big == 0).mean() - (small == 0).mean()) < 0.02


@pytest.mark.parametrize("raw,message", [
    ("binarize", "must be a list"),
    ([{"op": "sharpen"}], "unknown step 'sharpen'"),
    ([{"op": "binarize", "params": {"method": "magic"}}], "'magic' is not one of"),
    ([{"op": "binarize", "params": {"window": 100000}}], "outside 3…401"),
    ([{"op": "gamma", "params": {"gamma": "strong"}}], "is not a number"),
    ([{"op": "gamma", "params": {"gamma": float("nan")}}], "is not a number"),
    ([{"op": "denoise", "params": {"size": 3.5}}], "not a whole number"),
    ([{"op": "gamma", "params": {"gama": 1}}], "unknown parameter(s) gama"),
    ([42], "step 1 is not of the form"),
])
def test_bad_pipelines_are_refused_with_a_clear_message(raw: object, message: str) -> None:
    with pytest.raises(PipelineError) as err:
        validate(raw)
    assert message in str(err.value)


def test_json_round_trip_and_key() -> None:
    steps = [*default_pipeline(), step("rescale", target=32), Step("gamma", {"gamma": 0.8}, on=False)]
    again = validate(to_json(steps))
    assert again == steps
    assert pipeline_key(again) == pipeline_key(steps)
    assert pipeline_key(steps) == pipeline_key(steps[:-1])  # a switched-off step changes nothing
    assert pipeline_key(steps) != pipeline_key([*steps[:-2], step("rescale", target=33)])
    assert validate([{"op": "binarize"}])[0].params["method"] == "sauvola"  # defaults filled in


@pytest.fixture
def page_in_store(tmp_path: Path, shared_data: Path):  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    [r] = import_paths(store, p.id, d.id, [shared_data / "gazis-pages" / "page-01.jpg"], ImportLimits())
    return store, p.id, d.id, r.page_ids[0]


def test_pipeline_storage_per_page_with_document_default(page_in_store) -> None:  # type: ignore[no-untyped-def]
    store, p, d, pg = page_in_store
    steps, own = page_pipeline(store, p, d, store.get_page(p, d, pg))
    assert not own and steps == default_pipeline()
    set_document_pipeline(store, p, d, [new_step("grayscale")])
    assert page_pipeline(store, p, d, store.get_page(p, d, pg)) == ([new_step("grayscale")], False)
    set_page_pipeline(store, p, d, pg, [new_step("invert")])
    assert page_pipeline(store, p, d, store.get_page(p, d, pg)) == ([new_step("invert")], True)
    set_page_pipeline(store, p, d, pg, None)
    assert page_pipeline(store, p, d, store.get_page(p, d, pg))[1] is False
    save_preset(store, p, "parchment", default_pipeline())
    assert preset_steps(store, p, "parchment") == default_pipeline()
    # a hand-edited, broken pipeline is refused with a message, not run
    store.update_page(p, d, pg, lambda page: setattr(page, "pipeline", [{"op": "explode"}]))
    with pytest.raises(InvalidInput, match="unknown step 'explode'"):
        page_pipeline(store, p, d, store.get_page(p, d, pg))


def test_results_are_cached_by_pipeline_and_rebuilt_when_it_changes(page_in_store) -> None:  # type: ignore[no-untyped-def]
    store, p, d, pg = page_in_store
    page = store.get_page(p, d, pg)
    a = render_preview(store, p, d, page, default_pipeline())
    again = render_preview(store, p, d, page, default_pipeline())
    assert again.key == a.key and again.path == a.path and 1600 <= max(again.width, again.height) <= 1620  # deskew widens a little
    other = [*default_pipeline()[:-1], step("binarize", method="sauvola", k=0.3)]
    b = render_preview(store, p, d, page, other)
    assert b.key != a.key and b.path.read_bytes() != a.path.read_bytes()

    applied = apply_to_page(store, p, d, pg, default_pipeline())
    first = processed_path(store, p, d, applied)
    assert first is not None and applied.processed["key"] == a.key
    mtime = first.stat().st_mtime_ns
    assert processed_path(store, p, d, apply_to_page(store, p, d, pg, default_pipeline())).stat().st_mtime_ns == mtime
    changed = apply_to_page(store, p, d, pg, other)
    second = processed_path(store, p, d, changed)
    assert second != first and not first.exists() and changed.processed["key"] == b.key
    img = cv2.imread(str(second), cv2.IMREAD_UNCHANGED)
    assert (img.shape[1], img.shape[0]) == (changed.processed["width"], changed.processed["height"])
    # the original is untouched
    import hashlib
    original = store.document_dir(p, d) / page.source.original
    assert hashlib.sha256(original.read_bytes()).hexdigest() == page.source.sha256


def test_a_later_slider_reruns_only_the_later_steps_and_gives_what_a_whole_run_gives(page_in_store) -> None:  # type: ignore[no-untyped-def]
    from ocr.images import load_array
    from storage.processing import preview_base

    store, p, d, pg = page_in_store
    page = store.get_page(p, d, pg)
    cache = store.document_dir(p, d) / "cache"
    steps = [step("rotate", angle=1.5), *default_pipeline()[:-1], step("binarize", method="sauvola", k=0.2)]
    render_preview(store, p, d, page, steps)
    stages = sorted(cache.glob("stage*.npz"))
    assert len(stages) == 4  # after rotate, deskew, grayscale, flatten: what a slider of a later step starts from
    base, scale = preview_base(store, p, d, page)
    for k in (0.25, 0.3):  # a new Sauvola k: starts from the flattened page, same pixels and report as a whole run
        moved = [*steps[:-1], step("binarize", method="sauvola", k=k)]
        pv = render_preview(store, p, d, page, moved)
        whole, report = run(base, moved, scale)
        assert np.array_equal(load_array(pv.path), whole)
        assert pv.notes == report.notes and pv.values == report.values and "angle" in str(pv.values)
    assert sorted(cache.glob("stage*.npz")) == stages  # nothing new was run before the last step

    # a stage cut short (a crash while writing) is made again, and the preview is still right
    for f in stages:
        f.write_bytes(f.read_bytes()[:100])
    last = [*steps[:-1], step("binarize", method="sauvola", k=0.35)]
    pv = render_preview(store, p, d, page, last)
    assert np.array_equal(load_array(pv.path), run(base, last, scale)[0])
    # a step switched off in the middle: the stages of the others are not used for it
    off = [steps[0], Step("grayscale", {}, on=False), *last[2:]]
    pv = render_preview(store, p, d, page, off)
    assert np.array_equal(load_array(pv.path), run(base, off, scale)[0])
    assert len(list(cache.glob("stage*.npz"))) <= 6


def test_the_preview_figure_is_patched_for_the_same_page_and_rebuilt_for_another() -> None:
    from dash import Patch

    from layout.preprocess import figure_update

    view = {"page": "a", "before": "/b.jpg", "width": 6000, "height": 4000, "after": "/p1.png",
            "after_width": 6000, "after_height": 4000}
    assert figure_update(None, view).layout.images[1].source == "/p1.png"
    patch = figure_update(view, {**view, "after": "/p2.png"})
    assert isinstance(patch, Patch)
    ops = patch.to_plotly_json()["operations"]
    assert [(o["location"], o["params"]["value"]) for o in ops] == [(["layout", "images", 1, "source"], "/p2.png")]
    wider = figure_update(view, {**view, "after": "/p3.png", "after_width": 6100})
    assert {tuple(o["location"]) for o in wider.to_plotly_json()["operations"]} >= {("data", 1, "x"),
                                                                                      ("layout", "images", 1, "sizex")}
    assert figure_update(view, {**view, "page": "b"}).layout.images[0].source == "/b.jpg"


def test_apply_to_document_reports_a_broken_page_and_does_the_others(tmp_path: Path, shared_data: Path) -> None:
    from storage.processing import apply_to_document

    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    import_paths(store, p.id, d.id, sorted((shared_data / "gazis-pages").glob("*.jpg")), ImportLimits())
    pages = store.list_pages(p.id, d.id)
    # the second page's image is damaged on disk after import (a failing disk, a bad copy)
    broken = store.page_image_path(p.id, d.id, pages[1])
    broken.write_bytes(broken.read_bytes()[:5000])
    seen: list[tuple[int, int]] = []
    report = apply_to_document(store, p.id, d.id, lambda i, n: seen.append((i, n)))
    assert (report.total, report.done) == (3, 2)
    assert len(report.failed) == 1 and report.failed[0].startswith("page 2 (page-01.jpg):")
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert [processed_path(store, p.id, d.id, pg) is not None for pg in store.list_pages(p.id, d.id)] == [True, False, True]


def test_geometric_steps_compose_a_matrix_that_follows_the_pixels() -> None:
    """A marked spot on the page lands where the pipeline's matrix says, through every geometric step."""
    from ocr.geometry import apply

    img = np.full((400, 600), 255, np.uint8)
    cv2.circle(img, (150, 100), 6, 0, -1)
    steps = [step("crop", x0=0.1, y0=0.05, x1=0.9, y1=0.95), step("rotate90", angle="90"),
             step("rotate", angle=7.0), step("rescale", factor=1.5), step("rotate90", angle="270")]
    for n in range(1, len(steps) + 1):
        out, report = run(img, steps[:n])
        [[x, y]] = apply(report.matrix, [[150, 100]])
        ys, xs = np.nonzero(out < 128)
        assert abs(xs.mean() - x) < 2.5 and abs(ys.mean() - y) < 2.5, (steps[n - 1].op, (x, y), (xs.mean(), ys.mean()))
