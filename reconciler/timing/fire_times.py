"""Next fire instants of a `Timing`: what `preview` prints and what the sandboxes must agree with.

Top of the timing package: compiles cron / calendars / intervals into wall-clock sources for `wallclock`.

Rules, for every provider unless said otherwise:
* `cron` and `calendars` match the wall clock of `timing.timezone` with Temporal's documented DST rule: a
  wall time skipped by spring-forward does not fire, a wall time repeated by fall-back fires once per
  occurrence. (cronsim and Debian cron differ here; that is expected.)
* Provider temporal / agentex (Temporal schedules): what Temporal's server does instead, which differs from
  its documentation on the days the zone changes its offset (`temporal_walk`; checked against the real
  server by tests/timing/test_temporal_oracle.py).
* `every` + `offset`, provider temporal / agentex / orq / oz / tbd-agents: absolute time, fires at
  1970-01-01T00:00Z + offset + n*every (Temporal's IntervalSpec); the timezone plays no part.
* `every` + `offset`, provider cadenya ("intervals fire on wall-clock cadence anchored in this zone"):
  fires when the zone's clock shows 1970-01-01T00:00 + offset + n*every, that arithmetic done on naive
  wall-clock time, then the same DST rule as calendars. Why: a cadence of the wall clock must keep
  `every: 1d` at local midnight and `every: 6h, offset: 30m` at 00:30, 06:30, 12:30, 18:30 local all year,
  exactly like the calendar with those times; an epoch shifted by one fixed UTC offset would drift an hour
  against the local clock for half the year. `offset` must be shorter than `every` (the platform's rule).
* `anchor` (tbd-agents counts from registration): replaces the epoch (for cadenya, its local wall time
  does), and nothing fires at or before the anchor itself.
* `at`: one fire at that instant. `start` / `end` are inclusive. Several rules: union, without repeats.
* Nothing fires after the provider's last year (`PLATFORM_LAST_YEAR`: Temporal's 2100) or 9999-12-30.
* A rule with no fire within about 5 years of the previous one (or of the search start) stops there, so
  fewer than `count` results can come back.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from calendar import monthrange
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import islice

from reconciler.timing.cron import parse_cron
from reconciler.timing.families import (
    ABSOLUTE_INTERVAL_PROVIDERS,
    SERVER_WALK_FAMILIES,
    WALL_CLOCK_INTERVAL_PROVIDERS,
)
from reconciler.timing.spec import Calendar, Timing, TimingError
from reconciler.timing.temporal_walk import server_instants
from reconciler.timing.wallclock import (
    DAY,
    EPOCH,
    EPOCH_ORDINAL,
    LAST_ORDINAL,
    instants,
    to_datetime,
    to_instant,
)
from reconciler.timing.zones import load_zone

SEARCH_HORIZON_DAYS = 5 * 366
LAST_INSTANT = to_instant(datetime(9999, 12, 30, tzinfo=UTC))  # the engine's end of time (a day of headroom)
# Temporal's schedules end with the year 2100 (its maxCalendarYear): nothing fires later on the platforms that
# run on it (Agentex; Cadenya's Temporal-style schedules), so no forecast lists a later fire for them.
PLATFORM_LAST_YEAR = {"temporal": 2100, "agentex": 2100, "cadenya": 2100}


def last_instant(provider: str) -> int:
    """The last instant a provider's engine fires at (POSIX seconds)."""
    year = PLATFORM_LAST_YEAR.get(provider.split("/", 1)[0])
    return LAST_INSTANT if year is None else to_instant(datetime(year, 12, 31, 23, 59, 59, tzinfo=UTC))


_PRECOMPUTED_TIMES = 4096  # up to this many times a day, keep them in one sorted tuple

DayMatch = Callable[[int, int, int, int], bool]  # (year, month, day, weekday with Sunday = 0)


