"""The on-disk store of Kalamos: projects, documents, pages (and later lines, models, jobs).

Pure Python, no Dash. ``Store`` is the only way to read or write the data directory.
"""

from storage.errors import Busy, Conflict, CorruptRecord, InvalidInput, KalamosError, NotFound
from storage.store import Store

__all__ = ["Store", "KalamosError", "NotFound", "InvalidInput", "Conflict", "CorruptRecord", "Busy"]
