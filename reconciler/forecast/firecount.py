"""Every fire of one timing in a window, fast enough for 10,000 schedules x 30 days (docs/benchmarks.md).

The timing engine (`next_fire_times`) is exact for every form and platform but walks fire by fire. Two
common forms are counted here arithmetically instead, with the engine's own rules:
* `every` on platforms whose intervals are absolute (and on Cadenya in a zone that is UTC): the lattice
  `origin + offset + n*every` is a `range`;
* one cron in a zone whose UTC offset does not change within the window: the matching days times the
  matching times of day.
Anything else (calendars, `at`, several crons, a window with a DST change, an anchored wall-clock cadence)
goes to the engine. Both paths agree (tests/forecast/test_firecount.py checks them against each other).
Pure.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from reconciler.forecast.semantics import UTC_NAMES
from reconciler.timing import Timing, load_zone, next_fire_times, parse_cron
from reconciler.timing.dst import offset_changes
from reconciler.timing.fire_times import ABSOLUTE_INTERVAL_PROVIDERS, last_instant
from reconciler.timing.wallclock import DAY, EPOCH_ORDINAL, to_instant

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_TIMES_PER_DAY = 4096  # more (a cron every second of some hours) goes to the engine


def fire_instants(
    timing: Timing, provider: str, anchor: datetime | None, start: int, end: int
) -> Sequence[int]:
    """Every fire in [start, end) (POSIX seconds), ascending, without repeats."""
    family = provider.split("/", 1)[0]
    end = min(end, last_instant(family) + 1)
    low, high = _bounds(timing, start, end)
    if low >= high:
        return ()
    if timing.at is None and not timing.calendars:
        if timing.every is not None and not timing.cron:
            if family in ABSOLUTE_INTERVAL_PROVIDERS or (timing.timezone in UTC_NAMES and anchor is None):
                origin = (to_instant(anchor) if anchor is not None else 0) + timing.offset
                if anchor is not None:
                    low = max(low, to_instant(anchor) + 1)
                first = origin + -((origin - low) // timing.every) * timing.every
                return range(first, high, timing.every) if first < high else ()
        elif len(timing.cron) == 1 and timing.every is None:
            fast = _cron_instants(timing.cron[0], timing.timezone, low, high)
            if fast is not None:
                return fast
    return _engine(timing, provider, anchor, start, end)


def per_day(instants: Sequence[int], start: int, days: int) -> tuple[int, ...]:
    """How many of the sorted `instants` fall on each of `days` days from `start`."""
    edges = [bisect_left(instants, start + day * DAY) for day in range(days + 1)]
    return tuple(edges[day + 1] - edges[day] for day in range(days))


def _bounds(timing: Timing, start: int, end: int) -> tuple[int, int]:
    """[low, high): the window cut by the timing's inclusive start and end."""
    low, high = start, end
    if timing.start is not None:
        low = max(low, -((EPOCH - timing.start) // timedelta(seconds=1)))
    if timing.end is not None:
        high = min(high, to_instant(timing.end) + 1)
    return low, high


def _engine(timing: Timing, provider: str, anchor: datetime | None, start: int, end: int) -> Sequence[int]:
    after = EPOCH + timedelta(seconds=start) - timedelta(microseconds=1)
    last = EPOCH + timedelta(seconds=end) - timedelta(microseconds=1)
    bounded = Timing(
        timing.cron,
        timing.every,
        timing.offset,
        timing.at,
        timing.calendars,
        timing.timezone,
        timing.start,
        min(timing.end, last) if timing.end is not None else last,
    )
    fires = next_fire_times(bounded, after, 10_000_000, provider=provider, anchor=anchor)
    return [to_instant(fire) for fire in fires]


def _cron_instants(text: str, zone_name: str, low: int, high: int) -> list[int] | None:
    offset = _fixed_offset(zone_name, low, high)
    if offset is None:
        return None
    shape = _cron_shape(text)
    if shape is None:
        return None
    times, day_of = shape
    found: list[int] = []
    # The local days that can hold a fire in [low, high), one on either side for the offset.
    for ordinal in range((low + offset) // DAY + EPOCH_ORDINAL, (high + offset) // DAY + EPOCH_ORDINAL + 1):
        if not day_of(ordinal):
            continue
        base = (ordinal - EPOCH_ORDINAL) * DAY - offset
        if base >= low and base + DAY <= high:
            found.extend(base + t for t in times)
        else:
            found.extend(base + t for t in times if low <= base + t < high)
    return found


@lru_cache(maxsize=8192)
def _cron_shape(text: str) -> tuple[tuple[int, ...], _DayRule] | None:
    expr = parse_cron(text)
    if len(expr.seconds) * len(expr.minutes) * len(expr.hours) > _MAX_TIMES_PER_DAY:
        return None
    times = tuple(
        sorted(h * 3600 + m * 60 + s for h in expr.hours for m in expr.minutes for s in expr.seconds)
    )
    return times, _DayRule(expr.months, expr.days_of_month, expr.days_of_week, expr.day_or)


class _DayRule:
    def __init__(
        self, months: frozenset[int], dom: frozenset[int], dow: frozenset[int], day_or: bool
    ) -> None:
        self.months, self.dom, self.dow, self.day_or = months, dom, dow, day_or

    def __call__(self, ordinal: int) -> bool:
        day = date.fromordinal(ordinal)
        if day.month not in self.months:
            return False
        in_dom, in_dow = day.day in self.dom, ordinal % 7 in self.dow  # ordinal 7 is a Sunday
        return (in_dom or in_dow) if self.day_or else (in_dom and in_dow)


@lru_cache(maxsize=1024)
def _fixed_offset(zone_name: str, low: int, high: int) -> int | None:
    """The zone's UTC offset in seconds when it is the same throughout [low - 1 day, high + 1 day]."""
    if zone_name in UTC_NAMES:
        return 0
    first = EPOCH + timedelta(seconds=low - DAY)
    last = EPOCH + timedelta(seconds=high + DAY)
    if offset_changes(zone_name, first, last):
        return None
    offset = first.astimezone(load_zone(zone_name)).utcoffset()
    return None if offset is None else int(offset.total_seconds())
