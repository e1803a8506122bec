"""Sign-in for a Kalamos shared by a research group (``storage/accounts.py`` keeps the accounts).

With no account (a local Kalamos, ``make run``) nothing here asks anything. As soon as one user exists,
**every** request needs a session: the app, every ``/_dash-*`` endpoint, page images, exports, uploads,
assets. Page requests without one are sent to ``/login``; everything else is answered 401. Only the
sign-in page, sign-out and ``/health`` (which says "ok" and nothing else) are open.

The session is Flask's signed cookie (the server's secret key), HttpOnly, SameSite=Lax, Secure when the
server is reached over https (``KALAMOS_HTTPS=1``). It carries the user's name and a stamp of their
password hash: a changed password or a deleted account ends every session at its next request. Failed
sign-ins are counted per account and per address in the data directory (every worker sees them) and slow
further tries down. Cross-origin POSTs (a sign-in from another site's page) are refused by the request
guards of ``callbacks/security.py``, which run first.
"""

from __future__ import annotations

import hashlib
import html
import logging
from urllib.parse import quote, urlsplit

from flask import Flask, Response, g, jsonify, redirect, request, session

from config import Config
from storage import KalamosError, Store
from storage import accounts

__all__ = ["install_accounts", "current_user", "OPEN_PATHS"]

log = logging.getLogger(__name__)

#: What answers without a session (the sign-in page needs no asset: its style is inline).
OPEN_PATHS = frozenset({"/login", "/logout", "/health", "/_favicon.ico", "/favicon.ico"})
#: Requests a browser makes for a page (answered with a redirect to the sign-in page, not a 401).
_NOT_PAGES = ("/_dash-", "/api/", "/files/", "/export/", "/transcript/", "/jobs/", "/assets/", "/_reload-hash",
              "/_favicon.ico", "/static/")


def current_user() -> str | None:
    """The signed-in user of this request (None: accounts are off, or outside a request)."""
    try:
        return g.get("kalamos_user")
    except RuntimeError:
        return None


def _stamp(users: dict, name: str) -> str | None:  # type: ignore[type-arg]
    """A short fingerprint of the user's password hash (None: no such user)."""
    raw = users.get(name)
    if raw is None:
        return None
    return hashlib.sha256(str(raw.get("hash", "")).encode()).hexdigest()[:16]


def _is_page_request() -> bool:
    return request.method == "GET" and not request.path.startswith(_NOT_PAGES) and \
        "text/html" in request.headers.get("Accept", "")


def _safe_next(target: str | None) -> str:
    """Only a path of this server (no scheme, no host, no ``//``) is a place to go back to."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Kalamos</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f1f3f5; display: flex; min-height: 100vh; margin: 0;
       align-items: center; justify-content: center; }}
form {{ background: #fff; padding: 2rem; border-radius: .5rem; box-shadow: 0 1px 4px #0002; width: 20rem; }}
h1 {{ font-size: 1.4rem; margin: 0 0 1rem; }} label {{ display: block; margin: .6rem 0 .2rem; }}
input {{ width: 100%; box-sizing: border-box; padding: .45rem; font-size: 1rem; border: 1px solid #adb5bd;
        border-radius: .3rem; }}
button {{ margin-top: 1.2rem; width: 100%; padding: .5rem; font-size: 1rem; background: #212529; color: #fff;
         border: 0; border-radius: .3rem; cursor: pointer; }}
.error {{ color: #b02a37; margin-top: .8rem; }} .note {{ color: #495057; margin-top: .8rem; font-size: .9rem; }}
</style></head>
<body><form method="post" action="/login?next={next}">
<h1>Kalamos</h1>
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" required autofocus value="{username}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
{message}
</form></body></html>"""


def _login_page(message: str = "", username: str = "", status: int = 200, css: str = "error") -> Response:
    body = _PAGE.format(next=quote(_safe_next(request.args.get("next")), safe="/"), username=html.escape(username),
                        message=f'<div class="{css}" role="alert">{html.escape(message)}</div>' if message else "")
    return Response(body, status=status, mimetype="text/html", headers={"Cache-Control": "no-store"})


def install_accounts(server: Flask, store: Store, config: Config) -> None:
    """Sessions on every route once an account exists; ``/login``, ``/logout``, ``/health``."""
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                         SESSION_COOKIE_SECURE=config.https, SESSION_COOKIE_NAME="kalamos_session")
    view = accounts.UsersView(store)

    @server.before_request
    def require_session():  # type: ignore[no-untyped-def]
        if request.path in OPEN_PATHS:
            return None
        try:
            users = view.users()
        except (KalamosError, OSError) as exc:  # an unreadable users.json must not open the doors
            log.error("the accounts cannot be read (%s): refusing the request", exc)
            return jsonify({"status": "failed", "message": "The server's accounts cannot be read."}), 503
        if not users:
            return None
        name = session.get("user")
        if isinstance(name, str) and session.get("stamp") and session.get("stamp") == _stamp(users, name):
            g.kalamos_user, g.kalamos_admin = name, bool(users[name].get("admin"))
            return None
        ended = bool(session.get("user"))
        session.clear()
        if _is_page_request():
            return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/?=&')}", code=302)
        return jsonify({"status": "failed", "message": "Your session has ended: sign in again." if ended
                        else "Sign in first."}), 401

    @server.get("/health")
    def health():  # type: ignore[no-untyped-def]
        """For a proxy or a monitor: the process answers. Says nothing else."""
        return jsonify({"status": "ok"}), 200

    @server.get("/login")
    def login_form():  # type: ignore[no-untyped-def]
        if not accounts.accounts_on(store):
            return redirect("/", code=302)
        return _login_page()

    @server.post("/login")
    def login():  # type: ignore[no-untyped-def]
        name = (request.form.get("username") or "").strip()[:80]
        password = request.form.get("password") or ""
        address = request.remote_addr or "?"
        wait = accounts.sign_in_wait(store, name, address)
        if wait > 0:
            log.warning("sign-in for %r from %s refused: too many failures", name, address)
            return _login_page(f"Too many failed sign-ins: wait {wait:.0f} s and try again.", name, 429)
        user = accounts.verify(store, name, password)
        if user is None:
            accounts.record_failure(store, name, address)
            log.warning("failed sign-in for %r from %s", name, address)
            return _login_page("Wrong user name or password.", name, 401)
        accounts.clear_failures(store, name)
        session.clear()
        session["user"], session["stamp"] = user.name, _stamp(accounts._read(store)["users"], user.name)  # noqa: SLF001
        session.permanent = False
        log.info("%s signed in from %s", user.name, address)
        return redirect(_safe_next(request.args.get("next")), code=303)

    @server.route("/logout", methods=["GET", "POST"])
    def logout():  # type: ignore[no-untyped-def]
        session.clear()
        return redirect("/login", code=303)
