"""The items of a JSON list answer, decoded one at a time.

Oz answers one list with every schedule. `json.loads` of it builds every item before the first is read, so
the decoded list (27 MB for 10,000 Oz schedules) and the live schedules made from it are held at once;
decoded one at a time, each item is let go once it is read. The answer's text is held meanwhile (by
`json.loads` only while it decodes): where items are small, that can cost more than it saves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_DECODER = json.JSONDecoder()
_BLANK = re.compile(r"[ \t\n\r]*")


def list_items(content: bytes, member: str | None = None) -> Iterator[Any]:
    """Each item of the JSON list `content` is, or (`member`) of the list under that member of the object it
    is; none where the member is missing or null. Not JSON, or not that shape: `json.JSONDecodeError`."""
    text = content.decode(json.detect_encoding(content), "surrogatepass")
    at = _skip(text, 0)
    if member is not None:
        at = _member(text, at, member)
        if at < 0:
            return
    if text.startswith("null", at) and member is not None:
        return
    if text[at : at + 1] != "[":
        raise json.JSONDecodeError("expected a list", text, at)
    at = _skip(text, at + 1)
    if text[at : at + 1] == "]":
        return
    while True:
        item, at = _DECODER.raw_decode(text, at)
        yield item
        del item  # let the item go before the next is decoded
        at = _skip(text, at)
        if text[at : at + 1] == "]":
            return
        if text[at : at + 1] != ",":
            raise json.JSONDecodeError("expected ',' or ']'", text, at)
        at = _skip(text, at + 1)


def _member(text: str, at: int, name: str) -> int:
    """Where the value of member `name` of the object at `at` starts; -1 where the object has none."""
    if text[at : at + 1] != "{":
        raise json.JSONDecodeError("expected an object", text, at)
    at = _skip(text, at + 1)
    if text[at : at + 1] == "}":
        return -1
    while True:
        key, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if not isinstance(key, str) or text[at : at + 1] != ":":
            raise json.JSONDecodeError("expected a member name and ':'", text, at)
        at = _skip(text, at + 1)
        if key == name:
            return at
        _, at = _DECODER.raw_decode(text, at)  # another member: decoded and dropped
        at = _skip(text, at)
        if text[at : at + 1] == "}":
            return -1
        if text[at : at + 1] != ",":
            raise json.JSONDecodeError("expected ',' or '}'", text, at)
        at = _skip(text, at + 1)


def _skip(text: str, at: int) -> int:
    found = _BLANK.match(text, at)
    return found.end() if found else at
