"""The on-disk store: records, names, ids, order, trash; crash safety and cross-process locking."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import signal
import time
from pathlib import Path

import pytest

from storage import CorruptRecord, InvalidInput, NotFound, Store
from storage.jsonio import SCHEMA_VERSION, read_json, write_json


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "data")


def test_projects_and_documents_round_trip(store: Store) -> None:
    p = store.create_project("  Byzantine   minuscule ")
    assert p.name == "Byzantine minuscule" and p.id.startswith("p-")
    d = store.create_document(p.id, "Vat. gr. 1209")
    again = Store(store.root)  # a second process sees the same thing: nothing is cached
    assert [x.name for x in again.list_projects()] == ["Byzantine minuscule"]
    assert again.get_document(p.id, d.id).name == "Vat. gr. 1209"
    assert again.find_project("byzantine MINUSCULE").id == p.id
    assert again.find_document(p.id, d.id).id == d.id
    record = json.loads((store.document_dir(p.id, d.id) / "document.json").read_text())
    assert record["schema_version"] == SCHEMA_VERSION and record["page_ids"] == []


def test_rename_and_duplicate_names(store: Store) -> None:
    a = store.create_project("A")
    store.create_project("B")
    with pytest.raises(InvalidInput, match="exists already"):
        store.create_project("a")
    with pytest.raises(InvalidInput, match="exists already"):
        store.rename_project(a.id, "b")
    assert store.rename_project(a.id, "Ἀρχή").name == "Ἀρχή"
    d = store.create_document(a.id, "one")
    store.create_document(a.id, "two")
    with pytest.raises(InvalidInput):
        store.rename_document(a.id, d.id, "TWO")
    assert store.rename_document(a.id, d.id, "three").name == "three"


@pytest.mark.parametrize("bad", ["", "   ", "x" * 121, "tab\x00null", 42])
def test_bad_names_are_refused(store: Store, bad: object) -> None:
    with pytest.raises(InvalidInput):
        store.create_project(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["../etc", "p-../../x", "p-ZZZZZZZZZZZZ", "d-0123456789ab", "", None])
def test_ids_are_validated_before_any_path_is_built(store: Store, bad: object) -> None:
    with pytest.raises(InvalidInput):
        store.project_dir(bad)  # type: ignore[arg-type]


def test_missing_things_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.get_project("p-0123456789ab")
    p = store.create_project("P")
    with pytest.raises(NotFound):
        store.get_document(p.id, "d-0123456789ab")
    with pytest.raises(NotFound):
        store.find_document(p.id, "nothing")


def test_delete_moves_to_trash(store: Store) -> None:
    p = store.create_project("P")
    d = store.create_document(p.id, "D")
    where = store.delete_document(p.id, d.id)
    assert where.parent == store.root / "trash" and (where / "document.json").exists()
    assert store.list_documents(p.id) == []
    where = store.delete_project(p.id)
    assert (where / "project.json").exists() and store.list_projects() == []


def test_corrupt_or_newer_records_are_refused(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CorruptRecord, match="not valid JSON"):
        read_json(bad)
    bad.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(CorruptRecord, match="schema_version"):
        read_json(bad)
    # one unreadable project does not hide the others
    store.create_project("good")
    broken = store.root / "projects" / "p-0123456789ab"
    broken.mkdir()
    (broken / "project.json").write_text("garbage")
    assert [p.name for p in store.list_projects()] == ["good"]


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    for i in range(20):
        write_json(target, {"i": i})
    assert read_json(target)["i"] == 19
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


# --------------------------------------------------------------------- crash safety
def _write_forever(root: str, project_id: str, document_id: str) -> None:
    store = Store(root)
    i = 0
    while True:
        i += 1
        store.update_document(project_id, document_id, lambda d: d.settings.__setitem__(f"k{i % 50}", "x" * (i % 5000)))
        if i % 10 == 0:
            store.create_document(project_id, f"doc {os.getpid()} {i}")


def test_sigkill_during_writes_leaves_every_json_file_valid(store: Store) -> None:
    p = store.create_project("crash")
    d = store.create_document(p.id, "target")
    ctx = mp.get_context("spawn")
    rng = random.Random(1)
    for _ in range(8):
        child = ctx.Process(target=_write_forever, args=(str(store.root), p.id, d.id))
        child.start()
        time.sleep(0.6 + rng.random() * 0.4)  # spawn start-up, then some writes
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        for path in store.root.rglob("*.json"):
            read_json(path)  # raises on a torn file
    assert any(k.startswith("k") for k in store.get_document(p.id, d.id).settings), "the children never wrote"
    # the store is still usable: locks died with their holder
    assert store.update_document(p.id, d.id, lambda doc: doc.settings.__setitem__("after", 1)).settings["after"] == 1
    assert len(store.list_documents(p.id)) > 1


# --------------------------------------------------------------------- concurrency
def _apply_updates(root: str, project_id: str, document_id: str, tag: str, n: int) -> None:
    store = Store(root)
    for i in range(n):
        store.update_document(project_id, document_id, lambda d: d.settings.__setitem__(f"{tag}-{i}", i))


def test_two_processes_updating_one_document_lose_nothing(store: Store) -> None:
    p = store.create_project("race")
    d = store.create_document(p.id, "shared")
    ctx = mp.get_context("spawn")
    workers = [ctx.Process(target=_apply_updates, args=(str(store.root), p.id, d.id, tag, 200)) for tag in "ab"]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    settings = store.get_document(p.id, d.id).settings
    assert len(settings) == 400
    assert all(settings[f"{t}-{i}"] == i for t in "ab" for i in range(200))


def test_staging_left_by_a_killed_process_is_removed_at_the_next_start(store: Store) -> None:
    """A staging folder says which process made it: once that process is gone (killed mid-import), the next
    ``clean_tmp`` removes it at once; one of a live process, of another machine, or of an old layout stays
    until it is a day old."""
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os, sys; from storage import Store; s = Store(sys.argv[1]);"
                            " c = s.staging(); p = c.__enter__(); (p / 'upload').write_bytes(b'x'); print(p.name);"
                            " os._exit(9)", str(store.root)], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    dead = store.root / "tmp" / child.stdout.strip()
    assert (dead / "upload").exists() and child.returncode == 9  # as a SIGKILL leaves it
    with store.staging() as mine:
        other_host = store.root / "tmp" / f"{'a' * 32}-1@another-machine"
        old_name = store.root / "tmp" / ("b" * 32)
        for kept in (other_host, old_name):
            kept.mkdir()
        assert store.clean_tmp() == 1
        assert not dead.exists() and mine.exists() and other_host.exists() and old_name.exists()
        day_old = time.time() - 25 * 3600
        for kept in (other_host, old_name):
            os.utime(kept, (day_old, day_old))
        assert store.clean_tmp() == 2 and mine.exists()
