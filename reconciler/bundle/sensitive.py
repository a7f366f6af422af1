"""A value read through `secret()`: it prints as `(sensitive)` everywhere, so nothing can leak it by accident.

Only a provider building a request calls `reveal()`. Comparisons use a keyed digest, never the text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
            import hashlib  # here, like hmac below: OpenSSL's start-up is not paid by a run without secrets
            import hmac

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
        import hmac

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


DIGEST_PREFIX = "hmac-sha256:"


def digest_like(desired: Any, live: Any, key: bytes = b"reconciler") -> Any:
    """`live` with every value found where `desired` holds a `Sensitive` replaced by its keyed digest.

    Platforms store what a secret was written into (a prompt, a data value, an option) and return it in clear;
    the bundle's side is compared by digest, so the live side must be too, or the secret shows as changed on
    every plan. A live value that is already a digest (a provider's marker kept one) is left as it is."""
    if isinstance(desired, Sensitive):
        if isinstance(live, dict | list) or live is None or isinstance(live, Sensitive):
            return live  # another shape is a real difference: the diff shows it (redacted)
        text = live if isinstance(live, str) else str(live)
        return text if text.startswith(DIGEST_PREFIX) else Sensitive(text).digest(key)
    if isinstance(desired, dict) and isinstance(live, dict):
        return {k: digest_like(desired[k], v, key) if k in desired else v for k, v in live.items()}
    if isinstance(desired, list | tuple) and isinstance(live, list | tuple):
        return [digest_like(desired[i], v, key) if i < len(desired) else v for i, v in enumerate(live)]
    return live


def holds_sensitive(value: Any) -> bool:
    """Is there a `Sensitive` anywhere inside `value`?"""
    if isinstance(value, Sensitive):
        return True
    if isinstance(value, dict):
        return any(holds_sensitive(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(holds_sensitive(v) for v in value)
    return False


def revealed(value: Any) -> Any:
    """`value` with every `Sensitive` inside in clear: only for the body of a request to the platform."""
    if isinstance(value, Sensitive):
        return value.reveal()
    if isinstance(value, dict):
        return {k: revealed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [revealed(v) for v in value]
    return value


def digest_at(shape: Any, paths: Iterable[tuple[str | int, ...]], key: bytes = b"reconciler") -> Any:
    """`shape` with the value at each of `paths` replaced by its keyed digest (a value that already is one
    is left as it is): how a live schedule is compared where its platform's marker records a secret."""
    result = shape
    for path in paths:
        result = _replaced(result, path, lambda value: _as_digest(value, key))
    return result


def resealed(read_back: Any, desired: Any) -> Any:
    """`read_back` with each value found where `desired` holds a `Sensitive` (the same text, revealed for a
    request and read back) made that `Sensitive` again, so a round trip through a wire format never turns a
    secret into plain text that a plan would print."""
    if isinstance(desired, Sensitive):
        if isinstance(read_back, Sensitive) or read_back == desired.reveal():
            return desired
        return read_back
    if isinstance(desired, dict) and isinstance(read_back, dict):
        return {k: resealed(v, desired[k]) if k in desired else v for k, v in read_back.items()}
    if isinstance(desired, list | tuple) and isinstance(read_back, list | tuple):
        return [resealed(v, desired[i]) if i < len(desired) else v for i, v in enumerate(read_back)]
    return read_back


def _as_digest(value: Any, key: bytes) -> Any:
    if isinstance(value, Sensitive):
        return value.digest(key)
    if isinstance(value, str) and not value.startswith(DIGEST_PREFIX):
        return Sensitive(value).digest(key)
    return value


def _replaced(value: Any, path: tuple[str | int, ...], change: Callable[[Any], Any]) -> Any:
    if not path:
        return change(value)
    head, rest = path[0], path[1:]
    if isinstance(value, dict) and head in value:
        return {**value, head: _replaced(value[head], rest, change)}
    if isinstance(value, list | tuple) and isinstance(head, int) and 0 <= head < len(value):
        items = list(value)
        items[head] = _replaced(items[head], rest, change)
        return items
    return value
