"""Kalamos settings: one immutable object built from defaults, the environment and the CLI.

Every setting has a default that works for a single researcher on a laptop; a lab server
overrides them with ``KALAMOS_*`` environment variables (see README, "Deploy").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = ["Config"]


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
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(cfg, **clean)  # type: ignore[arg-type]

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024
