"""Every fire of one timing in a window, fast enough for 10,000 schedules x 30 days (docs/benchmarks.md).

The timing engine (`next_fire_times`) is exact for every form and platform but walks fire by fire. Two
common forms are counted here arithmetically instead, with the engine's own rules:
* `every` on platforms whose intervals are absolute (and on Cadenya in a zone that is UTC): the lattice
  `origin + offset + n*every` is a `range`;
* one cron, or one calendar without a year: the matching days times the matching times of day, at the
  zone's UTC offset, stretch by stretch between the offset changes (the engine's rule: a wall time fires
  at each instant the clock shows it). Temporal's server walks its calendar on a day with a change
  instead: the engine computes those days, where dstdays.py says the walk can differ.
Anything else (`at`, several crons or calendars, an anchored wall-clock cadence) goes to the engine. Both
paths agree: tests/forecast/test_concurrency.py, test_costs.py and test_firecount_dst.py check them
against each other.
Pure.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise

from reconciler.forecast.dstdays import hours_walk, walked_days
from reconciler.forecast.semantics import UTC_NAMES
from reconciler.timing import Calendar, Timing, load_zone, next_fire_times, parse_cron
from reconciler.timing.calendars import expand_calendar
from reconciler.timing.dst import offset_changes
from reconciler.timing.families import ABSOLUTE_INTERVAL_PROVIDERS, SERVER_WALK_FAMILIES
from reconciler.timing.fire_times import last_instant
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
    every_alone = timing.every is not None and not (timing.cron or timing.calendars or timing.at)
    if every_alone and (
        family in ABSOLUTE_INTERVAL_PROVIDERS or (timing.timezone in UTC_NAMES and anchor is None)
    ):
        assert timing.every is not None
        origin = (to_instant(anchor) if anchor is not None else 0) + timing.offset
        if anchor is not None:
            low = max(low, to_instant(anchor) + 1)
        first = origin + -((origin - low) // timing.every) * timing.every
        return range(first, high, timing.every) if first < high else ()
    shape = _shape(timing)
    if shape is not None:
        return _cron_pieces(timing, shape, provider, low, high)
    return _engine(timing, provider, anchor, start, end)


def _shape(timing: Timing) -> _Shape | None:
    """The times of day and the day rule of a timing that is one cron or one calendar without a year, alone."""
    if timing.at is not None or timing.every is not None or len(timing.cron) + len(timing.calendars) != 1:
        return None
    return _cron_shape(timing.cron[0]) if timing.cron else _calendar_shape(timing.calendars[0])


def _cron_pieces(timing: Timing, shape: _Shape, provider: str, low: int, high: int) -> Sequence[int]:
    """A cron's (or a calendar's) fires: arithmetic between the zone's offset changes, each stretch at its
    own offset.

    That is the engine's own rule for most platforms (a wall time fires at every instant the clock shows
    it: none when skipped, twice when repeated), so it is exact across a change. Temporal's server (and
    Agentex's) walks its calendar on a local day with a change instead: dstdays.py says where that walk
    is needed and where it can be shared.
    """
    zone = timing.timezone
    changes = _changes(zone, low, high)
    if not changes:
        return _steady(timing, shape, provider, low, high)
    times, rule = shape
    walked = walked_days(zone, times, rule.fires_on, changes) if _server_walk(provider) else []
    found: list[int] = []
    cursor = low
    for day in walked:
        if cursor < min(day.first, high):
            found.extend(_stretches(shape, zone, changes, cursor, min(day.first, high)))
        walk_low, walk_high = max(cursor, day.first), min(day.end, high)
        if day.shift_from_hours is not None and (walk_low, walk_high) == (day.first, day.end):
            hours = tuple(sorted({time // 3600 for time in times}))
            found.extend(fire + day.shift_from_hours for fire in hours_walk(zone, walk_low, walk_high, hours))
        elif walk_low < walk_high:
            found.extend(_engine(_cron_only(timing), provider, None, walk_low, walk_high))
        cursor = max(cursor, day.end)
    if cursor < high:
        found.extend(_stretches(shape, zone, changes, cursor, high))
    return found


def _server_walk(provider: str) -> bool:
    return provider.split("/", 1)[0] in SERVER_WALK_FAMILIES


def _stretches(shape: _Shape, zone: str, changes: tuple[int, ...], low: int, high: int) -> list[int]:
    """The cron's fires in [low, high), each stretch between two changes counted with its own offset."""
    found: list[int] = []
    edges = [low, *(change for change in changes if low < change < high), high]
    for stretch_low, stretch_high in pairwise(edges):
        found.extend(_lattice(shape, _offset_at(zone, stretch_low), stretch_low, stretch_high))
    return found


