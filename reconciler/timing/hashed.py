"""Jenkins-style `H` in cron fields and `spread`, compiled into concrete values from a stable hash.

Forty schedules written `0 9 * * *` fire in the same minute and share one model quota; `H 9 * * *` gives
each its own minute, chosen from its identity. The choice is made here, at render time, so every platform
receives a plain cron or offset: exact everywhere (UTC-only cron platforms included), shown by `preview`,
`calendar` and `plan`, and the same on every machine and in every release (docs/bundle-format.md#h-and-spread).

The hash: SHA-256 of the UTF-8 text `<bundleKey>/<name>#<salt>` (the salt is the cron field's name, or
`spread`), its first 8 bytes read as a big-endian unsigned integer, modulo the number of choices. Never
change it: a different function would move the minute of every schedule that uses `H` or `spread`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from reconciler.timing.spec import TimingError


def hash_choice(identity: str, salt: str, size: int) -> int:
    """One of `size` choices (0..size-1) for `identity` (`bundleKey/name`); the same forever."""
    if size < 1:
        raise ValueError("size must be at least 1")
    import hashlib  # here: OpenSSL's start-up is paid only where `H` or `spread` is used

    digest = hashlib.sha256(f"{identity}#{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % size


def schedule_identity(bundle_key: str, name: str) -> str:
    return f"{bundle_key}/{name}"


class _Field(NamedTuple):  # not a dataclass: cheaper to define, for every start-up
    name: str  # also the hash's salt
    low: int  # the values an `H(a-b)` range may name
    high: int
    hashed: tuple[int, int]  # the range a bare `H` draws from


_SECOND = _Field("second", 0, 59, (0, 59))
_MINUTE = _Field("minute", 0, 59, (0, 59))
_HOUR = _Field("hour", 0, 23, (0, 23))
# Like Jenkins: a bare H in day-of-month picks 1-28, so the schedule fires in every month.
_DOM = _Field("day-of-month", 1, 31, (1, 28))
_MONTH = _Field("month", 1, 12, (1, 12))
_DOW = _Field("day-of-week", 0, 7, (0, 6))
_FIVE = (_MINUTE, _HOUR, _DOM, _MONTH, _DOW)
_SIX = (_SECOND, *_FIVE)
_HASH_TERM = re.compile(r"H(?:\((?P<low>[0-9]+)-(?P<high>[0-9]+)\))?(?:/(?P<step>[0-9]+))?")
_FORMS = "H, H(a-b), H/n or H(a-b)/n"


def is_hashed(text: str) -> bool:
    """Does this cron use `H` in any field? (Names such as `thu` never start a term with `H`.)"""
    return any(term.startswith("H") for part in text.split() for term in part.split(","))


def expand_hashed(text: str, identity: str) -> str:
    """The cron with every `H` term replaced by its concrete values; other terms stay as written (the cron
    parser checks them). TimingError for an `H` that does not fit its field."""
    parts = text.split()
    if not is_hashed(text) or len(parts) not in (5, 6):
        return text
    fields = _FIVE if len(parts) == 5 else _SIX
    out = []
    for part, field in zip(parts, fields, strict=True):
        out.append(",".join(_expand_term(term, field, identity) for term in part.split(",")))
    return " ".join(out)


def _expand_term(term: str, field: _Field, identity: str) -> str:
    if not term.startswith("H"):
        return term
    match = _HASH_TERM.fullmatch(term)
    if match is None:
        raise TimingError(f"'{term}' in the {field.name} field: write {_FORMS} (a, b and n numbers)")
    low, high = field.hashed
    if match["low"] is not None:
        low, high = int(match["low"]), int(match["high"])
        if not field.low <= low <= field.high or not field.low <= high <= field.high:
            raise TimingError(
                f"'{term}': the {field.name} field's range must be within {field.low}-{field.high}"
            )
        if low > high:
            raise TimingError(f"'{term}': the range ends ({high}) before it starts ({low})")
    if match["step"] is None:
        return str(low + hash_choice(identity, field.name, high - low + 1))
    step = int(match["step"])
    if step < 1:
        raise TimingError(f"'{term}': the step must be at least 1")
    if step > high - low + 1:
        raise TimingError(f"'{term}': the step {step} is larger than the range {low}-{high} it steps through")
    start = low + hash_choice(identity, field.name, step)
    return ",".join(str(value) for value in range(start, high + 1, step))


def spread_offset(identity: str, window: int) -> int:
    """A shift in [0, window) seconds: a whole number of minutes when the window is at least a minute (every
    platform keeps minutes; cron-only ones nothing finer), else a whole number of seconds."""
    if window >= 60:
        return 60 * hash_choice(identity, "spread", window // 60)
    return hash_choice(identity, "spread", window)


def minute_shift(minute_sets: list[frozenset[int]], window: int | None, identity: str) -> int:
    """How many minutes `spread` moves a cron's or calendar's minutes; every set moves by the same amount.

    `window` None (`spread: true`): the minutes keep their spacing and move anywhere within their hour (the
    first one to 0..60-width), so the shift may be negative. A duration: each fire moves 0..window-1 minutes
    later, and must stay within its hour, so the days and hours stay exactly as written (a carry past the
    hour, or past midnight into another day, is what one cron cannot say for every schedule).
    """
    low = min(min(minutes) for minutes in minute_sets)
    high = max(max(minutes) for minutes in minute_sets)
    if window is None:
        return hash_choice(identity, "spread", 60 - (high - low)) - low
    if window % 60:
        raise TimingError(
            f"on a cron or calendar 'spread' is a whole number of minutes (a cron's finest unit), got {window}s"
        )
    minutes = window // 60
    if high + minutes > 60:
        raise TimingError(
            f"'spread' ({minutes}m) would move minute {high} past the end of its hour; a spread on a cron or "
            f"calendar keeps every fire in its hour, so the hours and days stay as written: at most "
            f"{60 - high}m here, or `spread: true` (anywhere in the hour)"
        )
    return hash_choice(identity, "spread", minutes)
