"""Flask endpoints: page images and thumbnails by URL (and a IIIF manifest's canvases), and the streamed upload.

Every id in a URL is validated (``check_id``) before any path is built, and every path is checked
to lie inside the data directory, so no request can read outside it.
"""

from __future__ import annotations

import logging
import re
from io import BytesIO
from pathlib import Path
from urllib.parse import quote, unquote

import cv2

from flask import Flask, Response, jsonify, request, send_file
from PIL import UnidentifiedImageError

from config import Config
from storage import InvalidInput, KalamosError, NotFound, Store
from callbacks.urls import THUMB
from callbacks.auth import current_user
from callbacks.wiring import RouteTable
from services import DocumentRef, PageRef, documents, editing, exports, iiif
from services import models as models_uc
from storage.iiif import IIIFError
from storage.store import check_id
from storage.formats import registry

__all__ = ["register", "routes"]

log = logging.getLogger(__name__)

MIN_DPI, MAX_DPI = 72, 1200


def _send(store: Store, path: Path, mimetype: str, cache: str) -> Response:
    """A file from the data directory, with conditional requests and the given Cache-Control.

    The path is resolved first: a symbolic link (or a ``..``) that leads outside the data directory
    is refused, whatever route built the path.
    """
    resp = send_file(store.inside(path), mimetype=mimetype, conditional=True)
    resp.headers["Cache-Control"] = cache
    return resp


def _download(found: exports.Download) -> Response:
    resp = Response(found.data, content_type=found.media_type)  # (mimetype= would add a second charset)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(found.name)}"
    return resp


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"status": "failed", "message": message}), status


_EDITOR = re.compile(r"e-[0-9a-z]{6,32}")  #: an editor (browser tab) id, made by assets/editor.js
_JOB_LINE = re.compile(r"[A-Za-z0-9_.\-]{1,160}\.png")  #: a line image's name in a training job
_PREVIEW_NAME = re.compile(r"^(base-\d+\.jpg|preview-[0-9a-f]{16}\.(png|jpg))\Z")

routes = RouteTable()


@routes.errorhandler(KalamosError)
def kalamos_error(exc: KalamosError):  # type: ignore[no-untyped-def]
    return _error(404 if isinstance(exc, (NotFound, InvalidInput)) else 409, str(exc))


@routes.errorhandler(OSError)
def unreadable(exc: OSError):  # type: ignore[no-untyped-def]
    """A file of the data directory that cannot be read (a damaged image after a bad copy, a full disk):
    a reason, not a 500; never the file's path."""
    log.warning("%s %s: %s", request.method, request.path, exc)
    reason = "it is damaged or cut short" if "truncated" in str(exc) or isinstance(exc, UnidentifiedImageError) \
        else (exc.strerror or type(exc).__name__)
    return _error(422, f"A file of this page cannot be read ({reason}). Upload the page again or delete it.")


@routes.errorhandler(cv2.error)
def image_error(exc: Exception):  # type: ignore[no-untyped-def]
    log.warning("%s %s: OpenCV: %s", request.method, request.path, str(exc).splitlines()[-1:])
    return _error(422, "This image could not be processed (it may be damaged or of an unusual size).")


@routes.get(f"/files/<project_id>/<document_id>/<page_id>/{THUMB}")
def page_thumb(store: Store, project_id: str, document_id: str, page_id: str):  # type: ignore[no-untyped-def]
    return _send(store, documents.thumbnail(store, PageRef(project_id, document_id, page_id)), "image/jpeg",
                 "private, max-age=31536000, immutable")


@routes.get("/files/<project_id>/<document_id>/<page_id>/image")
def page_image(store: Store, project_id: str, document_id: str, page_id: str):  # type: ignore[no-untyped-def]
    path = documents.original(store, PageRef(project_id, document_id, page_id))
    mimetype = {".jpg": "image/jpeg", ".png": "image/png"}.get(path.suffix, "application/octet-stream")
    return _send(store, path, mimetype, "private, max-age=3600")


@routes.get("/files/<project_id>/<document_id>/<page_id>/preview/<name>")
def page_preview(store: Store, project_id: str, document_id: str, page_id: str, name: str):  # type: ignore[no-untyped-def]
    if not _PREVIEW_NAME.match(name):
        return _error(404, "No such preview.")
    path = documents.preview(store, PageRef(project_id, document_id, page_id), name)
    return _send(store, path, "image/png" if name.endswith(".png") else "image/jpeg", "private, max-age=86400")


