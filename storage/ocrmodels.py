"""The OCR models a project can use: Tesseract's installed (system) models, and the project's own
ones, trained here, imported from a ``.traineddata`` file or downloaded from a configured URL.

A project model lives in ``projects/<project>/models/<m-id>/`` as ``<name>.traineddata`` beside its
``model.json`` (name, origin, kind, unicharset size, base, training summary, evaluation...). A model
is registered by renaming a complete staging folder into place, so a failed import, download or
training never leaves a half-registered model; deleting moves the folder to the store's trash.
``project_tessdata`` makes one tessdata folder (symbolic links) where Tesseract finds both kinds.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ocr.tessmodel import ModelFormatError, describe_model
from storage.errors import InvalidInput, NotFound
from storage.jsonio import read_json, write_json
from storage.records import OcrModel
from storage.store import Store, new_id, now_iso

__all__ = ["MODEL_NAME_RULE", "check_model_name", "system_models", "list_models", "all_models", "get_model", "model_path",
           "model_file", "register_model", "import_model", "download_model", "rename_model", "delete_model",
           "project_tessdata", "system_model_path"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}\Z")
MODEL_NAME_RULE = "letters, digits and _ (starting with a letter, at most 40): Tesseract uses it as a language code"
SYSTEM_TESSDATA = (Path("/usr/share/tesseract-ocr/5/tessdata"), Path("/usr/share/tessdata"), Path("/usr/local/share/tessdata"))
DOWNLOAD_LIMIT = 1024 * 1024 * 1024  #: no Tesseract model is near 1 GB; a bigger answer is not a model


def _models_dir(store: Store, project_id: str) -> Path:
    return store.project_dir(project_id) / "models"


def _tessdata_folders() -> list[Path]:
    env = os.environ.get("TESSDATA_PREFIX")
    return ([Path(env)] if env else []) + [f for f in SYSTEM_TESSDATA if f.is_dir()]


def system_model_path(name: str) -> Path:
    """The file of an installed model (``grc`` → ``…/tessdata/grc.traineddata``)."""
    for folder in _tessdata_folders():
        candidate = folder / f"{name}.traineddata"
        if candidate.is_file():
            return candidate
    raise NotFound(f"Tesseract has no installed model named {name!r}.")


def system_models() -> list[OcrModel]:
    """Installed models with what their files say (kind, unicharset size); ``osd`` is left out."""
    seen: dict[str, OcrModel] = {}
    for folder in _tessdata_folders():
        for path in sorted(folder.glob("*.traineddata")):
            name = path.name[: -len(".traineddata")]
            if name in seen or name == "osd":
                continue
            try:
                d = describe_model(path)
            except (ModelFormatError, OSError):
                continue
            seen[name] = OcrModel(id=name, name=name, origin="system", kind=d.kind, unicharset_size=d.unicharset_size,
                                  size_bytes=d.size_bytes, version=d.version, path=str(path))
    return sorted(seen.values(), key=lambda m: m.name)


def list_models(store: Store, project_id: str) -> list[OcrModel]:
    """The project's own models, newest first."""
    folder = _models_dir(store, project_id)
    models = [OcrModel.from_dict(read_json(p)) for p in folder.glob("m-*/model.json")] if folder.exists() else []
    return sorted(models, key=lambda m: (m.created, m.name), reverse=True)


def all_models(store: Store, project_id: str | None) -> list[OcrModel]:
    """The project's models first, then the installed ones."""
    return (list_models(store, project_id) if project_id else []) + system_models()


def get_model(store: Store, project_id: str, name_or_id: str) -> OcrModel:
    for m in list_models(store, project_id):
        if name_or_id in (m.id, m.name):
            return m
    raise NotFound(f"No model named {name_or_id!r} in this project.")


def model_path(store: Store, project_id: str, model: OcrModel) -> Path:
    return _models_dir(store, project_id) / model.id / f"{model.name}.traineddata"


def model_file(store: Store, project_id: str | None, name: str) -> Path:
    """The file of a model by name: the project's own first, then an installed one."""
    if project_id:
        try:
            return model_path(store, project_id, get_model(store, project_id, name))
        except NotFound:
            pass
    try:
        return system_model_path(name)
    except NotFound:
        raise NotFound(f"No model named {name!r}: neither the project's nor an installed one.") from None


def check_model_name(store: Store, project_id: str, name: str, ignore_id: str | None = None) -> str:
    """A valid, free name for a project model, or InvalidInput saying why not."""
    name = (name or "").strip()
    if not _NAME.match(name):
        raise InvalidInput(f"the model name {name!r} is not valid: use {MODEL_NAME_RULE}")
    if any(m.name == name and m.id != ignore_id for m in list_models(store, project_id)):
        raise InvalidInput(f"the project has a model named {name} already: choose another name")
    if any(m.name == name for m in system_models()):
        raise InvalidInput(f"{name} is the name of an installed Tesseract model: choose another name")
    return name


