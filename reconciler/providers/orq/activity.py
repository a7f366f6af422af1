"""What orq says about a schedule's fires and its last change, in the bundle's vocabulary. Pure: no HTTP.

orq counts fires in `trigger_count` (scheduled and manual runs alike; it restarts at 0 when the expression
or type changes: "since creation or last expression/type change") and stamps the last one in
`last_triggered_at`. It gives no next fire time, no skips and no error: those stay None. The list returns
both counters, so reading them costs no request beyond `list_live`'s.
"""

from __future__ import annotations

from typing import Any

from reconciler.plan.live import Activity
from reconciler.timing.instants import utc_text as utc

COUNTERS = ("trigger_count", "last_triggered_at")


def activity_of(item: dict[str, Any]) -> Activity:
    """The counters of one wire schedule. `counted_since` is its creation while `generation` is 1 (its
    cadence was never re-published, so the counter never restarted); after that orq does not say whether
    the last re-publication was an expression change (which resets the count) or a reactivation (which
    does not), nor when: None."""
    count = item.get("trigger_count")
    total = count if isinstance(count, int) and not isinstance(count, bool) else None
    since = utc(item.get("created")) if item.get("generation") == 1 else None
    return Activity(
        counters=COUNTERS,
        total_fires=total,
        counted_since=since if total is not None else None,
        last_fire=utc(item.get("last_triggered_at")),
    )


def changed_of(item: dict[str, Any]) -> tuple[str | None, str | None]:
    """(when, by whom) orq says the schedule last changed: `updated`, and `updated_by_id` (an API key's id;
    the display-name revision only, the original API does not say who)."""
    by = item.get("updated_by_id")
    return utc(item.get("updated")), str(by) if by else None
