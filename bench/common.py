"""Helpers shared by the benchmarks."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    env = os.environ.get("KALAMOS_SHARED_DATA")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if candidate.is_dir():
            return candidate
    raise SystemExit("../shared/data is missing (or set KALAMOS_SHARED_DATA)")
