"""OCR runs (real Tesseract), a run with a broken page, evaluation, every export format, the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from lxml import etree

from storage import Store
from storage import lines as line_store
from storage.groundtruth import import_gt
from storage.ocrruns import RunSpec, evaluate_run, list_runs, page_result, run_ocr
from services.exports import transcript_files as export_files

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = Path(__file__).resolve().parent / "resources" / "schemas"


@pytest.fixture
def campbell(tmp_path: Path, shared_data: Path):  # type: ignore[no-untyped-def]
    """Two real pages of a Greek + English commentary with their verified line ground truth."""
    store = Store(tmp_path / "data")
    p = store.create_project("Campbell")
    d = store.create_document(p.id, "Ajax")
    tsv = shared_data / "gt4histcomment" / "cu31924087948174" / "cu31924087948174_training.tsv"
    rows = [r for r in tsv.read_text(encoding="utf-8").splitlines() if r.split("\t")[0] in
            sorted({r.split("\t")[0] for r in tsv.read_text(encoding="utf-8").splitlines()})[-2:]]
    small = tmp_path / "gt" / "two.tsv"
    small.parent.mkdir()
    small.write_text("\n".join(rows), encoding="utf-8")
    for img in {r.split("\t")[0] for r in rows}:
        (small.parent / img).write_bytes((tsv.parent / "imgs" / img).read_bytes())
    rep = import_gt(store, p.id, d.id, [small])
    assert rep.pages == 2
    return store, p.id, d.id


def test_line_mode_run_scores_against_verified_lines_and_keeps_them(campbell) -> None:  # type: ignore[no-untyped-def]
    store, p, d = campbell
    seen = []
    run = run_ocr(store, p, d, None, RunSpec("grc+eng", mode="lines"), jobs=2, progress=lambda *a: seen.append(a))
    assert [s.status for s in run.pages.values()] == ["done", "done"] and run.finished
    assert [a[:2] for a in seen] == [(1, 2), (2, 2)]
    rows, total = evaluate_run(store, p, d, run.id)
    assert len(rows) == 2 and total.chars > 1000 and 0 < total.cer < 0.15
    # verified lines keep the person's text
    page = store.list_pages(p, d)[0]
    assert all(ln.status == "verified" for ln in line_store.list_lines(store, p, d, page.id))
    assert list_runs(store, p, d)[0].id == run.id


def test_page_mode_on_a_page_without_lines_makes_reviewable_lines(campbell) -> None:  # type: ignore[no-untyped-def]
    store, p, d = campbell
    page = store.list_pages(p, d)[0]
    line_store.replace_lines(store, p, d, page.id, [])
    run = run_ocr(store, p, d, [page.id], RunSpec("grc+eng", psm=3, mode="page"), jobs=1)
    result = page_result(store, p, d, page.id, run.id)
    assert result and len(result["lines"]) > 20 and result["lines_added"] == len(line_store.list_lines(store, p, d, page.id))
    lines = line_store.list_lines(store, p, d, page.id)
    assert all(ln.status == "machine" and ln.conf is not None and ln.kind == "baseline" for ln in lines)
    assert all(0 <= ln.points[0][0] < page.width and 0 <= ln.points[0][1] < page.height for ln in lines)


def test_a_broken_page_is_reported_and_the_others_finish(campbell) -> None:  # type: ignore[no-untyped-def]
    store, p, d = campbell
    first, second = store.list_pages(p, d)
    image = store.page_image_path(p, d, first)
    image.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    run = run_ocr(store, p, d, None, RunSpec("grc+eng", mode="page"), jobs=2)
    assert run.pages[first.id].status == "failed" and run.pages[first.id].error
    assert run.pages[second.id].status == "done"
    assert page_result(store, p, d, second.id, run.id) is not None


def schema(name: str) -> etree.XMLSchema:
    text = (SCHEMAS / name).read_text(encoding="utf-8").replace(
        'schemaLocation="http://www.loc.gov/standards/xlink/xlink.xsd"', f'schemaLocation="{(SCHEMAS / "xlink.xsd").as_uri()}"')
    return etree.XMLSchema(etree.fromstring(text.encode(), base_url=(SCHEMAS / name).as_uri()))


def test_every_export_format(campbell) -> None:  # type: ignore[no-untyped-def]
    store, p, d = campbell
    page = store.list_pages(p, d)[0]
    first_text = line_store.list_lines(store, p, d, page.id)[4].text
    txt = export_files(store, p, d, "txt")
    assert len(txt) == 3 and first_text in next(v for k, v in txt.items() if k.endswith("_p0001.txt")).decode()
    for fmt, xsd in (("alto", "alto-4-4.xsd"), ("page", "pagecontent-2019-07-15.xsd")):
        files = export_files(store, p, d, fmt)
        assert len(files) == 2
        for data in files.values():
            doc = etree.fromstring(data)
            s = schema(xsd)
            assert s.validate(doc), s.error_log
    hocr = export_files(store, p, d, "hocr")
    [(name, data)] = hocr.items()
    tree = etree.fromstring(data)
    lines = tree.findall(".//{http://www.w3.org/1999/xhtml}span[@class='ocr_line']")
    assert len(lines) > 40 and all(ln.get("title").startswith("bbox ") for ln in lines)
    [(name, pdf)] = export_files(store, p, d, "pdf").items()
    doc = pdfium.PdfDocument(pdf)
    assert len(doc) == 2
    text = doc[0].get_textpage().get_text_range()
    assert first_text.split()[0] in text and len(text) > 1000  # the text layer can be read back


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", "--data-dir", str(data_dir), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300)


def test_cli_ocr_and_eval(campbell, tmp_path: Path, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    store, p, d = campbell
    out = tmp_path / "out"
    r = run_cli("ocr", "--project", "Campbell", "--document", "Ajax", "--model", "grc+eng", "--jobs", "2",
                "--format", "txt", "--format", "pdf", "--out", str(out), data_dir=store.root)
    assert r.returncode == 0, r.stderr
    assert "2/2 pages" in r.stdout and "2 of 2 page(s) read" in r.stdout
    assert (out / "Ajax.pdf").exists() and (out / "Ajax.txt").stat().st_size > 1000
    gt = tmp_path / "lines"
    gt.mkdir()
    for f in sorted((shared_data / "gazis-lines" / "test").iterdir())[:20]:
        (gt / f.name).write_bytes(f.read_bytes())
    (gt / "orphan.png").write_bytes((gt / "test-0000.jpg").read_bytes())
    r = run_cli("eval", "--model", "grc", "--gt", str(gt), data_dir=store.root)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith("CER ") and last.endswith("%") and 0 < float(last[4:-1]) < 40
    assert "orphan.png: no .gt.txt" in r.stderr
    r = run_cli("eval", "--model", "klingon", "--gt", str(gt), data_dir=store.root)
    assert r.returncode == 2 and "No model named 'klingon'" in r.stderr and "Traceback" not in r.stderr


def test_runs_through_the_project_tessdata_folder(campbell) -> None:  # type: ignore[no-untyped-def]
    """Trained models are offered through a per-project tessdata folder: installed models work there too."""
    from storage.ocrmodels import project_tessdata

    store, p, d = campbell
    page = store.list_pages(p, d)[0]
    line_store.replace_lines(store, p, d, page.id, [])
    folder = project_tessdata(store, p)
    assert (folder / "grc.traineddata").exists() and (folder / "configs").exists()
    run = run_ocr(store, p, d, [page.id], RunSpec("grc+eng", mode="page", tessdata=str(folder)), jobs=1)
    assert run.pages[page.id].status == "done"
    assert len(line_store.list_lines(store, p, d, page.id)) > 20


def test_a_new_format_is_one_registry_entry(campbell, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A format added to the registry (here: a CSV of lines) is offered by the CLI, served by the route,
    linked in the Transcribe tab and part of the all-formats zip, with nothing else touched."""
    import dataclasses
    import io
    import zipfile

    from cli import build_parser
    from config import Config
    from app import create_app
    from services.exports import transcript_download
    from storage.formats import registry

    store, p, d = campbell

    def write_csv(pages, stem):  # type: ignore[no-untyped-def]
        return {f"{stem}.csv": "".join(f"{pl.number};{ln.text}\n" for pl in pages for ln, _, _ in pl.rows if ln.text).encode()}

    csv = registry.Format("csv", "CSV of lines", ".csv", "text/csv; charset=utf-8", transcript=write_csv)
    monkeypatch.setattr(registry, "FORMATS", (*registry.FORMATS, csv))
    monkeypatch.setattr(registry, "_BY_KEY", {**registry._BY_KEY, "csv": csv})
    assert "csv" in build_parser().parse_args(["ocr", "--project", "x", "--document", "y", "--format", "csv"]).format
    found = transcript_download(store, p, d, "csv")
    assert found.name.endswith(".csv") and found.media_type.startswith("text/csv") and found.data.count(b"\n") > 40
    client = create_app(Config(data_dir=store.root)).server.test_client()
    r = client.get(f"/transcript/{p}/{d}/csv")
    assert r.status_code == 200 and r.data == found.data and r.mimetype == "text/csv"
    names = zipfile.ZipFile(io.BytesIO(client.get(f"/transcript/{p}/{d}/zip").data)).namelist()
    assert any(n.startswith("csv/") for n in names)
    from callbacks.transcribe import export_links
    assert "CSV of lines" in str(export_links((p, d), None))
    assert dataclasses.is_dataclass(csv)


