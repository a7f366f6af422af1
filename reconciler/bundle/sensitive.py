"""A value read through `secret()`: it prints as `(sensitive)` everywhere, so nothing can leak it by accident.

Only a provider building a request calls `reveal()`. Comparisons use a keyed digest, never the text.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

REDACTED = "(sensitive)"


class Sensitive:
    __slots__ = ("_digests", "_value")

    def __init__(self, value: str) -> None:
        self._value = value
        self._digests: dict[bytes, str] = {}  # the value never changes, so neither does its digest

    def reveal(self) -> str:
        return self._value

    def digest(self, key: bytes = b"reconciler") -> str:
        """A stable fingerprint for change detection; with a private key it reveals nothing about the value."""
        found = self._digests.get(key)
        if found is None:
            found = self._digests[key] = (
                "hmac-sha256:" + hmac.new(key, self._value.encode(), hashlib.sha256).hexdigest()
            )
        return found

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sensitive) and hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(("Sensitive", self._value))

    def __copy__(self) -> Sensitive:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Sensitive:
        return self  # immutable

    def __reduce__(self) -> Any:  # never pickle or deepcopy the clear text into somewhere it could be dumped
        raise TypeError("Sensitive values cannot be serialised")


def redact_text(text: str, secrets: set[str] | frozenset[str]) -> str:
    """Replace every known secret value in `text` (longest first, so overlapping values vanish whole)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def public(value: Any) -> Any:
    """The value as it may be shown: every Sensitive inside replaced by `(sensitive)`."""
    if isinstance(value, Sensitive):
        return REDACTED
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [public(v) for v in value]
    return value
