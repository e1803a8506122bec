"""The server's secret key: given by the administrator, or generated once per data directory.

The key signs what the server hands to browsers and must be able to trust when it comes back (the
handles of background jobs, later sessions). A key that is public (a default in the source code, an
example in a README) lets anyone forge them, so when ``KALAMOS_SECRET_KEY`` is not set Kalamos makes a
random one on first start and keeps it in ``<data>/secret_key`` (mode 0600). Every process that
serves the same data directory reads the same file, so several workers agree without configuration.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from storage.errors import InvalidInput
from storage.jsonio import fsync_dir

__all__ = ["SECRET_FILE", "load_or_create_secret", "check_secret", "PUBLIC_KEYS"]

SECRET_FILE = "secret_key"
#: Keys known to the world (an old default of Kalamos, examples in documentation): refused.
PUBLIC_KEYS = frozenset({"kalamos-local-secret", "<random>", "change-me", "changeme", "secret"})
MIN_LENGTH = 16


def check_secret(key: str) -> str:
    """A configured key, refused when it is public or too short to resist guessing."""
    if key.strip() in PUBLIC_KEYS or len(key.strip()) < MIN_LENGTH:
        raise InvalidInput(f"KALAMOS_SECRET_KEY must be a private random value of at least {MIN_LENGTH} characters "
                           "(for instance the output of: python3 -c 'import secrets; print(secrets.token_hex(32))'), "
                           "or left unset so that Kalamos makes one in the data directory")
    return key


def load_or_create_secret(root: Path) -> str:
    """The key stored in ``root/secret_key``, made (0600, atomically, once) when it does not exist."""
    path = Path(root) / SECRET_FILE
    try:
        key = path.read_text(encoding="ascii", errors="replace").strip()
        if len(key) >= MIN_LENGTH:
            return key
        damaged = True  # emptied or cut by hand: a new key (it only invalidates open pages' job handles)
    except FileNotFoundError:
        damaged = False
    tmp = path.with_name(f".{SECRET_FILE}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_hex(32).encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        if damaged:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if another process made the key meanwhile: theirs wins
    except FileExistsError:
        pass
    finally:
        if tmp.exists():
            os.unlink(tmp)
    fsync_dir(path.parent)
    return path.read_text(encoding="ascii").strip()
