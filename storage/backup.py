"""Backups of a data directory while the server runs, and their restore.

Every record of Kalamos is written whole and renamed into place (``storage/jsonio.py``), so a file read at
any moment is one complete version of it. ``backup`` walks the data directory and copies each file into a
``.tar.gz`` as it is at that moment: a record saved before the backup began is in it; one saved during the
backup is in it either as before or as after, never half-written. Caches, staging folders, locks and the
background-job queue are left out (they are remade). ``restore`` unpacks into an empty directory only, and
refuses any member that would land outside it or is not a plain file or folder.
"""

from __future__ import annotations

import os
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from storage.errors import InvalidInput

__all__ = ["backup", "restore", "BackupReport", "SKIPPED"]

#: Folders and files of the data directory that are remade and not worth keeping.
SKIPPED = ("cache", "tmp")
_SKIPPED_SUFFIXES = (".lock", ".tmp")


@dataclass(frozen=True)
class BackupReport:
    files: int
    bytes: int
    seconds: float
    out: Path


def _wanted(rel: Path) -> bool:
    if rel.parts and rel.parts[0] in SKIPPED:
        return False
    name = rel.name
    return not (name.endswith(_SKIPPED_SUFFIXES) or (name.startswith(".") and ".tmp" in name))


def backup(root: Path, out: Path) -> BackupReport:
    """A consistent archive of the data directory ``root`` in ``out`` (written beside it, then renamed)."""
    root, out = Path(root).resolve(), Path(out).resolve()
    if not root.is_dir():
        raise InvalidInput(f"{root} is not a data directory")
    if out.is_relative_to(root):
        raise InvalidInput("the backup must be written outside the data directory")
    t0 = time.perf_counter()
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    files = size = 0
    try:
        with tarfile.open(tmp, "w:gz", compresslevel=3) as tar:
            for folder, dirs, names in os.walk(root):
                rel_folder = Path(folder).relative_to(root)
                dirs[:] = sorted(d for d in dirs if _wanted(rel_folder / d))
                for name in sorted(names):
                    rel = rel_folder / name
                    if not _wanted(rel):
                        continue
                    path = Path(folder) / name
                    if path.is_symlink() or not path.is_file():
                        continue  # the tessdata links are remade; nothing else is a link
                    try:
                        with open(path, "rb") as fh:  # the version renamed into place when opened: whole
                            info = tar.gettarinfo(fileobj=fh, arcname=str(Path("kalamos-data") / rel))
                            tar.addfile(info, fh)
                    except FileNotFoundError:
                        continue  # deleted (moved to the trash) meanwhile
                    files += 1
                    size += info.size
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupReport(files, size, round(time.perf_counter() - t0, 2), out)


def restore(archive: Path, target: Path) -> int:
    """Unpack a backup into ``target``, which must be empty or not exist; returns the number of files."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise InvalidInput(f"{target} is not empty: restore into a new, empty directory")
    try:
        tar = tarfile.open(archive, "r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise InvalidInput(f"{archive} is not a Kalamos backup: {exc}") from None
    count = 0
    with tar:
        members = tar.getmembers()
        for m in members:
            parts = Path(m.name).parts
            if not parts or parts[0] != "kalamos-data" or ".." in parts or Path(m.name).is_absolute() \
                    or not (m.isfile() or m.isdir()):
                raise InvalidInput(f"{archive} is not a Kalamos backup (it holds {m.name!r})")
        target.mkdir(parents=True, exist_ok=True)
        for m in members:
            if not m.isfile():
                continue
            dest = target.joinpath(*Path(m.name).parts[1:])
            dest.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(m)
            if src is None:
                continue
            with src, open(dest, "wb") as fh:
                while chunk := src.read(1 << 20):
                    fh.write(chunk)
            count += 1
    return count
