"""What a user can do, as plain functions (the use-case layer).

Callbacks, Flask routes and the CLI translate requests into calls of these functions and their
results into answers; the functions decide (which change is accepted, what status a line gets, where
a new line goes) and leave persistence to ``storage`` and computation to ``ocr``. They know nothing
of Dash or Flask, take typed arguments and return typed results, and are unit-tested directly.
"""

from services.context import DocumentRef, PageRef

__all__ = ["PageRef", "DocumentRef"]
