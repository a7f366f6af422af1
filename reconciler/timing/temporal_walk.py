"""Calendar fire times as the Temporal *server* computes them, on the days its documentation does not cover.

Temporal documents the DST rule `wallclock` follows (a skipped wall time does not fire, a repeated one fires
once per occurrence). Its server (`service/worker/scheduler/calendar.go`, checked against Temporal Server 1.32
by tests/timing/test_temporal_oracle.py) does something else on the days a zone changes its UTC offset: it
walks the calendar field by field, turns each candidate back into an instant the way Go's `time.Date` does,
and patches up repeated hours with a one-hour shift. What users of Temporal and Agentex see is that walk, so
for those providers the engine reproduces it:

* On a day without an offset change both rules agree, and the fast day-by-day mapping of `wallclock` is used.
* On a day with a change, this module replays the server's walk second-exactly (a few hundred steps per fire,
  two days a year per zone), with all of a timing's calendars together: the server takes the earliest next
  time of all its calendars after the previous fire, and where that previous fire sits in a repeated hour
  changes what the others do.

Go's `time.Date` for a wall time that happens twice picks the later instant in zones at or east of UTC and the
earlier one west of it; for a skipped wall time it moves forward (east) or back (west) by the offset change.
Consequences the tests pin down: in Europe/Berlin a repeated 02:xx fires once (the second time) and `45 1` also
fires at the first 02:45; Lord Howe's skipped 02:15 fires at 02:45 (its change is 30 minutes, so the
normalised time is still in hour 2); in America/Santiago the day whose midnight is skipped is read, for its
day of week, as the day before: a Sunday rule skips that Sunday and a Saturday rule fires on it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from reconciler.timing.wallclock import (
    DAY,
    EPOCH,
    EPOCH_ORDINAL,
    LAST_ORDINAL,
    day_offsets,
    local_ordinal,
)

MAX_CALENDAR_YEAR = 2100  # Temporal's maxCalendarYear: a calendar walk gives up after that year
_HOUR = 3600
_MONTH_LENGTHS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class CalendarFields(Protocol):
    """One calendar (or one cron read as calendars): the sets the server matches, field by field."""

    second_set: frozenset[int]
    minute_set: frozenset[int]
    hour_set: frozenset[int]
    months: frozenset[int]
    years: frozenset[int] | None  # None: every year
    day_match: Callable[[int, int, int, int], bool]  # (year, month, day, weekday with Sunday = 0)


class ServerSource(CalendarFields, Protocol):
    """A calendar that can also list its days and times of day, for the days without an offset change."""

    def days(self, first: int, moved_back: Callable[[int], bool] | None = None) -> Iterator[int]:
        """Ordinals of the local days from `first` on that may hold a match; with `moved_back`, also the days
        whose day of week is read as the day before's when that day's would match."""
        ...

    def walls(self, ordinal: int, from_second: int) -> Iterator[int]:
        """Matching seconds of that local day, ascending, from `from_second` on."""
        ...


def _offset(zone: ZoneInfo, instant: int) -> int:
    value = (EPOCH + timedelta(seconds=instant)).astimezone(zone).utcoffset()
    assert value is not None
    return value // timedelta(seconds=1)


def go_date(zone: ZoneInfo, ordinal: int, second_of_day: int) -> int:
    """The instant Go's `time.Date` gives for this local wall time (seconds may run past the day).

    Go reads the offset in force at the wall time taken as if it were UTC; when the instant that gives lies
    outside that offset's period, it uses the offset in force at that instant instead.
    """
    naive = (ordinal - EPOCH_ORDINAL) * DAY + second_of_day
    return naive - _offset(zone, naive - _offset(zone, naive))


def _wall(zone: ZoneInfo, instant: int) -> tuple[int, int]:
    """(local ordinal, second of the local day) of an instant."""
    days, second = divmod(instant + _offset(zone, instant), DAY)
    return days + EPOCH_ORDINAL, second


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_LENGTHS[month - 1]


def _ordinal(year: int, month: int, day: int) -> int:
    return date(year, month, 1).toordinal() + day - 1


def server_next(zone: ZoneInfo, fields: CalendarFields, after: int, until: int | None = None) -> int | None:
    """The server's next matching instant strictly after `after` (None: none up to its last year, or, with
    `until`, none on a local day up to that ordinal).

    A replay of the walk, not an optimisation of it: every carry and every `time.Date` call is where the server
    makes it, because that is where its DST behaviour comes from.
    """
    ordinal, second_of_day = _wall(zone, after)
    start = date.fromordinal(ordinal)
    y, mo, d = start.year, start.month, start.day
    h, rest = divmod(second_of_day, _HOUR)
    m, s = divmod(rest, 60)
    # After a fire in the second copy of a repeated hour, the walk stays in that copy.
    shift = _HOUR if _wall(zone, after - _HOUR)[1] // _HOUR == h else 0
    s += 1
    years, months = fields.years, fields.months
    seconds, minutes, hours = fields.second_set, fields.minute_set, fields.hour_set
    while True:  # one pass: carry, then match the fields from the year inwards; `continue` restarts it
        if s >= 60:
            m, s = m + 1, 0
        if m >= 60:
            here = _ordinal(y, mo, d)
            before = go_date(zone, here, h * _HOUR)
            h, m = h + 1, 0
            # The next hour two hours later: an hour repeats here, so walk this hour again one hour later.
            if shift == 0 and go_date(zone, here, h * _HOUR) - before > _HOUR:
                h, shift = h - 1, _HOUR
            else:
                shift = 0
        if h >= 24:
            d, h = d + 1, 0
        if d > _days_in_month(y, mo):
            mo, d = mo + 1, 1
        if mo > 12:
            y, mo = y + 1, 1
        if y > MAX_CALENDAR_YEAR:
            return None
        if years is not None and y not in years:
            y, mo, d, h, m, s, shift = y + 1, 1, 1, 0, 0, 0, 0
            continue
        if mo not in months:
            mo, d, h, m, s, shift = mo + 1, 1, 0, 0, 0, 0
            if mo > 12:
                y, mo = y + 1, 1
            continue
        if until is not None and _ordinal(y, mo, d) > until:
            return None
        # The day of week of the day as `time.Date` normalises the walk's position (a skipped midnight
        # moves it to the day before), checked once per pass like the server does.
        if not _day_matches(zone, fields, y, mo, d, h * _HOUR + m * 60 + s):
            d, h, m, s, shift = d + 1, 0, 0, 0, 0
            while d <= _days_in_month(y, mo) and not _day_matches(zone, fields, y, mo, d, 0):
                d += 1
            if d > _days_in_month(y, mo):
                continue
        # A field that finds its value goes on to the next one; one that overflows restarts the pass.
        if h not in hours:
            h, m, s, shift = _first_at_or_after(hours, h + 1, 24), 0, 0, 0
            if h >= 24:
                continue
        if m not in minutes:
            m, s = _first_at_or_after(minutes, m + 1, 60), 0
            if m >= 60:
                continue
        if s not in seconds:
            s = _first_at_or_after(seconds, s + 1, 60)
            if s >= 60:
                continue
        here = _ordinal(y, mo, d)
        found = go_date(zone, here, h * _HOUR + m * 60 + s)
        if _wall(zone, found)[1] // _HOUR != h:  # a skipped wall time normalised into another hour
            h, m, s = h + 1, 0, 0
            continue
        return found + shift


def _day_matches(zone: ZoneInfo, fields: CalendarFields, y: int, mo: int, d: int, second_of_day: int) -> bool:
    weekday = _wall(zone, go_date(zone, _ordinal(y, mo, d), second_of_day))[0] % 7
    return fields.day_match(y, mo, d, weekday)


def _first_at_or_after(values: frozenset[int], start: int, limit: int) -> int:
    """The server steps one by one until a value matches or the field overflows; the same, in one go."""
    for value in range(start, limit):
        if value in values:
            return value
    return limit


def joint_next(
    zone: ZoneInfo, calendars: Sequence[CalendarFields], after: int, until: int | None = None
) -> int | None:
    """The server's next time of a spec with several calendars: the earliest of theirs."""
    found = [t for t in (server_next(zone, c, after, until) for c in calendars) if t is not None]
    return min(found) if found else None


