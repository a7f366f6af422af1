"""When an Agentex schedule fires, evaluated as its Temporal schedule would be: counts and next times.

A schedule's rules are its cron, read with Temporal's grammar (`reconciler.timing.temporal_cron`: the day
fields ANDed, `#` a comment, `CRON_TZ=` honoured), and its interval, anchored at the Unix epoch. Both may
be set on the legacy API; they fire OR'd, an instant both hit fires once. Skipped instants never fire.
Documents keep a private `fires` record: {total, last, cursor (counted up to), next}.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime

from reconciler.sandbox.clock import format_instant, parse_instant
from reconciler.sandbox.store import Json
from reconciler.timing import Timing, next_fire_times
from reconciler.timing.temporal_cron import parse_temporal_cron

FIRE_CAP = 1_000_000  # fires counted per schedule per catch-up (a 1 s interval advanced by a year)
_BATCH = 512


def _instant(doc: Json, key: str) -> datetime | None:
    value = doc.get(key)
    return parse_instant(value) if value else None


def rules(doc: Json) -> list[Timing]:
    """The Temporal spec of a stored schedule (legacy or run schedule) as timing-engine rules."""
    start, end = _instant(doc, "start_at"), _instant(doc, "end_at")
    out: list[Timing] = []
    cron = doc.get("cron_expression")
    if cron:
        parsed = parse_temporal_cron(cron)
        zone = parsed.timezone or doc.get("timezone") or "UTC"
        if parsed.calendar is not None:
            out.append(Timing(calendars=(parsed.calendar,), timezone=zone, start=start, end=end))
        else:
            out.append(Timing(every=parsed.every, offset=parsed.offset, start=start, end=end))
    if doc.get("interval_seconds"):
        out.append(Timing(every=int(doc["interval_seconds"]), start=start, end=end))
    return out


def _stream(rule: Timing, after: datetime, until: datetime | None, size: int) -> Iterator[datetime]:
    cursor = after
    while True:
        batch = next_fire_times(rule, cursor, size, provider="agentex")
        for t in batch:
            if until is not None and t > until:
                return
            yield t
        if len(batch) < size:
            return
        cursor = batch[-1]


def _merged(doc: Json, after: datetime, until: datetime | None, size: int = _BATCH) -> Iterator[datetime]:
    skipped = set(doc.get("skipped") or ())
    last = None
    for t in heapq.merge(*(_stream(rule, after, until, size) for rule in rules(doc))):
        if t != last and format_instant(t) not in skipped:
            yield t
        last = t


def next_times(doc: Json, after: datetime, count: int = 10) -> list[datetime]:
    found: list[datetime] = []
    for t in _merged(doc, after, None, count + len(doc.get("skipped") or ())):
        found.append(t)
        if len(found) >= count:
            break
    return found


def restart(doc: Json, now: datetime) -> None:
    """Count fires from `now` on under the current spec (paused time is not caught up on resume)."""
    nxt = None if doc["paused"] else next(iter(next_times(doc, now, 1)), None)
    doc["fires"].update(cursor=format_instant(now), next=None if nxt is None else format_instant(nxt))


def catch_up(doc: Json, now: datetime) -> bool:
    """Count the fires due by `now`; True when the document changed and must be saved."""
    fires = doc["fires"]
    if doc["paused"] or not fires.get("next") or parse_instant(fires["next"]) > now:
        return False
    count, last = 0, None
    for t in _merged(doc, parse_instant(fires["cursor"]), now):
        count, last = count + 1, t
        if count >= FIRE_CAP:
            break
    fires["total"] += count
    if last is not None:
        fires["last"] = format_instant(last)
    restart(doc, now)
    return True


def new_fires() -> Json:
    return {"total": 0, "last": None, "cursor": None, "next": None}
