"""Wall-clock times that a change of the zone's UTC offset (DST) skips or repeats: what `validate` warns about.

Pure: the caller passes "now". Temporal's rule, which the engine follows (`wallclock`): a wall time skipped by
the change does not fire that day, a repeated one fires once per occurrence, so twice.

Not every wall time in the changing hour is a trap. A schedule whose wall times repeat all day with a period
that divides the change (`*/15 * * * *`, `0 * * * *`, a Cadenya `every: 30m`) keeps its real-time cadence
through it: the skipped wall times are exactly the hour that does not happen, the repeated ones the hour that
happens twice. Those are left alone; everything else with a wall time in the changing interval is reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, NamedTuple

from reconciler.timing.families import SERVER_WALK_FAMILIES
from reconciler.timing.spec import Timing
from reconciler.timing.zones import is_utc, load_zone

# The cron, calendar and fire-time engines are imported where a cron, a calendar or Temporal's walk is met:
# `validate` checks every schedule here, and one with an interval or a single time needs none of them.

HORIZON = timedelta(days=365)  # "the next 12 months"
_SHOWN = 3  # wall times named in a message before "..."


@dataclass(frozen=True)
class Change:
    """One change of a zone's UTC offset: at `instant` (UTC) from `before` to `after` (seconds east)."""

    instant: datetime
    before: int
    after: int

    @property
    def kind(self) -> Literal["gap", "overlap"]:
        return "gap" if self.after > self.before else "overlap"

    @property
    def shift(self) -> int:
        return abs(self.after - self.before)

    @property
    def wall_start(self) -> datetime:
        """First wall time (naive) that is skipped (gap) or happens twice (overlap)."""
        return (self.instant + timedelta(seconds=min(self.before, self.after))).replace(tzinfo=None)

    @property
    def wall_end(self) -> datetime:
        """The wall time just after the changing interval (naive, exclusive)."""
        return self.wall_start + timedelta(seconds=self.shift)


@dataclass(frozen=True)
class Hit:
    """The wall times (naive, local) of one schedule rule that one change skips or repeats."""

    change: Change
    walls: tuple[datetime, ...]


class _Sets(NamedTuple):  # not a dataclass: cheaper to define, for every start-up
    """The parts of a cron or calendar a wall time is matched against."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int] | None
    cron_days: tuple[frozenset[int], frozenset[int], bool] | None  # dom, dow, day_or (cron)
    calendar_days: tuple[frozenset[int], frozenset[int]] | None  # dom, dow (calendar: AND)

    def day_matches(self, day: date) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        weekday = day.isoweekday() % 7
        if self.cron_days is not None:
            dom, dow, day_or = self.cron_days
            return (day.day in dom or weekday in dow) if day_or else (day.day in dom and weekday in dow)
        assert self.calendar_days is not None
        dom, dow = self.calendar_days
        return day.day in dom and weekday in dow

    def walls(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Matching wall times in [start, end), ascending."""
        day = start.date()
        while datetime.combine(day, datetime.min.time()) < end:
            if self.day_matches(day):
                midnight = datetime.combine(day, datetime.min.time())
                for hour in sorted(self.hours):
                    if not (start - timedelta(hours=1) < midnight + timedelta(hours=hour) < end):
                        continue
                    for minute in sorted(self.minutes):
                        for second in sorted(self.seconds):
                            wall = midnight + timedelta(hours=hour, minutes=minute, seconds=second)
                            if start <= wall < end:
                                yield wall
            day += timedelta(days=1)

    def keeps_cadence(self, shift: int) -> bool:
        """Do its wall times repeat all day with a period that divides `shift` (so a change moves nothing)?"""
        if len(self.hours) != 24 or shift % 60:
            return False
        if shift % 3600 == 0:
            return True
        step = shift // 60 % 60
        return all((minute + step) % 60 in self.minutes for minute in self.minutes)


def offset_changes(zone_name: str, after: datetime, until: datetime) -> list[Change]:
    """Every change of the zone's UTC offset in (after, until], in order."""
    return list(_offset_changes(zone_name, after, until))


@lru_cache(maxsize=256)  # one search per zone for all the schedules of a run
def _offset_changes(zone_name: str, after: datetime, until: datetime) -> tuple[Change, ...]:
    if is_utc(zone_name):
        return ()
    zone = load_zone(zone_name)

    def offset(moment: datetime) -> int:
        value = moment.astimezone(zone).utcoffset()
        assert value is not None
        return int(value.total_seconds())

    changes: list[Change] = []
    low = after.astimezone(UTC)
    step = timedelta(hours=12)  # no zone changes its offset twice within a day
    while low < until:
        high = min(low + step, until.astimezone(UTC))
        before, later = offset(low), offset(high)
        if before != later:
            lo, hi = (
                low,
                high,
            )  # offset(lo) == before, offset(hi) != before: find the first instant of `later`
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid <= lo:
                    break
                if offset(mid) == before:
                    lo = mid
                else:
                    hi = mid
            changes.append(Change(hi, before, later))
        low = high
    return tuple(changes)


