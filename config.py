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
DEFAULT_MODEL_SOURCES: tuple[dict[str, Any], ...] = tuple(
    {"name": f"{lang}_best", "url": f"{_BEST}/{lang}.traineddata", "sha256": None, "description": desc}
    for lang, desc in (("grc", "Ancient Greek, float (tessdata_best)"), ("ell", "Modern Greek, float (tessdata_best)"),
                       ("lat", "Latin, float (tessdata_best)"), ("eng", "English, float (tessdata_best)"))
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
        secret_key: signs background-job handles; every worker of one server needs the same value.
        redis_url: when set, long jobs run on Celery workers instead of the embedded diskcache queue.
        model_sources: models offered for download in the Train tab (``KALAMOS_MODEL_SOURCES``: a
            JSON file; default: Tesseract's tessdata_best Greek, Latin and English models).
    """

    data_dir: Path = field(default_factory=lambda: Path("data"))
    host: str = "127.0.0.1"
    port: int = 8050
    max_file_mb: int = 512
    max_pixels: int = 300_000_000
    pdf_dpi: int = 300
    secret_key: str = "kalamos-local-secret"
    redis_url: str | None = None
    debug: bool = False
    model_sources: tuple[dict[str, Any], ...] = DEFAULT_MODEL_SOURCES

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))

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
            secret_key=os.environ.get("KALAMOS_SECRET_KEY", "kalamos-local-secret"),
            redis_url=os.environ.get("KALAMOS_REDIS_URL") or None,
            debug=os.environ.get("KALAMOS_DEBUG", "") not in ("", "0", "false"),
            model_sources=(load_model_sources(Path(os.environ["KALAMOS_MODEL_SOURCES"]))
                           if os.environ.get("KALAMOS_MODEL_SOURCES") else DEFAULT_MODEL_SOURCES),
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(cfg, **clean)  # type: ignore[arg-type]

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024
