"""Crash-safe JSON files: write to a temporary file, fsync, ``os.replace``, fsync the folder.

A reader therefore sees either the old or the new file, never a half-written one, even when the
writing process is killed with SIGKILL or the machine loses power after ``write_json`` returned.

Every file of the data directory gets the same mode: 0666 minus the process's umask (0644 with the
usual umask 022; 0660 with umask 007 for a directory a group shares), records as well as images.
Only the secret key is private (0600).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from storage.errors import CorruptRecord

__all__ = ["SCHEMA_VERSION", "FILE_MODE", "write_json", "read_json", "write_bytes_atomic", "write_cache_bytes", "fsync_dir"]

#: Version of the on-disk record format; every record carries it as ``schema_version``.
SCHEMA_VERSION = 1


def _process_umask() -> int:
    """The umask, read without changing it (``os.umask`` can only be read by setting it, which
    would race with other threads); read once, when the module is imported."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    old = os.umask(0o022)  # not Linux: at import time no other thread of ours is writing yet
    os.umask(old)
    return old


#: Mode of every file Kalamos writes (see the module's docstring).
FILE_MODE = 0o666 & ~_process_umask()


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically (same folder temp file + rename); ``durable``: fsync the
    file and its folder too (records, images), else not (caches: one lost in a crash is only made again,
    and a preview should not wait for the disk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)  # mkstemp makes 0600: records would differ from the images beside them
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if durable:
        fsync_dir(path.parent)


def write_cache_bytes(path: Path, data: bytes) -> None:
    """A cache file written atomically, without fsync (``write_bytes_atomic(durable=False)``)."""
    write_bytes_atomic(path, data, durable=False)


def write_json(path: Path, record: dict[str, Any], durable: bool = True) -> None:
    """Write ``record`` (with ``schema_version`` added) to ``path`` atomically, UTF-8, sorted keys."""
    body = {"schema_version": SCHEMA_VERSION, **record}
    data = json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8") + b"\n"
    write_bytes_atomic(path, data, durable)


def shown_path(path: Path) -> str:
    """A record's path for a message: from ``projects/`` on (or its last three parts), never the
    server's absolute path."""
    parts = Path(path).parts
    start = len(parts) - 1 - parts[::-1].index("projects") if "projects" in parts else max(0, len(parts) - 3)
    return "/".join(parts[start:])


def read_json(path: Path) -> dict[str, Any]:
    """Read a record; refuse one that is not JSON, not an object, or from a newer schema."""
    try:
        with open(path, "rb") as fh:
            record = json.loads(fh.read().decode("utf-8"))
    except FileNotFoundError:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptRecord(f"{shown_path(path)} is not valid JSON ({exc})") from exc
    if not isinstance(record, dict):
        raise CorruptRecord(f"{shown_path(path)} does not hold a JSON object")
    version = record.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise CorruptRecord(
            f"{shown_path(path)} has schema_version {version!r}; this Kalamos reads up to {SCHEMA_VERSION}"
        )
    return record
