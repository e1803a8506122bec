"""The on-disk store: projects → documents → pages, as JSON records and image files.

Layout (ARCHITECTURE.md has the full description)::

    <data>/store.json                                   schema version of the whole directory
    <data>/projects/<project>/project.json
    <data>/projects/<project>/documents/<doc>/document.json      name, page order, settings
    <data>/projects/<project>/documents/<doc>/originals/<sha256>.<ext>   uploads, byte for byte
    <data>/projects/<project>/documents/<doc>/pages/<page>/page.json     size, source, image
    <data>/projects/<project>/documents/<doc>/pages/<page>/thumb.jpg     cached thumbnail
    <data>/trash/<time>-<what>-<id>/                     deleted things, kept until removed by hand
    <data>/tmp/                                          staging of imports (safe to empty)

Every JSON write is atomic (``storage.jsonio``); every read-modify-write holds a cross-process file
lock (``filelock``), so several gunicorn workers and CLI commands can share one data directory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from storage.errors import Busy, Conflict, CorruptRecord, InvalidInput, NotFound
from storage.jsonio import fsync_dir, read_json, write_json
from storage.models import Document, Page, Project

__all__ = ["Store", "new_id", "check_id", "now_iso", "clean_name"]

log = logging.getLogger(__name__)

_ID_RE = re.compile(r"[a-z]{1,3}-[0-9a-f]{12}")  # matched whole (fullmatch: no trailing newline)
_PREFIX = {"project": "p", "document": "d", "page": "pg", "job": "j", "model": "m", "line": "ln", "run": "r", "region": "rg"}
MAX_NAME = 120


def new_id(kind: str) -> str:
    """A fresh id such as ``d-3f9c2a71b0e4``; never derived from user input."""
    return f"{_PREFIX[kind]}-{uuid.uuid4().hex[:12]}"


def check_id(kind: str, value: object) -> str:
    """Return ``value`` if it is a well-formed id of that kind, else raise ``InvalidInput``."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value) or not value.startswith(_PREFIX[kind] + "-"):
        raise InvalidInput(f"{value!r} is not a valid {kind} id")
    return value


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def clean_name(name: object, what: str = "name") -> str:
    """Validate a project/document name typed by a user: 1–120 printable characters, NFC."""
    if not isinstance(name, str):
        raise InvalidInput(f"The {what} must be text.")
    text = unicodedata.normalize("NFC", " ".join(name.split()))
    if not text:
        raise InvalidInput(f"The {what} is empty.")
    if len(text) > MAX_NAME:
        raise InvalidInput(f"The {what} is {len(text)} characters long; the limit is {MAX_NAME}.")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in text):
        raise InvalidInput(f"The {what} {text!r} contains control characters.")
    return text


_HOST = re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "host"


def _owner_gone(name: str) -> bool:
    """True when a staging folder's name says it was made by a process of this machine that has ended."""
    owner = re.fullmatch(r"[0-9a-f]{32}-(\d+)@(.+)", name)
    if not owner or owner.group(2) != _HOST:
        return False
    try:
        os.kill(int(owner.group(1)), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):  # alive under another user; a number no pid can be
        return False
    return False


