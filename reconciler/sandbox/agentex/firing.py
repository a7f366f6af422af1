"""When an Agentex schedule fires, evaluated as its Temporal schedule would be: counts and next times.

A schedule's rules are its cron, read with Temporal's grammar (`reconciler.timing.temporal_cron`: the day
fields ANDed, `#` a comment, `CRON_TZ=` honoured), and its interval, anchored at the Unix epoch. Both may
be set on the legacy API; they fire OR'd, an instant both hit fires once. Skipped instants never fire.
Documents keep a private `fires` record: {total, last, cursor (counted up to), next, running_until,
overlap_skipped}.

Overlap: both revisions' Temporal schedules use the SKIP policy (legacy: Temporal's default; run schedules:
set explicitly), so a fire that comes while the workflow its schedule last started still runs is not taken:
"when the workflow completes, the next scheduled event after that time will be considered". How long that
workflow runs is the caller's `hold` (seconds). A skipped fire is not an action taken: `num_actions_taken`
and `last_action_time` do not move; Temporal counts it as `overlap_skipped`, kept here privately because
neither Agentex revision returns it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime, timedelta

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


# Run schedules: the workflow each fire starts only launches the run (one activity: 120 s start-to-close, 5
# attempts, backoff 2 s doubling). An async or agentic agent's `event/send` returns at once; a sync agent's
# `message/send` waits for the agent's reply, so the workflow runs as long as the run, or until its attempts
# time out.
LAUNCH_TIMEOUT, LAUNCH_ATTEMPTS, LAUNCH_BACKOFF = 120.0, 5, 2.0 + 4.0 + 8.0 + 16.0


def launch_hold(acp_type: str | None, duration: float) -> float:
    """How long a run schedule's launching workflow runs for an agent of `acp_type` whose runs last
    `duration` seconds."""
    if acp_type != "sync":
        return 0.0
    return duration if duration <= LAUNCH_TIMEOUT else LAUNCH_TIMEOUT * LAUNCH_ATTEMPTS + LAUNCH_BACKOFF


def running(doc: Json, at: datetime) -> bool:
    """Whether the workflow the schedule last started still runs at `at` (an overlap skips a fire then)."""
    until = doc["fires"].get("running_until")
    return bool(until) and at < parse_instant(until)


def take(doc: Json, at: datetime, hold: float) -> None:
    """One action taken at `at`: counted, and its workflow runs for `hold` seconds."""
    fires = doc["fires"]
    fires["total"] += 1
    fires["last"] = format_instant(at)
    fires["running_until"] = format_instant(at + timedelta(seconds=hold))


def catch_up(doc: Json, now: datetime, hold: float = 0.0) -> bool:
    """Count the fires due by `now`, skipping those that overlap a running workflow (SKIP policy); True
    when the document changed and must be saved."""
    fires = doc["fires"]
    if doc["paused"] or not fires.get("next") or parse_instant(fires["next"]) > now:
        return False
    for seen, t in enumerate(_merged(doc, parse_instant(fires["cursor"]), now), start=1):
        if running(doc, t):
            fires["overlap_skipped"] = fires.get("overlap_skipped", 0) + 1
        else:
            take(doc, t, hold)
        if seen >= FIRE_CAP:
            break
    restart(doc, now)
    return True


def new_fires() -> Json:
    return {
        "total": 0,
        "last": None,
        "cursor": None,
        "next": None,
        "running_until": None,
        "overlap_skipped": 0,
    }
