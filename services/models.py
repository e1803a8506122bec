"""The OCR models a project reads with: list them, look at one's evaluation, import, download,
rename, delete. Installed (system) models are listed beside the project's own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from storage import KalamosError, Store
from storage import ocrmodels as store_models
from storage.ingest import receive_stream
from storage.jsonio import read_json
from storage.records import OcrModel
from storage.training import get_job

__all__ = ["own", "installed", "everything", "get", "rename", "delete", "import_file", "import_upload", "download", "evaluation",
           "ModelEvaluation", "file_of", "tessdata", "picker_label"]


def own(store: Store, project_id: str | None) -> list[OcrModel]:
    """The project's own models, newest first (none without a project, or when it is gone)."""
    if not project_id:
        return []
    try:
        return store_models.list_models(store, project_id)
    except KalamosError:
        return []


def installed() -> list[OcrModel]:
    return store_models.system_models()


def everything(store: Store, project_id: str | None) -> list[OcrModel]:
    """The project's models, then the installed ones."""
    return own(store, project_id) + installed()


def get(store: Store, project_id: str, name_or_id: str) -> OcrModel:
    return store_models.get_model(store, project_id, name_or_id)


def file_of(store: Store, project_id: str | None, name: str) -> Path:
    return store_models.model_file(store, project_id, name)


def tessdata(store: Store, project_id: str) -> Path:
    """A tessdata folder where Tesseract finds both the installed models and the project's."""
    return store_models.project_tessdata(store, project_id)


def rename(store: Store, project_id: str, model_id: str, name: str) -> OcrModel:
    return store_models.rename_model(store, project_id, model_id, name)


def delete(store: Store, project_id: str, model_id: str) -> OcrModel:
    """Move a project model to the trash; returns what it was."""
    model = get(store, project_id, model_id)
    store_models.delete_model(store, project_id, model.id)
    return model


def import_file(store: Store, project_id: str, source: Path, name: str, note: str | None = None) -> OcrModel:
    """Copy a ``.traineddata`` into the project (checked: a readable LSTM model); ``note``: where it came from."""
    return store_models.import_model(store, project_id, source, name, extra={"source": note} if note else None)


def download(store: Store, project_id: str, url: str, name: str, sha256: str | None = None,
             progress: Callable[[int, int | None], None] | None = None) -> OcrModel:
    return store_models.download_model(store, project_id, url, name, sha256, progress)


def import_upload(store: Store, project_id: str, stream: BinaryIO, filename: str, name: str, max_bytes: int,
                  declared_size: int | None = None) -> OcrModel:
    """A ``.traineddata`` sent by a browser: received (at most ``max_bytes``), checked, registered."""
    store.get_project(project_id)
    with store.staging() as tmp:
        path = tmp / "upload.traineddata"
        receive_stream(stream, path, max_bytes, declared_size)
        return import_file(store, project_id, path, name, note=filename)


@dataclass(frozen=True)
class ModelEvaluation:
    """A trained model's evaluation, line by line: ``rows`` (truth, new, base, their errors, the diff),
    where each line came from (``sources``), and the training job it belongs to (None when discarded)."""

    model: OcrModel
    rows: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, Any] = field(default_factory=dict)
    job_id: str | None = None


def evaluation(store: Store, project_id: str, model_id: str) -> ModelEvaluation:
    model = get(store, project_id, model_id)
    path = store_models.model_path(store, project_id, model).parent / "eval.json"
    rows = read_json(path)["rows"] if path.exists() else []
    sources: dict[str, Any] = {}
    if model.job_id:
        try:
            sources = get_job(store, project_id, model.job_id).sources
        except KalamosError:
            sources = {}  # the job was discarded: the lines are still named
    return ModelEvaluation(model, rows, sources, model.job_id)


def picker_label(model: OcrModel) -> str:
    """How a model is named in a picker: trained ones with their held-out CER."""
    if model.origin == "trained":
        return f"{model.name} (trained here, CER {model.cer if model.cer is not None else '–'}%)"
    return f"{model.name} ({model.origin}, {model.kind})"
