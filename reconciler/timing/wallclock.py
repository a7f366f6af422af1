"""A zone's wall clock -> instants, Temporal's documented way: a wall time skipped by a DST change never
happens, a wall time that occurs twice happens twice (Temporal's server itself differs on those days:
`temporal_walk`). Below `fire_times`; instants are whole POSIX seconds (int).

Equivalently: an instant fires when the zone's clock, read at that instant, shows a matching time.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DAY = 86400
LAST_ORDINAL = date(9999, 12, 31).toordinal() - 1  # leave a day of headroom for offsets east of UTC


class WallSource(Protocol):
    """Matching wall-clock times, day by day, in order."""

    def days(self, first: int) -> Iterator[int]:
        """Ordinals (`date.toordinal()`) of the local days from `first` on that may hold a match."""
        ...

    def walls(self, ordinal: int, from_second: int) -> Iterator[int]:
        """Matching seconds of that local day (0..86399), ascending, from `from_second` on."""
        ...


def to_instant(value: datetime) -> int:
    """Whole POSIX seconds, rounded down."""
    return (value - EPOCH) // timedelta(seconds=1)


def to_datetime(instant: int) -> datetime:
    return EPOCH + timedelta(seconds=instant)


def local_ordinal(zone: ZoneInfo, instant: int) -> int:
    return to_datetime(instant).astimezone(zone).date().toordinal()


@lru_cache(maxsize=1 << 16)
def day_offsets(zone: ZoneInfo, ordinal: int) -> tuple[int, int]:
    """(smallest, largest) UTC offset, in seconds, that the local day's wall times use.

    Equal values mean no transition touches the day, so every wall time maps to one instant by plain
    subtraction. (tzdata has no two transitions within two days of each other since 1970, so comparing the
    day's first and last second is exact.)
    """
    day = date.fromordinal(ordinal)
    first = datetime(day.year, day.month, day.day, tzinfo=zone)
    last = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=zone)
    offsets = [_seconds(moment.replace(fold=fold)) for moment in (first, last) for fold in (0, 1)]
    return min(offsets), max(offsets)


def resolve(zone: ZoneInfo, ordinal: int, second_of_day: int) -> tuple[int, ...]:
    """The instants at which the zone's clock shows this wall time: none (skipped), one, or two (repeated)."""
    day = date.fromordinal(ordinal)
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    wall = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)
    before, after = _seconds(wall), _seconds(wall.replace(fold=1))
    naive = (ordinal - EPOCH_ORDINAL) * DAY + second_of_day
    if before == after:
        return (naive - before,)
    if before > after:  # the clock went back: first with the earlier (larger) offset, then again
        return (naive - before, naive - after)
    return ()  # the clock jumped over this time


def instants(zone: ZoneInfo, source: WallSource, low: int, high: int | None) -> Iterator[int]:
    """Every instant in [low, high] at which the zone's clock shows a wall time of `source`, ascending.

    First occurrences come out in wall-clock order, which is instant order; second occurrences of repeated
    wall times wait in a small heap until the first occurrences pass them.
    """
    pending: list[int] = []
    # Start a day early: a wall time before low's own can still occur again after low (fall-back).
    for ordinal in source.days(local_ordinal(zone, low) - 1):
        if ordinal > LAST_ORDINAL:
            break
        base = (ordinal - EPOCH_ORDINAL) * DAY
        least, most = day_offsets(zone, ordinal)
        if high is not None and base - most > high:
            break  # the whole day is later than high
        # Instant = base + wall - offset >= low needs wall >= low - base + offset (offset >= least).
        from_second = max(0, low - base + least)
        if from_second >= DAY:
            continue
        for wall in source.walls(ordinal, from_second):
            found = (base + wall - least,) if least == most else resolve(zone, ordinal, wall)
            if not found:
                continue
            first = found[0]
            while pending and pending[0] <= first:
                again = heapq.heappop(pending)
                if high is not None and again > high:
                    return
                yield again
            if high is not None and first > high:
                return
            if first >= low:
                yield first
            for again in found[1:]:
                if again >= low:
                    heapq.heappush(pending, again)
    while pending:
        again = heapq.heappop(pending)
        if high is not None and again > high:
            return
        yield again


def _seconds(moment: datetime) -> int:
    offset = moment.utcoffset()
    assert offset is not None  # aware by construction
    return offset // timedelta(seconds=1)