@routes.get("/files/<project_id>/<document_id>/<page_id>/line/<line_id>.png")
def line_png(store: Store, project_id: str, document_id: str, page_id: str, line_id: str):  # type: ignore[no-untyped-def]
    check_id("line", line_id)  # a bad id is a 404 like the others; a line that cannot be cut is a 422
    try:
        path = documents.line_picture(store, PageRef(project_id, document_id, page_id), line_id)
    except InvalidInput as exc:
        return _error(422, str(exc))
    return _send(store, path, "image/png", "private, max-age=86400")


@routes.get("/files/<project_id>/<document_id>/<page_id>/processed.img")
def processed_view(store: Store, project_id: str, document_id: str, page_id: str):  # type: ignore[no-untyped-def]
    path = documents.processed_view(store, PageRef(project_id, document_id, page_id))
    return _send(store, path, "image/png" if path.suffix == ".png" else "image/jpeg", "private, max-age=86400")


@routes.get("/files/<project_id>/<document_id>/iiif/thumb/<int:index>.jpg")
def iiif_canvas_thumb(store: Store, config: Config, project_id: str, document_id: str, index: int):  # type: ignore[no-untyped-def]
    """A small picture of canvas ``index`` (1-based) of the manifest read into the document in the Upload tab:
    fetched from the library by the server and kept, so the browser loads nothing from elsewhere."""
    try:
        path = iiif.canvas_thumbnail(store, DocumentRef(project_id, document_id), index, config.http_client())
    except IIIFError as exc:  # the library's server failed: not our 404
        log.info("IIIF thumbnail %d of %s: %s", index, document_id, exc)
        return _error(502, str(exc))
    return _send(store, path, "image/jpeg", "private, max-age=86400")


@routes.get("/jobs/<project_id>/<job_id>/lines/<name>")
def job_line(store: Store, project_id: str, job_id: str, name: str):  # type: ignore[no-untyped-def]
    """A line image as a training job cut it (what the model learnt from or was measured on)."""
    if not _JOB_LINE.fullmatch(name):
        return _error(404, "No such line image.")
    return _send(store, documents.job_line_picture(store, project_id, job_id, name), "image/png", "private, max-age=86400")


@routes.get("/export/<project_id>/<document_id>/<fmt>.zip")
def export_zip(store: Store, project_id: str, document_id: str, fmt: str):  # type: ignore[no-untyped-def]
    if fmt not in {f.key for f in registry.ground_truth_formats()}:
        return _error(404, f"Unknown export format {fmt!r}.")
    found = exports.ground_truth_download(store, project_id, None if document_id == "all" else document_id, fmt)
    if found is None:
        message = ("Nothing to export: no verified lines yet. Verify lines in the Annotate tab (Enter or ✓) "
                   "or import ground truth as verified, then export again.")
        if request.accept_mimetypes.accept_html and not request.accept_mimetypes.accept_json:
            return Response(f"<!doctype html><meta charset=utf-8><title>Nothing to export</title><p>{message}</p>"
                            '<p><a href="/">Back to Kalamos</a></p>', status=404, mimetype="text/html")
        return _error(404, message)
    return _download(found)


@routes.get("/transcript/<project_id>/<document_id>/<fmt>")
def transcript(store: Store, project_id: str, document_id: str, fmt: str):  # type: ignore[no-untyped-def]
    """One transcript format (txt, hocr, alto, page, pdf) or all of them (zip); ``?page=<id>`` for one page;
    ``?leave_out=NumberingZone,RunningTitleZone`` leaves those regions out."""
    page = request.args.get("page")
    leave_out = [t for t in request.args.get("leave_out", "").split(",") if t.strip()]
    return _download(exports.transcript_download(store, project_id, document_id, fmt,
                                                 [check_id("page", page)] if page else None, leave_out))


@routes.post("/api/upload/<project_id>/<document_id>")
def upload(store: Store, config: Config, project_id: str, document_id: str):  # type: ignore[no-untyped-def]
    store.get_document(project_id, document_id)  # 404 with a message when it is gone
    try:
        dpi = int(request.args.get("dpi", config.pdf_dpi))
    except ValueError:
        return _error(400, "The PDF resolution must be a whole number of dpi.")
    if not MIN_DPI <= dpi <= MAX_DPI:
        return _error(400, f"The PDF resolution must be between {MIN_DPI} and {MAX_DPI} dpi.")
    if "X-Kalamos-Filename" not in request.headers:  # sent by Kalamos' page; a plain form post cannot set it
        return _error(400, "An upload needs the X-Kalamos-Filename header (the file's name).")
    filename = unquote(request.headers["X-Kalamos-Filename"]) or "unnamed"
    limits = config.import_limits(dpi)
    too_big = request.content_length is not None and request.content_length > limits.max_bytes  # refused unread
    result = documents.import_upload(store, DocumentRef(project_id, document_id), BytesIO() if too_big else request.stream, filename,
                                     limits, declared_size=request.content_length)
    log.info("upload %s: %s", filename, result.message)
    return jsonify(result.to_dict()), 200


