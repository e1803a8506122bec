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
from urllib.parse import unquote, urlsplit

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
UPLOAD_MARGIN = 4 * 1024 * 1024
MAX_FORM_FILES = 1000  #: werkzeug's max_form_parts
MAX_JSON_DEPTH = 64


def _depth(value: Any, limit: int) -> int:
    """How deeply a parsed JSON value nests (stops counting past ``limit``)."""
    depth, level = 0, [value]
    while level and depth <= limit:
        depth += 1
        level = [v for x in level for v in (x.values() if isinstance(x, dict) else x if isinstance(x, list) else ())]
    return depth


def _malformed_update() -> str | None:
    """What is wrong with the body of a Dash update request, if anything (Dash would answer 500)."""
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, RecursionError):
        return "the body is not JSON"
    if not isinstance(body, dict) or not isinstance(body.get("output"), str) or not isinstance(body.get("inputs", []), list):
        return "not an update of this app"
    if _depth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        return "too deeply nested"
    return None


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

    def alive(self) -> int:
        """How many of the jobs started here still run (process jobs; records of ended ones are removed)."""
        count = 0
        for path in self.folder.iterdir():
            record = self.get(path.name)
            started = (record or {}).get("started")
            if started is None:  # a Celery task: its queue is the workers' business
                continue
            now = _process_started(int(path.name)) if path.name.isdigit() else None
            if now is not None and abs(now - started) < 0.01:
                count += 1
            else:
                path.unlink(missing_ok=True)
        return count


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
                if job is not None:  # (also a job that ended: its record is removed once it is seen to have ended)
                    log.info("not acting on background job %r: not one this server runs now", str(job)[:40])
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
        celery_app.conf.broker_connection_retry_on_startup = True  # a worker started before Redis waits for it
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


def install_request_guards(server: Flask, config: Config, background_outputs: frozenset[str] = frozenset(),
                           issued: IssuedJobs | None = None) -> None:
    """Refuse requests for other host names, changes from other origins, oversized or malformed
    bodies, and new background jobs beyond ``config.max_jobs`` started and not ended."""
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
            if request.path.startswith(STREAMED_UPLOADS + FORM_UPLOADS):
                # they take files up to KALAMOS_MAX_FILE_MB (the streamed ones stop there themselves, with
                # the file's name in the message); the margin lets them say so rather than the parser
                request.max_content_length = config.max_file_bytes + UPLOAD_MARGIN
            elif request.path == "/_dash-update-component":
                problem = _malformed_update()
                if problem:
                    log.warning("refused a malformed update request: %s", problem)
                    return jsonify({"status": "failed", "message": f"Malformed request: {problem}."}), 400
                if issued is not None and "cacheKey" not in request.args and \
                        (request.get_json(silent=True) or {}).get("output") in background_outputs and \
                        issued.alive() >= config.max_jobs:
                    log.warning("refused a new background job: %d started and not ended", config.max_jobs)
                    return jsonify({"status": "failed", "message": f"The server has {config.max_jobs} jobs started "
                                    "already (KALAMOS_MAX_JOBS); try again when some have ended."}), 429
        return None

    @server.errorhandler(DependencyException)
    def no_such_script(_exc):  # type: ignore[no-untyped-def]
        return jsonify({"status": "failed", "message": "No such file."}), 404  # Dash answered 500 to a made-up path

    @server.errorhandler(413)
    def too_large(_exc):  # type: ignore[no-untyped-def]
        if request.path.startswith(FORM_UPLOADS):
            message = (f"Too much at once: at most {MAX_FORM_FILES} files and {config.max_file_mb} MB together "
                       "(KALAMOS_MAX_FILE_MB) per import.")
        elif request.path.startswith(STREAMED_UPLOADS):
            name = unquote(request.headers.get("X-Kalamos-Filename", "")) or "the file"
            message = f"{name}: larger than the limit of {config.max_file_mb} MB (KALAMOS_MAX_FILE_MB)."
        else:
            message = f"The request is larger than the limit of {config.max_request_mb} MB (KALAMOS_MAX_REQUEST_MB)."
        return jsonify({"status": "failed", "message": message}), 413
