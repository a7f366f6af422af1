"""Instants as the platforms and the command line write them: RFC 3339 text, read leniently, written one way.

Platforms spell one instant several ways (`Z` or `+00:00`, a lower-case `z`, fractions or none, some with no
offset at all, which is UTC by every API here); the reconciler writes `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def read_instant(value: Any) -> datetime | None:
    """An aware UTC datetime from RFC 3339 text; None when absent or not one. No offset means UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_text(value: Any) -> str | None:
    """The same instant as RFC 3339 UTC text ending in `Z`; None when absent or not one."""
    moment = read_instant(value)
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
