"""The collision report of `calendar`: where fires pile up, which schedules fire together, per-agent load
per day and schedules over a daily budget. Pure: fires in (from `fires.window`), plain values out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reconciler.forecast.fires import WindowFires
from reconciler.forecast.heatmap import Grid

TOP = 5  # busiest minutes and hours shown
TOP_GROUPS = 10  # groups of schedules that fire together shown by the text and HTML reports


@dataclass(frozen=True)
class MinuteLoad:
    minute: int  # POSIX seconds of the minute's start
    schedules: tuple[int, ...]  # indices into the report's schedules, distinct
    fires: int


@dataclass(frozen=True)
class HourLoad:
    day: date  # in the grid's zone
    hour: int
    fires: int


@dataclass(frozen=True)
class Together:
    """Schedules that fire at the very same instant, how often in the window, and the first time."""

    schedules: tuple[int, ...]
    times: int
    first: int


@dataclass(frozen=True)
class AgentLoad:
    agent: str
    per_day: tuple[int, ...]  # aligned with the grid's days

    @property
    def total(self) -> int:
        return sum(self.per_day)


@dataclass(frozen=True)
class OverBudget:
    schedule: int
    most: int  # the most fires on one day of the grid
    day: date


@dataclass(frozen=True)
class Report:
    busiest_minutes: tuple[MinuteLoad, ...]
    busiest_hours: tuple[HourLoad, ...]
    together: tuple[Together, ...]  # all groups, the largest and most frequent first
    together_groups: int  # how many distinct groups there are in all
    agents: tuple[AgentLoad, ...]  # busiest first
    over_budget: tuple[OverBudget, ...]
    budget: int | None
    peak_minute: MinuteLoad | None  # the minute with the most distinct schedules (the first such)


def collisions(fires: Sequence[WindowFires], grid: Grid, budget: int | None = None) -> Report:
    """The report for the schedules of `fires`, bucketed in `grid` (same order)."""
    at_instant: dict[int, list[int]] = {}
    for index, item in enumerate(fires):
        for instant in item.instants:
            at_instant.setdefault(instant, []).append(index)

    per_minute: dict[int, set[int]] = {}
    fires_per_minute: Counter[int] = Counter()
    groups: dict[tuple[int, ...], list[int]] = {}  # group -> [times, first]
    for instant in sorted(at_instant):
        indices = at_instant[instant]
        minute = instant - instant % 60
        per_minute.setdefault(minute, set()).update(indices)
        fires_per_minute[minute] += len(indices)
        if len(indices) > 1:
            group = tuple(sorted(set(indices)))
            if len(group) > 1:
                entry = groups.setdefault(group, [0, instant])
                entry[0] += 1

    minutes = sorted(
        (MinuteLoad(m, tuple(sorted(s)), fires_per_minute[m]) for m, s in per_minute.items()),
        key=lambda load: (-len(load.schedules), -load.fires, load.minute),
    )
    hours = sorted(
        (HourLoad(grid.days[d], h, n) for d, row in enumerate(grid.counts) for h, n in enumerate(row) if n),
        key=lambda load: (-load.fires, load.day, load.hour),
    )
    together = sorted(
        (Together(group, times, first) for group, (times, first) in groups.items()),
        key=lambda t: (-len(t.schedules), -t.times, t.first),
    )
    agent_days: dict[str, list[int]] = {}
    for item, days in zip(fires, grid.per_schedule_day, strict=True):
        row = agent_days.setdefault(item.ref.agent_label, [0] * len(grid.days))
        for i, n in enumerate(days):
            row[i] += n
    agents = sorted(
        (AgentLoad(a, tuple(d)) for a, d in agent_days.items()), key=lambda a: (-a.total, a.agent)
    )
    over = []
    if budget is not None:
        for index, days in enumerate(grid.per_schedule_day):
            most = max(days, default=0)
            if most > budget:
                over.append(OverBudget(index, most, grid.days[days.index(most)]))
        over.sort(key=lambda o: (-o.most, o.schedule))
    return Report(
        busiest_minutes=tuple(minutes[:TOP]),
        busiest_hours=tuple(hours[:TOP]),
        together=tuple(together),
        together_groups=len(together),
        agents=tuple(agents),
        over_budget=tuple(over),
        budget=budget,
        peak_minute=minutes[0] if minutes else None,
    )


def most_in_one_minute(report: Report) -> int:
    """How many distinct schedules fire in the busiest minute (what `--fail-on-collision` checks)."""
    return len(report.peak_minute.schedules) if report.peak_minute else 0
