"""orq's schedule expressions: which (type, expression) pairs a revision accepts, and when they fire.

Pure. Cron day fields combine by robfig/cron's rule (a stepped `*/n` restricts), see
`reconciler.timing.dialects`. Original (v3) revision: `cron` (6 fields with seconds, or @hourly...@yearly), `interval` (`@every <Go
duration>`), `once` (`@at <RFC 3339 UTC>`); at most one fire an hour except `once`; UTC only.
Revision `display-name`: `cron` only, hourly / daily / weekly shapes only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from reconciler.timing import Calendar, Timing, TimingError, cron_to_calendars, parse_cron
from reconciler.timing.dialects import read_as

SEED, DISPLAY_NAME = "v3", "display-name"
TYPES = {SEED: ("cron", "once", "interval"), DISPLAY_NAME: ("cron",)}
MIN_CADENCE = 3600  # seconds, for cron and interval
MAX_DURATION_SECONDS = (2**63 - 1) / 1e9  # a Go time.Duration is int64 nanoseconds: about 2562047h47m
_DESCRIPTORS = ("@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually")
_GO_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_GO_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(h|ms|us|µs|ns|m|s)")
_TZ_PREFIX = re.compile(r"^(?:CRON_TZ|TZ)=(\S+)\s+", re.IGNORECASE)
# Revision display-name: seconds and minutes 0, day-of-month and month '*', hour and weekday one number or '*'.
_SHAPE = re.compile(r"^0 0 (\*|1?[0-9]|2[0-3]) \* \* (\*|[0-6])$")


class ExpressionError(ValueError):
    """A refused expression; the message is what orq puts in `error.message` (code invalid_expression)."""


@dataclass(frozen=True)
class Rule:
    """What an accepted expression means: a cron, an interval in seconds, or one instant."""

    cron: str | None = None  # the reconciler's canonical spelling (5 fields unless seconds matter)
    every: int | None = None
    at: datetime | None = None
    calendars: tuple[Calendar, ...] = ()  # the cron as orq's scheduler reads its day fields (robfig's rule)

    def timing(self) -> Timing:
        if self.calendars:
            return Timing(calendars=self.calendars)
        if self.cron is not None:
            return Timing(cron=(self.cron,))
        if self.every is not None:
            return Timing(every=self.every)
        return Timing(at=self.at)


def go_duration_seconds(text: str) -> float:
    """Go's time.ParseDuration for non-negative values ("1h30m", "90m", "1.5h", "3600s")."""
    source = text.strip()
    if not source:
        raise ExpressionError("invalid duration: empty")
    position, total = 0, 0.0
    for match in _GO_PART.finditer(source):
        if match.start() != position:
            break
        total += float(match.group(1)) * _GO_UNITS[match.group(2)]
        position = match.end()
    if position != len(source) or total > MAX_DURATION_SECONDS:  # Go: "invalid duration" on overflow too
        raise ExpressionError(f'time: invalid duration "{source}"')
    return total


def _strip_utc(expression: str) -> str:
    found = _TZ_PREFIX.match(expression)
    if not found:
        return expression
    if found.group(1) not in ("UTC", "Etc/UTC"):
        raise ExpressionError(
            f"expressions must be in UTC; timezone {found.group(1)!r} is not supported, got: {expression}"
        )
    return expression[found.end() :]


def parse_rule(kind: str, expression: str, revision: str, now: datetime) -> Rule:
    """The rule for `expression` under schedule type `kind`, or ExpressionError with orq's reason."""
    if kind not in TYPES[revision]:
        raise ExpressionError(f"invalid schedule type {kind!r}; expected one of {', '.join(TYPES[revision])}")
    text = " ".join(expression.split())
    if not text:
        raise ExpressionError("expression is required")
    if kind == "interval":
        return _interval(text)
    if kind == "once":
        return _once(text, now)
    return _cron(_strip_utc(text), revision)


def _interval(text: str) -> Rule:
    head, _, rest = text.partition(" ")
    if head.lower() != "@every" or not rest:
        raise ExpressionError(f"interval expressions must be '@every <duration>', got: {text}")
    seconds = go_duration_seconds(rest)
    if seconds < MIN_CADENCE:
        raise ExpressionError(f"interval duration must be at least 1h0m0s, got: {rest}")
    if seconds != int(seconds):
        raise ExpressionError(f"interval duration must be a whole number of seconds, got: {rest}")
    return Rule(every=int(seconds))


def _once(text: str, now: datetime) -> Rule:
    head, _, rest = text.partition(" ")
    if head.lower() != "@at" or not rest:
        raise ExpressionError(f"once expressions must be '@at <RFC3339-UTC>', got: {text}")
    try:
        at = datetime.fromisoformat(rest.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise ExpressionError(
            f"invalid @at time, expected RFC3339 such as 2026-05-01T09:00:00Z, got: {rest}"
        ) from None
    if at.tzinfo is None or at.utcoffset() != UTC.utcoffset(None):
        raise ExpressionError(f"@at time must be in UTC (end with Z), got: {rest}")
    at = at.astimezone(UTC)
    if at <= now:
        raise ExpressionError(f"@at time must be in the future, got: {rest}")
    return Rule(at=at)


def _cron(text: str, revision: str) -> Rule:
    lowered = text.lower()
    if lowered.startswith(("@every", "@at")):
        raise ExpressionError(f"cron schedules take a 6-field cron expression or a descriptor, got: {text}")
    if revision == DISPLAY_NAME and not _SHAPE.match(text):
        raise ExpressionError(
            "cron expression must be hourly (0 0 * * * *), daily (0 0 H * * *) or weekly (0 0 H * * D): "
            "seconds and minutes 0, day-of-month and month *, hour and weekday (0-6, 0 = Sunday) a single "
            f"number or *, got: {text}"
        )
    if lowered.startswith("@"):
        if lowered not in _DESCRIPTORS:
            raise ExpressionError(f"unknown descriptor {text!r}; use one of {', '.join(_DESCRIPTORS)}")
    elif len(text.split()) != 6:
        raise ExpressionError(
            f"cron expressions need 6 fields (seconds first), got {len(text.split())}: {text}"
        )
    try:
        expr = parse_cron(text)
    except TimingError as exc:
        raise ExpressionError(f"invalid cron expression {text!r}: {exc}") from None
    if len(expr.seconds) > 1 or len(expr.minutes) > 1:
        raise ExpressionError(
            f"cron expression fires more than once per hour; the minimum interval is 1h0m0s, got: {text}"
        )
    # orq's scheduler combines the day fields by robfig/cron's rule, not Vixie's: `0 0 0 */2 * 1` fires on odd
    # days and on Mondays. Calendars (every field ANDed, one per side of an OR) say exactly that.
    return Rule(cron=expr.canonical, calendars=cron_to_calendars(read_as(text, "robfig")))
