"""When a Cadenya schedule fires: the wire schedule as `reconciler.timing` values, and fire counting.

A spec is the union of its rules (every calendar, every interval); an instant two rules share fires
once. The timing engine decides the exact semantics (`provider="cadenya"`), so `preview` and the
sandbox cannot disagree. `tally` adds the overlap policy: a fire while the previous run still runs is
skipped under SKIP (the default), started anyway under ALLOW.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.sandbox.cadenya.wire import parse_duration
from reconciler.sandbox.store import Json
from reconciler.timing import Calendar, Range, Timing, next_fire_times

FIRE_CAP = 1_000_000  # fires counted per schedule per catch-up; beyond it the count stops (documented)
_BATCH = 512


def _ranges(raw: list[Json]) -> tuple[Range, ...]:
    # Wire: end defaults to start, step to 1 (0 = unset in protobuf).
    return tuple(Range(r.get("start", 0), r.get("end") or r.get("start", 0), r.get("step") or 1) for r in raw)


def _calendar(raw: Json) -> Calendar:
    fields = {
        "second": "second",
        "minute": "minute",
        "hour": "hour",
        "dayOfMonth": "day_of_month",
        "month": "month",
        "dayOfWeek": "day_of_week",
    }
    # An empty or missing list keeps Calendar's default, which is the wire's: 0 for second/minute/hour,
    # "any" for the day fields and month.
    given = {attr: _ranges(raw[key]) for key, attr in fields.items() if raw.get(key)}
    return Calendar(**given, comment=raw.get("comment", ""))


def rules(schedule: Json) -> list[Timing]:
    tz = schedule.get("timezone") or "UTC"
    out: list[Timing] = []
    if schedule.get("calendars"):
        out.append(Timing(calendars=tuple(_calendar(c) for c in schedule["calendars"]), timezone=tz))
    for iv in schedule.get("intervals") or ():
        every = parse_duration(iv["every"], "every")
        offset = parse_duration(iv["offset"], "offset") if iv.get("offset") else 0
        out.append(Timing(every=every, offset=offset, timezone=tz))
    return out


def _engine_times(rule: Timing, after: datetime, count: int) -> list[datetime]:
    """Fire instants strictly after `after`, aware UTC, ascending."""
    return next_fire_times(rule, after, count, provider="cadenya")


def _stream(rule: Timing, after: datetime, until: datetime) -> Iterator[datetime]:
    cursor = after
    while True:
        batch = _engine_times(rule, cursor, _BATCH)
        for t in batch:
            if t > until:
                return
            if t > cursor:
                yield t
        if len(batch) < _BATCH:
            return
        cursor = batch[-1]


def next_fire(schedule: Json, after: datetime) -> datetime | None:
    """The first fire strictly after `after`, or None when no rule has one."""
    firsts = [t for rule in rules(schedule) for t in _engine_times(rule, after, 1)[:1]]
    return min(firsts, default=None)


def _instants(schedule: Json, after: datetime, until: datetime) -> Iterator[datetime]:
    """Every fire instant in (after, until], ascending, an instant two rules share once."""
    last = None
    for t in heapq.merge(*(_stream(rule, after, until) for rule in rules(schedule))):
        if t != last:
            last = t
            yield t


def fires_between(schedule: Json, after: datetime, until: datetime) -> tuple[int, datetime | None]:
    """(number of fires in (after, until], the last of them), at most FIRE_CAP."""
    count, last = 0, None
    for t in _instants(schedule, after, until):
        count, last = count + 1, t
        if count >= FIRE_CAP:
            break
    return count, last


@dataclass
class Tally:
    """What one catch-up saw: fires that started a run, fires skipped because the previous run still ran."""

    fired: int = 0
    last_fired: datetime | None = None
    skipped: int = 0
    last_skipped: datetime | None = None
    busy_until: datetime | None = None  # when the latest run started ends


def tally(
    schedule: Json,
    after: datetime,
    until: datetime,
    *,
    busy_until: datetime | None,
    duration: float,
    skip_overlaps: bool,
    starts: bool,
) -> Tally:
    """The fires in (after, until] under an overlap policy: with `skip_overlaps`, a fire that comes before
    the previous run ended (`busy_until`; a run lasts `duration` seconds) is skipped and starts nothing.
    `starts=False`: every start fails (a run profile's error), so no run ever occupies the schedule."""
    result = Tally(busy_until=busy_until)
    span = timedelta(seconds=duration)
    if not skip_overlaps or ((duration <= 0 or not starts) and (busy_until is None or busy_until <= after)):
        result.fired, result.last_fired = fires_between(schedule, after, until)  # nothing can overlap
        if starts and duration > 0 and result.last_fired is not None:
            result.busy_until = max(filter(None, (busy_until, result.last_fired + span)))
        return result
    for t in _instants(schedule, after, until):
        if result.busy_until is not None and t < result.busy_until:
            result.skipped, result.last_skipped = result.skipped + 1, t
        else:
            result.fired, result.last_fired = result.fired + 1, t
            if starts and duration > 0:
                result.busy_until = t + span
        if result.fired + result.skipped >= FIRE_CAP:
            break
    return result
