"""The sandbox clock: real UTC time until a test sets it, then frozen where it was put.

The setting lives in the store, so every process sharing a database file sees one clock, and
`POST /_sandbox/reset` returns it to real time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.sandbox.store import Store


def parse_instant(text: str) -> datetime:
    """RFC 3339 with an offset (or 'Z'); naive times are refused rather than guessed."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value.astimezone(UTC)


def format_instant(value: datetime) -> str:
    """Protobuf Timestamp JSON: UTC, 'Z', and 0 or 3/6 fractional digits."""
    value = value.astimezone(UTC)
    text = f"{value.year:04d}-{value:%m-%dT%H:%M:%S}"  # %Y does not zero-pad years before 1000
    if value.microsecond:
        frac = f"{value.microsecond:06d}"
        text += "." + (frac[:3] if frac.endswith("000") else frac)
    return text + "Z"


class Clock:
    def __init__(self, store: Store, key: str) -> None:
        self._store = store
        self._key = key

    def now(self) -> datetime:
        frozen = self._store.meta_get(self._key)
        if frozen is not None:
            return parse_instant(frozen)
        now = datetime.now(UTC)
        # Milliseconds are all a timestamp on the wire keeps; truncating here keeps stored values equal to
        # what clients read back.
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    @property
    def frozen(self) -> bool:
        return self._store.meta_get(self._key) is not None

    def set(self, when: datetime) -> None:
        self._store.meta_set(self._key, format_instant(when))

    def unfreeze(self) -> None:
        self._store.meta_set(self._key, None)
