"""Jobs that outgrow one machine: the web process queues OCR runs and trainings in Redis and a separate
``kalamos worker`` (Celery) runs them over the same data directory. The test starts a real ``redis-server``
on a free port, a worker and a web server (each stopped by its process group), then from the browser reads a
two-page document (the web process is restarted while the worker reads: the run still ends, its state in the
store) and trains a model for 100 iterations."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import REPO, Server, _free_port
from storage import Store
from storage.ingest import ImportLimits, import_paths
from storage.lines import add_lines, list_lines
from storage.models import Line

pytestmark = [pytest.mark.browser, pytest.mark.skipif(shutil.which("redis-server") is None,
                                                      reason="Debian's redis-server is installed by make test")]


def _started(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:  # type: ignore[type-arg]
    return subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **(env or {})}, stdout=open(log, "w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A Redis of the test's own and a Kalamos worker on the data directory ``tmp_path/data``."""
    port = _free_port()
    redis = _started(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                     tmp_path / "redis.log")
    env = {"KALAMOS_REDIS_URL": f"redis://127.0.0.1:{port}/0", "KALAMOS_DATA_DIR": str(tmp_path / "data"),
           "KALAMOS_POLL_SECONDS": "3600"}
    worker = _started([sys.executable, "-m", "cli", "worker", "--concurrency", "2"], tmp_path / "worker.log", env)
    try:
        deadline = time.time() + 60
        while "ready" not in (tmp_path / "worker.log").read_text() and time.time() < deadline:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.3)
        yield env
    finally:
        _stop(worker)
        _stop(redis)
        from conftest import stop_trainings

        stop_trainings(tmp_path / "data")


def test_ocr_and_training_run_on_a_celery_worker(page, tmp_path: Path, shared_data: Path, queue) -> None:  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "data")
    p = store.create_project("Gazis")
    d = store.create_document(p.id, "Two pages")
    import_paths(store, p.id, d.id, sorted((shared_data / "gazis-pages").glob("*.jpg"))[:2], ImportLimits())
    lines_doc = store.create_document(p.id, "Lines")
    images = sorted((shared_data / "gazis-lines" / "train").glob("*.jpg"))[:40]
    for result, img in zip(import_paths(store, p.id, lines_doc.id, images, ImportLimits()), images):
        pg = store.get_page(p.id, lines_doc.id, result.page_ids[0])
        add_lines(store, p.id, lines_doc.id, pg.id, [Line("", "box", [[0, 0], [pg.width, 0], [pg.width, pg.height],
                                                                     [0, pg.height]],
                                                           text=img.with_suffix(".gt.txt").read_text(encoding="utf-8").strip(),
                                                           status="verified")])
    server = Server(tmp_path / "data", queue)
    try:
        page.goto(server.url)
        page.select_option("#shell-document-select", label="Two pages")
        page.get_by_role("tab", name="Transcribe").click()
        # as a person sees it: the tab shows the chosen document's pages (on a busy machine the choice takes
        # a moment to reach the tab; a click before that ran on no document)
        first = store.get_page(p.id, d.id, store.get_document(p.id, d.id).page_ids[0])
        expect(page.locator(f"#transcribe-page option[value='{first.id}']")).to_have_count(1)
        page.click("#transcribe-run")
        expect(page.locator("#transcribe-progress")).to_contain_text("pages", timeout=120_000)  # the worker started
        _stop(server.proc)  # the web process restarts while the worker reads (nothing of the job is in it)
        server.log.close()
        server = Server(tmp_path / "data", queue)
        from storage.ocrruns import list_runs

        deadline = time.time() + 180
        while time.time() < deadline and not (list_runs(store, p.id, d.id) and list_runs(store, p.id, d.id)[0].finished):
            time.sleep(0.5)
        [run] = list_runs(store, p.id, d.id)
        assert run.count("done") == 2, run
        assert all(list_lines(store, p.id, d.id, pg.id) for pg in store.list_pages(p.id, d.id))
        assert "background_callback" in (tmp_path / "worker.log").read_text()  # the worker read them
        page.goto(server.url)  # another port, another origin: the choice of document is not remembered
        page.select_option("#shell-document-select", label="Two pages")
        page.get_by_role("tab", name="Transcribe").click()
        expect(page.locator("#transcribe-run-pick")).to_contain_text("grc")  # the run, finished, after the restart
        expect(page.locator("#transcribe-list .list-group-item").first).to_be_visible()

        page.get_by_role("tab", name="Train").click()
        expect(page.locator("#train-summary")).to_contain_text("40 verified lines")
        page.fill("#train-name", "via_celery")
        page.fill("#train-iterations", "100")
        page.click("#train-start")
        expect(page.locator(".kalamos-train-done")).to_contain_text("Model via_celery is ready", timeout=300_000)
        from services import models as models_uc
        from storage.training import list_jobs

        [job] = list_jobs(store, p.id)
        assert job.status == "done" and job.spec["max_iterations"] == 100
        assert [m.name for m in models_uc.own(store, p.id)] == ["via_celery"]
        expect(page.locator(".kalamos-models")).to_contain_text("via_celery")
    finally:
        server.stop()
