"""The ``kalamos`` command: serve the app, and do from a terminal what the UI does.

    kalamos serve [--host H] [--port P] [--workers N]
    kalamos worker [--concurrency N]            (with KALAMOS_REDIS_URL: runs the web processes' jobs)
    kalamos import --project P --document D FILE...
    kalamos import --project P --document D --iiif URL_OR_FILE [--first N] [--last M] [--width W]
    kalamos list
    kalamos import-gt --project P --document D FILE.xml|FILE.tsv...
    kalamos layout --project P --document D [--lang grc+lat] [--replace]
    kalamos align --project P --document D --text EDITION.txt [--model M] [--first N --last M] [--out PROPOSALS.tsv] [--apply]
    kalamos export-gt --project P [--document D] --format tesstrain|page|alto --out DIR
    kalamos users add NAME [--admin] | passwd NAME | del NAME | list
    kalamos share --project P --user U --role editor|viewer|none|owner
    kalamos backup --out FILE.tar.gz; kalamos restore FILE.tar.gz --data-dir NEW_DIR
    kalamos ocr --project P --document D [--model grc+lat] [--jobs N] [--format txt|hocr|alto|page|pdf|tei|webanno] --out DIR
                [--leave-out NumberingZone,RunningTitleZone]
    kalamos eval --model M --gt DIR
    kalamos train --gt DIR | --project P [--document D] --base MODEL|best --out NAME [--material print|manuscript] [--max-minutes M]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from config import Config
from ocr.tesseract import TesseractError
from storage import InvalidInput, KalamosError, NotFound, Store
from storage.formats import registry
from services.context import DocumentRef
from storage.records import OcrModel

if TYPE_CHECKING:
    from services.training import TrainForm

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kalamos", description="Kalamos, a manuscript OCR workbench.")
    parser.add_argument("--data-dir", type=Path, help="data directory (default: $KALAMOS_DATA_DIR or ./data)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8050)")
    serve.add_argument("--debug", action="store_true", help="Dash debug mode (reloads on code changes)")
    serve.add_argument("--workers", type=int, default=0,
                       help="run N worker processes under gunicorn (a server for a group); default: one process")
    serve.add_argument("--no-auth", action="store_true",
                       help="serve on a network address without accounts (anyone who reaches the port can do anything)")

    wk = sub.add_parser("worker", help="run OCR and training jobs for the web processes (needs KALAMOS_REDIS_URL)")
    wk.add_argument("--concurrency", type=int, default=0, help="jobs at once (default: the number of cores)")

    us = sub.add_parser("users", help="accounts of a shared server (sign-in is required as soon as one exists)")
    us_sub = us.add_subparsers(dest="action", required=True)
    ua = us_sub.add_parser("add", help="add a user (the password is asked, or read from standard input)")
    ua.add_argument("name")
    ua.add_argument("--admin", action="store_true", help="the user sees and manages every project and account")
    us_sub.add_parser("passwd", help="set a user's password").add_argument("name")
    us_sub.add_parser("del", help="delete a user (their projects stay)").add_argument("name")
    us_sub.add_parser("list", help="the users")

    bk = sub.add_parser("backup", help="a consistent archive of the data directory, taken while the server runs")
    bk.add_argument("--out", required=True, type=Path, help="the .tar.gz to write (outside the data directory)")
    rs = sub.add_parser("restore", help="unpack a backup into a new, empty data directory")
    rs.add_argument("archive", type=Path)
    rs.add_argument("--data-dir", dest="restore_dir", type=Path, help="where to restore (must be empty; default: --data-dir)")

    sh = sub.add_parser("share", help="give a user a role in a project (editor, viewer) or take it away (none)")
    sh.add_argument("--project", required=True, help="project name or id")
    sh.add_argument("--user", required=True)
    sh.add_argument("--role", required=True, choices=["editor", "viewer", "none", "owner"],
                    help="owner: give the project to the user")

    imp = sub.add_parser("import", help="import page images/PDFs into a document (created if missing)")
    imp.add_argument("--project", required=True, help="project name or id")
    imp.add_argument("--document", required=True, help="document name or id")
    imp.add_argument("--dpi", type=int, help="resolution for PDF pages (default 300)")
    imp.add_argument("--iiif", metavar="URL_OR_FILE",
                     help="import the canvases of a IIIF manifest (v2 or v3) instead of files; run again to "
                          "finish an import that was stopped (canvases already there are skipped)")
    imp.add_argument("--first", type=int, help="with --iiif: first canvas to import (1-based; default 1)")
    imp.add_argument("--last", type=int, help="with --iiif: last canvas to import (default: the last)")
    imp.add_argument("--width", type=int, help="with --iiif: image width in pixels (default: full size)")
    imp.add_argument("--workers", type=int, help="with --iiif: images fetched at once (default 3, KALAMOS_IIIF_WORKERS)")
    imp.add_argument("files", nargs="*", type=Path)

    sub.add_parser("list", help="list projects, documents and page counts")

    exp = sub.add_parser("export-gt", help="export ground truth (verified lines) as tesstrain, PAGE XML or ALTO")
    exp.add_argument("--project", required=True, help="project name or id")
    exp.add_argument("--document", action="append", help="document name or id (repeatable; default: all)")
    exp.add_argument("--format", choices=[f.key for f in registry.ground_truth_formats()], default="tesstrain")
    exp.add_argument("--all-lines", action="store_true", help="PAGE/ALTO: every line with text, not only verified ones")
    exp.add_argument("--out", required=True, type=Path, help="folder to write into (created)")

    lay = sub.add_parser("layout", help="find regions (typed, in reading order) and the lines in them on a document's pages")
    lay.add_argument("--project", required=True, help="project name or id")
    lay.add_argument("--document", required=True, help="document name or id")
    lay.add_argument("--lang", default="grc", help="Tesseract model(s) for the layout analysis, e.g. grc+lat (default grc)")
    lay.add_argument("--replace", action="store_true",
                     help="every page (its regions and machine lines; lines with a person's text stay), "
                          "not only the pages without regions")

    igt = sub.add_parser("import-gt", help="import lines and regions from PAGE XML, ALTO, GT4HistComment TSV or *_olr.tsv files")
    igt.add_argument("--project", required=True, help="project name or id (created if missing)")
    igt.add_argument("--document", required=True, help="document name or id (created if missing)")
    igt.add_argument("--images", action="append", type=Path, default=[], help="another folder to look for page images in")
    igt.add_argument("--replace", action="store_true", help="replace the lines of pages that have some")
    igt.add_argument("--status", choices=("verified", "machine"), default="verified",
                     help="status of imported lines with text (default: verified)")
    igt.add_argument("files", nargs="+", type=Path)

    al = sub.add_parser("align", help="align the text of an edition to a document's lines: each line's text proposed "
                                      "(status 'aligned', to check and confirm), verified lines never touched")
    al.add_argument("--project", required=True, help="project name or id")
    al.add_argument("--document", required=True, help="document name or id")
    al.add_argument("--text", required=True, type=Path, help="the edition's text for these pages (UTF-8, any line breaks)")
    al.add_argument("--model", default="grc", help="model that reads the lines (default grc; grc+lat, a project model...)")
    al.add_argument("--first", type=int, help="first page (1-based; default 1)")
    al.add_argument("--last", type=int, help="last page (default: the last)")
    al.add_argument("--out", type=Path, help="write the proposals here: page image, x0 y0 x1 y1, text, score (TSV)")
    al.add_argument("--apply", action="store_true", help="store the proposals in the lines (without it, nothing changes)")
    al.add_argument("--force", action="store_true",
                    help="with --apply: store them even when the text matches the lines no better than chance")

    ocr = sub.add_parser("ocr", help="OCR a document (pages in parallel) and write its transcription")
    ocr.add_argument("--project", required=True, help="project name or id")
    ocr.add_argument("--document", required=True, help="document name or id")
    ocr.add_argument("--model", default="grc", help="Tesseract model(s), e.g. grc or grc+lat (default grc)")
    ocr.add_argument("--mode", choices=("page", "lines"), default="page",
                     help="page: Tesseract's layout analysis; lines: the page's annotated/detected lines")
    ocr.add_argument("--psm", type=int, default=3, help="page segmentation mode for page mode (default 3)")
    ocr.add_argument("--jobs", type=int, help="pages read at once (default: the number of cores)")
    ocr.add_argument("--original", action="store_true", help="read the uploaded images even where preprocessed")
    ocr.add_argument("--format", action="append", choices=[f.key for f in registry.transcript_formats()],
                     help="what to write (repeatable; default txt)")
    ocr.add_argument("--out", type=Path, help="folder to write the transcription into")
    ocr.add_argument("--leave-out", default="", metavar="TYPES",
                     help="region types to leave out of what is written, e.g. NumberingZone,RunningTitleZone "
                          "(the text only), or NumberingZone:page")
    ocr.add_argument("--resume", metavar="RUN", help="read the pages an interrupted run (r-…) had not read yet")

    tr = sub.add_parser("train", help="fine-tune a Tesseract model on ground truth and register it in a project")
    src = tr.add_mutually_exclusive_group()
    src.add_argument("--gt", type=Path, help="a folder of line images with .gt.txt (tesstrain layout)")
    src.add_argument("--resume", help="go on with an interrupted training job (its id)")
    tr.add_argument("--project", help="project whose verified lines train the model and which keeps the model "
                                      "(with --gt: default 'Trained models', created if missing)")
    tr.add_argument("--document", action="append", help="only these documents' verified lines (repeatable)")
    how = tr.add_mutually_exclusive_group()
    how.add_argument("--base", default="grc", help="model to fine-tune: installed or the project's (default grc; "
                                                   "integer models are dequantized); 'best': the one that reads the "
                                                   "held-out lines best, compared first")
    how.add_argument("--scratch", action="store_true", help="train a new network instead of fine-tuning (slow)")
    tr.add_argument("--network", choices=("small", "medium", "large"), default="small", help="network size for --scratch")
    tr.add_argument("--max-iterations", type=int, default=100_000, help="at most (default 100000: the time budget "
                    "and the held-out optimum stop it first)")
    tr.add_argument("--max-minutes", type=float, help="time budget (default 10 for print, 30 for a manuscript)")
    tr.add_argument("--learning-rate", type=float, help="default: to fine-tune 0.001 below 150 training lines, 0.0005 "
                    "above; 0.002 from scratch")
    tr.add_argument("--material", choices=("print", "manuscript"), help="what the pages are (default: the project's "
                    "setting, print): sets the rate, augmentation and budget defaults")
    tr.add_argument("--augment", type=int, help="augmented copies of each training line (default: by the number of "
                    "lines and the material; 0: none)")
    tr.add_argument("--patience", type=int, help="stop when the held-out error has not improved for this many "
                    "iterations (default: as many as it took to reach the best, at least 1,500)")
    tr.add_argument("--no-early-stop", action="store_true", help="train to the budget (the model is still the "
                    "checkpoint with the lowest held-out error)")
    tr.add_argument("--final-pass", action="store_true", help="once the held-out optimum is known, train again on "
                    "all lines, the held-out ones too, for as many iterations (the model uses every line)")
    tr.add_argument("--new-top", action="store_true", help="replace the base's top layers (a script unlike the base's)")
    tr.add_argument("--eval-share", type=float, default=0.1, help="share of the lines held out, whole pages (default 0.1)")
    tr.add_argument("--compare-gt", type=Path, help="a second folder of lines to compare base and new on (what was forgotten)")
    tr.add_argument("--integer", action="store_true", help="also register an integer (fast) copy, NAME_fast")
    tr.add_argument("--script", choices=("greek", "latin"), help="only the lines mostly in this script: for mixed "
                    "texts, train grc on the Greek lines and lat on the Latin ones, then read with both (a+b)")
    tr.add_argument("--out", help="name of the new model (letters, digits, _)")

    mo = sub.add_parser("models", help="list, import, download, rename or delete a project's models")
    mo.add_argument("--project", help="project name or id (default: installed models only for list)")
    mo_sub = mo.add_subparsers(dest="action", required=True)
    mo_sub.add_parser("list", help="installed models and the project's, with kind and unicharset size")
    mi = mo_sub.add_parser("import", help="copy a .traineddata into the project")
    mi.add_argument("file", type=Path)
    mi.add_argument("--name", help="model name (default: the file's name)")
    md = mo_sub.add_parser("download", help="download a model into the project (from the configured list or a URL)")
    md.add_argument("source", nargs="?", help="a name from the configured list (KALAMOS_MODEL_SOURCES)")
    md.add_argument("--url")
    md.add_argument("--sha256", help="expected SHA-256 of the file")
    md.add_argument("--name", help="model name (default: the source's name)")
    mr = mo_sub.add_parser("rename", help="rename a project model")
    mr.add_argument("model")
    mr.add_argument("new_name")
    mdel = mo_sub.add_parser("delete", help="move a project model to the trash")
    mdel.add_argument("model")

    ev = sub.add_parser("eval", help="OCR a folder of line images with .gt.txt and print the CER")
    ev.add_argument("--model", required=True, help="Tesseract model(s), e.g. grc")
    ev.add_argument("--gt", required=True, type=Path, help="folder of *.png|*.jpg|*.tif line images with .gt.txt")
    ev.add_argument("--jobs", type=int, help="images read at once (default: the number of cores)")
    ev.add_argument("--psm", type=int, default=7, help="page segmentation mode (default 7: one line)")
    ev.add_argument("--project", help="project holding the model, when it is a trained one (default: any)")
    return parser


def _config(args: argparse.Namespace) -> Config:
    return Config.from_env(data_dir=args.data_dir, host=getattr(args, "host", None),
                           port=getattr(args, "port", None), pdf_dpi=getattr(args, "dpi", None))


def _worker(cfg: Config, args: argparse.Namespace) -> int:
    """A Celery worker for the app's background jobs (OCR runs, trainings, pre-fill...): it builds the same app
    over the same data directory, so it knows every job the web processes queue, and runs them."""
    if not cfg.redis_url:
        raise InvalidInput("a worker takes its jobs from Redis: set KALAMOS_REDIS_URL (e.g. redis://127.0.0.1:6379/0), "
                           "the same for the web processes")
    try:
        import celery  # noqa: F401
    except ImportError:
        raise InvalidInput("the worker needs Celery: pip install -e '.[celery]'") from None
    import os

    from app import create_app

    app = create_app(cfg)
    concurrency = args.concurrency or os.cpu_count() or 1
    print(f"Kalamos worker for {cfg.data_dir.resolve()}: {concurrency} job(s) at once, queue {cfg.redis_url}", flush=True)
    app._background_manager.handle.worker_main(  # noqa: SLF001 - the Celery app Dash's manager holds
        ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--without-gossip", "--without-mingle"])
    return 0


def _loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _gunicorn(cfg: Config, workers: int) -> int:
    """Replace this process by gunicorn serving ``app:server`` with ``workers`` processes of 4 threads each
    (the settings README's Deploy section explains); the configuration goes along in the environment."""
    import os

    env = {**os.environ, "KALAMOS_DATA_DIR": str(cfg.data_dir.resolve()), "KALAMOS_HOST": cfg.host,
           "KALAMOS_PORT": str(cfg.port)}
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", "4", "-b", f"{cfg.host}:{cfg.port}",
           "--timeout", "120", "--graceful-timeout", "30", "--keep-alive", "5", "--chdir", str(Path(__file__).resolve().parent),
           "app:server"]
    print(f"Kalamos serves {cfg.data_dir.resolve()} on http://{cfg.host}:{cfg.port} with {workers} worker processes",
          flush=True)
    os.execve(sys.executable, cmd, env)
    return 0  # not reached