def offset_changes_on(zone: ZoneInfo, ordinal: int) -> bool:
    """Does the zone change its UTC offset on this local day (where the server's walk differs)?"""
    least, most = day_offsets(zone, ordinal)
    return least != most


def day_start(zone: ZoneInfo, ordinal: int) -> int:
    """The first instant of a local day: its midnight, or when midnight is skipped, the change itself."""
    least, most = day_offsets(zone, ordinal)
    base = (ordinal - EPOCH_ORDINAL) * DAY
    earliest = base - most
    return earliest if local_ordinal(zone, earliest) == ordinal else base - least


def changing_day_fires(
    zone: ZoneInfo, calendars: Sequence[CalendarFields], ordinal: int, low: int, high: int | None
) -> Iterator[int]:
    """The server's fires on a day with an offset change, in [low, high], ascending.

    Replayed from the end of the day before (a plain state the server reaches from any earlier fire), or from
    `low` when the search starts inside the day: where the walk starts inside a repeated hour matters.
    """
    cursor = max(low - 1, day_start(zone, ordinal) - 1)
    while True:
        found = joint_next(zone, calendars, cursor, ordinal)  # the walk needs not go past this day
        if found is None or (high is not None and found > high):
            return
        if local_ordinal(zone, found) > ordinal:
            return
        if found >= low and local_ordinal(zone, found) == ordinal:
            yield found
        cursor = found


