"""The URLs the Flask routes (``callbacks/routes.py``) answer, built in one place for the tabs and the routes."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from storage.ingest import THUMB
from storage.processing import PREVIEW_SIDE

__all__ = ["BLANK_IMAGE", "thumb_url", "image_url", "preview_url", "base_preview_url", "line_url", "processed_view_url", "job_line_url", "export_url", "transcript_url",
           "iiif_thumb_url"]


#: A transparent pixel: the line picture when no line is chosen (an empty ``src`` shows a broken-image icon).
BLANK_IMAGE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def thumb_url(project_id: str, document_id: str, page_id: str) -> str:
    return f"/files/{project_id}/{document_id}/{page_id}/{THUMB}"


def image_url(project_id: str, document_id: str, page_id: str) -> str:
    return f"/files/{project_id}/{document_id}/{page_id}/image"


def preview_url(project_id: str, document_id: str, page_id: str, name: str) -> str:
    """URL of a file of the page's preview cache (``base-1600.jpg`` or ``preview-<key>.png|jpg``)."""
    return f"/files/{project_id}/{document_id}/{page_id}/preview/{name}"


def base_preview_url(project_id: str, document_id: str, page_id: str) -> str:
    """URL of the page's preview as uploaded (at most ``PREVIEW_SIDE`` pixels a side): what the tabs draw on."""
    return preview_url(project_id, document_id, page_id, f"base-{PREVIEW_SIDE}.jpg")


def line_url(project_id: str, document_id: str, page_id: str, line_id: str, rev: int, key: str) -> str:
    """URL of a line's image as the engine sees it (``key``: the processed result it is cut from)."""
    return f"/files/{project_id}/{document_id}/{page_id}/line/{line_id}.png?rev={rev}&k={key}"


def processed_view_url(project_id: str, document_id: str, page_id: str, key: str) -> str:
    return f"/files/{project_id}/{document_id}/{page_id}/processed.img?k={key}"


def job_line_url(project_id: str, job_id: str, name: str) -> str:
    return f"/jobs/{project_id}/{job_id}/lines/{quote(name)}"


def export_url(project_id: str, document_id: str | None, fmt: str) -> str:
    return f"/export/{project_id}/{document_id or 'all'}/{fmt}.zip"


def transcript_url(project_id: str, document_id: str, fmt: str, page_id: str | None = None,
                   leave_out: tuple[str, ...] = ()) -> str:
    query = "&".join(([f"page={page_id}"] if page_id else []) + ([f"leave_out={','.join(leave_out)}"] if leave_out else []))
    return f"/transcript/{project_id}/{document_id}/{fmt}" + (f"?{query}" if query else "")


def iiif_thumb_url(project_id: str, document_id: str, index: int, manifest_url: str) -> str:
    """URL of canvas ``index``'s thumbnail of the manifest read into the document (the manifest's address
    in the query: the browser does not take another manifest's thumbnail from its cache)."""
    key = hashlib.sha256(manifest_url.encode("utf-8")).hexdigest()[:12]
    return f"/files/{project_id}/{document_id}/iiif/thumb/{index}.jpg?m={key}"
