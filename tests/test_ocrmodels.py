"""The model manager: what a model file is, import, download (from a local HTTP server: good file,
bad checksum, 404, a cut-off answer), rename, delete, and the project's tessdata folder."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocr.tessmodel import ModelFormatError, describe_model
from ocr.tesseract import recognize
from storage import InvalidInput, NotFound, Store
from storage.ocrmodels import (all_models, delete_model, download_model, import_model, list_models, model_file, project_tessdata,
                               rename_model, system_models)

REPO = Path(__file__).resolve().parents[1]
GRC = Path("/usr/share/tesseract-ocr/5/tessdata/grc.traineddata")


def test_describe_reads_kind_and_charset_from_the_file(tmp_path: Path) -> None:
    d = describe_model(GRC)
    assert (d.kind, d.unicharset_size) == ("integer", 219) and "grc" in d.version
    assert describe_model(Path("/usr/share/tesseract-ocr/5/tessdata/osd.traineddata")).kind == "legacy"
    junk = tmp_path / "x.traineddata"
    junk.write_bytes(b"GIF89a" + bytes(100))
    with pytest.raises(ModelFormatError, match="not a Tesseract"):
        describe_model(junk)
    system = {m.name: m for m in system_models()}
    assert system["grc"].kind == "integer" and "osd" not in system


def test_import_rename_delete(tmp_path: Path, shared_data: Path) -> None:
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    m = import_model(store, p.id, GRC, "mygrc")
    assert (m.kind, m.origin, m.unicharset_size) == ("integer", "imported", 219)
    assert m.sha256 == hashlib.sha256(GRC.read_bytes()).hexdigest()
    assert [x.name for x in all_models(store, p.id)][0] == "mygrc"
    assert (project_tessdata(store, p.id) / "mygrc.traineddata").exists()
    for bad, why in (("grc", "installed"), ("mygrc", "already"), ("no way", "not valid")):
        with pytest.raises(InvalidInput, match=why):
            import_model(store, p.id, GRC, bad)
    junk = tmp_path / "junk.traineddata"
    junk.write_bytes(b"junk" * 10)
    with pytest.raises(InvalidInput, match="not a Tesseract model"):
        import_model(store, p.id, junk, "junk")
    with pytest.raises(InvalidInput, match="legacy"):
        import_model(store, p.id, Path("/usr/share/tesseract-ocr/5/tessdata/osd.traineddata"), "osd2")
    assert [x.name for x in list_models(store, p.id)] == ["mygrc"]  # nothing half-registered
    assert not [d for d in (store.project_dir(p.id) / "models").iterdir() if d.name.endswith(".tmp")]
    renamed = rename_model(store, p.id, "mygrc", "greek2")
    assert model_file(store, p.id, "greek2").exists() and renamed.raw["renamed_from"] == "mygrc"
    tessdata = project_tessdata(store, p.id)
    assert (tessdata / "greek2.traineddata").exists() and not (tessdata / "mygrc.traineddata").exists()
    text = subprocess.run(["tesseract", "--tessdata-dir", str(tessdata), str(sorted((shared_data / "gazis-lines" / "test").glob("*.jpg"))[0]),
                           "stdout", "-l", "greek2", "--psm", "7"], capture_output=True, text=True)
    assert text.returncode == 0, text.stderr
    # the project's model reads a line where the UI's tools read (Preprocess try-OCR, Annotate pre-fill)
    line = np.array(Image.open(sorted((shared_data / "gazis-lines" / "test").glob("*.jpg"))[0]).convert("L"))
    assert len(recognize(line, "greek2", psm=7, tessdata_dir=tessdata)) > 10
    where = delete_model(store, p.id, renamed.id)
    assert where.is_dir() and "trash" in str(where) and list_models(store, p.id) == []
    with pytest.raises(NotFound):
        model_file(store, p.id, "greek2")


def test_download_good_bad_checksum_404_and_cut_off(tmp_path: Path, model_server: str) -> None:
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    seen: list[tuple[int, int | None]] = []
    digest = hashlib.sha256(GRC.read_bytes()).hexdigest()
    m = download_model(store, p.id, f"{model_server}/grc.traineddata", "grc_dl", digest, lambda d, t: seen.append((d, t)))
    assert m.origin == "downloaded" and m.kind == "integer" and m.sha256 == digest
    assert seen[-1] == (GRC.stat().st_size, GRC.stat().st_size)
    with pytest.raises(InvalidInput, match="checksum does not match"):
        download_model(store, p.id, f"{model_server}/grc.traineddata", "grc_bad", "0" * 64)
    with pytest.raises(InvalidInput, match="404"):
        download_model(store, p.id, f"{model_server}/missing.traineddata", "missing")
    with pytest.raises(InvalidInput, match="cut off"):
        download_model(store, p.id, f"{model_server}/cut.traineddata", "cut")
    with pytest.raises(InvalidInput, match="not a Tesseract model"):
        download_model(store, p.id, f"{model_server}/junk.traineddata", "junk")
    with pytest.raises(InvalidInput, match="cannot be reached"):
        download_model(store, p.id, "http://127.0.0.1:9/none.traineddata", "none")
    assert [x.name for x in list_models(store, p.id)] == ["grc_dl"]
    assert not [d for d in (store.project_dir(p.id) / "models").iterdir() if d.name.endswith(".tmp")]


def test_cli_models(tmp_path: Path, model_server: str) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cli", "--data-dir", str(tmp_path / "d"), *args], cwd=REPO,
                              capture_output=True, text=True, timeout=120)

    assert run("import", "--project", "P", "--document", "D", str(REPO / "tests" / "resources" / "two-pages.pdf")).returncode == 0
    r = run("models", "--project", "P", "download", "--url", f"{model_server}/grc.traineddata", "--name", "dl", "--sha256", "1" * 64)
    assert r.returncode == 2 and "checksum does not match" in r.stderr and "Traceback" not in r.stderr
    r = run("models", "--project", "P", "download", "--url", f"{model_server}/grc.traineddata", "--name", "dl")
    assert r.returncode == 0, r.stderr
    r = run("models", "--project", "P", "list")
    assert r.returncode == 0 and r.stdout.splitlines()[0].split()[:3] == ["dl", "downloaded", "integer"]
    assert run("models", "--project", "P", "rename", "dl", "grc2").returncode == 0
    assert run("models", "--project", "P", "delete", "grc2").returncode == 0
    r = run("models", "--project", "P", "delete", "grc2")
    assert r.returncode == 2 and "No model named" in r.stderr
