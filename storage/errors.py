"""Domain exceptions of the store. Messages are written for the user: they name the thing and the reason."""

from __future__ import annotations

__all__ = ["KalamosError", "NotFound", "InvalidInput", "Conflict", "CorruptRecord", "Busy"]


class KalamosError(Exception):
    """Base class: anything Kalamos can explain to the user in one sentence."""


class NotFound(KalamosError):
    """A project, document, page or file that does not exist (any more)."""


class InvalidInput(KalamosError):
    """A name, id, file or parameter that Kalamos refuses, with the reason."""


class Conflict(KalamosError):
    """Someone else changed the same thing first."""


class CorruptRecord(KalamosError):
    """A JSON record on disk that cannot be read (hand-edited, or from a newer Kalamos)."""


class Busy(KalamosError):
    """Every slot for a heavy kind of work is taken; the message says to try again later."""
