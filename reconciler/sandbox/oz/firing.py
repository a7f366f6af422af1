"""When an Oz schedule fires: its 5-field UTC cron through the timing engine (`provider="oz"`).

Shared by `history.next_run` and by the clock's catch-up, so `preview` and the sandbox agree.
"""

from __future__ import annotations

from datetime import datetime

from reconciler.timing import Timing, next_fire_times

FIRE_CAP = 1_000_000  # fires counted per schedule per catch-up; beyond it the count stops (documented)
_BATCH = 512


def next_fire(cron: str, after: datetime) -> datetime | None:
    found = next_fire_times(Timing(cron=(cron,)), after, 1, provider="oz")
    return found[0] if found else None


def fires_between(cron: str, after: datetime, until: datetime) -> tuple[int, datetime | None]:
    """How many fires fall in (after, until], and the last of them."""
    count, last, cursor = 0, None, after
    rule = Timing(cron=(cron,))
    while count < FIRE_CAP:
        batch = [t for t in next_fire_times(rule, cursor, _BATCH, provider="oz") if t <= until]
        if not batch:
            break
        count += len(batch)
        last = cursor = batch[-1]
        if len(batch) < _BATCH:
            break
    return min(count, FIRE_CAP), last
