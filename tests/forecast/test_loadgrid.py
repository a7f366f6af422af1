"""The calendar's load model: per heatmap cell, the most runs in progress at once and what they cost."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from reconciler.bundle.money import Money
from reconciler.forecast.costs import AgentCosts, CostBook, Durations
from reconciler.forecast.fires import ScheduleRef, WindowFires
from reconciler.forecast.heatmap import bucket
from reconciler.forecast.loadgrid import load_grid
from reconciler.forecast.semantics import Semantics
from reconciler.timing import Timing

START = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp())
SEMANTICS = Semantics("orq", None, True, ())


def _fires(agent: str, instants: range) -> WindowFires:
    ref = ScheduleRef(
        "b", f"s-{agent}", agent, "orq", {}, "active", Timing(every=instants.step), {}, "b.yaml", 1
    )
    return WindowFires(ref, SEMANTICS, tuple(instants), False)


def test_runs_longer_than_the_gap_stack_up_in_the_cells_of_the_display_zone() -> None:
    every_5m_for_2h = _fires("slow", range(START, START + 2 * 3600, 300))
    grid = bucket("Europe/Berlin", START, START + 86400, [every_5m_for_2h.instants])
    book = CostBook({"slow": AgentCosts("slow", Money(Decimal("0.50"), "USD"), Durations(660, 660))})
    load = load_grid(grid, [every_5m_for_2h], book)
    # 11-minute runs every 5 minutes: three at once, from the third fire on; Berlin is UTC+2 in June.
    assert load.peak_concurrent == 3
    assert load.peak_at == START + 600
    assert load.concurrent[0][1:5] == (0, 3, 3, 2)  # the 04:00 cell: the runs of 01:50 and 01:55 UTC
    assert load.cost["USD"][0][2] == Decimal("6.00")  # twelve runs at 0.50
    assert load.peak_cost("USD") == Decimal("6.00")


def test_agents_without_duration_or_price_are_left_out_and_counted_apart() -> None:
    priced = _fires("priced", range(START, START + 3600, 1800))
    unknown = _fires("unknown", range(START, START + 3600, 600))
    grid = bucket("UTC", START, START + 86400, [priced.instants, unknown.instants])
    book = CostBook({"priced": AgentCosts("priced", Money(Decimal("1"), "EUR"), None)})
    load = load_grid(grid, [priced, unknown], book)
    assert load.timed_schedules == 0 and load.peak_at is None
    assert load.concurrent[0][0] == 0
    assert load.cost["EUR"][0][0] == Decimal(2)
    assert load.unpriced[0][0] == 6
    assert load.currencies == ("EUR",)
