"""Cron text as a Temporal server reads it (`service/worker/scheduler/calendar.go`): one AND calendar.

Used where the platform, not the bundle, owns the cron string: the Agentex sandbox evaluates what it was
sent exactly as Temporal would, and the Agentex provider reads a live cron back into bundle terms with it.
Differences from the bundle's Vixie cron: day-of-month AND day-of-week always; `#` starts a comment; a 6th
field is the year (7 fields: seconds first, year last); `TZ=`/`CRON_TZ=` prefixes; `@every d[/offset]`.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.timing.durations import parse_duration
from reconciler.timing.ranges import to_ranges
from reconciler.timing.spec import Calendar, TimingError

_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MIN_YEAR, MAX_YEAR = 2000, 2100  # Temporal's minCalendarYear / maxCalendarYear


@dataclass(frozen=True)
class TemporalCron:
    """What one cron string compiles to: a calendar, or (for `@every`) an interval; plus its extras."""

    calendar: Calendar | None
    every: int | None = None  # seconds, for `@every`
    offset: int = 0
    timezone: str | None = None  # from a TZ= / CRON_TZ= prefix
    comment: str = ""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    min_prefix: int = 0  # names match by a prefix at least this long


_SECOND = _Field("second", 0, 59)
_MINUTE = _Field("minute", 0, 59)
_HOUR = _Field("hour", 0, 23)
_DOM = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12, _MONTHS, 3)
_DOW = _Field("day-of-week", 0, 7, _WEEKDAYS, 2)
_YEAR = _Field("year", MIN_YEAR, MAX_YEAR)


def parse_temporal_cron(text: str) -> TemporalCron:
    """Compile `text` as Temporal's CronString; a `TimingError` says what Temporal would refuse."""
    if not isinstance(text, str):
        raise TimingError(f"a cron expression must be text, got {type(text).__name__}")
    source = text.strip()
    zone = None
    if source.startswith(("TZ=", "CRON_TZ=")):
        prefix, space, source = source.partition(" ")
        if not space:
            raise TimingError(
                f"invalid cron string {text!r}: nothing follows the {prefix.split('=')[0]}= prefix"
            )
        zone = prefix.partition("=")[2]
    source, _, comment = source.partition("#")  # everything after the first '#' is a comment
    source, comment = source.strip(), comment.strip()
    if source.startswith("@every"):
        every, offset = _interval(source)
        return TemporalCron(None, every, offset, zone, comment)
    source = _MACROS.get(source, source)
    fields = source.split()
    if len(fields) == 5:
        second, (minute, hour, dom, month, dow), year = "0", fields, "*"
    elif len(fields) == 6:
        second, (minute, hour, dom, month, dow, year) = "0", fields
    elif len(fields) == 7:
        second, minute, hour, dom, month, dow, year = fields
    else:
        raise TimingError(f"invalid cron string {text!r}: it does not have 5-7 fields")
    weekdays = frozenset(0 if d == 7 else d for d in _values(dow, _DOW))
    years = _values(year, _YEAR)
    calendar = Calendar(
        second=to_ranges(_values(second, _SECOND), 0, 59),
        minute=to_ranges(_values(minute, _MINUTE), 0, 59),
        hour=to_ranges(_values(hour, _HOUR), 0, 23),
        day_of_month=to_ranges(_values(dom, _DOM), 1, 31),
        month=to_ranges(_values(month, _MONTH), 1, 12),
        day_of_week=to_ranges(weekdays, 0, 6),
        year=()
        if years == frozenset(range(MIN_YEAR, MAX_YEAR + 1))
        else to_ranges(years, MIN_YEAR, MAX_YEAR),
        comment=comment,
    )
    return TemporalCron(calendar, None, 0, zone, comment)


def _interval(source: str) -> tuple[int, int]:
    parts = source.split()
    if len(parts) != 2:
        raise TimingError(f"invalid @every {source!r}: write '@every <duration>[/<offset>]'")
    every_text, _, offset_text = parts[1].partition("/")
    try:
        every = parse_duration(every_text)
        offset = parse_duration(offset_text, allow_zero=True) if offset_text else 0
    except TimingError as exc:
        raise TimingError(f"invalid @every {source!r}: {exc}") from None
    return every, offset


def _values(text: str, spec: _Field) -> frozenset[int]:
    if text == "*":
        return frozenset(range(spec.low, spec.high + 1))
    values: set[int] = set()
    for part in text.split(","):
        step, has_step = 1, False
        if "/" in part:
            part, _, step_text = part.partition("/")
            if "/" in step_text or not step_text.isdigit() or int(step_text) < 1:
                raise TimingError(f"invalid step in {spec.name} field {text!r}")
            step, has_step = int(step_text), True
        start, end = spec.low, spec.high
        if part != "*":
            if "-" in part:
                bounds = part.split("-")
                if len(bounds) != 2:
                    raise TimingError(f"invalid range in {spec.name} field {text!r}")
                start = _value(bounds[0], spec, spec.low)
                end = _value(bounds[1], spec, start)
            else:
                start = _value(part, spec, spec.low)
                end = spec.high if has_step else start  # 'a/n' runs from a to the end of the field
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _value(token: str, spec: _Field, low: int) -> int:
    lowered = token.lower()
    if spec.names and len(lowered) >= spec.min_prefix:
        for index, name in enumerate(spec.names):
            if name.startswith(lowered):
                return index + spec.low if spec is _MONTH else index
    if not token.isdigit():
        raise TimingError(
            f"invalid {spec.name} value {token!r}: Temporal accepts numbers"
            + (" and names" if spec.names else "")
            + " only (no L, W or ?)"
        )
    value = int(token)
    if not low <= value <= spec.high:
        raise TimingError(f"{spec.name} value {value} is out of range {low}-{spec.high}")
    return value