def dst_hits(
    timing: Timing, now: datetime, *, wall_clock_intervals: bool, server_walk: bool = False
) -> list[Hit]:
    """The changes of the next 12 months (after `now`) that skip or repeat one of the timing's wall times.

    `wall_clock_intervals`: the platform counts `every` on the zone's wall clock (Cadenya); elsewhere an
    interval is absolute time and never affected. Each hit is one change; its wall times are those of
    every rule of the timing inside the changing interval. `server_walk`: the platform runs Temporal's server
    (reconciler.timing.temporal_walk), which on such days also fires wall times outside the changing interval
    differently from the documented rule (a time in the hour before a fall-back fires twice east of UTC):
    those count too.
    """
    if timing.at is not None or (timing.every is not None and not wall_clock_intervals):
        return []
    hits: list[Hit] = []
    for change in offset_changes(timing.timezone, now, now + HORIZON):
        if (timing.start is not None and change.instant < timing.start) or (
            timing.end is not None and change.instant > timing.end
        ):
            continue
        found = set(_walls(timing, change))
        if server_walk:
            found |= set(_server_only(timing, change))
        walls = sorted(found)
        if walls:
            hits.append(Hit(change, tuple(walls)))
    return hits


def _walls(timing: Timing, change: Change) -> Iterator[datetime]:
    start, end = change.wall_start, change.wall_end
    for sets in _rules(timing):
        if not sets.keeps_cadence(change.shift):
            yield from sets.walls(start, end)
    if timing.every is not None and change.shift % timing.every:
        # The wall-clock lattice 1970-01-01T00:00 + offset + n * every (reconciler.timing.fire_times).
        origin = datetime(1970, 1, 1) + timedelta(seconds=timing.offset)
        first = -((origin - start) // timedelta(seconds=timing.every))
        wall = origin + first * timedelta(seconds=timing.every)
        while wall < end:
            yield wall
            wall += timedelta(seconds=timing.every)


_AROUND = timedelta(hours=3)
_AROUND_FIRES = 2000


def _server_only(timing: Timing, change: Change) -> Iterator[datetime]:
    """Wall times (naive, local) near `change` that Temporal's server fires otherwise than the documented rule:
    fired by one and not the other, within three hours of the change."""
    if not (timing.cron or timing.calendars):
        return
    from reconciler.timing.fire_times import next_fire_times

    around = Timing(cron=timing.cron, calendars=timing.calendars, timezone=timing.timezone)
    low, high = change.instant - _AROUND, change.instant + _AROUND
    server = next_fire_times(around, low, _AROUND_FIRES, provider="temporal")
    documented = next_fire_times(around, low, _AROUND_FIRES, provider="oz")  # a documented-rule family
    # Where a rule fires so often that a list is cut short, compare only up to where both reach.
    reach = min(
        high,
        server[-1] if len(server) == _AROUND_FIRES else high,
        documented[-1] if len(documented) == _AROUND_FIRES else high,
    )
    zone = load_zone(timing.timezone)
    differing = {t for t in server if t <= reach} ^ {t for t in documented if t <= reach}
    for moment in differing:
        yield moment.astimezone(zone).replace(tzinfo=None)


def _rules(timing: Timing) -> Iterator[_Sets]:
    if not (timing.cron or timing.calendars):
        return
    from reconciler.timing.calendars import expand_calendar
    from reconciler.timing.cron import parse_cron

    for text in timing.cron:
        expr = parse_cron(text)
        days = (expr.days_of_month, expr.days_of_week, expr.day_or)
        yield _Sets(expr.seconds, expr.minutes, expr.hours, expr.months, None, days, None)
    for calendar in timing.calendars:
        sets = expand_calendar(calendar)
        yield _Sets(
            sets.seconds,
            sets.minutes,
            sets.hours,
            sets.months,
            sets.years,
            None,
            (sets.days_of_month, sets.days_of_week),
        )


def dst_message(name: str, timing: Timing, hits: list[Hit], platform: str, rule: str) -> str:
    """The warning for one schedule: which wall times, which dates, what the platform does, the way out.

    `rule`: how the timing is written (`cron '30 2 * * *'`), quoted in the message."""
    if platform.split("/", 1)[0] in SERVER_WALK_FAMILIES:
        return _server_message(name, timing, hits, platform, rule)
    parts = []
    for hit in hits:
        change = hit.change
        times, many = _times(hit.walls)
        on = " and ".join(sorted({wall.date().isoformat() for wall in hit.walls}))
        them = "them" if many else "it"
        if change.kind == "gap":
            outcome = f"{platform} skips {them} that day"
        else:
            outcome = f"{platform} fires {them} twice that day"
        if change.kind == "gap":
            parts.append(
                f"{times} {'do' if many else 'does'} not exist on {on} (the clock jumps from "
                f"{_hm(change.wall_start)} to {_hm(change.wall_end)}): {outcome}"
            )
        else:
            parts.append(
                f"{times} {'happen' if many else 'happens'} twice on {on} (the clock goes back from "
                f"{_hm(change.wall_end)} to {_hm(change.wall_start)}): {outcome}"
            )
    first = hits[0]
    wall = first.walls[0]
    moved = wall + timedelta(seconds=first.change.shift)
    window = f"{_hm(first.change.wall_start)}-{_hm(first.change.wall_end)}"
    how = "with `offset` " if timing.every is not None else ""
    interval = " (an interval that counts on the zone's wall clock)" if timing.every is not None else ""
    return (
        f"schedule '{name}': {rule} in when.timezone {timing.timezone}{interval} falls in a DST change in the next 12 "
        f"months: {'; '.join(parts)}. Use timezone: UTC (and write the times in UTC), or move the time out "
        f"of {window} {how}(e.g. {_hm(wall)} -> {_hm(moved)})"
    )


def _server_message(name: str, timing: Timing, hits: list[Hit], platform: str, rule: str) -> str:
    """The warning where Temporal's server runs the schedule: what it fires on each change day, in its own
    words (its walk differs from the documented skip-or-twice rule, and touches wall times outside the
    changing hour: reconciler.timing.temporal_walk)."""
    parts = []
    for hit in hits:
        change = hit.change
        day = change.instant.astimezone(load_zone(timing.timezone)).date().isoformat()
        clock = (
            f"the clock jumps from {_hm(change.wall_start)} to {_hm(change.wall_end)}"
            if change.kind == "gap"
            else f"the clock goes back from {_hm(change.wall_end)} to {_hm(change.wall_start)}"
        )
        parts.append(f"on {day} {clock}, and Temporal's server {_server_outcome(timing, change)}")
    return (
        f"schedule '{name}': {rule} in when.timezone {timing.timezone} fires differently on a DST change in the "
        f"next 12 months ({platform} runs it on Temporal's server): {'; '.join(parts)}. Use timezone: UTC (and "
        "write the times in UTC), or wall times at least two hours from the change; `reconciler preview` shows "
        "what the server does on those days"
    )


def _server_outcome(timing: Timing, change: Change) -> str:
    """What Temporal's server fires within two hours of the change: its times, by the zone's clock and offset.

    Its walk is not the documented rule on such days (reconciler.timing.temporal_walk), so the warning says what
    it does rather than what the documentation says."""
    from reconciler.timing.fire_times import next_fire_times

    around = Timing(cron=timing.cron, calendars=timing.calendars, timezone=timing.timezone)
    low, high = change.instant - timedelta(hours=2), change.instant + timedelta(hours=2)
    fires = [t for t in next_fire_times(around, low, 500, provider="temporal") if t <= high]
    if not fires:
        return "fires nothing within two hours of the change"
    zone = load_zone(timing.timezone)
    shown = [_clock_with_offset(t.astimezone(zone)) for t in fires[:_SHOWN]]
    more = f" and {len(fires) - _SHOWN} more" if len(fires) > _SHOWN else ""
    return f"fires at {', '.join(shown)}{more} within two hours of the change"


def _clock_with_offset(moment: datetime) -> str:
    offset = moment.strftime("%z")
    return f"{_clock(moment.time())} ({offset[:3]}:{offset[3:]})"


def _times(walls: tuple[datetime, ...]) -> tuple[str, bool]:
    """The distinct wall times, the first few named; and whether there are several."""
    distinct = sorted({wall.time() for wall in walls})
    shown = ", ".join(_clock(t) for t in distinct[:_SHOWN])
    more = f" and {len(distinct) - _SHOWN} more" if len(distinct) > _SHOWN else ""
    return shown + more, len(distinct) > 1


def _clock(moment: time) -> str:
    text = moment.strftime("%H:%M:%S")
    return text[:5] if text.endswith(":00") else text


def _hm(wall: datetime) -> str:
    return _clock(wall.time())