def next_fire_times(
    timing: Timing,
    after: datetime,
    count: int,
    *,
    provider: str = "temporal",
    anchor: datetime | None = None,
    platform_end: bool = True,
) -> list[datetime]:
    """The next `count` fire instants strictly after `after`, as aware UTC datetimes, ascending.

    `provider` may carry an API suffix (`agentex/run-schedules`); it changes how `every` is anchored and when
    the platform stops firing (`platform_end=False`: only the engine's own end of time).
    """
    family = provider.split("/", 1)[0]
    if family not in ABSOLUTE_INTERVAL_PROVIDERS | WALL_CLOCK_INTERVAL_PROVIDERS:
        known = ", ".join(sorted(ABSOLUTE_INTERVAL_PROVIDERS | WALL_CLOCK_INTERVAL_PROVIDERS))
        raise TimingError(f"unknown provider '{provider}' for fire times; known: {known}")
    for name, value in (
        ("after", after),
        ("anchor", anchor),
        ("start", timing.start),
        ("end", timing.end),
        ("at", timing.at),
    ):
        if value is not None and value.utcoffset() is None:
            raise TimingError(f"'{name}' must be a timezone-aware datetime, got {value.isoformat()}")
    low = to_instant(after) + 1  # the first whole second strictly after `after`
    if timing.start is not None:
        low = max(low, -((EPOCH - timing.start) // timedelta(seconds=1)))  # ceiling: start is inclusive
    if anchor is not None:
        low = max(low, to_instant(anchor) + 1)
    # Nothing fires past what a datetime can hold, however large an interval or late a start: the engine
    # answers "no more fires" there instead of overflowing.
    last = last_instant(family) if platform_end else LAST_INSTANT
    high = last if timing.end is None else min(to_instant(timing.end), last)
    zone = load_zone(timing.timezone)

    # Built (and so checked) even when nothing can come out: a bad rule is an error whatever the window.
    sources = [_cron_source(text) for text in timing.cron]
    sources += [_calendar_source(calendar) for calendar in timing.calendars]
    if family in SERVER_WALK_FAMILIES:
        # One stream: on a day with an offset change the server's walk sees all the calendars together.
        streams = [server_instants(zone, sources, low, high)] if sources else []
    else:
        streams = [instants(zone, source, low, high) for source in sources]
    if timing.every is not None:
        streams.append(_interval(timing, family, anchor, low, high))
    if count <= 0:
        return []
    found = list(islice(_distinct(heapq.merge(*streams)), count))
    result = [to_datetime(instant) for instant in found]
    at = timing.at
    if (
        at is not None
        and at > after
        and (timing.start is None or at >= timing.start)
        and (timing.end is None or at <= timing.end)
        and to_instant(at) <= last
    ):
        result = sorted({*result, at.astimezone(UTC)})[:count]
    return result


def _distinct(ordered: Iterator[int]) -> Iterator[int]:
    previous = None
    for value in ordered:
        if value != previous:
            yield value
            previous = value


def _interval(
    timing: Timing, family: str, anchor: datetime | None, low: int, high: int | None
) -> Iterator[int]:
    every = timing.every
    if every is None or every <= 0:
        raise TimingError(f"'every' must be a positive number of seconds, got {every}")
    if timing.offset < 0:
        raise TimingError(f"'offset' cannot be negative, got {timing.offset}s")
    if family in WALL_CLOCK_INTERVAL_PROVIDERS:
        if timing.offset >= every:
            raise TimingError(
                f"{family}: 'offset' ({timing.offset}s) must be shorter than 'every' ({every}s)"
            )
        zone = load_zone(timing.timezone)
        # the lattice lives in naive wall-clock seconds: the anchor's local reading, else 1970-01-01T00:00
        origin = to_instant(anchor.astimezone(zone).replace(tzinfo=UTC)) if anchor is not None else 0
        return instants(zone, _Lattice(origin + timing.offset, every), low, high)
    origin = to_instant(anchor) if anchor is not None else 0
    return _absolute(origin + timing.offset, every, low, high)


def _absolute(origin: int, every: int, low: int, high: int | None) -> Iterator[int]:
    instant = origin + -((origin - low) // every) * every  # the first lattice point >= low
    while high is None or instant <= high:
        yield instant
        instant += every


class _Lattice:
    """Wall-clock times origin + n*every (seconds of naive wall-clock time since 1970-01-01T00:00)."""

    def __init__(self, origin: int, every: int) -> None:
        self.origin = origin
        self.every = every

    def _at_or_after(self, wall: int) -> int:
        return self.origin + -((self.origin - wall) // self.every) * self.every

    def days(self, first: int) -> Iterator[int]:
        ordinal = first
        while ordinal <= LAST_ORDINAL:
            ordinal = EPOCH_ORDINAL + self._at_or_after((ordinal - EPOCH_ORDINAL) * DAY) // DAY
            yield ordinal
            ordinal += 1

    def walls(self, ordinal: int, from_second: int) -> Iterator[int]:
        base = (ordinal - EPOCH_ORDINAL) * DAY
        wall = self._at_or_after(base + from_second)
        while wall < base + DAY:
            yield wall - base
            wall += self.every


class _DaySource:
    """Days that match a day rule, then the matching times of day: shared by cron and calendars."""

    def __init__(
        self,
        seconds: frozenset[int],
        minutes: frozenset[int],
        hours: frozenset[int],
        months: frozenset[int],
        years: frozenset[int] | None,
        day_match: DayMatch,
    ) -> None:
        self.seconds, self.minutes, self.hours = sorted(seconds), sorted(minutes), sorted(hours)
        self.second_set, self.minute_set, self.hour_set = seconds, minutes, hours
        self.months = months
        self.years = years
        self.day_match = day_match
        size = len(seconds) * len(minutes) * len(hours)
        self.times: list[int] | None = None
        if size <= _PRECOMPUTED_TIMES:
            self.times = [
                h * 3600 + m * 60 + s for h in self.hours for m in self.minutes for s in self.seconds
            ]

    def days(self, first: int, moved_back: Callable[[int], bool] | None = None) -> Iterator[int]:
        """`moved_back`: also the days that match when read as the day before's day of week and that the
        zone's clock does read so (Temporal's server on a day whose midnight is skipped)."""
        if not (self.seconds and self.minutes and self.hours and self.months) or self.years == frozenset():
            return
        start = date.fromordinal(first)
        year, month, day = start.year, start.month, start.day
        last_match = first
        while year <= 9999:
            if self.years is not None and year > max(self.years):
                return
            first_of_month = date(year, month, 1).toordinal()
            length = monthrange(year, month)[1]
            if month in self.months and (self.years is None or year in self.years):
                for number in range(day, length + 1):
                    ordinal = first_of_month + number - 1
                    if ordinal - last_match > SEARCH_HORIZON_DAYS:
                        return
                    if self.day_match(year, month, number, ordinal % 7) or (  # ordinal 7 is a Sunday
                        moved_back is not None
                        and self.day_match(year, month, number, (ordinal - 1) % 7)
                        and moved_back(ordinal)
                    ):
                        last_match = ordinal
                        yield ordinal
            elif first_of_month + length - 1 - last_match > SEARCH_HORIZON_DAYS:
                return
            year, month, day = (year + 1, 1, 1) if month == 12 else (year, month + 1, 1)

    def walls(self, ordinal: int, from_second: int) -> Iterator[int]:
        if self.times is not None:
            times = self.times
            return iter(times[bisect_left(times, from_second) :]) if from_second else iter(times)
        return self._walk(from_second)

    def _walk(self, from_second: int) -> Iterator[int]:
        hour0, rest = divmod(from_second, 3600)
        minute0, second0 = divmod(rest, 60)
        for hour in self.hours[bisect_left(self.hours, hour0) :]:
            minutes = self.minutes[bisect_left(self.minutes, minute0) :] if hour == hour0 else self.minutes
            for minute in minutes:
                first = hour == hour0 and minute == minute0
                seconds = self.seconds[bisect_left(self.seconds, second0) :] if first else self.seconds
                for second in seconds:
                    yield hour * 3600 + minute * 60 + second


@lru_cache(maxsize=4096)
def _cron_source(text: str) -> _DaySource:
    expr = parse_cron(text)

    def day_match(year: int, month: int, day: int, weekday: int) -> bool:
        return expr.day_matches(day, weekday)

    return _DaySource(expr.seconds, expr.minutes, expr.hours, expr.months, None, day_match)


@lru_cache(maxsize=4096)
def _calendar_source(calendar: Calendar) -> _DaySource:
    from reconciler.timing.calendars import (
        expand_calendar,
    )  # here: a preview of crons and intervals needs none

    sets = expand_calendar(calendar)
    return _DaySource(sets.seconds, sets.minutes, sets.hours, sets.months, sets.years, sets.day_matches)
