"""Prefixed ULIDs (`asch_01HXK...`), the identifiers Cadenya-style APIs hand out.

A ULID is 48 bits of milliseconds then 80 random bits, in Crockford base32 (26 characters), so ids
sort by creation time. python-ulid is not a dependency; this is all it would do for us.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(value: int) -> str:
    """128 bits -> 26 Crockford characters (the top character carries 3 bits)."""
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_ulid(at: datetime) -> str:
    ms = max(0, int(at.timestamp() * 1000)) & ((1 << 48) - 1)
    return _encode((ms << 80) | int.from_bytes(os.urandom(10), "big"))


def new_id(prefix: str, at: datetime) -> str:
    return f"{prefix}_{new_ulid(at)}"


def stable_id(prefix: str, name: str) -> str:
    """A ULID-shaped id derived from `name`: the same on every run (the sandbox's account, profile)."""
    return f"{prefix}_{_encode(int.from_bytes(hashlib.sha256(name.encode()).digest()[:16], 'big'))}"
