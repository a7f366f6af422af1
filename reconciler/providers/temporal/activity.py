"""Temporal's schedule counters (`ScheduleInfo`, returned by every describe) as an `Activity`. Pure.

`actionCount` counts the workflows the schedule started since it was created; `missedCatchupWindow` the
fires missed because the server was down longer than the catch-up window; `overlapSkipped` the fires the
overlap policy skipped (counts, without times); `recentActions` the latest starts, `futureActionTimes` the
next ones. Protobuf JSON writes int64 counters as decimal strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.plan.live import Activity
from reconciler.providers.counters import count
from reconciler.timing.instants import utc_text as utc

COUNTERS = (
    "info.actionCount",
    "info.missedCatchupWindow",
    "info.overlapSkipped",
    "info.recentActions",
    "info.futureActionTimes",
)


def activity_from_info(info: Mapping[str, Any]) -> Activity:
    recent = sorted(t for t in (utc(a.get("actualTime")) for a in info.get("recentActions") or ()) if t)
    upcoming = sorted(t for t in (utc(v) for v in info.get("futureActionTimes") or ()) if t)
    missed = (count(info.get("missedCatchupWindow")) or 0) + (count(info.get("overlapSkipped")) or 0)
    return Activity(
        counters=COUNTERS,
        total_fires=count(info.get("actionCount")) or 0,
        counted_since=utc(info.get("createTime")),  # the counter never resets: it counts from creation
        last_fire=recent[-1] if recent else None,
        next_fire=upcoming[0] if upcoming else None,
        missed=missed,
    )
