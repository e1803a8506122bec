"""What protects the server from requests it did not invite.

- **Background-job handles.** Dash hands the browser a signed handle for each background job (a
  process id with the diskcache manager, a task id with Celery) and acts on handles that come back:
  it polls them and, for ``oldJob``/``cancelJob``, kills the process. A signature is only as private
  as the key, so the server also keeps the jobs it started itself (``IssuedJobs``, files under
  ``<data>/cache/issued-jobs``, shared by every process of the data directory) and never acts on
  any other: not a process it did not start, not a job started for another page load, not a process
  id the system has since given to another program.
- **Requests**: the ``Host`` header must name this server (IP addresses, ``localhost``, the
  machine's names, ``KALAMOS_ALLOWED_HOSTS``): a web page elsewhere cannot reach a local Kalamos by
  DNS rebinding. A request that changes something (POST, PUT, PATCH, DELETE) from another origin is
  refused. Bodies are limited (``KALAMOS_MAX_REQUEST_MB``), except the streamed uploads of pages and
  models, which have their own limit (``KALAMOS_MAX_FILE_MB``).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dash.exceptions import DependencyException
from flask import Flask, jsonify, request

from config import Config
from storage.jsonio import write_json

__all__ = ["IssuedJobs", "guarded_manager", "install_request_guards", "STREAMED_UPLOADS"]

log = logging.getLogger(__name__)

_JOB = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,63}\Z")
#: Routes that stream a large body to disk themselves and stop at the upload limit (KALAMOS_MAX_FILE_MB).
STREAMED_UPLOADS = ("/api/upload/", "/api/models/")
#: Routes that take files as a multipart form: limited to KALAMOS_MAX_FILE_MB by the request parser.
FORM_UPLOADS = ("/api/import-gt/",)


def _request_page_load() -> str | None:
    """The page load a Dash request belongs to (its signed ``endId``), when there is a request."""
    from flask import has_request_context

    return request.args.get("endId") if has_request_context() else None


class IssuedJobs:
    """The background jobs this server started: one small file each, so every worker process (and a
    restarted server) sees them. A job is acted on only while its file says this server issued it."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, job: object) -> Path | None:
        text = str(job)
        return self.folder / text if _JOB.match(text) else None

    def add(self, job: object, started: float | None) -> None:
        path = self._path(job)
        if path is not None:
            write_json(path, {"job": str(job), "started": started, "page_load": _request_page_load()})

    def get(self, job: object) -> dict[str, Any] | None:
        path = self._path(job)
        if path is None:
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def discard(self, job: object) -> None:
        path = self._path(job)
        if path is not None:
            path.unlink(missing_ok=True)


def _process_started(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, ValueError, OverflowError):
        return None


def _guard(base: type) -> type:
    """A subclass of a Dash background manager that acts only on the jobs it issued."""

    class Guarded(base):  # type: ignore[misc, valid-type]
        issued: IssuedJobs
        by_pid = base.__name__ == "DiskcacheManager"

        def call_job_fn(self, key, job_fn, args, context):  # type: ignore[no-untyped-def]
            job = super().call_job_fn(key, job_fn, args, context)
            if job is not None:
                self.issued.add(job, _process_started(int(job)) if self.by_pid else None)
            return job

        def _ours(self, job: object, *, same_page_load: bool) -> bool:
            record = self.issued.get(job)
            if record is None:
                if job is not None:
                    log.warning("refused to act on background job %r: this server did not start it", str(job)[:40])
                return False
            if self.by_pid:
                started = _process_started(int(str(job)))
                if started is None or record.get("started") is None or abs(started - record["started"]) > 0.01:
                    self.issued.discard(job)  # gone, or the id now belongs to another process
                    return False
            page_load = _request_page_load()
            if same_page_load and page_load and record.get("page_load") and page_load != record["page_load"]:
                log.warning("refused to stop background job %s for another page load", job)
                return False
            return True

        def terminate_job(self, job):  # type: ignore[no-untyped-def]
            if job is None or not self._ours(job, same_page_load=True):
                return None
            try:
                return super().terminate_job(job)
            finally:
                self.issued.discard(job)

        def terminate_unhealthy_job(self, job):  # type: ignore[no-untyped-def]
            if not self._ours(job, same_page_load=False):
                return False
            return super().terminate_unhealthy_job(job)

        def job_running(self, job):  # type: ignore[no-untyped-def]
            if not self._ours(job, same_page_load=False):
                return False
            running = super().job_running(job)
            if not running:
                self.issued.discard(job)
            return running

    Guarded.__name__ = Guarded.__qualname__ = f"Guarded{base.__name__}"
    return Guarded


