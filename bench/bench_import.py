"""Import throughput: the 25 page images of a real commentary (PNG) and the three synthetic
300-dpi JPEG pages, through ``import_paths`` (the function behind the upload route and the CLI)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.common import shared_data
from storage import Store
from storage.ingest import ImportLimits, import_paths


def _one(files: list[Path]) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "data")
        p = store.create_project("bench")
        d = store.create_document(p.id, "doc")
        t0 = time.perf_counter()
        results = import_paths(store, p.id, d.id, files, ImportLimits())
        dt = time.perf_counter() - t0
    assert all(r.status == "imported" for r in results), [r.message for r in results if r.status != "imported"]
    return {"files": len(files), "MB": round(sum(f.stat().st_size for f in files) / 1e6, 1),
            "seconds": round(dt, 2), "ms_per_page": round(1000 * dt / len(files))}


def run() -> dict[str, object]:
    data = shared_data()
    return {
        "bsb10234118 PNG pages": _one(sorted((data / "gt4histcomment" / "bsb10234118" / "imgs").glob("*.png"))),
        "gazis 300-dpi JPEG pages": _one(sorted((data / "gazis-pages").glob("*.jpg"))),
    }
