"""Plain text: one file per page (a line per line, a blank line between regions), and the whole
document in one more file."""

from __future__ import annotations

from collections.abc import Sequence

from storage.formats import PageLines, region_groups

__all__ = ["page_text", "write_text"]


def page_text(page: PageLines) -> str:
    chunks = [[ln.text for ln, _, _ in rows if ln.text] for _, rows in region_groups(page.rows, page.regions)]
    return "\n\n".join("\n".join(c) for c in chunks if c) + "\n"


def write_text(pages: Sequence[PageLines], stem: str) -> dict[str, bytes]:
    files = {f"{stem}_p{p.number:04d}.txt": page_text(p).encode() for p in pages}
    if len(pages) > 1:
        files[f"{stem}.txt"] = "\n".join(page_text(p) for p in pages).encode()
    return files
