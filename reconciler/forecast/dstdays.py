"""The local days with a UTC offset change on which Temporal's server walks its calendar (firecount.py).

The engine replays that walk (reconciler/timing/temporal_walk.py) at a few hundred steps per fire; the
forecast avoids it where its outcome is known without it, and shares it where it is the same:
* a cron whose times of day lie 3 hours or more from the changed wall times, on a day whose change is an
  hour or more from midnight: the walk gives every time its plain instant (the arithmetic's);
* a change of whole hours at a whole hour: the walk moves each fire of `m h ...` by m minutes from the
  fire of `0 h ...`, so the walk of the hours alone is computed once per zone, day and hours, and shifted.
tests/forecast/test_firecount_dst.py checks both against the engine at every hour, and every minute of the
hours near a change. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from reconciler.timing import Timing, load_zone, next_fire_times
from reconciler.timing.temporal_walk import day_start, offset_changes_on, weekday_moves_back
from reconciler.timing.wallclock import DAY, EPOCH_ORDINAL, day_offsets, local_ordinal, to_instant

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HOUR = 3600
# The server's walk evaluates wall times at the cron's candidates and at the hours before and after them
# (its carries, its repeated-hour check); three hours between those and the changed wall times keep every
# one of them plain, so the walk gives each time its plain instant.
_FAR = 3 * _HOUR
# At the day's ends the walk evaluates the midnights and the hour before: an hour keeps them plain.
_MIDNIGHT_MARGIN = _HOUR


@dataclass(frozen=True)
class ChangeDay:
    ordinal: int
    first: int  # the day's first instant
    end: int  # the next day's first instant
    changed: tuple[int, int] | None  # the changed wall times, [first, last) seconds of the day; None: the
    # walk always runs (two changes on or next to the day, a change within an hour of midnight, or a day
    # of week read as the day before's)
    whole_hours: bool  # the change starts and ends at whole hours of the wall clock


@dataclass(frozen=True)
class WalkedDay:
    first: int
    end: int
    shift_from_hours: (
        int | None
    )  # the walk of the hours alone, shifted by this many seconds; None: the engine


def walked_days(
    zone_name: str, times: tuple[int, ...], fires_on: Callable[[int], bool], changes: tuple[int, ...]
) -> list[WalkedDay]:
    """The change days on which the server's walk can fire and can differ from the plain mapping of the
    cron's times of day (seconds)."""
    walked = []
    for day in change_days(zone_name, changes):
        if day.changed is None:
            walked.append(WalkedDay(day.first, day.end, None))
            continue
        if not fires_on(day.ordinal):
            continue  # not a day of the cron's, its midnight is plain: no fire either way
        if all(_far_from(time, day.changed) for time in times):
            continue
        remainders = {time % _HOUR for time in times}
        shift = remainders.pop() if day.whole_hours and len(remainders) == 1 else None
        walked.append(WalkedDay(day.first, day.end, shift))
    return walked


def _far_from(time: int, changed: tuple[int, int]) -> bool:
    hour = time - time % _HOUR
    return hour + _FAR <= changed[0] or hour >= changed[1] + _FAR - _HOUR


@lru_cache(maxsize=256)
def change_days(zone_name: str, changes: tuple[int, ...]) -> tuple[ChangeDay, ...]:
    """Each local day on which one of `changes` (instants) falls, in order."""
    zone = load_zone(zone_name)
    ordinals = sorted(
        {
            ordinal
            for change in changes
            for ordinal in range(local_ordinal(zone, change - DAY), local_ordinal(zone, change + DAY) + 1)
            if offset_changes_on(zone, ordinal)
        }
    )
    days = []
    for ordinal in ordinals:
        base = (ordinal - EPOCH_ORDINAL) * DAY
        least, most = day_offsets(zone, ordinal)
        walls = [
            (change + least - base, change + most - base)
            for change in changes
            if 0 <= change + least - base < DAY or 0 <= change + most - base < DAY
        ]
        plain = (
            len(walls) == 1
            and walls[0][0] >= _MIDNIGHT_MARGIN
            and walls[0][1] <= DAY - _MIDNIGHT_MARGIN
            and not offset_changes_on(zone, ordinal - 1)
            and not offset_changes_on(zone, ordinal + 1)
            and not weekday_moves_back(zone, ordinal)
        )
        changed = walls[0] if plain else None
        whole = changed is not None and changed[0] % _HOUR == 0 and changed[1] % _HOUR == 0
        days.append(
            ChangeDay(ordinal, day_start(zone, ordinal), day_start(zone, ordinal + 1), changed, whole)
        )
    return tuple(days)


@lru_cache(maxsize=4096)
def hours_walk(zone_name: str, first: int, end: int, hours: tuple[int, ...]) -> tuple[int, ...]:
    """The server's fires in [first, end) of the cron `0 <hours> * * *` (a plain-midnight change day)."""
    timing = Timing(
        cron=(f"0 {','.join(map(str, hours))} * * *",),
        timezone=zone_name,
        end=EPOCH + timedelta(seconds=end) - timedelta(microseconds=1),
    )
    after = EPOCH + timedelta(seconds=first) - timedelta(microseconds=1)
    return tuple(to_instant(fire) for fire in next_fire_times(timing, after, 10_000, provider="temporal"))