def _serve(cfg: Config, debug: bool, no_auth: bool = False, workers: int = 0) -> int:
    from app import create_app
    from storage import accounts

    if not _loopback(cfg.host) and not accounts.accounts_on(Store(cfg.data_dir)):
        if not no_auth:
            print(f"kalamos: {cfg.host} is reachable from other machines, and this data directory has no account: "
                  "anyone could read, change or delete every project. Add one first:\n"
                  f"  kalamos --data-dir {cfg.data_dir} users add NAME --admin\n"
                  "(or serve on 127.0.0.1, or pass --no-auth if a proxy in front signs people in)", file=sys.stderr)
            return 2
        print("kalamos: WARNING: serving on a network address without accounts (--no-auth)", file=sys.stderr)
    if workers:
        if not 1 <= workers <= 64:
            raise InvalidInput("--workers must be between 1 and 64")
        if debug:
            raise InvalidInput("--debug runs one process: leave out --workers")
        try:
            import gunicorn  # noqa: F401
        except ImportError:
            raise InvalidInput("--workers needs gunicorn: pip install -e '.[server]'") from None
        create_app(cfg)  # a bad configuration is said here, once, not by every worker
        return _gunicorn(cfg, workers)
    app = create_app(cfg)
    print(f"Kalamos serves {cfg.data_dir.resolve()} on http://{cfg.host}:{cfg.port}", flush=True)
    app.run(host=cfg.host, port=cfg.port, debug=debug or cfg.debug, threaded=True)
    return 0


