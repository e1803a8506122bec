"""Kalamos settings: one immutable object built from defaults, the environment and the CLI.

Every setting has a default that works for a single researcher on a laptop; a lab server
overrides them with ``KALAMOS_*`` environment variables (see README, "Deploy").
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = ["Config", "DEFAULT_MODEL_SOURCES", "load_model_sources"]

_BEST = "https://github.com/tesseract-ocr/tessdata_best/raw/main"
#: Models offered for download when ``KALAMOS_MODEL_SOURCES`` names no file: Tesseract's float
#: ("best") models, which fine-tune better than Debian's integer ones. No checksum is pinned for them
#: (the files are only checked to be LSTM models); a lab's own list should pin ``sha256``.
_CONTRIB = "https://github.com/tesseract-ocr/tessdata_contrib/raw/1b7ada6f9ed0e165f06b3212500e1433fdf4dfc7"
DEFAULT_MODEL_SOURCES: tuple[dict[str, Any], ...] = (
    # polytonic Greek fine-tuned on 35,000 real lines of 19th-century print (GT-commentaries-OCR, Pogretra),
    # Apache-2.0; pinned to a commit, with its checksum (3,505,345 bytes)
    {"name": "grc_hist", "url": f"{_CONTRIB}/grc_hist/best/grc_hist.traineddata",
     "sha256": "b62e31d92f7fde2964a8d2aa90b524941eb8dd0ca6486a2862f787c9805b941e",
     "description": "Historical polytonic Greek print, float (tessdata_contrib, 35,000 real lines)"},
    *({"name": f"{lang}_best", "url": f"{_BEST}/{lang}.traineddata", "sha256": None, "description": desc}
      for lang, desc in (("grc", "Ancient Greek, float (tessdata_best)"), ("ell", "Modern Greek, float (tessdata_best)"),
                         ("lat", "Latin, float (tessdata_best)"), ("eng", "English, float (tessdata_best)"))),
)


def load_model_sources(path: Path) -> tuple[dict[str, Any], ...]:
    """A JSON list of ``{"name", "url", "sha256" (optional), "description" (optional)}``."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"KALAMOS_MODEL_SOURCES={path}: cannot be read as JSON ({exc})") from exc
    if not isinstance(raw, list) or not all(isinstance(r, dict) and r.get("name") and r.get("url") for r in raw):
        raise SystemExit(f"KALAMOS_MODEL_SOURCES={path}: must be a JSON list of objects with a name and a url")
    return tuple({"name": str(r["name"]), "url": str(r["url"]), "sha256": r.get("sha256") or None,
                  "description": str(r.get("description", ""))} for r in raw)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name}={raw!r} is not a whole number") from exc


