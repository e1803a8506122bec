"""The ``kalamos`` command: serve the app, and do from a terminal what the UI does.

    kalamos serve [--host H] [--port P]
    kalamos import --project P --document D FILE...
    kalamos list
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from config import Config
from storage import KalamosError, NotFound, Store

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kalamos", description="Kalamos, a manuscript OCR workbench.")
    parser.add_argument("--data-dir", type=Path, help="data directory (default: $KALAMOS_DATA_DIR or ./data)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8050)")
    serve.add_argument("--debug", action="store_true", help="Dash debug mode (reloads on code changes)")

    imp = sub.add_parser("import", help="import page images/PDFs into a document (created if missing)")
    imp.add_argument("--project", required=True, help="project name or id")
    imp.add_argument("--document", required=True, help="document name or id")
    imp.add_argument("--dpi", type=int, help="resolution for PDF pages (default 300)")
    imp.add_argument("files", nargs="+", type=Path)

    sub.add_parser("list", help="list projects, documents and page counts")
    return parser


def _config(args: argparse.Namespace) -> Config:
    return Config.from_env(data_dir=args.data_dir, host=getattr(args, "host", None),
                           port=getattr(args, "port", None), pdf_dpi=getattr(args, "dpi", None))


def _serve(cfg: Config, debug: bool) -> int:
    from app import create_app

    app = create_app(cfg)
    print(f"Kalamos serves {cfg.data_dir.resolve()} on http://{cfg.host}:{cfg.port}", flush=True)
    app.run(host=cfg.host, port=cfg.port, debug=debug or cfg.debug, threaded=True)
    return 0


def _import(cfg: Config, args: argparse.Namespace) -> int:
    from storage.ingest import ImportLimits, import_paths

    store = Store(cfg.data_dir)
    try:
        project = store.find_project(args.project)
    except NotFound:
        project = store.create_project(args.project)
        print(f"created project {project.name!r} ({project.id})")
    try:
        document = store.find_document(project.id, args.document)
    except NotFound:
        document = store.create_document(project.id, args.document)
        print(f"created document {document.name!r} ({document.id})")
    limits = ImportLimits(max_bytes=cfg.max_file_bytes, max_pixels=cfg.max_pixels, pdf_dpi=cfg.pdf_dpi)
    results = import_paths(store, project.id, document.id, args.files, limits)
    for r in results:
        stream = sys.stderr if r.status == "failed" else sys.stdout
        print(f"{r.status.upper():8} {r.message}", file=stream)
        for w in r.warnings:
            print(f"{'WARNING':8} {r.filename}: {w}", file=stream)
    failed = sum(r.status == "failed" for r in results)
    pages = sum(len(r.page_ids) for r in results)
    print(f"{pages} page(s) imported from {len(results) - failed} of {len(results)} file(s); {failed} failed")
    return 1 if failed else 0


def _list(cfg: Config) -> int:
    store = Store(cfg.data_dir)
    for p in store.list_projects():
        print(f"{p.id}  {p.name}")
        for d in store.list_documents(p.id):
            print(f"  {d.id}  {d.name}  ({len(d.page_ids)} pages)")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        cfg = _config(args)
        if args.command == "serve":
            return _serve(cfg, args.debug)
        if args.command == "import":
            return _import(cfg, args)
        return _list(cfg)
    except KalamosError as exc:
        print(f"kalamos: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
