"""Browser journey of the Train tab: verified lines in, a short training whose curve grows, stop and
keep the best, the model listed and offered in the Transcribe tab."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from storage import Store
from storage.groundtruth import import_gt
from storage.ocrmodels import list_models

pytestmark = pytest.mark.browser

DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


def test_train_stop_keep_best_and_use_the_model(page, server, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(server.data_dir)
    p = store.create_project("Campbell")
    d = store.create_document(p.id, "Ajax")
    tsv = shared_data / "gt4histcomment" / "cu31924087948174" / "cu31924087948174_training.tsv"
    rows = tsv.read_text(encoding="utf-8").splitlines()
    pages = sorted({r.split("\t")[0] for r in rows})[:2]
    small = tmp_path / "gt" / "two.tsv"
    small.parent.mkdir()
    small.write_text("\n".join(r for r in rows if r.split("\t")[0] in pages), encoding="utf-8")
    for img in pages:
        (small.parent / img).write_bytes((tsv.parent / "imgs" / img).read_bytes())
    assert import_gt(store, p.id, d.id, [small]).lines > 50  # verified lines, as the Annotate tab makes them

    page.goto(server.url)
    page.get_by_role("tab", name="Train").click()
    page.fill("#train-name", "campbell")
    page.fill("#train-iterations", "5000")
    page.click("#train-start")
    expect(page.locator("#train-progress")).to_contain_text("iteration", timeout=120_000)
    page.wait_for_function("document.querySelectorAll('#train-curve .scatterlayer .point').length >= 1")
    page.click("#train-stop")
    done = page.locator(".kalamos-train-done")
    expect(done).to_contain_text("Model campbell is ready", timeout=120_000)
    expect(done).to_contain_text("Stopped before the end")
    expect(page.locator(".kalamos-models")).to_contain_text("campbell")
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_IMG / "train.png"))
    [model] = list_models(store, p.id)
    assert model["name"] == "campbell" and model["eval"]["lines"] > 0

    page.get_by_role("tab", name="Transcribe").click()
    page.click("#transcribe-model")
    expect(page.get_by_text("campbell (trained here")).to_be_visible()
