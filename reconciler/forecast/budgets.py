"""Budgets and plan deltas over a load forecast (docs/costs.md). Pure.

* `check_budgets`: every limit of an agent (Costs document) or a bundle (`limits:`) the forecast exceeds, each
  placed on the schedule that contributes most, naming the limit's own file:line;
* `load_deltas`: runs per day and per month, and the monthly cost, before -> after, per bundle and per agent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from reconciler.bundle.money import Limits, Money, Where, format_amount
from reconciler.errors import Diagnostic
from reconciler.forecast.costs import CostBook
from reconciler.forecast.fires import ScheduleRef
from reconciler.forecast.load import GroupLoad, LoadForecast
from reconciler.timing.wallclock import DAY

Scope = Literal["agent", "bundle"]


@dataclass(frozen=True)
class Breach:
    scope: Scope
    key: str  # the agent id or bundle key
    limit: str  # maxRunsPerDay, maxMonthlyCost or maxConcurrent
    allowed: str
    forecast: str
    limit_where: Where
    schedule: ScheduleRef  # the schedule that contributes most
    message: str

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(self.schedule.file, self.schedule.line, 1, self.message, "limits")


def check_budgets(
    forecast: LoadForecast, book: CostBook | None, bundle_limits: Mapping[str, Limits]
) -> list[Breach]:
    found: list[Breach] = []
    for group in forecast.agents:
        costs = book.agents.get(group.key) if book else None
        if costs is not None and not costs.limits.empty:
            found += _breaches(forecast, group, "agent", costs.limits)
    for group in forecast.bundles:
        limits = bundle_limits.get(group.key)
        if limits is not None and not limits.empty:
            found += _breaches(forecast, group, "bundle", limits)
    return found


def _breaches(forecast: LoadForecast, group: GroupLoad, scope: Scope, limits: Limits) -> list[Breach]:
    found = []
    who = f"{scope} '{group.key}'"
    if limits.max_runs_per_day is not None and group.runs_per_day > limits.max_runs_per_day:
        day = group.busiest_day
        top = _top(forecast, group, lambda i: forecast.schedules[i].per_day[day])
        when = datetime.fromtimestamp(forecast.start + day * DAY, UTC).date().isoformat()
        found.append(
            _breach(
                group,
                scope,
                "maxRunsPerDay",
                str(limits.max_runs_per_day),
                str(group.runs_per_day),
                limits,
                top,
                f"{who}: {group.runs_per_day} runs on {when} (UTC) exceed maxRunsPerDay "
                f"{limits.max_runs_per_day}",
            )
        )
    cap = limits.max_monthly_cost
    if cap is not None:
        spent = next(
            (m for m in group.monthly_cost if m.currency == cap.currency), Money(Decimal(0), cap.currency)
        )
        if spent.amount > cap.amount:
            top = _top(forecast, group, lambda i: forecast.schedules[i].runs_per_month)
            found.append(
                _breach(
                    group,
                    scope,
                    "maxMonthlyCost",
                    str(cap),
                    str(spent),
                    limits,
                    top,
                    f"{who}: ≈ {spent}/month ({group.runs_per_month} runs in 30 days) exceeds maxMonthlyCost {cap}",
                )
            )
    peak = group.peak_concurrent
    if limits.max_concurrent is not None and peak is not None and peak > limits.max_concurrent:
        at = group.peak_at or 0
        # Which schedules overlap at the peak is not kept; the busiest one is where to act.
        top = _top(forecast, group, lambda i: forecast.schedules[i].runs_per_day)
        when = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        found.append(
            _breach(
                group,
                scope,
                "maxConcurrent",
                str(limits.max_concurrent),
                str(group.peak_concurrent),
                limits,
                top,
                f"{who}: {group.peak_concurrent} runs at once at {when} exceed maxConcurrent "
                f"{limits.max_concurrent}",
            )
        )
    return found


def _top(forecast: LoadForecast, group: GroupLoad, weight: Callable[[int], int]) -> ScheduleRef:
    best = max(group.schedules, key=lambda i: (weight(i), -i))
    return forecast.schedules[best].ref


def _breach(
    group: GroupLoad,
    scope: Scope,
    limit: str,
    allowed: str,
    found: str,
    limits: Limits,
    top: ScheduleRef,
    text: str,
) -> Breach:
    where = limits.where.get(limit, Where("", 0, 0))
    message = f"{text} (limit at {where}); {top.label} contributes most"
    return Breach(scope, group.key, limit, allowed, found, where, top, message)


@dataclass(frozen=True)
class LoadDelta:
    scope: Scope
    key: str
    runs_per_day: tuple[int, int]  # before, after
    runs_per_month: tuple[int, int]
    monthly_cost: tuple[tuple[Money, ...], tuple[Money, ...]]  # before, after; empty: no price known

    @property
    def changed(self) -> bool:
        return (
            self.runs_per_day[0] != self.runs_per_day[1] or self.runs_per_month[0] != self.runs_per_month[1]
        )

    @property
    def cost_change(self) -> tuple[Money, ...]:
        """After minus before, per currency (zero changes left out)."""
        before = {m.currency: m.amount for m in self.monthly_cost[0]}
        after = {m.currency: m.amount for m in self.monthly_cost[1]}
        changes = (
            Money(after.get(c, Decimal(0)) - before.get(c, Decimal(0)), c) for c in sorted({*before, *after})
        )
        return tuple(m for m in changes if m.amount)


def load_deltas(before: LoadForecast, after: LoadForecast) -> list[LoadDelta]:
    """Per bundle, then per agent, in after's order (then what only before has), changed or not."""
    deltas = []
    for scope, old, new in (
        ("bundle", before.bundles, after.bundles),
        ("agent", before.agents, after.agents),
    ):
        olds = {g.key: g for g in old}
        news = {g.key: g for g in new}
        for key in [*news, *(k for k in olds if k not in news)]:
            a, b = olds.get(key), news.get(key)
            deltas.append(
                LoadDelta(
                    scope,  # type: ignore[arg-type]
                    key,
                    (a.runs_per_day if a else 0, b.runs_per_day if b else 0),
                    (a.runs_per_month if a else 0, b.runs_per_month if b else 0),
                    (a.monthly_cost if a else (), b.monthly_cost if b else ()),
                )
            )
    return deltas


def signed(number: int) -> str:
    return f"+{number:,}" if number > 0 else f"{number:,}" if number < 0 else "±0"


def signed_money(money: Money) -> str:
    sign = "+" if money.amount > 0 else "-" if money.amount < 0 else "±"
    return f"{sign}{Decimal(format_amount(abs(money.amount))):,f} {money.currency}"


def delta_text(delta: LoadDelta) -> str:
    """`9 → 33 runs/day, 270 → 990 runs/month (+720 runs/month, ≈ +288.00 USD/month)`."""
    (day0, day1), (month0, month1) = delta.runs_per_day, delta.runs_per_month
    parts = [f"{signed(month1 - month0)} runs/month"]
    parts += [f"≈ {signed_money(m)}/month" for m in delta.cost_change]
    return f"{day0:,} → {day1:,} runs/day, {month0:,} → {month1:,} runs/month ({', '.join(parts)})"
