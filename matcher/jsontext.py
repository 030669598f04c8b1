"""JSON from outside the service: parsed without crashing, its strings checked to be storable text.

`json.loads` accepts what no database column can hold: a NUL character (PostgreSQL refuses
it in text) and unpaired UTF-16 surrogates such as "\\ud800" (not encodable as UTF-8). Deeply
nested arrays also overflow Python's recursion limit in the parser. Every JSON body and
imported file is read here, so such input is refused with the field at fault instead of
failing later, in the database or the encoder.
"""

from __future__ import annotations

import json
import re
from typing import Any

# No card, request or import goes anywhere near this depth; a deeper body is refused
# before schemas (which recurse) ever see it.
MAX_DEPTH = 32
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class JSONRejected(Exception):
    """JSON that parses but cannot be accepted: too deep, or a string that is not storable text."""

    def __init__(self, field: str, message: str, too_deep: bool = False) -> None:
        super().__init__(message)
        self.field, self.message, self.too_deep = field, message, too_deep


def loads(text: str | bytes) -> Any:
    """Parse JSON and check it with `check`.

    Raises:
        ValueError: not JSON (including integers longer than Python reads).
        JSONRejected: nested too deeply, or a string holds a NUL or an unpaired surrogate.
    """
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise JSONRejected("_body", "The JSON is nested too deeply.", too_deep=True) from exc
    check(data)
    return data


def check(data: Any) -> None:
    """Raise JSONRejected naming the first value nested deeper than MAX_DEPTH, or the first
    string (value or key) that holds a NUL character or an unpaired surrogate.

    Fields are named as the schemas name them: `offers.0`, `contact.person`.
    """
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise JSONRejected("_body", f"The JSON is nested deeper than {MAX_DEPTH} levels.", True)
        if isinstance(value, str):
            _storable(value, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                _storable(key, path)
                stack.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{i}" if path else str(i), depth + 1) for i, item in enumerate(value))


def _storable(text: str, path: str) -> None:
    found = _UNSTORABLE.search(text)
    if found:
        nul = found.group() == "\x00"
        what = "a NUL character" if nul else "an unpaired surrogate (not valid Unicode text)"
        raise JSONRejected(path or "_body", f"Contains {what} at position {found.start()}.")
