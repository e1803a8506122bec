"""What changed between two JSON values, as few operations as the browser needs to turn the one it
shows (a figure, a list, a store) into the new one, instead of the whole new one.

Dictionaries are compared key by key. Lists of dictionaries are matched element by element
(``difflib``): an element put in or taken out (a line drawn or deleted) is one splice, one changed in
place (the line selected before) is compared key by key. Lists of numbers or strings (a trace's
``x``, its hover texts) are spliced where they differ (a line's eight click targets put in the middle
of the page's), or replaced whole when that is shorter; other values are replaced.

``operations`` gives a list the browser applies itself (``assets/annotate.js`` ``applyChange``), with
real splices: a ``dash.Patch`` cannot cut a run out of a list in one operation.
"""

from __future__ import annotations

import json
from difflib import SequenceMatcher
from typing import Any

from plotly.utils import PlotlyJSONEncoder

__all__ = ["as_json", "operations"]

#: ("assign", path, value) | ("delete", path) | ("splice", path, start, how many to take out, items to put in)
Operation = tuple


def as_json(value: Any) -> Any:
    """A figure, component or store value as plain JSON (what Dash sends to the browser)."""
    return json.loads(json.dumps(value, cls=PlotlyJSONEncoder))


def _key(value: Any) -> Any:
    """A hashable stand-in equal for equal JSON: the browser sends 61.0 back as 61."""
    if isinstance(value, dict):
        return tuple(sorted((k, _key(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_key(v) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _diff(old: Any, new: Any, path: list[Any], out: list[Operation]) -> None:
    """The operations that turn ``old`` (at ``path``) into ``new``, appended to ``out`` in order."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old.keys() - new.keys():
            out.append(("delete", [*path, key]))
        for key, value in new.items():
            if key not in old:
                out.append(("assign", [*path, key], value))
            elif _key(old[key]) != _key(value):
                _diff(old[key], value, [*path, key], out)
        return
    if not (isinstance(old, list) and isinstance(new, list)):
        out.append(("assign", path, new))
        return
    structured = any(isinstance(x, dict) for x in old + new)
    matcher = SequenceMatcher(None, [_key(x) for x in old], [_key(x) for x in new], autojunk=False)
    found: list[Operation] = []
    # left to right: before each run, the list in the browser already holds new[:j1], and old[i1] is at j1
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and structured and i2 - i1 == j2 - j1:  # the same places: each changed in place
            for k in range(i2 - i1):
                _diff(old[i1 + k], new[j1 + k], [*path, j1 + k], found)
            continue
        found.append(("splice", path, j1, i2 - i1, new[j1:j2]))
    if not structured and _size(found) > _size(new):  # numbers or strings: replaced whole when shorter
        found = [("assign", path, new)]
    out.extend(found)


def operations(old: Any, new: Any) -> list[Operation]:
    """The operations that turn container ``old`` into container ``new`` (plain JSON); [] when equal."""
    out: list[Operation] = []
    if _key(old) != _key(new):
        _diff(old, new, [], out)
    return out
