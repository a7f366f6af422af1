"""The fire counters both Agentex revisions return, in the reconciler's vocabulary (`Activity`). Pure.

Legacy `ScheduleResponse` (what `GET …/schedules/{name}` answers; the list items have none): Temporal's
`num_actions` as `num_actions_taken`, its `num_actions_missed_catchup_window` as `num_actions_missed` (a
count without times; a fire skipped because the previous run still ran is counted by Temporal as
`overlap_skipped`, which Agentex does not return), `next_action_times`, `last_action_time`.

Run schedules (`RunSchedule`, enriched only where `live_data_available` is true: single reads, and lists
asked with `include_live=true`, at most 200 rows each): `num_actions_taken`, `last_action_time`,
`next_action_times` and `skipped_action_times` (the fires skipped on request through `/skip`). Neither
revision has a last-error field.
"""

from __future__ import annotations

from typing import Any

from reconciler.plan.live import Activity, Skip
from reconciler.providers.counters import count
from reconciler.timing.instants import utc_text as utc

LEGACY_COUNTERS = ("num_actions_taken", "num_actions_missed", "last_action_time", "next_action_times")
RUNS_COUNTERS = ("num_actions_taken", "last_action_time", "next_action_times", "skipped_action_times")
SKIPPED_ON_REQUEST = "skipped on request"


def _first(times: Any) -> str | None:
    found = (
        sorted(t for t in (utc(v) for v in times or ()) if t is not None) if isinstance(times, list) else []
    )
    return found[0] if found else None


def legacy_activity(item: dict[str, Any]) -> Activity:
    """A legacy ScheduleResponse's counters (Temporal counts from the schedule's creation)."""
    return Activity(
        counters=LEGACY_COUNTERS,
        total_fires=count(item.get("num_actions_taken")),
        counted_since=utc(item.get("created_at")),
        last_fire=utc(item.get("last_action_time")),
        next_fire=_first(item.get("next_action_times")),
        missed=count(item.get("num_actions_missed")),
    )


def runs_activity(item: dict[str, Any]) -> Activity | None:
    """A RunSchedule's counters; None where enrichment was not asked for (a list without `include_live`),
    `available=False` where it was and the server had none (past the 200th row, or Temporal did not
    answer)."""
    live = item.get("live_data_available")
    if live is None and item.get("num_actions_taken") is None:
        return None
    if live is False:
        return Activity(counters=RUNS_COUNTERS, available=False)
    skipped = sorted(t for t in (utc(v) for v in item.get("skipped_action_times") or ()) if t is not None)
    return Activity(
        counters=RUNS_COUNTERS,
        total_fires=count(item.get("num_actions_taken")),
        # Temporal's action count starts with the schedule, created with the row; updates keep it.
        counted_since=utc(item.get("created_at")),
        last_fire=utc(item.get("last_action_time")),
        next_fire=_first(item.get("next_action_times")),
        skipped=tuple(Skip(t, SKIPPED_ON_REQUEST) for t in skipped),
    )