class Store:
    """All access to the data directory goes through one ``Store`` (cheap to create, holds no state
    but its root path: every call reads the disk, so several processes see each other's changes)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        for sub in ("projects", "trash", "tmp"):
            (self.root / sub).mkdir(exist_ok=True)
        marker = self.root / "store.json"
        if not marker.exists():
            with self._lock(self.root):
                if not marker.exists():
                    write_json(marker, {"kind": "kalamos-data", "created": now_iso()})
        else:
            read_json(marker)  # refuses a directory written by a newer Kalamos

    # ------------------------------------------------------------------ paths and locks
    def project_dir(self, project_id: str) -> Path:
        return self.root / "projects" / check_id("project", project_id)

    def document_dir(self, project_id: str, document_id: str) -> Path:
        return self.project_dir(project_id) / "documents" / check_id("document", document_id)

    def page_dir(self, project_id: str, document_id: str, page_id: str) -> Path:
        return self.document_dir(project_id, document_id) / "pages" / check_id("page", page_id)

    def inside(self, path: Path) -> Path:
        """Resolve ``path`` and refuse it unless it lies inside the data directory."""
        resolved = path.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise InvalidInput(f"{self.shown(path)} leads outside the data directory; Kalamos does not follow it")
        return resolved

    def shown(self, path: Path) -> str:
        """A path as it may be shown to a user: relative to the data directory, never the server's
        absolute path (which tells a visitor how the server is laid out)."""
        try:
            return Path(os.path.normpath(Path(path).absolute())).relative_to(self.root).as_posix()
        except ValueError:
            return Path(path).name

    @staticmethod
    def _lock(folder: Path) -> FileLock:
        return FileLock(str(folder / ".lock"), timeout=60)

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """A private folder under ``tmp/`` that is removed afterwards, whatever happens short of the process
        being killed; its name says which process made it (``<random>-<pid>@<host>``), so that the next
        start (``clean_tmp``) removes it once that process is gone."""
        path = self.root / "tmp" / f"{uuid.uuid4().hex}-{os.getpid()}@{_HOST}"
        path.mkdir(parents=True)
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    @contextlib.contextmanager
    def slot(self, kind: str, slots: int, wait_s: float) -> Iterator[None]:
        """Hold one of ``slots`` places for heavy work of a kind, shared by every process of the data
        directory (file locks: a place held by a killed process is free again at once). Waits up
        to ``wait_s`` seconds for a place, then raises ``Busy``."""
        folder = self.root / "tmp" / ".slots"
        folder.mkdir(exist_ok=True)
        locks = [FileLock(str(folder / f"{kind}-{i}.lock")) for i in range(max(1, slots))]
        deadline = time.monotonic() + wait_s
        while True:
            for lock in locks:
                try:
                    lock.acquire(timeout=0)
                except Timeout:
                    continue
                try:
                    yield
                finally:
                    lock.release()
                return
            if time.monotonic() >= deadline:
                raise Busy(f"the server is busy with {len(locks)} other {kind}(s) at the moment; "
                           "please try again in a few minutes")
            time.sleep(0.25)

    def _to_trash(self, what: str, ident: str, path: Path) -> Path:
        dest = self.root / "trash" / f"{time.strftime('%Y%m%d-%H%M%S')}-{what}-{ident}"
        os.replace(path, dest)
        fsync_dir(path.parent)
        return dest

    # ------------------------------------------------------------------ projects
    def list_projects(self) -> list[Project]:
        out = []
        for rec in sorted((self.root / "projects").glob("p-*/project.json")):
            try:
                out.append(Project.from_dict(read_json(rec)))
            except (CorruptRecord, KeyError, FileNotFoundError) as exc:
                log.warning("skipping unreadable project record %s: %s", rec, exc)
        return sorted(out, key=lambda p: p.name.casefold())

    def get_project(self, project_id: str) -> Project:
        path = self.project_dir(project_id) / "project.json"
        try:
            return Project.from_dict(read_json(path))
        except FileNotFoundError:
            raise NotFound(f"No project with id {project_id}.") from None

    def find_project(self, name_or_id: str) -> Project:
        """By id, else by exact name (case-insensitive)."""
        for p in self.list_projects():
            if p.id == name_or_id or p.name.casefold() == name_or_id.casefold():
                return p
        raise NotFound(f"No project named {name_or_id!r}.")

    def create_project(self, name: str) -> Project:
        name = clean_name(name, "project name")
        with self._lock(self.root):
            if any(p.name.casefold() == name.casefold() for p in self.list_projects()):
                raise InvalidInput(f"A project named {name!r} exists already.")
            stamp = now_iso()
            project = Project(id=new_id("project"), name=name, created=stamp, updated=stamp)
            folder = self.project_dir(project.id)
            (folder / "documents").mkdir(parents=True)
            write_json(folder / "project.json", project.to_dict())
        return project

    def rename_project(self, project_id: str, name: str) -> Project:
        name = clean_name(name, "project name")
        with self._lock(self.root):
            project = self.get_project(project_id)
            if any(p.name.casefold() == name.casefold() and p.id != project_id for p in self.list_projects()):
                raise InvalidInput(f"A project named {name!r} exists already.")
            project.name, project.updated = name, now_iso()
            write_json(self.project_dir(project_id) / "project.json", project.to_dict())
        return project

    def update_project(self, project_id: str, change: Callable[[Project], None]) -> Project:
        """Locked read-modify-write of a project record (its settings, e.g. presets)."""
        with self._lock(self.root):
            project = self.get_project(project_id)
            change(project)
            project.updated = now_iso()
            write_json(self.project_dir(project_id) / "project.json", project.to_dict())
        return project

    def delete_project(self, project_id: str) -> Path:
        """Move the whole project to ``trash/``; returns where it went."""
        with self._lock(self.root):
            self.get_project(project_id)
            return self._to_trash("project", project_id, self.project_dir(project_id))

    # ------------------------------------------------------------------ documents
    def list_documents(self, project_id: str) -> list[Document]:
        self.get_project(project_id)
        out = []
        for rec in sorted((self.project_dir(project_id) / "documents").glob("d-*/document.json")):
            try:
                out.append(Document.from_dict(read_json(rec)))
            except (CorruptRecord, KeyError, FileNotFoundError) as exc:
                log.warning("skipping unreadable document record %s: %s", rec, exc)
        return sorted(out, key=lambda d: (d.created, d.name.casefold()))

    def get_document(self, project_id: str, document_id: str) -> Document:
        path = self.document_dir(project_id, document_id) / "document.json"
        try:
            return Document.from_dict(read_json(path))
        except FileNotFoundError:
            raise NotFound(f"No document with id {document_id} in project {project_id}.") from None

    def find_document(self, project_id: str, name_or_id: str) -> Document:
        for d in self.list_documents(project_id):
            if d.id == name_or_id or d.name.casefold() == name_or_id.casefold():
                return d
        raise NotFound(f"No document named {name_or_id!r} in this project.")

    def create_document(self, project_id: str, name: str) -> Document:
        name = clean_name(name, "document name")
        pdir = self.project_dir(project_id)
        with self._lock(pdir):
            if any(d.name.casefold() == name.casefold() for d in self.list_documents(project_id)):
                raise InvalidInput(f"A document named {name!r} exists already in this project.")
            stamp = now_iso()
            doc = Document(id=new_id("document"), project_id=project_id, name=name, created=stamp, updated=stamp)
            folder = self.document_dir(project_id, doc.id)
            for sub in ("originals", "pages"):
                (folder / sub).mkdir(parents=True)
            write_json(folder / "document.json", doc.to_dict())
        return doc

    def update_document(self, project_id: str, document_id: str, change: Callable[[Document], None]) -> Document:
        """Locked read-modify-write of a document record: ``change`` edits the ``Document`` in place."""
        folder = self.document_dir(project_id, document_id)
        if not folder.is_dir():
            raise NotFound(f"No document with id {document_id} in project {project_id}.")
        with self._lock(folder):
            doc = self.get_document(project_id, document_id)
            change(doc)
            doc.updated = now_iso()
            write_json(folder / "document.json", doc.to_dict())
        return doc

    def rename_document(self, project_id: str, document_id: str, name: str) -> Document:
        name = clean_name(name, "document name")
        with self._lock(self.project_dir(project_id)):
            if any(d.name.casefold() == name.casefold() and d.id != document_id for d in self.list_documents(project_id)):
                raise InvalidInput(f"A document named {name!r} exists already in this project.")

            def rename(doc: Document) -> None:
                doc.name = name

            return self.update_document(project_id, document_id, rename)

    def delete_document(self, project_id: str, document_id: str) -> Path:
        with self._lock(self.project_dir(project_id)):
            self.get_document(project_id, document_id)
            return self._to_trash("document", document_id, self.document_dir(project_id, document_id))

    # ------------------------------------------------------------------ pages
    def get_page(self, project_id: str, document_id: str, page_id: str) -> Page:
        try:
            return Page.from_dict(read_json(self.page_dir(project_id, document_id, page_id) / "page.json"))
        except FileNotFoundError:
            raise NotFound(f"No page with id {page_id} in this document.") from None

    def list_pages(self, project_id: str, document_id: str) -> list[Page]:
        """The document's pages in reading order."""
        doc = self.get_document(project_id, document_id)
        pages = []
        for pid in doc.page_ids:
            try:
                pages.append(self.get_page(project_id, document_id, pid))
            except (NotFound, CorruptRecord, KeyError) as exc:
                log.warning("page %s of %s is unreadable: %s", pid, document_id, exc)
        return pages

    def update_page(self, project_id: str, document_id: str, page_id: str, change: Callable[[Page], None]) -> Page:
        """Locked read-modify-write of a page record (under its document's lock)."""
        with self._lock(self.document_dir(project_id, document_id)):
            page = self.get_page(project_id, document_id, page_id)
            change(page)
            write_json(self.page_dir(project_id, document_id, page_id) / "page.json", page.to_dict())
        return page

    def page_image_path(self, project_id: str, document_id: str, page: Page) -> Path:
        """Full-resolution image of the page that the engine reads (checked to be inside the store)."""
        return self.inside(self.page_dir(project_id, document_id, page.id) / page.image)

    def commit_pages(self, project_id: str, document_id: str, staged: Path, pages: list[Page]) -> Document:
        """Move pages prepared in a staging folder into the document, then list them, in one lock.

        ``staged`` holds ``originals/<sha>.<ext>`` and ``pages/<page id>/``. The document record is
        written last: until then the new folders are invisible, so a crash leaves no half page.
        """
        folder = self.document_dir(project_id, document_id)
        with self._lock(folder):
            self.get_document(project_id, document_id)
            canvases = {p.iiif["canvas"] for p in pages if p.iiif}
            if canvases and canvases & {p.iiif["canvas"] for p in self.list_pages(project_id, document_id) if p.iiif}:
                raise Conflict("This canvas was imported meanwhile (another import of the same manifest); skipped.")
            for orig in sorted((staged / "originals").glob("*")):
                dest = folder / "originals" / orig.name
                if not dest.exists():
                    os.replace(orig, dest)
            for page in pages:
                os.replace(staged / "pages" / page.id, folder / "pages" / page.id)
            fsync_dir(folder / "originals")
            fsync_dir(folder / "pages")
            doc = self.get_document(project_id, document_id)
            doc.page_ids.extend(p.id for p in pages)
            doc.updated = now_iso()
            write_json(folder / "document.json", doc.to_dict())
        return doc

    def move_page(self, project_id: str, document_id: str, page_id: str, index: int) -> Document:
        """Put a page at position ``index`` (0-based, clamped) of the reading order."""

        def move(doc: Document) -> None:
            if page_id not in doc.page_ids:
                raise NotFound(f"No page with id {page_id} in this document.")
            doc.page_ids.remove(page_id)
            doc.page_ids.insert(max(0, min(index, len(doc.page_ids))), page_id)

        return self.update_document(project_id, document_id, move)

    def delete_page(self, project_id: str, document_id: str, page_id: str) -> Path:
        """Take the page out of the document and move its folder to ``trash/``."""

        def drop(doc: Document) -> None:
            if page_id not in doc.page_ids:
                raise NotFound(f"No page with id {page_id} in this document.")
            doc.page_ids.remove(page_id)

        self.update_document(project_id, document_id, drop)
        return self._to_trash("page", page_id, self.page_dir(project_id, document_id, page_id))

    def clean_tmp(self, older_than_s: float = 24 * 3600) -> int:
        """Remove staging folders left by killed imports: those of a process of this machine that is gone,
        and any older than ``older_than_s`` (another machine's, on a shared data directory, or one whose
        process id was reused); returns how many."""
        removed = 0
        for entry in (self.root / "tmp").iterdir():
            if entry.name.startswith("."):  # the slots' lock files
                continue
            if _owner_gone(entry.name) or time.time() - entry.stat().st_mtime > older_than_s:
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
        return removed

    def clean_partial_writes(self, older_than_s: float = 3600) -> int:
        """Remove the temporary files of atomic writes whose writer was killed before its rename
        (``.<name>.<random>.tmp`` beside a record); returns how many. Only old ones: a file of a
        write in progress in another process is seconds old."""
        removed = 0
        limit = time.time() - older_than_s
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(".") and name.endswith(".tmp"):
                    path = Path(folder) / name
                    with contextlib.suppress(OSError):
                        if path.lstat().st_mtime < limit:
                            path.unlink()
                            removed += 1
        return removed