@lru_cache(maxsize=4096)
def _offset_at(zone_name: str, instant: int) -> int:
    offset = (EPOCH + timedelta(seconds=instant)).astimezone(load_zone(zone_name)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def _steady(timing: Timing, shape: _Shape, provider: str, low: int, high: int) -> Sequence[int]:
    """Arithmetic when the offset holds over [low, high) (a day either side included), else the engine."""
    offset = _fixed_offset(timing.timezone, low, high)
    return (
        _lattice(shape, offset, low, high)
        if offset is not None
        else _engine(_cron_only(timing), provider, None, low, high)
    )


def _cron_only(timing: Timing) -> Timing:
    """The timing without its start and end (the caller's bounds already hold them)."""
    return Timing(cron=timing.cron, calendars=timing.calendars, timezone=timing.timezone)


@lru_cache(maxsize=1024)
def _changes(zone_name: str, low: int, high: int) -> tuple[int, ...]:
    """The instants (POSIX seconds) at which the zone's offset changes, from a day before `low` to a day
    after `high`."""
    if zone_name in UTC_NAMES:
        return ()
    first = EPOCH + timedelta(seconds=low - DAY)
    last = EPOCH + timedelta(seconds=high + DAY)
    return tuple(to_instant(change.instant) for change in offset_changes(zone_name, first, last))


def per_day(instants: Sequence[int], start: int, days: int) -> tuple[int, ...]:
    """How many of the sorted `instants` fall on each of `days` days from `start`."""
    if isinstance(instants, range):  # how many lattice points lie before each midnight, arithmetically
        first, stride, count = instants.start, instants.step, len(instants)
        edges = [max(0, min(count, -((first - start - day * DAY) // stride))) for day in range(days + 1)]
    else:
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


def _lattice(shape: _Shape, offset: int, low: int, high: int) -> Sequence[int]:
    """The fires in [low, high) of a cron's times of day on its days, at a UTC offset that holds there."""
    times, day_of = shape
    # The local days that can hold a fire in [low, high), one on either side for the offset.
    first_day = (low + offset) // DAY + EPOCH_ORDINAL
    days = day_of.matching(first_day, (high + offset) // DAY + EPOCH_ORDINAL + 1)
    stride = _stride(times)
    if stride and len(days) == (high + offset) // DAY + EPOCH_ORDINAL + 1 - first_day:
        # Every day, at evenly spaced times that continue across midnight (hourly, daily): one lattice.
        origin = (first_day - EPOCH_ORDINAL) * DAY - offset + times[0]
        first = origin + -((origin - low) // stride) * stride
        return range(first, high, stride) if first < high else ()
    found: list[int] = []
    for ordinal in days:
        base = (ordinal - EPOCH_ORDINAL) * DAY - offset
        if base >= low and base + DAY <= high:
            found.extend(map(base.__add__, times))
        else:
            found.extend(base + t for t in times if low <= base + t < high)
    return found


def _stride(times: tuple[int, ...]) -> int | None:
    """The spacing of times of day that, repeated every day, are one evenly spaced lattice; else None."""
    stride = DAY // len(times)
    if DAY % len(times) or times[0] >= stride:
        return None
    return stride if all(t == times[0] + i * stride for i, t in enumerate(times)) else None


@lru_cache(maxsize=8192)
def _calendar_shape(calendar: Calendar) -> _Shape | None:
    sets = expand_calendar(calendar)  # every field ANDed, day of week with Sunday = 0 like _DayRule's
    if sets.years is not None or len(sets.seconds) * len(sets.minutes) * len(sets.hours) > _MAX_TIMES_PER_DAY:
        return None
    times = tuple(
        sorted(h * 3600 + m * 60 + s for h in sets.hours for m in sets.minutes for s in sets.seconds)
    )
    return times, _DayRule(sets.months, sets.days_of_month, sets.days_of_week, day_or=False)


@lru_cache(maxsize=8192)
def _cron_shape(text: str) -> _Shape | None:
    expr = parse_cron(text)
    if len(expr.seconds) * len(expr.minutes) * len(expr.hours) > _MAX_TIMES_PER_DAY:
        return None
    times = tuple(
        sorted(h * 3600 + m * 60 + s for h in expr.hours for m in expr.minutes for s in expr.seconds)
    )
    return times, _DayRule(expr.months, expr.days_of_month, expr.days_of_week, expr.day_or)


@dataclass(frozen=True)
class _DayRule:
    """The days a cron (Vixie: day of month OR day of week when both are restricted) or a calendar fires."""

    months: frozenset[int]
    dom: frozenset[int]
    dow: frozenset[int]
    day_or: bool

    @lru_cache(maxsize=4096)  # noqa: B019 - a few rules and windows per run; the rules live as long
    def matching(self, first: int, stop: int) -> tuple[int, ...]:
        """The ordinals in [first, stop) of the days this rule fires on."""
        return tuple(ordinal for ordinal in range(first, stop) if self.fires_on(ordinal))

    def fires_on(self, ordinal: int) -> bool:
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


_Shape = tuple[tuple[int, ...], _DayRule]  # times of day (seconds, ascending), the days
