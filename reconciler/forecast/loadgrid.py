"""The calendar's load model: per day-by-hour cell of the heatmap grid, the most runs in progress at once and
what the runs started there cost (docs/costs.md). The text, JSON and HTML views format this value. Pure.

A run lasts its agent's `duration.typical` (the Costs document); agents without a duration are left out of
the concurrency series (`timed_schedules` says how many are in it), agents without a `perRun` out of the cost
series (their runs are counted in `unpriced`). Runs started before the window are not known, so the first
cells can read low by the runs still going from before it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate

from reconciler.forecast.costs import CostBook
from reconciler.forecast.fires import WindowFires
from reconciler.forecast.heatmap import DAY, SLOT, Grid, LocalClock
from reconciler.forecast.load import predicted_skips, shortest_gap, skips_on_overlap

Cells = tuple[tuple[int, ...], ...]  # [day][hour], the rows of `Grid.days`


@dataclass(frozen=True)
class LoadGrid:
    concurrent: Cells  # the most runs in progress at any instant of the cell
    cost: dict[
        str, tuple[tuple[Decimal, ...], ...]
    ]  # currency -> [day][hour]: price of the runs started there
    unpriced: Cells  # runs started there whose agent has no perRun
    timed_schedules: int  # schedules whose agent has a duration (the concurrency series counts only these)
    peak_concurrent: int  # the most runs in progress at once in the window
    peak_at: int | None  # POSIX seconds, the first instant with that peak; None when no run is timed

    @property
    def currencies(self) -> tuple[str, ...]:
        return tuple(sorted(self.cost))

    def peak_cost(self, currency: str) -> Decimal:
        """The costliest cell, in one currency: what a heatmap scales its colours to."""
        return max((max(row) for row in self.cost.get(currency, ())), default=Decimal(0))


def load_grid(grid: Grid, fires: Sequence[WindowFires], book: CostBook | None) -> LoadGrid:
    """The load of `fires` (those the grid counted, in the same order) over `grid`'s cells."""
    book = book or CostBook()
    rows = len(grid.days)
    clock = LocalClock(grid.zone, grid.start, grid.end)
    first = clock.local(grid.start) // DAY

    def cell(instant: int) -> tuple[int, int]:
        local = clock.local(instant)
        return local // DAY - first, local % DAY // 3600

    cost: dict[str, list[list[Decimal]]] = {}
    unpriced = [[0] * 24 for _ in range(rows)]
    changes: Counter[int] = Counter()
    timed = 0
    for item in fires:
        price = book.per_run(item.ref.agent)
        if price is None:
            for instant in item.instants:
                day, hour = cell(instant)
                unpriced[day][hour] += 1
        else:
            sums = cost.setdefault(price.currency, [[Decimal(0)] * 24 for _ in range(rows)])
            for instant in item.instants:
                day, hour = cell(instant)
                sums[day][hour] += price.amount
        duration = book.duration(item.ref.agent)
        if duration is not None:
            timed += 1
            changes.update(item.instants)
            changes.subtract(instant + duration.typical for instant in item.instants)
    concurrent, peak, peak_at = _concurrency(changes, grid, rows, cell)
    return LoadGrid(
        tuple(tuple(row) for row in concurrent),
        {currency: tuple(tuple(row) for row in sums) for currency, sums in sorted(cost.items())},
        tuple(tuple(row) for row in unpriced),
        timed,
        peak,
        peak_at if timed else None,
    )


def _concurrency(
    changes: Counter[int], grid: Grid, rows: int, cell: Callable[[int], tuple[int, int]]
) -> tuple[list[list[int]], int, int | None]:
    """Each cell's highest level of runs in progress: the level is constant between two changes, and each
    constant stretch raises every cell it touches (visited quarter hour by quarter hour: offsets change
    only on quarter hours, so a quarter hour lies in one cell)."""
    concurrent = [[0] * 24 for _ in range(rows)]
    instants = sorted(t for t, change in changes.items() if change and grid.start <= t < grid.end)
    levels = list(accumulate(changes[t] for t in instants))
    peak, peak_at = 0, None
    for index, (instant, level) in enumerate(zip(instants, levels, strict=True)):
        if level <= 0:
            continue
        if level > peak:
            peak, peak_at = level, instant
        stop = instants[index + 1] if index + 1 < len(instants) else grid.end
        moment = instant
        while moment < stop:
            day, hour = cell(moment)
            if level > concurrent[day][hour]:
                concurrent[day][hour] = level
            moment = (moment // SLOT + 1) * SLOT
    return concurrent, peak, peak_at


@dataclass(frozen=True)
class Overlap:
    """A schedule whose runs overlap themselves in the window: its closest fires are nearer than its agent's
    `duration.p95`; on a platform that skips a fire while the previous run still runs, the fires it drops
    (runs of `duration.typical`)."""

    schedule: int  # index into the calendar's fires
    shortest_gap: int  # seconds
    p95: int
    skip_policy: bool
    predicted_skips: int


@dataclass(frozen=True)
class CalendarLoad:
    """What `calendar` shows from a Costs document: the per-cell series and the self-overlaps."""

    grid: LoadGrid
    overlaps: tuple[Overlap, ...]


def calendar_load(grid: Grid, fires: Sequence[WindowFires], book: CostBook) -> CalendarLoad:
    overlaps = []
    for index, item in enumerate(fires):
        duration = book.duration(item.ref.agent)
        gap = shortest_gap(item.instants)
        if duration is None or gap is None or gap >= duration.p95:
            continue
        skip = skips_on_overlap(item.ref)
        skips = predicted_skips(item.instants, duration.typical) if skip else 0
        overlaps.append(Overlap(index, gap, duration.p95, skip, skips))
    return CalendarLoad(load_grid(grid, fires, book), tuple(overlaps))
