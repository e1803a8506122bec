"""Training: box/lstmf generation, the split by page, the unicharset report, the log parser, a
short real fine-tune that yields a model Tesseract uses, stop-and-keep-best, resume, bad input."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from filelock import FileLock
from PIL import Image

from ocr.training import Sample, make_lstmf, missing_characters, parse_best_checkpoint, parse_log_line, parse_lstmeval, split_by_group
from storage import InvalidInput, Store
from storage.jsonio import read_json, write_json
from storage.ocrmodels import import_model, list_models, model_path
from storage.training import (PID_FILE, JobBusy, TrainSpec, create_job, curve, discard_job, interrupted_jobs, is_running, list_jobs,
                              request_stop, run_job)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gt_folder(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    folder = tmp_path_factory.mktemp("gt")
    for i, img in enumerate(sorted((shared_data / "gazis-lines" / "train").glob("*.jpg"))[:40]):
        stem = f"folio{i // 8:02d}_{i:03d}"  # five "pages" of eight lines
        shutil.copy(img, folder / f"{stem}.jpg")
        shutil.copy(img.with_suffix(".gt.txt"), folder / f"{stem}.gt.txt")
    return folder


def test_box_and_lstmf(tmp_path: Path, shared_data: Path) -> None:
    src = sorted((shared_data / "gazis-lines" / "train").glob("*.jpg"))[0]
    png = tmp_path / "line.png"
    Image.open(src).save(png)
    text = src.with_suffix(".gt.txt").read_text(encoding="utf-8").strip()
    lstmf = make_lstmf(png, text)
    box = (tmp_path / "line.box").read_text(encoding="utf-8").splitlines()
    w, h = Image.open(png).size
    assert box == [f"WordStr 0 0 {w} {h} 0 #{text}", f"\t {w} {h} {w + 1} {h + 1} 0"]
    assert lstmf.exists() and lstmf.stat().st_size > 1000


def test_split_by_page_is_reproducible_and_does_not_leak() -> None:
    samples = [Sample(Path(f"p{p}_l{i}.png"), "x", f"p{p}") for p in range(10) for i in range(10)]
    train, evaluation = split_by_group(samples, 0.1, seed=7)
    assert (train, evaluation) == split_by_group(samples, 0.1, seed=7)
    assert {s.group for s in train}.isdisjoint({s.group for s in evaluation})
    assert len(evaluation) == 10 and len(train) == 90
    two_big = [Sample(Path(f"p{p}_l{i}.png"), "x", f"p{p}") for p in range(2) for i in range(50)]
    t, e = split_by_group(two_big, 0.1)  # a whole page would hold out half: lines are split instead
    assert len(e) == 10 and len(t) == 90
    one_page = [Sample(Path(f"l{i}.png"), "x", "p") for i in range(20)]
    t, e = split_by_group(one_page, 0.1)
    assert len(e) == 2 and len(t) == 18


def test_missing_characters_report(tmp_path: Path) -> None:
    uni = tmp_path / "u"
    uni.write_text("3\nNULL 0 Common 0\nα 3 0,255,0,255,0,0,0,0,0,0 Greek 1 0 1 α\nβ 3 0 Greek 2 0 2 β\n", encoding="utf-8")
    assert missing_characters(["αβγ", "γ ᾳ", "α\u0313"], uni) == {"γ": 2, "ᾳ": 1, "ἀ": 1}


def test_parse_lstmtraining_log() -> None:
    p = parse_log_line("At iteration 100/100/100, Mean rms=1.5%, delta=5.2%, BCER train=16.896%, BWER train=40.1%, "
                       "skip ratio=0%,  New best BCER = 16.896 wrote checkpoint.")
    assert p is not None and (p.iteration, p.train_cer, p.best) == (100, 16.896, True)
    e = parse_log_line("At iteration 400, stage 0, Eval Char error rate=5.08, Word error rate=20.1")
    assert e is not None and (e.iteration, e.eval_cer, e.eval_wer) == (400, 5.08, 20.1)
    assert parse_log_line("Loaded file x.lstm, unpacking...") is None
    best = parse_best_checkpoint("At iteration 95/100/100, Mean rms=1.3%, delta=5.2%, BCER train=14.9%, BWER train=37.4%, "
                                 "skip ratio=0.0%,  New best BCER = 14.9 wrote best model:/d/c/gz_14.909000_95_100.checkpoint "
                                 "wrote checkpoint.")
    assert best == (Path("/d/c/gz_14.909000_95_100.checkpoint"), 100)
    assert parse_lstmeval("x.checkpoint is not a recognition model\nBCER eval=8.457912, BWER eval=26.765873\n") == (8.457912, 26.765873)
    assert parse_lstmeval("At iteration 0, stage 0, Eval Char error rate=3.9, Word error rate=10.2") == (3.9, 10.2)
    assert parse_lstmeval("nothing") is None


def test_short_fine_tune_registers_a_model_tesseract_uses(tmp_path: Path, gt_folder: Path, shared_data: Path) -> None:
    store = Store(tmp_path / "data")
    p = store.create_project("Gazis")
    second = tmp_path / "second"
    second.mkdir()
    for img in sorted((shared_data / "gazis-lines" / "test").glob("*.jpg"))[:6]:
        shutil.copy(img, second / img.name)
        shutil.copy(img.with_suffix(".gt.txt"), second / img.with_suffix(".gt.txt").name)
    job = create_job(store, p.id, TrainSpec("gazis", "grc", max_iterations=100, integer=True), gt_folder, compare_gt=second)
    assert job.summary.lines == 40 and job.summary.pages == 5 and len(job.second["lines"]) == 6
    assert {job.groups[n] for n in job.train}.isdisjoint({job.groups[n] for n in job.held_out})
    points = []
    job = run_job(store, p.id, job.id, lambda point, _job: points.append(point))
    assert job.status == "done", job.error
    assert points and max(pt.iteration for pt in points) == 100
    drawn = curve(store, p.id, job.id)
    assert any(pt.train_cer is not None for pt in drawn) and any(pt.eval_cer is not None for pt in drawn)  # both curves
    checkpoints = store.project_dir(p.id) / "training" / job.id / "checkpoints"
    assert len(list(checkpoints.glob("*.checkpoint"))) == 1  # only the chosen one is kept (10 MB each)
    lines = store.project_dir(p.id) / "training" / job.id / "lines"
    assert not list(lines.glob("*.lstmf")) and list(lines.glob("*.png"))  # tidied: what only training needed is gone
    by_name = {m.name: m for m in list_models(store, p.id)}
    fast, model = by_name["gazis_fast"], by_name["gazis"]
    assert model.name == "gazis" and model.evaluation.lines == len(job.held_out) and model.kind == "float"
    assert 0 <= model.evaluation.new.cer < 60 and model.evaluation.base.cer > 0
    assert model.evaluation.second.lines == 6 and model.evaluation.second.base.cer > 0
    assert (fast.name, fast.kind, fast.integer_of) == ("gazis_fast", "integer", model.id)
    rows = read_json(model_path(store, p.id, model).parent / "eval.json")["rows"]
    assert len(rows) == len(job.held_out) + 6 and sum(r.get("set") == "second" for r in rows) == 6
    row = max(rows, key=lambda r: r["new_errors"])
    assert "".join(d[1] for d in row["diff"]) == row["truth"] and "".join(d[2] for d in row["diff"]) == row["new"]
    path = model_path(store, p.id, model)
    line = sorted((shared_data / "gazis-lines" / "test").glob("*.jpg"))[0]
    text = subprocess.run(["tesseract", "--tessdata-dir", str(path.parent), str(line), "stdout", "-l", "gazis", "--psm", "7"],
                          capture_output=True, text=True, check=True).stdout
    assert len(text.strip()) > 10
    # the CLI sees the model
    r = subprocess.run([sys.executable, "-m", "cli", "--data-dir", str(store.root), "eval", "--model", "gazis",
                        "--gt", str(shared_data / "gazis-lines" / "test")], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1].startswith("CER "), r.stderr
    r = subprocess.run([sys.executable, "-m", "cli", "--data-dir", str(store.root), "eval", "--model", "gazis+grc",
                        "--gt", str(second)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1].startswith("CER "), r.stderr  # a trained + installed pair


def test_stop_now_keeps_the_best_and_a_restart_resumes(tmp_path: Path, gt_folder: Path) -> None:
    store = Store(tmp_path / "data")
    p = store.create_project("Gazis")
    job = create_job(store, p.id, TrainSpec("stopper", "grc", max_iterations=400), gt_folder)
    job = run_job(store, p.id, job.id, should_stop=lambda: True)  # "stop now, keep best" at the first line
    if job.status == "failed":  # stopped before any checkpoint: said so, and no model left behind
        assert "no checkpoint" in job.error and list_models(store, p.id) == []
    else:
        assert job.status == "done" and job.stopped_early
    # job.json set back to "training" after the end, as a crash while registering would leave it
    job = create_job(store, p.id, TrainSpec("resumed", "grc", max_iterations=100), gt_folder)
    job = run_job(store, p.id, job.id)
    assert job.status == "done"
    record = read_json(store.project_dir(p.id) / "training" / job.id / "job.json")
    record.update(status="training", spec={**record["spec"], "max_iterations": 150})
    models = store.project_dir(p.id) / "models"
    shutil.rmtree(models / record["model"])
    write_json(store.project_dir(p.id) / "training" / job.id / "job.json", {k: v for k, v in record.items() if k != "schema_version"})
    again = run_job(store, p.id, job.id)
    assert again.status == "done"
    log = (store.project_dir(p.id) / "training" / job.id / "log.txt").read_text()
    # the finished job was tidied (no latest checkpoint, no .lstmf): the rerun remade its data and trained again;
    # resuming an interrupted job from its checkpoint is tested with a killed lstmtraining below
    assert log.count("Finished!") == 2


def test_bad_ground_truth_is_reported(tmp_path: Path, gt_folder: Path) -> None:
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    few = tmp_path / "few"
    few.mkdir()
    for f in sorted(gt_folder.iterdir())[:10]:  # five lines
        shutil.copy(f, few / f.name)
    with pytest.raises(InvalidInput, match="at least 10"):
        create_job(store, p.id, TrainSpec("few"), few)
    assert not list((store.project_dir(p.id) / "training").iterdir())  # nothing half-made left
    odd = tmp_path / "odd"
    shutil.copytree(gt_folder, odd)
    first = sorted(odd.glob("*.gt.txt"))
    first[0].write_text("   \n", encoding="utf-8")
    first[1].write_text("λόγος " * 200, encoding="utf-8")
    sorted(odd.glob("*.jpg"))[2].write_bytes(b"\xff\xd8\xff broken")
    job = create_job(store, p.id, TrainSpec("odd"), odd)
    problems = "\n".join(job.problems)
    assert "empty transcription" in problems and "far too long" in problems and "cannot be read" in problems
    assert job.summary.lines == 37
    with pytest.raises(InvalidInput, match="language code"):
        create_job(store, p.id, TrainSpec("bad name!"), odd)
    with pytest.raises(Exception, match="not installed"):
        create_job(store, p.id, TrainSpec("x", base="klingon"), odd)
    taken = create_job(store, p.id, TrainSpec("taken"), odd)
    import_model(store, p.id, Path("/usr/share/tesseract-ocr/5/tessdata/grc.traineddata"), "taken")  # meanwhile
    failed = run_job(store, p.id, taken.id)
    assert failed.status == "failed" and "already" in failed.error
    mixed = tmp_path / "mixed"
    shutil.copytree(gt_folder, mixed)
    for gt in sorted(mixed.glob("*.gt.txt"))[:12]:
        gt.write_text("Quod autem dicit, hoc est alterum", encoding="utf-8")
    greek = create_job(store, p.id, TrainSpec("greek_only", script="greek"), mixed)
    assert greek.summary.lines == 28 and any("another script" in x for x in greek.problems)
    latin = create_job(store, p.id, TrainSpec("latin_only", base="lat", script="latin"), mixed)
    assert latin.summary.lines == 12
    with pytest.raises(InvalidInput, match="no LSTM network"):
        create_job(store, p.id, TrainSpec("x", base="osd"), odd)
    with pytest.raises(InvalidInput, match="name of an installed"):
        create_job(store, p.id, TrainSpec("grc"), odd)
    with pytest.raises(InvalidInput, match="network size"):
        create_job(store, p.id, TrainSpec("x", scratch=True, network="huge"), odd)
    assert len(list((store.project_dir(p.id) / "training").iterdir())) == 4  # odd, taken, greek_only, latin_only: refusals write nothing


def test_from_scratch_makes_a_new_network(tmp_path: Path, gt_folder: Path) -> None:
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    job = create_job(store, p.id, TrainSpec("fresh", scratch=True, network="small", max_iterations=100), gt_folder)
    job = run_job(store, p.id, job.id)
    assert job.status == "done", job.error
    [model] = list_models(store, p.id)
    assert model.base == "scratch (small)" and model.kind == "float" and model.evaluation.base is None
    assert 40 < model.unicharset_size < 120  # the ground truth's characters only
    log = (store.project_dir(p.id) / "training" / job.id / "log.txt").read_text()
    assert "Lfx128" in log or "Built network" in log


def _wait_for_training(store: Store, project_id: str, job_id: str) -> None:
    log = store.project_dir(project_id) / "training" / job_id / "log.txt"
    for _ in range(600):
        if log.exists() and "At iteration" in log.read_text():
            return
        time.sleep(0.2)
    raise AssertionError("training did not start")


def test_cancel_kill_resume_busy_and_full_disk(tmp_path: Path, gt_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    # cancel: nothing registered
    job = create_job(store, p.id, TrainSpec("cancelled", max_iterations=2000), gt_folder)
    threading.Thread(target=lambda: (_wait_for_training(store, p.id, job.id), request_stop(store, p.id, job.id, keep=False)),
                     daemon=True).start()
    assert run_job(store, p.id, job.id).status == "cancelled" and list_models(store, p.id) == []
    # lstmtraining killed: a clear failure, no model, the job is listed as interrupted and resumes
    job = create_job(store, p.id, TrainSpec("killed", max_iterations=200), gt_folder)
    folder = store.project_dir(p.id) / "training" / job.id

    def kill() -> None:
        _wait_for_training(store, p.id, job.id)
        os.kill(int((folder / PID_FILE).read_text()), signal.SIGKILL)  # by its process id

    threading.Thread(target=kill, daemon=True).start()
    failed = run_job(store, p.id, job.id)
    assert failed.status == "failed" and "killed" in failed.error and "resumed" in failed.error
    assert list_models(store, p.id) == [] and not is_running(store, p.id, job.id)
    assert job.id in [j.id for j in interrupted_jobs(store, p.id)]
    # another process running the job: refused, not run twice, not discarded
    with FileLock(str(folder / "job.lock")):
        assert is_running(store, p.id, job.id)
        with pytest.raises(JobBusy):
            run_job(store, p.id, job.id)
        with pytest.raises(InvalidInput, match="running"):
            discard_job(store, p.id, job.id)
    again = run_job(store, p.id, job.id)
    assert again.status == "done", again.error
    assert "Successfully restored trainer" in (folder / "log.txt").read_text()
    assert [m.name for m in list_models(store, p.id)] == ["killed"]
    cancelled = [j for j in interrupted_jobs(store, p.id) + list_jobs(store, p.id) if j.status == "cancelled"][0]
    assert "trash" in str(discard_job(store, p.id, cancelled.id))
    assert cancelled.id not in [j.id for j in list_jobs(store, p.id)]
    # a full disk: refused before starting, and a resumed job says so
    import storage.training as training

    monkeypatch.setattr(training.shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(10**12, 10**12, 1000))  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="free disk"):
        create_job(store, p.id, TrainSpec("full"), gt_folder)
    record = read_json(folder / "job.json")
    write_json(folder / "job.json", {**{k: v for k, v in record.items() if k != "schema_version"}, "status": "training"})
    assert "free disk" in run_job(store, p.id, job.id).error


def test_ctrl_c_in_the_cli_stops_lstmtraining_and_leaves_a_resumable_job(tmp_path: Path, gt_folder: Path) -> None:
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "cli", "--data-dir", str(data), "train", "--gt", str(gt_folder),
                             "--out", "interrupted", "--max-iterations", "5000"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            # a suite started in the background (`make test &`) inherits SIGINT ignored: restore it
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout is not None
    for line in proc.stdout:  # wait for the first curve point
        if line.startswith("iteration"):
            break
    [pid_file] = data.glob(f"projects/*/training/*/{PID_FILE}")
    trainer = int(pid_file.read_text())
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "--resume" in err and "Traceback" not in err
    time.sleep(1)
    with pytest.raises(ProcessLookupError):  # lstmtraining is gone too
        os.kill(trainer, 0)
    store = Store(data)
    [project] = store.list_projects()
    [job] = interrupted_jobs(store, project.id)
    assert job.status == "training" and list_models(store, project.id) == []


def test_the_model_is_the_checkpoint_with_the_lowest_held_out_error(tmp_path: Path, gt_folder: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """lstmtraining names its best checkpoints by the error on the lines it learns from, which keeps
    falling while a model learns them by heart; the held-out error has its optimum earlier. The
    evaluation is made to say so (its optimum at iteration ~120) and the run to go on: the model
    registered is that optimum, not the last checkpoint, and the run stops once it stops improving."""
    from ocr.metrics import Score
    from storage import training

    measured: list[int] = []

    def fake_measure(self, checkpoint: Path) -> Score:  # type: ignore[no-untyped-def]
        iteration = int(checkpoint.stem.rsplit("_", 1)[-1])
        measured.append(iteration)
        errors = 5 + abs(iteration - 120) // 10  # lowest near iteration 120, worse before and after
        return Score(chars=100, char_errors=errors, words=20, word_errors=errors // 2)

    monkeypatch.setattr(training._Evaluator, "measure", fake_measure)
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    job = create_job(store, p.id, TrainSpec("opt", max_iterations=3000, max_minutes=4, patience=150), gt_folder)
    job = run_job(store, p.id, job.id)
    assert job.status == "done", job.error
    best = min(measured, key=lambda it: abs(it - 120))
    assert job.selected.iteration == best, (job.selected, measured)
    assert max(measured) > best + 100  # the run went on past the optimum...
    assert "stopped improving" in (job.stop_reason or "") and max(measured) < 3000  # ...and stopped on its own
    [model] = list_models(store, p.id)
    assert model.raw["checkpoint"] == training.HELDOUT_BEST


def test_the_best_base_is_chosen_on_the_held_out_lines(tmp_path: Path, shared_data: Path) -> None:
    from storage.ingest import ImportLimits, import_paths
    from storage.lines import add_lines
    from storage.models import Line
    from storage.training import BEST_BASE, compare_bases

    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    images = sorted((shared_data / "gazis-lines" / "train").glob("*.jpg"))[:24]
    for result, img in zip(import_paths(store, p.id, d.id, images, ImportLimits()), images):
        pg = store.get_page(p.id, d.id, result.page_ids[0])
        add_lines(store, p.id, d.id, pg.id, [Line("", "box", [[0, 0], [pg.width, 0], [pg.width, pg.height], [0, pg.height]],
                                                   text=img.with_suffix(".gt.txt").read_text(encoding="utf-8").strip(),
                                                   status="verified")])
    rows = compare_bases(store, p.id, None, TrainSpec("x"), candidates=["eng", "grc", "lat"])
    assert [r.model for r in rows][0] == "grc" and rows[0].cer < rows[-1].cer, rows
    lacks = {r.model: r.lacks for r in rows}
    assert lacks["grc"] < 2 and lacks["eng"] > 50 and "α" in next(r.lacking for r in rows if r.model == "eng")
    assert rows[0].lines == len(create_job(store, p.id, TrainSpec("probe"), None, [d.id]).held_out)
    job = create_job(store, p.id, TrainSpec("best", BEST_BASE, max_iterations=50), None, [d.id])
    job = run_job(store, p.id, job.id)
    assert job.status == "done", job.error
    assert job.spec["base"] in {r.model for r in job.base_comparison}
    assert job.spec["base"] == job.base_comparison[0].model and job.spec["base"] != BEST_BASE
    # another split holds out pages "best" was trained on: it is listed, flagged, never chosen
    again = compare_bases(store, p.id, None, TrainSpec("x", seed=7, eval_share=0.5), candidates=["grc", "best"])
    flagged = {r.model: r.excluded for r in again}
    assert flagged["best"] and not flagged["grc"] and again[0].model == "grc", again


def test_augmented_copies_are_training_lines_only_and_reproducible(tmp_path: Path, gt_folder: Path) -> None:
    import numpy as np

    from ocr.augment import variants

    img = np.full((40, 300), 235, np.uint8)
    img[15:25, 20:280] = 30  # a stroke of ink
    a, b = variants(img, 3, seed=7), variants(img, 3, seed=7)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))  # a resumed job makes the same lines
    assert not np.array_equal(a[0], a[1])
    assert all(abs(v.shape[0] - 40) < 12 and abs(v.shape[1] - 300) < 60 and v.min() < 100 < v.max() for v in a)
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    job = create_job(store, p.id, TrainSpec("aug", augment=2), gt_folder)
    real = [n for n in job.train if "_aug" not in n]
    assert job.augmented == 2 * len(real) and len(job.train) == 3 * len(real)
    assert not any("_aug" in n for n in job.held_out)  # held-out lines are never augmented
    folder = store.project_dir(p.id) / "training" / job.id / "lines"
    for name in job.train[:6]:
        stem = name.split("_aug")[0].removesuffix(".png")
        assert (folder / name).with_suffix("").with_suffix(".gt.txt").read_text() == (folder / f"{stem}.gt.txt").read_text()
    assert TrainSpec("x").copies(50) == 5 and TrainSpec("x").copies(5000) == 0 and TrainSpec("x", augment=0).copies(50) == 0
    with pytest.raises(InvalidInput):
        TrainSpec("x", augment=50).check()


def test_fine_tune_resets_the_learning_rate_and_a_new_top_replaces_the_last_layers(tmp_path: Path) -> None:
    from ocr.training import TOP_APPEND_INDEX, Starter, lstmtraining_command

    starter = Starter("m", tmp_path / "m.traineddata", tmp_path / "base.lstm", tmp_path / "base.traineddata", {}, 200)
    cmd = lstmtraining_command(starter, tmp_path, tmp_path / "t", tmp_path / "e", 100, 0.0005)
    assert "--reset_learning_rate" in cmd and cmd[cmd.index("--learning_rate") + 1] == "0.0005"
    top = lstmtraining_command(starter, tmp_path, tmp_path / "t", tmp_path / "e", 100, 0.001, new_top=True)
    assert top[top.index("--append_index") + 1] == str(TOP_APPEND_INDEX) and "O1c200" in top[top.index("--net_spec") + 1]
    resumed = lstmtraining_command(starter, tmp_path, tmp_path / "t", tmp_path / "e", 100, 0.001, tmp_path / "ck", new_top=True)
    assert "--append_index" not in resumed  # a resumed new-top run continues from its checkpoint


def test_what_more_pages_would_buy_is_estimated_from_trainings_of_different_sizes() -> None:
    from ocr.training import estimate_gain

    assert estimate_gain([(100, 30.0)], [200]) is None  # one size says nothing
    assert estimate_gain([(100, 30.0), (110, 25.0)], [200]) is None  # too close
    est = estimate_gain([(50, 40.0), (100, 30.0), (200, 22.5)], [400, 800])
    assert est is not None and -0.5 < est.exponent < -0.35
    (n1, c1), (n2, c2) = est.predictions
    assert (n1, n2) == (400, 800) and 15 < c1 < 19 and c2 < c1
    flat = estimate_gain([(50, 30.0), (200, 31.0)], [400])
    assert flat is not None and flat.exponent > -0.02  # more lines did not help: the view says so


def test_a_final_pass_trains_on_every_line_up_to_the_chosen_iteration(tmp_path: Path, gt_folder: Path) -> None:
    """With the final pass, the model is trained once more on all lines, the held-out ones and their
    augmented copies too, for the chosen checkpoint's iterations scaled to the larger set; the job and
    the model say so, and keep the held-out error measured before it."""
    store = Store(tmp_path / "data")
    p = store.create_project("P")
    job = create_job(store, p.id, TrainSpec("fp", max_iterations=200, augment=1, final_pass=True), gt_folder)
    job = run_job(store, p.id, job.id)
    assert job.status == "done", job.error
    folder = store.project_dir(p.id) / "training" / job.id
    fp = job.final_pass
    names = (folder / "list.all").read_text().split()
    assert fp.status == "done" and fp.lines == len(names) == len(job.train) + 2 * len(job.held_out)
    assert all(any(Path(n).stem == Path(e).stem for n in names) for e in job.held_out)  # the held-out lines are in it
    assert fp.iterations == max(100, round(job.selected.iteration * len(names) / len(job.train)))
    [model] = list_models(store, p.id)
    assert model.raw["checkpoint"] == "fp_checkpoint" and model.final_pass.done
    assert model.heldout_cer == job.selected.heldout_cer
    assert (folder / "checkpoints" / "heldout_best.checkpoint").exists() and list((folder / "final").iterdir()) == [
        folder / "final" / "fp_checkpoint"]


def test_the_base_ranking_prefers_a_model_made_for_polytonic_greek_within_a_margin(tmp_path: Path) -> None:
    """Measured on a Byzantine hand: ell read the lines a little better than grc before training, and
    fine-tuned 6 points worse; for polytonic text a grc model within the margin goes first."""
    from ocr.greek import is_polytonic
    from storage.bases import SCRIPT_MARGIN, _rank

    store = Store(tmp_path / "data")
    p = store.create_project("P")
    poly, mono = ["ὁ δὲ Ἰησοῦς εἶπεν αὐτοῖς"] * 3, ["ο δε Ιησούς είπε σε αυτούς"] * 3
    assert is_polytonic(poly) and not is_polytonic(mono) and not is_polytonic(["plain Latin text"])

    def rows(ell: float) -> list[dict]:  # type: ignore[type-arg]
        return [{"model": "grc", "CER %": 65.0, "lacks %": 0.3}, {"model": "ell", "CER %": ell, "lacks %": 0.3},
                {"model": "eng", "CER %": 10.0, "lacks %": 0.0, "excluded": "trained on some of these lines"}]

    assert [r["model"] for r in _rank(store, p.id, rows(60.0), poly)] == ["grc", "ell", "eng"]
    assert "fine-tunes worse" in _rank(store, p.id, rows(60.0), poly)[0]["why"]
    assert _rank(store, p.id, rows(60.0), mono)[0]["model"] == "ell"  # monotonic text: the plain ranking
    assert _rank(store, p.id, rows(65.0 - SCRIPT_MARGIN - 1), poly)[0]["model"] == "ell"  # far better: it wins


def test_the_summary_flags_accents_that_stand_alone(tmp_path: Path) -> None:
    from storage.lines import add_lines
    from storage.models import Line
    from storage.training import preview

    store = Store(tmp_path / "data")
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    img = tmp_path / "page.png"
    Image.new("L", (400, 200), 255).save(img)
    from storage.ingest import ImportLimits, import_paths
    [r] = import_paths(store, p.id, d.id, [img], ImportLimits())
    add_lines(store, p.id, d.id, r.page_ids[0], [
        Line("", "box", [[0, 0], [300, 0], [300, 40], [0, 40]], text="τ´ ἐγὼ ῾Ομηρος", status="verified"),
        Line("", "box", [[0, 50], [300, 50], [300, 90], [0, 90]], text="ὁ δὲ ἀνήρ", status="verified")])
    found = preview(store, p.id, None, None)
    assert found.spacing == {"´": 1, "῾": 1} and found.lines == 2


def test_the_gain_estimate_uses_only_comparable_trainings(tmp_path: Path) -> None:
    """Trainings of another script, or built on a model trained here, are not points of the same curve."""
    from storage.jsonio import write_json
    from storage.training import gain_estimate

    store = Store(tmp_path / "data")
    p = store.create_project("P")

    def job(jid: str, lines: int, cer: float, script: str | None = None, base: str = "grc") -> None:
        folder = store.project_dir(p.id) / "training" / jid
        folder.mkdir(parents=True)
        write_json(folder / "job.json", {"id": jid, "status": "done", "created": jid, "spec": {"script": script, "base": base},
                                         "summary": {"train_lines": lines}, "selected": {"heldout_cer": cer}})

    job("j-000000000001", 50, 40.0)
    assert gain_estimate(store, p.id, 60, 3)[0] is None  # one training: nothing to fit
    job("j-000000000002", 100, 30.0, script="greek")  # another set of lines
    assert gain_estimate(store, p.id, 60, 3)[0] is None
    job("j-000000000003", 100, 30.0)
    est, targets = gain_estimate(store, p.id, 120, 4)
    assert est is not None and [n for n, _ in est.points] == [50, 100] and targets[0] == (1, 135)
    est, _ = gain_estimate(store, p.id, 120, 4, script="greek")
    assert est is None  # only one Greek-only training
