"""Ownership on Agentex: the platform name is `<bundleKey>--<name>`. Pure.

Neither revision has labels or a metadata field the reconciler could own, so the marker is the name (the
one field both revisions return for every schedule). The owner is everything before the *first* `--`: `validate` refuses bundle keys that
contain `--`, so the split is unambiguous; schedule names may contain it.
"""

from __future__ import annotations

import re

SEPARATOR = "--"
_BUNDLE_KEY = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def platform_name(bundle_key: str, name: str) -> str:
    return f"{bundle_key}{SEPARATOR}{name}"


def split(platform: str) -> tuple[str | None, str | None]:
    """(owner, bundle name) of a platform name; (None, None) when it carries no owner."""
    owner, separator, name = platform.partition(SEPARATOR)
    if not separator or not name or not _BUNDLE_KEY.match(owner):
        return None, None
    return owner, name
