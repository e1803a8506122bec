"""Browser journey of the Train tab: the ground truth summed up before starting, a short training
whose curve grows, stop and keep the best, the evaluation with the worst lines, a job left behind
(as by a restart) resumed, models renamed, downloaded from a configured URL (a local server) and
imported by upload, and the model offered in the Transcribe tab."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import readme_screenshot

from storage import Store
from storage.ingest import ImportLimits, import_paths
from storage.lines import add_lines
from storage.models import Line
from storage.ocrmodels import list_models
from storage.training import TrainSpec, create_job

pytestmark = pytest.mark.browser

GRC = Path("/usr/share/tesseract-ocr/5/tessdata/grc.traineddata")


@pytest.fixture
def server_env(tmp_path: Path, model_server: str) -> dict[str, str]:
    sources = tmp_path / "sources.json"
    sources.write_text(json.dumps([{"name": "grc_local", "url": f"{model_server}/grc.traineddata",
                                    "description": "Greek from the lab's server"}]))
    return {"KALAMOS_MODEL_SOURCES": str(sources)}


def test_train_evaluate_resume_and_manage_models(page, server, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p = store.create_project("Gazis")
    d = store.create_document(p.id, "Synaxarion")
    images = sorted((shared_data / "gazis-lines" / "train").glob("*.jpg"))[24:84]
    for result, img in zip(import_paths(store, p.id, d.id, images, ImportLimits()), images):  # one line per page
        pg = store.get_page(p.id, d.id, result.page_ids[0])
        w, h = pg.width, pg.height
        add_lines(store, p.id, d.id, pg.id, [Line(id="", kind="box", points=[[0, 0], [w, 0], [w, h], [0, h]],
                                                    text=img.with_suffix(".gt.txt").read_text(encoding="utf-8").strip(),
                                                    status="verified")])  # as the Annotate tab saves them
    # a job prepared and never run, as a server restart leaves one behind
    gt = tmp_path / "gazis"
    gt.mkdir()
    for i, img in enumerate(sorted((shared_data / "gazis-lines" / "train").glob("*.jpg"))[:24]):
        shutil.copy(img, gt / f"f{i // 6}_{i:02d}.jpg")
        shutil.copy(img.with_suffix(".gt.txt"), gt / f"f{i // 6}_{i:02d}.gt.txt")
    create_job(store, p.id, TrainSpec("leftover", max_iterations=100), gt)

    page.goto(server.url)
    page.get_by_role("tab", name="Train").click()
    expect(page.locator("#train-summary")).to_contain_text("verified lines")
    expect(page.locator("#train-summary")).to_contain_text("60 verified lines")
    page.select_option("#train-script", "latin")  # the Greek lines left out: nothing to train on
    expect(page.locator("#train-summary")).to_contain_text("No verified line")
    page.select_option("#train-script", "greek")
    expect(page.locator("#train-summary")).to_contain_text("60 verified lines")
    page.get_by_label("Train from scratch").check()  # the network size replaces the base, the rate becomes scratch's
    expect(page.locator("#train-network")).to_be_visible()
    expect(page.locator("#train-base")).to_be_hidden()
    expect(page.locator("#train-rate")).to_have_value("0.002")
    page.get_by_label("Fine-tune a model").check()
    expect(page.locator("#train-base")).to_be_visible()
    expect(page.locator("#train-rate")).to_have_value("")  # auto: by the number of lines
    expect(page.locator(".kalamos-gain")).to_contain_text("train once more")  # no training yet: nothing to estimate from
    page.select_option("#train-material", "manuscript")  # a hand: the defaults follow, the project remembers it
    expect(page.locator("#train-minutes")).to_have_value("30")
    assert store.get_project(p.id).settings.get("material") == "manuscript"
    page.reload()
    page.get_by_role("tab", name="Train").click()
    expect(page.locator("#train-material")).to_have_value("manuscript")
    expect(page.locator("#train-script")).to_have_value("greek")  # the form keeps what was chosen
    page.select_option("#train-material", "print")
    expect(page.locator("#train-minutes")).to_have_value("10")
    # resume the left-behind job from the jobs table
    page.locator(".kalamos-resume").first.click()
    expect(page.locator(".kalamos-train-done")).to_contain_text("Model leftover is ready", timeout=180_000)

    page.fill("#train-name", "gazis")
    page.fill("#train-iterations", "5000")
    page.click("#train-start")
    expect(page.locator("#train-progress")).to_contain_text("iteration", timeout=120_000)
    expect(page.locator("#train-curve")).to_contain_text("gazis")
    page.wait_for_function("document.querySelectorAll('#train-curve .scatterlayer .point').length >= 4", timeout=120_000)
    page.locator(".kalamos-jobs").get_by_role("button", name="Stop, keep best").click()  # as from another window
    done = page.locator(".kalamos-train-done")
    expect(done).to_contain_text("Model gazis is ready", timeout=180_000)
    expect(done).to_contain_text("Stopped before the end")
    expect(page.locator(".kalamos-models")).to_contain_text("gazis")
    [model, _] = list_models(store, p.id)
    assert model.name == "gazis" and model.evaluation.lines > 0

    page.select_option("#train-eval-model", label="gazis")
    expect(page.locator(".kalamos-eval-table")).to_contain_text("CER no diacritics %")
    expect(page.locator(".kalamos-worst tbody tr").first).to_be_visible()
    assert page.locator(".kalamos-worst ins, .kalamos-worst del").count() > 0  # the character diff
    expect(page.locator(".kalamos-jobs tbody tr").first).to_contain_text("done", timeout=10_000)
    page.locator("#train-curve").scroll_into_view_if_needed()
    readme_screenshot(page, "train.png", full_page=True)

    page.fill("#train-rename-name", "synaxarion")
    page.click("#train-rename")
    expect(page.locator("#train-manage-status")).to_contain_text("Renamed to synaxarion")
    expect(page.locator(".kalamos-models")).to_contain_text("synaxarion")
    page.fill("#train-rename-name", "grc")
    page.click("#train-rename")
    expect(page.locator("#train-manage-status")).to_contain_text("installed Tesseract model")

    page.select_option("#train-source", "grc_local")
    page.fill("#train-download-name", "lab_grc")
    page.click("#train-download")
    expect(page.locator(".kalamos-model-done")).to_contain_text("Downloaded lab_grc", timeout=60_000)
    expect(page.locator(".kalamos-models")).to_contain_text("lab_grc")

    page.fill("#train-import-name", "my_grc")
    page.locator("#train-import input[type=file]").set_input_files(str(GRC))
    expect(page.locator(".kalamos-model-done")).to_contain_text("Imported my_grc: integer model, 219 characters")
    junk = tmp_path / "junk.traineddata"
    junk.write_bytes(b"not a model at all")
    page.fill("#train-import-name", "junk")
    page.locator("#train-import input[type=file]").set_input_files(str(junk))
    expect(page.locator(".kalamos-model-error")).to_contain_text("not a Tesseract model")
    assert {m.name for m in list_models(store, p.id)} == {"leftover", "synaxarion", "lab_grc", "my_grc"}

    page.locator(".kalamos-jobs tr", has_text="leftover").get_by_role("button", name="Discard").click()
    expect(page.locator(".kalamos-jobs")).not_to_contain_text("leftover", timeout=10_000)
    expect(page.locator(".kalamos-models")).to_contain_text("leftover")  # its model stays

    page.get_by_role("tab", name="Transcribe").click()
    page.click("#transcribe-model")
    expect(page.locator("#transcribe-tab").get_by_text("synaxarion (trained here")).to_be_visible()
    expect(page.locator("#transcribe-tab").get_by_text("lab_grc (downloaded, integer)")).to_be_visible()
    # ... and in the Annotate tab's prefill and the Preprocess tab's try-OCR
    assert page.locator("#annotate-prefill-lang option[value=synaxarion]").count() == 1
    assert page.locator("#preprocess-ocr-lang option[value=my_grc]").count() == 1
