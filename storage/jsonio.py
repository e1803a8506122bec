"""Crash-safe JSON files: write to a temporary file, fsync, ``os.replace``, fsync the folder.

A reader therefore sees either the old or the new file, never a half-written one, even when the
writing process is killed with SIGKILL or the machine loses power after ``write_json`` returned.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from storage.errors import CorruptRecord

__all__ = ["SCHEMA_VERSION", "write_json", "read_json", "write_bytes_atomic", "fsync_dir"]

#: Version of the on-disk record format; every record carries it as ``schema_version``.
SCHEMA_VERSION = 1


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (same folder temp file + fsync + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)


def write_json(path: Path, record: dict[str, Any]) -> None:
    """Write ``record`` (with ``schema_version`` added) to ``path`` atomically, UTF-8, sorted keys."""
    body = {"schema_version": SCHEMA_VERSION, **record}
    data = json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8") + b"\n"
    write_bytes_atomic(path, data)


def read_json(path: Path) -> dict[str, Any]:
    """Read a record; refuse one that is not JSON, not an object, or from a newer schema."""
    try:
        with open(path, "rb") as fh:
            record = json.loads(fh.read().decode("utf-8"))
    except FileNotFoundError:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptRecord(f"{path} is not valid JSON ({exc})") from exc
    if not isinstance(record, dict):
        raise CorruptRecord(f"{path} does not hold a JSON object")
    version = record.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise CorruptRecord(
            f"{path} has schema_version {version!r}; this Kalamos reads up to {SCHEMA_VERSION}"
        )
    return record
