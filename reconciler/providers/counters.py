"""Reading a platform's fire counters. Pure."""

from __future__ import annotations

from typing import Any


def count(value: Any) -> int | None:
    """An int64 counter as JSON carries it (protobuf JSON writes one as a decimal string); None for anything
    else (a boolean is no count)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