def register_model(store: Store, project_id: str, staging: Path, record: dict[str, Any]) -> OcrModel:
    """Complete ``record`` from the model file in ``staging`` and move the folder into place."""
    path = staging / f"{record['name']}.traineddata"
    try:
        d = describe_model(path)
    except ModelFormatError as exc:
        raise InvalidInput(f"this file is not a Tesseract model Kalamos can use: {exc}") from None
    if d.kind == "legacy":
        raise InvalidInput("this model has no LSTM network (legacy engine only): Kalamos runs Tesseract's LSTM engine")
    record = {"created": now_iso(), **record, "kind": d.kind, "unicharset_size": d.unicharset_size, "size_bytes": d.size_bytes,
              "version": d.version}
    write_json(staging / "model.json", record)
    os.replace(staging, _models_dir(store, project_id) / record["id"])
    return OcrModel.from_dict(record)


def _staging(store: Store, project_id: str) -> tuple[str, Path]:
    store.get_project(project_id)
    model_id = new_id("model")
    staging = _models_dir(store, project_id) / f".{model_id}.tmp"
    staging.mkdir(parents=True)
    return model_id, staging


def import_model(store: Store, project_id: str, source: Path, name: str, origin: str = "imported",
                 extra: dict[str, Any] | None = None) -> OcrModel:
    """Copy a ``.traineddata`` into the project's models (checked: a readable LSTM model)."""
    name = check_model_name(store, project_id, name)
    model_id, staging = _staging(store, project_id)
    try:
        shutil.copyfile(source, staging / f"{name}.traineddata")
        digest = hashlib.sha256((staging / f"{name}.traineddata").read_bytes()).hexdigest()
        return register_model(store, project_id, staging, {"id": model_id, "name": name, "origin": origin, "sha256": digest,
                                                           **(extra or {})})
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def download_model(store: Store, project_id: str, url: str, name: str, sha256: str | None = None,
                   progress: Callable[[int, int | None], None] | None = None, timeout: float = 60) -> OcrModel:
    """Download a ``.traineddata`` (http/https), check its SHA-256 when one is given, and import it.
    ``progress(bytes_done, bytes_total_or_None)`` is called as it arrives."""
    name = check_model_name(store, project_id, name)
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidInput(f"{url!r} is not an http(s) address")
    model_id, staging = _staging(store, project_id)
    target = staging / f"{name}.traineddata"
    digest = hashlib.sha256()
    try:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as answer, open(target, "wb") as out:  # noqa: S310 (checked above)
                total = int(answer.headers.get("Content-Length") or 0) or None
                done = 0
                while chunk := answer.read(1 << 20):
                    done += len(chunk)
                    if done > DOWNLOAD_LIMIT:
                        raise InvalidInput(f"{url} sends more than 1 GB: that is not a Tesseract model")
                    out.write(chunk)
                    digest.update(chunk)
                    if progress:
                        progress(done, total)
        except urllib.error.HTTPError as exc:
            raise InvalidInput(f"the download failed: {url} answered {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InvalidInput(f"the download failed: {url} cannot be reached ({reason})") from None
        if total is not None and done != total:
            raise InvalidInput(f"the download was cut off: {done:,} of {total:,} bytes arrived")
        got = digest.hexdigest()
        if sha256 and got.lower() != sha256.strip().lower():
            raise InvalidInput(f"the downloaded file's checksum does not match: expected SHA-256 {sha256.strip().lower()}, "
                               f"got {got}. The file was discarded.")
        return register_model(store, project_id, staging, {"id": model_id, "name": name, "origin": "downloaded",
                                                           "source": url, "sha256": got})
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def rename_model(store: Store, project_id: str, model_id: str, new_name: str) -> OcrModel:
    model = get_model(store, project_id, model_id)
    new_name = check_model_name(store, project_id, new_name, ignore_id=model.id)
    if new_name == model.name:
        return model
    old_path = model_path(store, project_id, model)
    new_path = old_path.with_name(f"{new_name}.traineddata")
    os.replace(old_path, new_path)
    try:
        record = {**{k: v for k, v in model.raw.items() if k != "schema_version"}, "name": new_name, "renamed_from": model.name}
        write_json(new_path.parent / "model.json", record)
    except BaseException:
        os.replace(new_path, old_path)
        raise
    return OcrModel.from_dict(record)


def delete_model(store: Store, project_id: str, model_id: str) -> Path:
    """Move a project model to the store's trash; returns where it went."""
    model = get_model(store, project_id, model_id)
    return store._to_trash("model", model.id, model_path(store, project_id, model).parent)


def project_tessdata(store: Store, project_id: str) -> Path:
    """A tessdata folder for the project: links to every installed model and to the project's own
    ones, so that Tesseract can combine them (``grc+mymodel``). Rebuilt on each call (cheap)."""
    folder = _models_dir(store, project_id) / "tessdata"
    folder.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, Path] = {}
    for folder_ in reversed(_tessdata_folders()):  # the first folder wins, as for Tesseract
        for path in folder_.glob("*.traineddata"):
            wanted[path.name] = path
        for sub in ("configs", "tessconfigs"):  # Tesseract's config files (hocr, tsv, lstm.train...)
            if (folder_ / sub).is_dir():
                wanted[sub] = folder_ / sub
    for model in list_models(store, project_id):
        wanted[f"{model.name}.traineddata"] = model_path(store, project_id, model)
    for link in folder.iterdir():
        if link.name not in wanted or not link.exists() or (link.is_symlink() and link.resolve() != wanted[link.name].resolve()):
            link.unlink()
    for name, target in wanted.items():
        link = folder / name
        if not link.exists():
            link.symlink_to(target)
    return folder
