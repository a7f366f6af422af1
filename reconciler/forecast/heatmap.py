"""Bucket fire instants into a day-by-hour grid of a display timezone, for `calendar`'s heatmap.

Rows are the zone's calendar days touched by the window, columns its 24 hours; a cell that the window
does not reach (before it, after it, or an hour skipped by spring-forward) is marked as such. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reconciler.timing import load_zone

DAY = 86400
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
SLOT = 900  # UTC offsets change on quarter hours (tzdata since 1970), so one offset per 15 minutes is exact
LEVELS = 8


class LocalClock:
    """POSIX seconds within a window -> local seconds of the zone's wall clock (as if it were UTC)."""

    def __init__(self, zone_name: str, start: int, end: int) -> None:
        zone = load_zone(zone_name)
        self.base = start // SLOT
        last = (end - 1) // SLOT if end > start else self.base
        self.offsets = [
            int((datetime.fromtimestamp(slot * SLOT, zone).utcoffset() or timedelta(0)).total_seconds())
            for slot in range(self.base, last + 1)
        ]

    def local(self, instant: int) -> int:
        return instant + self.offsets[instant // SLOT - self.base]


@dataclass(frozen=True)
class Grid:
    """Fires per (local day, local hour), and per schedule per day, over one window."""

    zone: str
    start: int  # POSIX seconds, inclusive
    end: int  # exclusive
    days: tuple[date, ...]
    counts: tuple[tuple[int, ...], ...]  # [day][hour]
    in_window: tuple[tuple[bool, ...], ...]  # [day][hour]: does any instant of the window fall there?
    per_schedule_day: tuple[tuple[int, ...], ...]  # [schedule][day]

    @property
    def total(self) -> int:
        return sum(map(sum, self.counts))

    @property
    def peak(self) -> int:
        return max((max(row) for row in self.counts), default=0)


def bucket(zone: str, start: int, end: int, schedules: Sequence[Sequence[int]]) -> Grid:
    """Count each schedule's instants (all within [start, end)) into the zone's day-by-hour grid."""
    clock = LocalClock(zone, start, end)
    first = clock.local(start) // DAY
    last = clock.local(max(start, end - 1)) // DAY
    rows = last - first + 1
    counts = [[0] * 24 for _ in range(rows)]
    reached = [[False] * 24 for _ in range(rows)]
    moment = start
    while moment < end:  # every quarter hour of the window (and its first instant) marks its cell
        local = clock.local(moment)
        reached[local // DAY - first][local % DAY // 3600] = True
        moment = (moment // SLOT + 1) * SLOT
    per_schedule = []
    offsets, base = clock.offsets, clock.base
    for instants in schedules:
        days = [0] * rows
        for instant in instants:
            local = instant + offsets[instant // SLOT - base]
            row = local // DAY - first
            counts[row][local % DAY // 3600] += 1
            days[row] += 1
        per_schedule.append(tuple(days))
    return Grid(
        zone=zone,
        start=start,
        end=end,
        days=tuple(date.fromordinal(EPOCH_ORDINAL + first + i) for i in range(rows)),
        counts=tuple(tuple(row) for row in counts),
        in_window=tuple(tuple(row) for row in reached),
        per_schedule_day=tuple(per_schedule),
    )


def level(count: int, peak: int) -> int:
    """0 for no fire, else 1..LEVELS in proportion to the busiest cell."""
    return 0 if count <= 0 or peak <= 0 else max(1, math.ceil(count * LEVELS / peak))


def legend(peak: int) -> list[tuple[int, int, int]]:
    """(level, lowest count, highest count) for each level some count can reach, ascending."""
    found = []
    for value in range(1, LEVELS + 1):
        low = (value - 1) * peak // LEVELS + 1
        high = value * peak // LEVELS
        if low <= high:
            found.append((value, low, high))
    return found