def test_export_names_say_what_they_hold(campbell) -> None:  # type: ignore[no-untyped-def]
    """One page's files are named after the page in every format; transcript XML names the page's own
    image; ground-truth zips name the document; an empty export answers a browser with a page, not JSON."""
    from config import Config
    from app import create_app
    from services.exports import ground_truth_download, transcript_download

    store, p, d = campbell
    first = store.list_pages(p, d)[0]
    for fmt in ("txt", "hocr", "pdf", "page"):
        name = transcript_download(store, p, d, fmt, [first.id]).name
        assert name.startswith("Ajax_p0001"), name
    assert transcript_download(store, p, d, "hocr").name == "Ajax.hocr"
    assert transcript_download(store, p, d, "zip", [first.id]).name == "Ajax_p0001-all-formats.zip"
    xml = transcript_download(store, p, d, "page", [first.id]).data
    assert f'imageFilename="{first.source.filename}"'.encode() in xml
    assert ground_truth_download(store, p, d, "page").name == "Campbell-Ajax-ground-truth-page.zip"  # type: ignore[union-attr]
    empty = store.create_document(p, "Nothing verified")
    client = create_app(Config(data_dir=store.root)).server.test_client()
    r = client.get(f"/export/{p}/{empty.id}/tesstrain.zip", headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 404 and r.mimetype == "text/html" and b"Back to Kalamos" in r.data and b"Annotate" in r.data
    r = client.get(f"/export/{p}/{empty.id}/tesstrain.zip", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.get_json()["message"].startswith("Nothing to export")


def test_the_longest_pages_are_read_first_and_the_run_keeps_the_order_asked(campbell) -> None:  # type: ignore[no-untyped-def]
    """No core waits idle at the end of a batch while a long page is read alone: pages start by the
    size of their image (how much is written on them); the run lists them as they were asked."""
    from storage.ocrruns import _costliest_first

    store, p, d = campbell
    first, second = store.list_pages(p, d)
    small = store.page_image_path(p, d, first)
    from PIL import Image
    Image.new("L", (400, 300), 255).save(small)  # an empty page: the shortest to read
    pages = [first, second]
    assert [pg.id for pg in _costliest_first(store, p, d, pages, RunSpec("grc+eng"))] == [second.id, first.id]
    run = run_ocr(store, p, d, [first.id, second.id], RunSpec("grc+eng", mode="page"), jobs=1)
    assert list(run.order) == [first.id, second.id] and all(s.status == "done" for s in run.pages.values())
    done = {pg: page_result(store, p, d, pg, run.id)["at"] for pg in (first.id, second.id)}
    assert done[second.id] <= done[first.id]
