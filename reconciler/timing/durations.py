"""Durations as the bundle writes them (`90s`, `15m`, `1h30m`, `2d12h`) <-> whole seconds.

Used for `every:` and `offset:`; `format_duration` gives the one spelling plans and diffs compare.
"""

from __future__ import annotations

import re

from reconciler.timing.spec import TimingError

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_DURATION = re.compile(r"(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?")
# A hundred years: longer than anything fires (no platform fires past 2100), and inside every platform's own
# limit (a Go time.Duration holds ~292 years, Celery's timedelta 2.7 million). Longer is refused, never
# carried to a platform (or a preview) that would overflow on it.
MAX_SECONDS = 36_500 * 86_400
_HELP = "write whole numbers with the units d, h, m, s in that order, such as 90s, 15m, 1h30m or 2d12h"


def parse_duration(text: str, *, allow_zero: bool = False) -> int:
    """Seconds in `text`; a zero total is an error unless `allow_zero` (an `offset` may be `0s`)."""
    if not isinstance(text, str):
        raise TimingError(f"a duration must be text such as 15m, got {type(text).__name__}; {_HELP}")
    source = text.strip()
    match = _DURATION.fullmatch(source)
    if not source or match is None:
        raise TimingError(f"'{text}' is not a duration; {_HELP}")
    if any(amount and len(amount) > 12 for amount in match.groups()):
        raise TimingError(
            f"'{_short(text)}' is longer than {format_duration(MAX_SECONDS)} (100 years), the longest duration"
        )
    amounts = zip(match.groups(), _UNITS, strict=True)
    total = sum(int(amount) * size for amount, (_, size) in amounts if amount)
    if total > MAX_SECONDS:
        raise TimingError(
            f"'{text}' is longer than {format_duration(MAX_SECONDS)} (100 years), the longest duration"
        )
    if total == 0 and not allow_zero:
        raise TimingError(f"'{text}' is zero; a duration must be longer than 0s")
    return total


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def format_duration(seconds: int) -> str:
    """The canonical spelling: largest units first, zero parts left out (`5400` -> `1h30m`, `0` -> `0s`)."""
    if seconds < 0:
        raise TimingError(f"a duration cannot be negative, got {seconds}s")
    if seconds == 0:
        return "0s"
    parts = []
    rest = seconds
    for unit, size in _UNITS:
        amount, rest = divmod(rest, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)