@routes.post("/api/lines/<project_id>/<document_id>/<page_id>/<line_id>")
def save_line(store: Store, project_id: str, document_id: str, page_id: str, line_id: str):  # type: ignore[no-untyped-def]
    """The line editor's saves (assets/editor.js): JSON {"text", "rev": the revision the editor
    showed, "confirm": Enter/✓, "editor": the browser tab, "replace_rev": to replace someone
    else's version}. Answers ``services.editing.SaveOutcome`` as JSON (a refusal is not an error)."""
    check_id("line", line_id)
    store.get_page(project_id, document_id, page_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("rev"), int) or not isinstance(body.get("text"), str):
        return _error(400, "A save needs JSON with the line's text and the revision it was made from.")
    editor = body.get("editor")
    editor = editor if isinstance(editor, str) and _EDITOR.fullmatch(editor) else None
    replace = body.get("replace_rev")
    outcome = editing.save_text(store, PageRef(project_id, document_id, page_id), line_id, body["rev"], body["text"],
                                confirm=bool(body.get("confirm")), editor=editor, user=current_user(),
                                replace_rev=replace if isinstance(replace, int) else None)
    return jsonify(outcome.to_dict()), 200


@routes.post("/api/models/<project_id>/import")
def import_model_file(store: Store, config: Config, project_id: str):  # type: ignore[no-untyped-def]
    """A ``.traineddata`` streamed as the raw body (header X-Kalamos-Filename; ``?name=`` the model's name)."""
    store.get_project(project_id)
    if "X-Kalamos-Filename" not in request.headers:
        return _error(400, "An upload needs the X-Kalamos-Filename header (the file's name).")
    filename = documents.clean_filename(unquote(request.headers["X-Kalamos-Filename"]))[0]
    name = (request.args.get("name") or "").strip() or filename.split(".")[0]
    too_big = request.content_length is not None and request.content_length > config.max_file_bytes  # refused unread
    try:
        model = models_uc.import_upload(store, project_id, BytesIO() if too_big else request.stream, filename, name,
                                        config.max_file_bytes, request.content_length)
    except KalamosError as exc:
        return jsonify({"status": "failed", "filename": filename, "message": f"{filename}: {exc}"}), 200
    return jsonify({"status": "imported", "filename": filename, "model": model.name,
                    "message": f"Imported {model.name}: {model.kind} model, "
                               f"{model.unicharset_size} characters."}), 200


@routes.post("/api/import-gt/<project_id>/<document_id>")
def import_ground_truth(store: Store, config: Config, project_id: str, document_id: str):  # type: ignore[no-untyped-def]
    """PAGE XML / ALTO / TSV files, with page images they name, as one multipart batch
    (field ``files``; ``?replace=1`` replaces the lines of pages that have some)."""
    store.get_document(project_id, document_id)
    files = request.files.getlist("files")
    if not files:
        return _error(400, "No files were sent (multipart field 'files').")
    with store.staging() as tmp:
        gt_files = []
        for i, f in enumerate(files):
            shown = documents.clean_filename(f.filename or f"file{i}")[0]
            path = tmp / "batch" / shown  # one folder, names kept: an XML file finds the images it names
            if path.exists():
                path = tmp / f"batch-{i}" / shown
            path.parent.mkdir(exist_ok=True)
            f.save(path)
            if not documents.is_image(path):  # a ground-truth file
                gt_files.append(path)
        if not gt_files:
            return jsonify({"status": "failed", "message": f"Among the {len(files)} file(s) there is no PAGE XML, "
                            "ALTO or TSV file; page images alone are uploaded in the Upload tab."}), 200
        try:
            report = documents.import_ground_truth(store, DocumentRef(project_id, document_id), gt_files,
                                                   status=request.args.get("status", "verified"),
                                                   replace=request.args.get("replace") == "1", limits=config.import_limits(),
                                                   replace_hint="by ticking “replace existing lines”")
        except InvalidInput as exc:
            return _error(400, str(exc))
    return jsonify({"status": "failed" if report.failed and not report.lines else "imported",
                    "lines": report.lines, "pages": report.pages, "images": report.images_imported,
                    "messages": report.messages, "failed": report.failed,
                    "message": f"Imported {f'{report.regions} region(s) and ' if report.regions else ''}"
                               f"{report.lines} line(s) on {report.pages} page(s)."}), 200


def register(server: Flask, store: Store, config: Config) -> None:
    routes.register(server, store, config)
