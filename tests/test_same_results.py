"""The CLI and the app do the same thing for the same action, one area at a time: both go through the use
cases, and what they leave on disk (or hand back) is compared. The export of ground truth is compared in
``tests/test_routes_cli.py``."""

from __future__ import annotations

import io
import re
from pathlib import Path

from app import create_app
from config import Config
from services import DocumentRef
from services import training as training_uc
from storage import Store
from storage import lines as line_store
from tests.test_routes_cli import run_cli


def _app_and_store(data: Path):  # type: ignore[no-untyped-def]
    return create_app(Config(data_dir=data)).server.test_client(), Store(data)


def _pages(store: Store) -> list[tuple[str, str, int, int]]:
    [p] = store.list_projects()
    [d] = store.list_documents(p.id)
    return [(pg.source.filename, pg.source.sha256, pg.width, pg.height) for pg in store.list_pages(p.id, d.id)]


def test_import_pages_cli_and_upload_give_the_same_pages(tmp_path: Path, commentary_pages: list[Path]) -> None:
    r = run_cli("import", "--project", "P", "--document", "D", *map(str, commentary_pages), data_dir=tmp_path / "cli")
    assert r.returncode == 0, r.stderr
    client, store = _app_and_store(tmp_path / "app")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    for path in commentary_pages:
        answer = client.post(f"/api/upload/{p.id}/{d.id}", data=path.read_bytes(), headers={"X-Kalamos-Filename": path.name})
        assert answer.get_json()["status"] == "imported", answer.get_json()
    assert _pages(Store(tmp_path / "cli")) == _pages(store) and len(_pages(store)) == 2


def _lines(store: Store) -> list[tuple[str, str, str]]:
    [p] = store.list_projects()
    [d] = store.list_documents(p.id)
    return [(pg.source.filename, ln.text, ln.status) for pg in store.list_pages(p.id, d.id)
            for ln in line_store.list_lines(store, p.id, d.id, pg.id)]


def test_import_ground_truth_cli_and_app_give_the_same_lines(tmp_path: Path, shared_data: Path) -> None:
    src = shared_data / "gt4histcomment" / "cu31924087948174"
    tsv = src / "cu31924087948174_training.tsv"
    r = run_cli("import-gt", "--project", "P", "--document", "D", str(tsv), data_dir=tmp_path / "cli")
    assert r.returncode == 0, r.stderr
    client, store = _app_and_store(tmp_path / "app")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    names = sorted({row.split("\t", 1)[0] for row in tsv.read_text(encoding="utf-8").splitlines() if row.strip()})
    files = [(io.BytesIO(tsv.read_bytes()), tsv.name)] + [(io.BytesIO((src / "imgs" / n).read_bytes()), n) for n in names]
    answer = client.post(f"/api/import-gt/{p.id}/{d.id}", data={"files": files}, content_type="multipart/form-data")
    assert answer.get_json()["status"] == "imported", answer.get_json()
    assert _lines(Store(tmp_path / "cli")) == _lines(store) and len(_lines(store)) == 464


def test_ocr_cli_and_app_read_the_same_text(tmp_path: Path, commentary_pages: list[Path]) -> None:
    data = tmp_path / "data"
    r = run_cli("import", "--project", "P", "--document", "D", str(commentary_pages[0]), data_dir=data)
    assert r.returncode == 0, r.stderr
    r = run_cli("ocr", "--project", "P", "--document", "D", "--model", "grc+lat", "--out", str(tmp_path / "out"),
                data_dir=data)
    assert r.returncode == 0, r.stderr
    from_cli = next((tmp_path / "out").glob("*.txt")).read_text(encoding="utf-8")
    store = Store(data)
    [p] = store.list_projects()
    [d] = store.list_documents(p.id)
    from services import exports, transcription

    run = transcription.start(store, DocumentRef(p.id, d.id), None, transcription.RunForm(("grc", "lat"), 3, "page", True))
    assert run.count("done") == 1
    [(_, data_app)] = exports.transcript_files(store, p.id, d.id, "txt").items()
    assert len(from_cli) > 200 and data_app.decode("utf-8") == from_cli


def test_training_cli_flags_and_the_train_form_make_the_same_settings() -> None:
    """``kalamos train`` and the Train tab fill one ``TrainForm``; the same choices give the same checked settings."""
    import argparse

    import cli

    form_ui = training_uc.TrainForm("hand1", base="grc", iterations=100_000, minutes=30.0, material="manuscript",
                                    script="greek", augment=None, final_pass=False)
    spec_ui = training_uc.spec_from_form(form_ui)
    args = argparse.Namespace(out="hand1", scratch=False, base="grc", network="small", max_iterations=100_000,
                              max_minutes=30.0, learning_rate=None, integer=False, script="greek", augment=None,
                              new_top=False, final_pass=False, eval_share=0.1, no_early_stop=False, patience=None)
    spec_cli = training_uc.spec_from_form(cli.train_form(args, "manuscript"))
    assert spec_cli == spec_ui
    assert spec_ui.rate(50) == 0.001 and spec_ui.copies(50) == 8  # the manuscript recipe for few lines


def test_model_import_cli_and_app_register_the_same_model(tmp_path: Path) -> None:
    grc = Path("/usr/share/tesseract-ocr/5/tessdata/grc.traineddata")
    Store(tmp_path / "cli").create_project("P")
    r = run_cli("models", "--project", "P", "import", "--name", "mygrc", str(grc), data_dir=tmp_path / "cli")
    assert r.returncode == 0, r.stderr
    client, store = _app_and_store(tmp_path / "app")
    p = store.create_project("P")
    answer = client.post(f"/api/models/{p.id}/import?name=mygrc", data=grc.read_bytes(),
                         headers={"X-Kalamos-Filename": "grc.traineddata"})
    assert answer.get_json()["status"] == "imported", answer.get_json()
    from services import models as models_uc

    def seen(s: Store) -> tuple:  # type: ignore[type-arg]
        [m] = models_uc.own(s, s.list_projects()[0].id)
        return m.name, m.kind, m.unicharset_size, m.sha256, m.raw.get("source")

    assert seen(Store(tmp_path / "cli")) == seen(store)
    assert re.fullmatch(r"[0-9a-f]{64}", seen(store)[3])
