"""Where a project's training jobs are kept and how they are read (``training/<job>/job.json``), for the
modules that run them (``storage/training.py``) and that learn from the finished ones (``storage/bases.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.errors import NotFound
from storage.jsonio import read_json
from storage.records import Job
from storage.store import Store, check_id

__all__ = ["get_job", "list_jobs"]


def _jobs_dir(store: Store, project_id: str) -> Path:
    return store.project_dir(project_id) / "training"


def _job_dir(store: Store, project_id: str, job_id: str) -> Path:
    return _jobs_dir(store, project_id) / check_id("job", job_id)


def _read_job(store: Store, project_id: str, job_id: str) -> dict[str, Any]:
    try:
        return read_json(_job_dir(store, project_id, job_id) / "job.json")
    except FileNotFoundError:
        raise NotFound(f"No training job {job_id}.") from None


def get_job(store: Store, project_id: str, job_id: str) -> Job:
    return Job.from_dict(_read_job(store, project_id, job_id))


def list_jobs(store: Store, project_id: str) -> list[Job]:
    """The project's training jobs, newest first."""
    folder = _jobs_dir(store, project_id)
    jobs = [Job.from_dict(read_json(p)) for p in folder.glob("j-*/job.json")] if folder.exists() else []
    return sorted(jobs, key=lambda j: j.created, reverse=True)