def guarded_manager(config: Config):  # type: ignore[no-untyped-def]
    """Where long jobs run (Celery workers when a Redis URL is set, else processes fed by diskcache),
    acting only on the jobs it started."""
    issued = IssuedJobs(config.data_dir / "cache" / "issued-jobs")
    if config.redis_url:
        from celery import Celery  # the "celery" extra
        from dash import CeleryManager

        celery_app = Celery("kalamos", broker=config.redis_url, backend=config.redis_url)
        manager = _guard(CeleryManager)(celery_app)
    else:
        import diskcache
        from dash import DiskcacheManager

        manager = _guard(DiskcacheManager)(diskcache.Cache(str(config.data_dir / "cache" / "jobs")))
    manager.issued = issued
    return manager


# ---------------------------------------------------------------------------------------- requests
def _own_names(config: Config) -> set[str]:
    names = {"localhost", "localhost.localdomain", *config.allowed_hosts}
    if config.host not in ("", "0.0.0.0", "::"):
        names.add(config.host.lower())
    for name in (socket.gethostname(), socket.getfqdn()):
        if name:
            names.add(name.lower())
    return names


def _host_name(host: str) -> str:
    """``example.org:8050`` → ``example.org``; ``[::1]:8050`` → ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host: str, names: set[str]) -> bool:
    """Whether a ``Host`` header names this server (any IP address does: DNS rebinding needs a name)."""
    if "*" in names:
        return True
    name = _host_name(host)
    if not name:
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return name.rstrip(".") in names


def same_origin(origin: str, host: str) -> bool:
    """Whether an ``Origin`` header (``scheme://host[:port]``) is the server the request was sent to."""
    if origin in ("", "null"):
        return origin == ""
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.netloc.lower() == host.strip().lower()


def install_request_guards(server: Flask, config: Config) -> None:
    """Refuse requests for other host names, changes from other origins, and oversized bodies."""
    names = _own_names(config)
    server.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes

    @server.before_request
    def guard():  # type: ignore[no-untyped-def]
        host = request.host or ""
        if not host_allowed(host, names):
            log.warning("refused a request for host %r (KALAMOS_ALLOWED_HOSTS)", host[:80])
            return jsonify({"status": "failed", "message":
                            "This server does not answer to that host name. An administrator can add it to "
                            "KALAMOS_ALLOWED_HOSTS."}), 400
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("Origin")
            if origin is not None and not same_origin(origin, host):
                log.warning("refused a %s of %s from origin %r", request.method, request.path, origin[:80])
                return jsonify({"status": "failed", "message": "Changes are only accepted from Kalamos' own pages."}), 403
            if request.path.startswith(STREAMED_UPLOADS):
                request.max_content_length = None  # they stream to disk and stop at KALAMOS_MAX_FILE_MB themselves
            elif request.path.startswith(FORM_UPLOADS):
                request.max_content_length = config.max_file_bytes
        return None

    @server.errorhandler(DependencyException)
    def no_such_script(_exc):  # type: ignore[no-untyped-def]
        return jsonify({"status": "failed", "message": "No such file."}), 404  # Dash answered 500 to a made-up path

    @server.errorhandler(413)
    def too_large(_exc):  # type: ignore[no-untyped-def]
        files = request.path.startswith(FORM_UPLOADS)
        limit, setting = (config.max_file_mb, "KALAMOS_MAX_FILE_MB") if files else (config.max_request_mb, "KALAMOS_MAX_REQUEST_MB")
        return jsonify({"status": "failed", "message": f"The request is larger than the limit of {limit} MB ({setting})."}), 413
