"""Everything `calendar` shows, computed once: the window's fires, the heatmap grid, the collision report
and the notes. The renderers (text, HTML, JSON) only format this value. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reconciler.bundle.desired import Bundle
from reconciler.forecast.collisions import Report, collisions
from reconciler.forecast.costs import CostBook
from reconciler.forecast.fires import EPOCH, SECOND, WindowFires, schedules_of, window
from reconciler.forecast.heatmap import Grid, bucket
from reconciler.forecast.loadgrid import CalendarLoad, calendar_load
from reconciler.forecast.semantics import UTC_NAMES
from reconciler.timing import load_zone

_PROBE = 6 * 3600  # tzdata has no two offset changes within days of each other: 6-hourly probes see each


@dataclass(frozen=True)
class OffsetChange:
    zone: str
    instant: int  # the first POSIX second with the new offset (to the quarter hour)
    before: int  # UTC offsets, seconds
    after: int


@dataclass(frozen=True)
class CalendarView:
    start: datetime
    end: datetime
    zone: str  # the display timezone of the grid and the report
    fires: tuple[WindowFires, ...]
    grid: Grid
    report: Report
    paused: tuple[str, ...]  # labels of paused schedules left out
    changes: tuple[OffsetChange, ...]  # DST changes in the window, of the display zone and schedules' zones
    load: CalendarLoad | None = None  # with a Costs document: concurrent runs, cost, self-overlaps

    @property
    def notes(self) -> list[tuple[str, str]]:
        """(schedule label, note) for every caveat of a counted schedule, and cut counts."""
        found = []
        for item in self.fires:
            for note in item.semantics.notes:
                found.append((item.ref.label, note))
            if item.truncated:
                found.append(
                    (
                        item.ref.label,
                        f"fires more than {len(item.instants):,} times in the window: "
                        "only the first ones are counted",
                    )
                )
        return found


def build(
    bundles: Iterable[Bundle],
    start: datetime,
    days: int,
    zone: str = "UTC",
    *,
    budget: int | None = None,
    include_paused: bool = False,
    costs: CostBook | None = None,
) -> CalendarView:
    bundles = list(bundles)
    # `days` calendar days of the display zone: wall-clock arithmetic, so a week over a DST change ends at
    # local midnight again (167 or 169 hours later), not an hour into an eighth day.
    end = (start.astimezone(load_zone(zone)) + timedelta(days=days)).astimezone(UTC)
    fires = window(bundles, start, end, include_paused=include_paused)
    first = -((EPOCH - start) // SECOND)  # ceiling: the window starts at `start` inclusive
    last = -((EPOCH - end) // SECOND)
    grid = bucket(zone, first, last, [item.instants for item in fires])
    paused = tuple(
        ref.label for ref, _ in schedules_of(bundles) if ref.state == "paused" and not include_paused
    )
    zones = [zone, *sorted({item.ref.timezone for item in fires} - {zone})]
    changes = tuple(change for name in zones for change in offset_changes(name, first, last))
    load = calendar_load(grid, fires, costs) if costs is not None else None
    return CalendarView(
        start, end, zone, tuple(fires), grid, collisions(fires, grid, budget), paused, changes, load
    )


def offset_changes(zone_name: str, start: int, end: int) -> list[OffsetChange]:
    """Every change of the zone's UTC offset within [start, end)."""
    if zone_name in UTC_NAMES:
        return []
    zone = load_zone(zone_name)

    def offset(instant: int) -> int:
        delta = datetime.fromtimestamp(instant, UTC).astimezone(zone).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    found = []
    low, current = start, offset(start)
    while low < end:
        high = min(low + _PROBE, end - 1)
        following = offset(high)
        if following != current:
            lo, hi = low, high  # offset(lo) == current != offset(hi): bisect to the second
            while hi - lo > 1:
                middle = (lo + hi) // 2
                lo, hi = (middle, hi) if offset(middle) == current else (lo, middle)
            found.append(OffsetChange(zone_name, hi, current, following))
            current = following
        low = high + 1 if high > low else end
    return found