@dataclass(frozen=True)
class Config:
    """Settings of one Kalamos instance.

    Attributes:
        data_dir: where projects, pages and jobs live (``KALAMOS_DATA_DIR``, default ``./data``).
        host, port: where ``kalamos serve`` listens.
        max_file_mb: largest accepted upload, per file (``KALAMOS_MAX_FILE_MB``).
        max_pixels: largest accepted image or rendered PDF page, in pixels (``KALAMOS_MAX_MEGAPIXELS``).
        pdf_dpi: default resolution at which PDF pages are rasterised (``KALAMOS_PDF_DPI``).
        max_pages: most pages (TIFF frames, PDF pages) taken from one file (``KALAMOS_MAX_PAGES``).
        max_file_pixels: most pixels of all the pages of one file (``KALAMOS_MAX_FILE_MEGAPIXELS``).
        job_slots: background jobs (OCR runs, preprocessing, pre-fill, downloads) running at once; the
            others wait (``KALAMOS_JOB_SLOTS``); trainings have their own (``KALAMOS_TRAINING_SLOTS``).
        max_jobs: background jobs started and not finished (running or waiting) above which a new one
            is refused (``KALAMOS_MAX_JOBS``).
        import_slots: files decoded at once by the whole server, the others wait (``KALAMOS_IMPORT_SLOTS``).
        max_request_mb: largest request body other than a page or model upload, e.g. a Dash
            callback or a ground-truth import (``KALAMOS_MAX_REQUEST_MB``).
        secret_key: signs background-job handles (``KALAMOS_SECRET_KEY``); when unset, a random key is
            made once and kept in ``<data_dir>/secret_key``, which every worker then shares.
        allowed_hosts: host names the server answers to besides IP addresses, ``localhost`` and the
            machine's own names (``KALAMOS_ALLOWED_HOSTS``, comma-separated; ``*`` for any): a
            defence against DNS rebinding.
        redis_url: when set, long jobs run on Celery workers instead of the embedded diskcache queue.
        https: the server is reached over https (``KALAMOS_HTTPS=1``, behind a proxy that terminates TLS): the
            session cookie is then sent only over https (Secure)
        trusted_proxy: the server is reached only through one reverse proxy that sets X-Forwarded-For and
            X-Forwarded-Proto (``KALAMOS_TRUSTED_PROXY=1``): sign-in failures are then counted per client address
        poll_seconds: how often the Annotate tab looks for other people's changes of its page
            (``KALAMOS_POLL_SECONDS``, default 8).
        model_sources: models offered for download in the Train tab (``KALAMOS_MODEL_SOURCES``: a
            JSON file; default: Tesseract's tessdata_best Greek, Latin and English models).
        iiif_workers: images fetched at once from a IIIF server (``KALAMOS_IIIF_WORKERS``, default 3).
        iiif_private: whether the server may fetch IIIF from addresses of its own networks (loopback,
            private, link-local: ``KALAMOS_IIIF_PRIVATE=1``); off by default, so that a user's "manifest"
            address cannot make a shared server read the services beside it. The CLI always may.
        iiif_backoff_s: first wait before fetching again after a server's "later" (429, 5xx), doubled
            at each of the 4 tries (``KALAMOS_IIIF_BACKOFF_S``, default 1).
    """

    data_dir: Path = field(default_factory=lambda: Path("data"))
    host: str = "127.0.0.1"
    port: int = 8050
    max_file_mb: int = 512
    max_pixels: int = 300_000_000
    pdf_dpi: int = 300
    max_pages: int = 1000
    max_file_pixels: int = 3_000_000_000
    import_slots: int = 2
    job_slots: int = 2
    training_slots: int = 1
    max_jobs: int = 16
    max_request_mb: int = 32
    secret_key: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    redis_url: str | None = None
    debug: bool = False
    model_sources: tuple[dict[str, Any], ...] = DEFAULT_MODEL_SOURCES
    poll_seconds: int = 8
    https: bool = False
    trusted_proxy: bool = False
    iiif_workers: int = 3
    iiif_backoff_s: float = 1.0
    iiif_private: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser())

    @classmethod
    def from_env(cls, **overrides: object) -> "Config":
        """Defaults, then ``KALAMOS_*`` environment variables, then explicit overrides."""
        cfg = cls(
            data_dir=Path(os.environ.get("KALAMOS_DATA_DIR", "data")),
            host=os.environ.get("KALAMOS_HOST", "127.0.0.1"),
            port=_env_int("KALAMOS_PORT", 8050),
            max_file_mb=_env_int("KALAMOS_MAX_FILE_MB", 512),
            max_pixels=_env_int("KALAMOS_MAX_MEGAPIXELS", 300) * 1_000_000,
            pdf_dpi=_env_int("KALAMOS_PDF_DPI", 300),
            max_pages=_env_int("KALAMOS_MAX_PAGES", 1000),
            max_file_pixels=_env_int("KALAMOS_MAX_FILE_MEGAPIXELS", 3000) * 1_000_000,
            import_slots=_env_int("KALAMOS_IMPORT_SLOTS", 2),
            job_slots=_env_int("KALAMOS_JOB_SLOTS", 2),
            training_slots=_env_int("KALAMOS_TRAINING_SLOTS", 1),
            max_jobs=_env_int("KALAMOS_MAX_JOBS", 16),
            max_request_mb=_env_int("KALAMOS_MAX_REQUEST_MB", 32),
            secret_key=os.environ.get("KALAMOS_SECRET_KEY") or None,
            allowed_hosts=tuple(h.strip().lower() for h in os.environ.get("KALAMOS_ALLOWED_HOSTS", "").split(",")
                                if h.strip()),
            redis_url=os.environ.get("KALAMOS_REDIS_URL") or None,
            debug=os.environ.get("KALAMOS_DEBUG", "") not in ("", "0", "false"),
            poll_seconds=max(1, _env_int("KALAMOS_POLL_SECONDS", 8)),
            https=os.environ.get("KALAMOS_HTTPS", "") not in ("", "0", "false"),
            trusted_proxy=os.environ.get("KALAMOS_TRUSTED_PROXY", "") not in ("", "0", "false"),
            iiif_workers=max(1, min(8, _env_int("KALAMOS_IIIF_WORKERS", 3))),
            iiif_backoff_s=float(os.environ.get("KALAMOS_IIIF_BACKOFF_S", "1") or 1),
            iiif_private=os.environ.get("KALAMOS_IIIF_PRIVATE", "") not in ("", "0", "false"),
            model_sources=(load_model_sources(Path(os.environ["KALAMOS_MODEL_SOURCES"]))
                           if os.environ.get("KALAMOS_MODEL_SOURCES") else DEFAULT_MODEL_SOURCES),
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(cfg, **clean)  # type: ignore[arg-type]

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def max_request_bytes(self) -> int:
        return self.max_request_mb * 1024 * 1024

    def http_client(self, allow_private: bool | None = None):  # type: ignore[no-untyped-def]
        """The ``storage.iiif.HttpClient`` for IIIF servers, with these settings (``allow_private``: the
        CLI's own choice, whatever ``iiif_private`` says)."""
        from storage.iiif import HttpClient

        return HttpClient(backoff_s=self.iiif_backoff_s,
                          allow_private=self.iiif_private if allow_private is None else allow_private)

    def import_limits(self, pdf_dpi: int | None = None):  # type: ignore[no-untyped-def]
        """The ``storage.ingest.ImportLimits`` these settings give (``pdf_dpi``: a per-upload choice)."""
        from storage.ingest import ImportLimits

        return ImportLimits(max_bytes=self.max_file_bytes, max_pixels=self.max_pixels,
                            pdf_dpi=pdf_dpi or self.pdf_dpi, max_pages=self.max_pages,
                            max_file_pixels=self.max_file_pixels, slots=self.import_slots)
