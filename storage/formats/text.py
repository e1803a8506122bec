"""Plain text: one file per page (a line per line), and the whole document in one more file."""

from __future__ import annotations

from collections.abc import Sequence

from storage.formats import PageLines

__all__ = ["page_text", "write_text"]


def page_text(page: PageLines) -> str:
    return "\n".join(ln.text for ln, _, _ in page.rows if ln.text) + "\n"


def write_text(pages: Sequence[PageLines], stem: str) -> dict[str, bytes]:
    files = {f"{stem}_p{p.number:04d}.txt": page_text(p).encode() for p in pages}
    if len(pages) > 1:
        files[f"{stem}.txt"] = "\n".join(page_text(p) for p in pages).encode()
    return files
