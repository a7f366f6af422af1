"""Cadenya's fire counters (`info`, returned by a list with `includeInfo=true`) as an `Activity`. Pure.

`info.totalFires` counts every fire since the schedule was created (a skipped fire is not a fire);
`info.lastSkippedAt` / `info.lastSkipReason` name the latest fire the overlap policy skipped (free text:
SDK 1.8.0 types the reason `Optional[str]` and documents no values). Cadenya has no error field: a fire
whose objective failed to start counts as a fire, and nothing here says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.plan.live import Activity, Skip
from reconciler.providers.counters import count
from reconciler.timing.instants import utc_text as utc

COUNTERS = (
    "info.totalFires",
    "info.lastFireAt",
    "info.nextFireAt",
    "info.lastSkippedAt",
    "info.lastSkipReason",
)


def activity_from_wire(item: Mapping[str, Any]) -> Activity:
    """The counters of one schedule of a list made with `includeInfo=true`."""
    info = item.get("info") or {}
    metadata = item.get("metadata") or {}
    skipped_at, reason = utc(info.get("lastSkippedAt")), info.get("lastSkipReason")
    skips = (Skip(skipped_at, str(reason or "skipped")),) if skipped_at or reason else ()
    return Activity(
        counters=COUNTERS,
        total_fires=count(info.get("totalFires")),
        counted_since=utc(metadata.get("createdAt")),  # the counter never resets: it counts from creation
        last_fire=utc(info.get("lastFireAt")),
        next_fire=utc(info.get("nextFireAt")),
        skipped=skips,
    )
