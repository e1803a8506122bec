"""Kalamos web application: ``create_app(config)`` builds it, ``server`` is the WSGI entry point.

    gunicorn -w 2 --threads 4 -b 127.0.0.1:8050 --timeout 120 app:server
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from dash import Dash

from callbacks import register_all
from callbacks.auth import current_user, install_accounts
from callbacks.permissions import install_permissions
from callbacks.security import guarded_manager, install_request_guards
from config import Config
from layout import shell
from storage import InvalidInput, Store
from storage.secretkey import check_secret, load_or_create_secret

__all__ = ["create_app", "main", "server"]

ROOT = Path(__file__).resolve().parent
log = logging.getLogger("kalamos")


def create_app(config: Config | None = None) -> Dash:
    """Build a Kalamos app over the data directory of ``config`` (default: from the environment)."""
    config = config or Config.from_env()
    store = Store(config.data_dir)
    try:
        secret = check_secret(config.secret_key) if config.secret_key else load_or_create_secret(store.root)
    except InvalidInput as exc:
        raise SystemExit(str(exc)) from None
    if removed := store.clean_tmp():
        log.info("removed %d staging folder(s) left by interrupted imports", removed)
    if removed := store.clean_partial_writes():
        log.info("removed %d temporary file(s) of writes that were interrupted", removed)
    app = Dash(
        __name__,
        title="Kalamos",
        update_title=None,
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,
        external_stylesheets=[],
        background_callback_manager=guarded_manager(config),
    )
    app.server.secret_key = secret
    if config.trusted_proxy:  # the client's address and scheme as the one proxy in front says them
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
    app.layout = lambda: shell.build(current_user())
    declared = register_all(app, store, config)
    background = frozenset(out for out, cb in app.callback_map.items() if cb.get("background"))
    # in this order: no session, 401 (whatever the request); then the guards (host, origin: a sign-in from another
    # site is refused there; sizes, malformed updates, job counts); then the signed-in user's role
    install_accounts(app.server, store, config)
    install_request_guards(app.server, config, background, app._background_manager.issued)  # noqa: SLF001
    install_permissions(app.server, store, declared)
    return app


@functools.cache
def _default_app() -> Dash:
    return create_app(Config.from_env())


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """``app.server`` is built on first use, so importing this module has no side effect."""
    if name == "server":
        return _default_app().server
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> int:
    """``python app.py [--host H] [--port P] [--data-dir D]``: the same as ``kalamos serve``."""
    import sys

    from cli import main as cli_main

    return cli_main(["serve", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