def _password(prompt: str) -> str:
    """From the terminal (asked twice, not shown), or one line of standard input when it is not a terminal."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("again: ") != first:
        raise InvalidInput("the two passwords differ")
    return first


def _users(cfg: Config, args: argparse.Namespace) -> int:
    from storage import accounts

    store = Store(cfg.data_dir)
    if args.action == "list":
        for u in accounts.list_users(store):
            print(f"{u.name:24} {'admin' if u.admin else 'user':6} {u.created[:16].replace('T', ' ')}")
        if not accounts.accounts_on(store):
            print("no accounts: anyone who reaches the server signs in as nobody (fine on 127.0.0.1 only)")
        return 0
    if args.action == "add":
        user = accounts.add_user(store, args.name, _password(f"password for {args.name}: "), admin=args.admin)
        print(f"added {user.name}{' (administrator)' if user.admin else ''}; sign-in is now required")
    elif args.action == "passwd":
        accounts.get_user(store, args.name)
        accounts.set_password(store, args.name, _password(f"new password for {args.name}: "))
        print(f"password of {args.name} changed; their open sessions have ended")
    else:
        accounts.delete_user(store, args.name)
        print(f"deleted {args.name}; their projects stay (an administrator can give them to someone: kalamos share)")
    return 0


def _backup(cfg: Config, args: argparse.Namespace) -> int:
    from storage.backup import backup

    report = backup(cfg.data_dir, args.out)
    print(f"{report.files} file(s), {report.bytes / 1e6:.1f} MB, in {report.seconds:.1f} s: {report.out}")
    return 0


def _restore(cfg: Config, args: argparse.Namespace) -> int:
    from storage.backup import restore

    target = args.restore_dir or cfg.data_dir
    count = restore(args.archive, target)
    print(f"restored {count} file(s) into {target}; serve it with: kalamos --data-dir {target} serve")
    return 0


def _share(cfg: Config, args: argparse.Namespace) -> int:
    from storage import access, accounts

    store = Store(cfg.data_dir)
    project = store.find_project(args.project)
    accounts.get_user(store, args.user)
    if args.role == "owner":
        access.set_owner(store, project.id, args.user)
    else:
        access.share(store, project.id, args.user, args.role)
    found = access.access_of(store, project.id)
    members = ", ".join(f"{u} ({r})" for u, r in sorted(found["members"].items())) or "nobody else"
    print(f"{project.name}: owner {found['owner'] or '(none: administrators only)'}; shared with {members}")
    return 0


def _project_and_document(store: Store, project_name: str, document_name: str):  # type: ignore[no-untyped-def]
    """Find, or create and say so."""
    try:
        project = store.find_project(project_name)
    except NotFound:
        project = store.create_project(project_name)
        print(f"created project {project.name!r} ({project.id})")
    try:
        document = store.find_document(project.id, document_name)
    except NotFound:
        document = store.create_document(project.id, document_name)
        print(f"created document {document.name!r} ({document.id})")
    return project, document


def _import(cfg: Config, args: argparse.Namespace) -> int:
    from services import documents

    if bool(args.iiif) == bool(args.files):
        print("kalamos import: give page files, or --iiif with a manifest's address (not both)", file=sys.stderr)
        return 2
    store = Store(cfg.data_dir)
    store.clean_tmp()  # what an import killed before left in tmp/
    if args.iiif:
        return _import_iiif(store, cfg, args)
    project, document = _project_and_document(store, args.project, args.document)
    results = documents.import_files(store, DocumentRef(project.id, document.id), args.files, cfg.import_limits())
    return _report_imports(results)


def _import_iiif(store: Store, cfg: Config, args: argparse.Namespace) -> int:
    from services import iiif

    client = cfg.http_client(allow_private=True)  # whoever runs the command has the machine's network anyway
    manifest, _data = iiif.read_manifest(args.iiif, client, allow_files=True)
    canvases = iiif.choose(manifest, args.first, args.last)
    project, document = _project_and_document(store, args.project, args.document)
    print(iiif.describe(manifest))
    for message in manifest.messages:
        print(f"{'WARNING':8} {message}", file=sys.stderr)

    def progress(done: int, total: int, message: str) -> None:
        print(f"[{done}/{total}] {message}", file=sys.stderr, flush=True)

    report = iiif.import_canvases(store, DocumentRef(project.id, document.id), manifest, canvases, args.width,
                                  cfg.import_limits(), client, workers=args.workers or cfg.iiif_workers, progress=progress)
    code = _report_imports(report.results, what="canvas(es)")
    print(report.summary)
    return code


def _report_imports(results, what: str = "file(s)") -> int:  # type: ignore[no-untyped-def]
    for r in results:
        stream = sys.stderr if r.status == "failed" else sys.stdout
        print(f"{r.status.upper():8} {r.message}", file=stream)
        for w in r.warnings:
            print(f"{'WARNING':8} {r.filename}: {w}", file=stream)
    failed = sum(r.status == "failed" for r in results)
    pages = sum(len(r.page_ids) for r in results)
    print(f"{pages} page(s) imported from {len(results) - failed} of {len(results)} {what}; {failed} failed")
    return 1 if failed else 0


def _export_gt(cfg: Config, args: argparse.Namespace) -> int:
    from services.exports import export_ground_truth

    store = Store(cfg.data_dir)
    project = store.find_project(args.project)
    docs = [store.find_document(project.id, d).id for d in args.document] if args.document else None
    report = export_ground_truth(store, project.id, docs, args.format, args.out, all_lines=args.all_lines)
    for problem in report.problems:
        print(f"PROBLEM  {problem}", file=sys.stderr)
    print(f"{report.lines} line(s) from {report.pages} page(s) written to {args.out} ({args.format})")
    if report.lines == 0:
        print("kalamos: nothing to export: no verified lines (mark lines as verified in the Annotate tab)", file=sys.stderr)
        return 1
    return 1 if report.problems else 0


def _import_gt(cfg: Config, args: argparse.Namespace) -> int:
    from services import documents

    store = Store(cfg.data_dir)
    project, document = _project_and_document(store, args.project, args.document)
    report = documents.import_ground_truth(store, DocumentRef(project.id, document.id), args.files, args.images, args.status, args.replace,
                                           cfg.import_limits())
    for m in report.messages:
        print(f"NOTE     {m}")
    for f in report.failed:
        print(f"FAILED   {f}", file=sys.stderr)
    regions = f"{report.regions} region(s), " if report.regions else ""
    print(f"{regions}{report.lines} line(s) on {report.pages} page(s) imported; {report.images_imported} page image(s) added; "
          f"{len(report.failed)} problem(s)")
    return 1 if report.failed else 0


def _layout(cfg: Config, args: argparse.Namespace) -> int:
    from services import regions as layout_service

    store = Store(cfg.data_dir)
    project = store.find_project(args.project)
    document = store.find_document(project.id, args.document)

    def progress(done: int, total: int) -> None:
        print(f"{done}/{total} pages", flush=True)

    report = layout_service.layout_document(store, DocumentRef(project.id, document.id), args.lang, args.replace, progress)
    for p in report.problems:
        print(f"FAILED   {p}", file=sys.stderr)
    skipped = f"; {report.skipped} page(s) with regions already left as they are (--replace to redo them)" if report.skipped else ""
    print(f"{report.regions} region(s) and {report.lines} line(s) found on {report.pages} page(s){skipped}")
    return 1 if report.problems else 0


def _align(cfg: Config, args: argparse.Namespace) -> int:
    from services import align

    store = Store(cfg.data_dir)
    project = store.find_project(args.project)
    document = store.find_document(project.id, args.document)
    doc = DocumentRef(project.id, document.id)
    try:
        edition = align.read_edition(args.text.read_bytes())
    except OSError as exc:
        raise InvalidInput(f"{args.text}: cannot be read ({exc.strerror or exc})") from None
    pages = align.choose_pages(store, doc, args.first, args.last)

    def progress(done: int, total: int, message: str) -> None:
        print(f"[{done}/{total}] {message}", file=sys.stderr, flush=True)

    report = align.propose(store, doc, pages, edition, args.model, progress)
    if args.out:
        args.out.write_bytes(align.proposals_tsv(report))
        print(f"proposals written to {args.out} ({len(report.lines)} lines)")
    if not report.matches:
        print(f"{'WARNING':8} the text matches these lines no better than its words in a random order "
              f"(agreement {report.score:.0%}, by chance {report.chance:.0%}): is it the text of these pages?",
              file=sys.stderr)
    if args.apply:
        align.apply(store, doc, report, user="cli", force=args.force)
    for p in report.lines:
        if p.attention:
            print(f"{'CHECK':8} page {p.page_number} line {p.line_number}: score {p.score:.2f}: {p.text[:60]!r} "
                  f"(read {p.reading[:60]!r})")
    print(report.summary if args.apply else report.summary.replace(" aligned with", " aligned (nothing stored: "
                                                                    "--apply stores them) with", 1))
    return 0


def _ocr(cfg: Config, args: argparse.Namespace) -> int:
    from services import transcription
    from services.exports import check_leave_out, transcript_files

    store = Store(cfg.data_dir)
    project = store.find_project(args.project)
    document = store.find_document(project.id, args.document)
    check_leave_out(store, project.id, args.leave_out.split(","))  # a typo is told before the pages are read

    def progress(done: int, total: int, left: float) -> None:
        print(f"{done}/{total} pages, about {left:.0f} s left", flush=True)

    if args.resume:
        run = transcription.resume(store, DocumentRef(project.id, document.id), args.resume, args.jobs, progress)
    else:
        form = transcription.RunForm(tuple(args.model.split("+")), args.psm, args.mode, not args.original)
        run = transcription.start(store, DocumentRef(project.id, document.id), None, form, args.jobs, progress)
    failed = transcription.failures(run)
    for number, error in failed:
        print(f"FAILED   page {number}: {error}", file=sys.stderr)
    print(f"run {run.id}: {len(run.pages) - len(failed)} of {len(run.pages)} page(s) read with {run.model}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for fmt in args.format or ["txt"]:
            for name, data in transcript_files(store, project.id, document.id, fmt, None, args.leave_out.split(",")).items():
                (args.out / name).write_bytes(data)
                print(f"wrote {args.out / name}")
    return 1 if failed else 0


def _train(cfg: Config, args: argparse.Namespace) -> int:
    from services import training as training_uc

    store = Store(cfg.data_dir)
    if args.resume:
        if not args.project:
            print("kalamos: --resume needs --project", file=sys.stderr)
            return 2
        project = store.find_project(args.project)
        job_id = args.resume
    else:
        if not args.out:
            print("kalamos: name the new model with --out NAME", file=sys.stderr)
            return 2
        if args.gt is None and not args.project:
            print("kalamos: train from --gt DIR or from the verified lines of --project P", file=sys.stderr)
            return 2
        name = args.project or "Trained models"
        try:
            project = store.find_project(name)
        except NotFound:
            project = store.create_project(name)
            print(f"created project {project.name!r} to keep the model")
        docs = [store.find_document(project.id, d).id for d in args.document] if args.document else None
        material = args.material or training_uc.material(store, project.id)
        if args.material:
            training_uc.set_material(store, project.id, args.material)
        job = training_uc.start(store, project.id, train_form(args, material), docs, gt_folder=args.gt,
                                compare_gt=args.compare_gt)
        job_id = job.id
        sm = job.summary
        print(f"job {job_id}: {sm.lines} lines ({sm.characters} characters) from {sm.pages} page(s); "
              f"{sm.train_lines} to train on, {sm.eval_lines} to evaluate")
        for problem in job.problems:
            print(f"SKIPPED  {problem}", file=sys.stderr)

    def progress(point, job) -> None:  # type: ignore[no-untyped-def]
        if point.train_cer is not None:
            print(f"iteration {point.iteration}: training CER {point.train_cer:.2f}%", flush=True)
        else:
            print(f"iteration {point.iteration}: held-out CER {point.eval_cer:.2f}% (as the final table measures it)", flush=True)

    job = training_uc.run(store, project.id, job_id, progress)
    if job.status == "cancelled":
        print("kalamos: training cancelled; no model registered", file=sys.stderr)
        return 1
    if job.status != "done":
        print(f"kalamos: training failed: {job.error}", file=sys.stderr)
        print(f"kalamos: go on with: kalamos train --project {project.id} --resume {job_id}", file=sys.stderr)
        return 1
    done = training_uc.outcome(store, project.id, job)
    model = done.model
    if model is None:
        print("kalamos: the training finished but its model is gone", file=sys.stderr)
        return 1
    if job.summary.missing_characters:
        print("characters added to the model: " + " ".join(job.summary.missing_characters))
    if job.stop_reason:
        print(f"stopped early: {job.stop_reason}")
    if job.selected:
        print(f"the model is the checkpoint of iteration {job.selected.iteration}, the one with the lowest error "
              f"on the held-out lines ({job.selected.heldout_cer} %)")
    if job.final_pass and job.final_pass.done:
        fp = job.final_pass
        print(f"final pass on all {fp.lines} lines for {fp.iterations} iterations: the table below is optimistic "
              f"(the model learnt the held-out lines); the held-out CER before it was {model.heldout_cer} %")
    print(f"model {model.name} ({model.id}) registered in project {project.name!r}")
    ev = model.evaluation
    if done.no_better and ev and ev.new and ev.base:
        print(f"kalamos: {model.name} reads the held-out lines no better than {model.base} "
              f"({ev.new.cer} % against {ev.base.cer} %): keep using {model.base}", file=sys.stderr)
    print(evaluation_table(model))
    return 0


def train_form(args: argparse.Namespace, material: str) -> "TrainForm":
    """``kalamos train``'s flags as the Train tab's form (one path to the checked settings)."""
    from services.training import BEST_BASE, TrainForm
    from storage.training import recipe

    base = BEST_BASE if args.base == "best" else args.base
    return TrainForm(args.out, scratch=args.scratch, base="" if args.scratch else base, network=args.network,
                     iterations=args.max_iterations,
                     minutes=args.max_minutes if args.max_minutes is not None else recipe(material).max_minutes,
                     rate=args.learning_rate, integer=args.integer, script=args.script, material=material,
                     augment=args.augment, new_top=args.new_top, final_pass=args.final_pass, eval_share=args.eval_share,
                     stop_early=not args.no_early_stop, patience=args.patience)


def evaluation_table(model: OcrModel) -> str:
    """Base against new, on the held-out lines (and the second set, if any), as plain text."""
    from ocr.metrics import RATE_COLUMNS

    ev = model.evaluation
    if not ev or not ev.new:
        return f"{model.name}: no evaluation"
    sets = [("held-out", ev)] + ([("second: " + ev.second.label, ev.second)] if ev.second and ev.second.new else [])
    out = []
    for label, part in sets:
        out.append(f"{label} lines: {part.lines}")
        out.append(f"{'':28}{'base ' + (model.base or ''):>22}{'new':>10}")
        for key in RATE_COLUMNS:
            base = part.base.as_row()[key] if part.base else "-"
            out.append(f"{key:28}{base:>22}{part.new.as_row()[key] if part.new else '-':>10}")
    return "\n".join(out)


def _models(cfg: Config, args: argparse.Namespace) -> int:
    from services import models as models_uc

    store = Store(cfg.data_dir)
    project = store.find_project(args.project) if args.project else None
    if args.action == "list":
        for m in models_uc.everything(store, project.id if project else None):
            cer = "" if m.cer is None else m.cer
            print(f"{m.name:24} {m.origin:10} {m.kind:8} {m.unicharset_size:>5} chars  {m.base or '':12} {cer}")
        return 0
    if project is None:
        print("kalamos: name the project with --project", file=sys.stderr)
        return 2
    if args.action == "import":
        name = args.name or args.file.name.split(".")[0]
        if not args.file.is_file():
            print(f"kalamos: {args.file} is not a file", file=sys.stderr)
            return 2
        m = models_uc.import_file(store, project.id, args.file, name, note=args.file.name)
    elif args.action == "download":
        source = next((s for s in cfg.model_sources if s["name"] == args.source), None) if args.source else None
        if args.source and source is None:
            print(f"kalamos: no model source named {args.source!r}; configured: "
                  + ", ".join(s["name"] for s in cfg.model_sources), file=sys.stderr)
            return 2
        url = args.url or (source or {}).get("url")
        if not url:
            print("kalamos: give a configured source name or --url", file=sys.stderr)
            return 2
        sha = args.sha256 or (source or {}).get("sha256")
        name = args.name or (source or {}).get("name") or url.rsplit("/", 1)[-1].split(".")[0]

        def progress(done: int, total: int | None) -> None:
            print(f"\r{done / 1048576:.1f} MB" + (f" of {total / 1048576:.1f} MB" if total else ""), end="", flush=True)

        m = models_uc.download(store, project.id, url, name, sha, progress)
        print()
    elif args.action == "rename":
        m = models_uc.rename(store, project.id, args.model, args.new_name)
    else:
        gone = models_uc.delete(store, project.id, args.model)
        print(f"{gone.name} moved to the trash")
        return 0
    print(f"{m.name} ({m.id}): {m.kind}, {m.unicharset_size} characters")
    return 0


def _resolve_model(store: Store, name: str, project_name: str | None) -> Path | None:
    """The tessdata folder where Tesseract finds ``name`` (``a`` or ``a+b``): None when every part
    is installed, else the project tessdata of the (given or first) project that has the others."""
    from ocr.tesseract import languages
    from services import models as models_uc

    installed = set(languages())
    parts = name.split("+")
    if project_name is None and all(part in installed for part in parts):
        return None
    projects = [store.find_project(project_name)] if project_name else store.list_projects()
    for project in projects:
        own = {m.name for m in models_uc.own(store, project.id)}
        if all(part in own or part in installed for part in parts):
            return models_uc.tessdata(store, project.id)
    raise NotFound(f"No model named {name!r}: neither installed nor a project's.")


def _eval(cfg: Config, args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from ocr.metrics import Score, score
    from ocr.tesseract import check_language, run_tesseract
    from storage.ocrruns import default_jobs

    tessdata = _resolve_model(Store(cfg.data_dir), args.model, args.project)
    if tessdata is None:
        check_language(args.model)
    if not args.gt.is_dir():
        print(f"kalamos: {args.gt} is not a folder", file=sys.stderr)
        return 2
    images = sorted(p for p in args.gt.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".tif", ".tiff"))
    pairs = [(img, img.with_suffix(".gt.txt")) for img in images]
    missing = [img.name for img, gt in pairs if not gt.exists()]
    pairs = [(img, gt) for img, gt in pairs if gt.exists()]
    for name in missing:
        print(f"SKIPPED  {name}: no .gt.txt beside it", file=sys.stderr)
    if not pairs:
        print(f"kalamos: no line images with .gt.txt in {args.gt}", file=sys.stderr)
        return 1

    def one(pair: tuple[Path, Path]) -> Score:
        img, gt = pair
        return score(gt.read_text(encoding="utf-8"),
                     run_tesseract(img, args.model, args.psm, "txt", timeout=120, tessdata_dir=tessdata))

    with ThreadPoolExecutor(max_workers=args.jobs or default_jobs()) as pool:
        scores = list(pool.map(one, pairs))
    total = sum(scores, Score())
    row = total.as_row()
    print(f"lines: {len(scores)}, characters: {total.chars}, model: {args.model}")
    print(f"WER {row['WER %']:.2f}%  CER without diacritics {row['CER no diacritics %']:.2f}%  "
          f"errors: diacritics {row['diacritic errors %']}%, letters {row['letter errors %']}%, spaces {row['space errors %']}%")
    print(f"CER {100 * total.cer:.2f}%")
    return 0


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
            return _serve(cfg, args.debug, args.no_auth, args.workers)
        commands = {"import": _import, "export-gt": _export_gt, "import-gt": _import_gt, "layout": _layout, "align": _align, "ocr": _ocr, "eval": _eval, "train": _train,
                    "models": _models, "users": _users, "share": _share, "backup": _backup, "restore": _restore,
                    "worker": _worker}
        if args.command in commands:
            return commands[args.command](cfg, args)
        return _list(cfg)
    except (KalamosError, TesseractError) as exc:
        print(f"kalamos: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kalamos: interrupted (a training job goes on with: kalamos train --project P --resume JOB)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