def weekday_moves_back(zone: ZoneInfo, ordinal: int) -> bool:
    """Does the server read this day's day of week as the day before's (midnight skipped, west of UTC)?"""
    return offset_changes_on(zone, ordinal) and local_ordinal(zone, go_date(zone, ordinal, 0)) < ordinal


def server_instants(
    zone: ZoneInfo, sources: Sequence[ServerSource], low: int, high: int | None
) -> Iterator[int]:
    """Every instant in [low, high] at which the Temporal server fires one of these calendars, ascending.

    Days without an offset change: each source's matching wall times, mapped by plain subtraction (both rules
    agree there). Days with one: the server's walk over all the sources together.
    """

    def moved_back(ordinal: int) -> bool:
        return weekday_moves_back(zone, ordinal)

    first = local_ordinal(zone, low) - 1
    upcoming: list[tuple[int, int]] = []  # (next day of the source, its index)
    streams = [source.days(first, moved_back) for source in sources]
    for index, stream in enumerate(streams):
        for ordinal in stream:
            heapq.heappush(upcoming, (ordinal, index))
            break
    while upcoming:
        ordinal = upcoming[0][0]
        matching: list[int] = []
        while upcoming and upcoming[0][0] == ordinal:
            index = heapq.heappop(upcoming)[1]
            matching.append(index)
            for following in streams[index]:
                heapq.heappush(upcoming, (following, index))
                break
        if ordinal > LAST_ORDINAL:
            return
        base = (ordinal - EPOCH_ORDINAL) * DAY
        least, most = day_offsets(zone, ordinal)
        if high is not None and base - most > high:
            return  # the whole day is later than high
        if least != most:
            yield from changing_day_fires(zone, sources, ordinal, low, high)
            continue
        from_second = max(0, low - base + least)
        if from_second >= DAY:
            continue
        previous = None
        for wall in heapq.merge(*(sources[i].walls(ordinal, from_second) for i in matching)):
            if wall == previous:
                continue
            previous = wall
            instant = base + wall - least
            if high is not None and instant > high:
                return
            yield instant
