"""Accounts of a Kalamos server: who may sign in, and the record of failed sign-ins.

``<data>/users.json`` holds each user's name, password hash (werkzeug's scrypt: a memory-hard KDF with a
random salt per password), whether they administer the server, and when they were made. Accounts are on
as soon as one user exists; with none (a local, single-user Kalamos) nobody is asked to sign in.
``<data>/cache/sign-ins.json`` keeps recent failures per account and per address, so that guessing is
slowed down for everyone who shares the data directory (every worker process), not per process.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock
from werkzeug.security import check_password_hash, generate_password_hash

from storage.errors import InvalidInput, NotFound
from storage.jsonio import read_json, write_json
from storage.store import Store, now_iso

__all__ = ["UsersView", "User", "USER_NAME_RULE", "add_user", "set_password", "delete_user", "list_users", "get_user", "accounts_on",
           "verify", "sign_in_wait", "record_failure", "clear_failures", "MIN_PASSWORD"]

USERS_FILE = "users.json"
SIGN_INS_FILE = "sign-ins.json"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,39}\Z")
USER_NAME_RULE = "letters, digits, '.', '_' and '-', starting with a letter, at most 40"
MIN_PASSWORD = 10
#: Failures allowed in ``WINDOW_S`` per account, and per address (higher: a lab behind one proxy or NAT
#: shares an address, and one person's typos must not lock the others out), before each further try waits.
FREE_FAILURES, FREE_FAILURES_ADDRESS, WINDOW_S = 5, 30, 900
#: A dummy hash checked when the name is unknown, so that the answer takes as long as for a real account.
_DUMMY = generate_password_hash("kalamos-no-such-user", method="scrypt")


@dataclass(frozen=True)
class User:
    name: str
    admin: bool
    created: str


def _users_path(store: Store) -> Path:
    return store.root / USERS_FILE


def _lock(store: Store) -> FileLock:
    return FileLock(str(store.root / f".{USERS_FILE}.lock"))


def _read(store: Store) -> dict[str, Any]:
    try:
        data = read_json(_users_path(store))
    except FileNotFoundError:
        return {"users": {}}
    return {"users": dict(data.get("users") or {})}


def _write(store: Store, data: dict[str, Any]) -> None:
    """Written 0600, like the secret key: the hashes are nobody else's business on the machine."""
    write_json(_users_path(store), data)
    os.chmod(_users_path(store), 0o600)


class UsersView:
    """``users.json`` as one server process sees it, read again only when the file changed (its size, time
    and inode): the request hooks ask on every request. Held by the app, not by the module."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._key: tuple[int, int, int] | None = None
        self._users: dict[str, Any] = {}

    def users(self) -> dict[str, Any]:
        try:
            st = os.stat(_users_path(self.store))
        except FileNotFoundError:
            return {}
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        if key != self._key:
            self._users, self._key = _read(self.store)["users"], key
        return self._users


def accounts_on(store: Store) -> bool:
    """Whether sign-in is required: as soon as one user exists."""
    return bool(_read(store)["users"])


def list_users(store: Store) -> list[User]:
    return [User(n, bool(u.get("admin")), str(u.get("created", ""))) for n, u in sorted(_read(store)["users"].items())]


def get_user(store: Store, name: str) -> User:
    u = _read(store)["users"].get(name)
    if u is None:
        raise NotFound(f"No user named {name!r}.")
    return User(name, bool(u.get("admin")), str(u.get("created", "")))


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise InvalidInput("the password is longer than 1024 characters")
    return password


def add_user(store: Store, name: str, password: str, admin: bool = False) -> User:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise InvalidInput(f"the user name {name!r} is not valid: use {USER_NAME_RULE}")
    _check_password(password)
    with _lock(store):
        data = _read(store)
        if name in data["users"]:
            raise InvalidInput(f"there is a user named {name} already")
        data["users"][name] = {"hash": generate_password_hash(password, method="scrypt"), "admin": bool(admin),
                               "created": now_iso()}
        _write(store, data)
    return get_user(store, name)


def set_password(store: Store, name: str, password: str) -> None:
    _check_password(password)
    with _lock(store):
        data = _read(store)
        if name not in data["users"]:
            raise NotFound(f"No user named {name!r}.")
        data["users"][name]["hash"] = generate_password_hash(password, method="scrypt")
        data["users"][name]["changed"] = now_iso()
        _write(store, data)


def delete_user(store: Store, name: str) -> None:
    """Remove an account (its projects stay; an administrator gives them to someone else)."""
    with _lock(store):
        data = _read(store)
        if name not in data["users"]:
            raise NotFound(f"No user named {name!r}.")
        admins = [n for n, u in data["users"].items() if u.get("admin")]
        if admins == [name] and len(data["users"]) > 1:
            raise InvalidInput(f"{name} is the only administrator: make another user an administrator first")
        del data["users"][name]
        _write(store, data)


def verify(store: Store, name: str, password: str) -> User | None:
    """The user when the password is theirs, else None (in the same time for an unknown name)."""
    u = _read(store)["users"].get(name or "")
    if u is None:
        check_password_hash(_DUMMY, password or "")
        return None
    if not check_password_hash(str(u.get("hash", "")), password or ""):
        return None
    return User(name, bool(u.get("admin")), str(u.get("created", "")))


# ------------------------------------------------------------------ failed sign-ins
def _failures_path(store: Store) -> Path:
    folder = store.root / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / SIGN_INS_FILE


def _failures(store: Store, now: float) -> dict[str, list[float]]:
    try:
        raw = read_json(_failures_path(store))
    except (FileNotFoundError, InvalidInput, OSError):
        raw = {}
    return {k: [t for t in v if now - t < WINDOW_S] for k, v in (raw.get("failures") or {}).items()
            if isinstance(v, list)}


def _keys(name: str, address: str) -> list[str]:
    return [f"user:{(name or '').lower()[:64]}", f"addr:{address[:64]}"]


def sign_in_wait(store: Store, name: str, address: str, now: float | None = None) -> float:
    """Seconds to wait before the next try for this account or from this address (0: go ahead). After
    ``FREE_FAILURES`` failures in 15 minutes each further failure doubles the wait (2 s, 4 s … 15 min)."""
    now = time.time() if now is None else now
    failures = _failures(store, now)
    wait = 0.0
    for key, free in zip(_keys(name, address), (FREE_FAILURES, FREE_FAILURES_ADDRESS)):
        times = sorted(failures.get(key, []))
        extra = len(times) - free
        if extra >= 0:
            wait = max(wait, times[-1] + min(WINDOW_S, 2.0 ** (extra + 1)) - now)
    return max(0.0, wait)


def record_failure(store: Store, name: str, address: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    with FileLock(str(_failures_path(store)) + ".lock"):
        failures = _failures(store, now)
        for key in _keys(name, address):
            failures[key] = [*failures.get(key, []), now][-50:]
        write_json(_failures_path(store), {"failures": failures})


def clear_failures(store: Store, name: str) -> None:
    """A successful sign-in forgets the account's failures (not the address's)."""
    with FileLock(str(_failures_path(store)) + ".lock"):
        failures = _failures(store, time.time())
        failures.pop(_keys(name, "")[0], None)
        write_json(_failures_path(store), {"failures": failures})
