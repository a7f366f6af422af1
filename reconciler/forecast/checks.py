"""The budget check `validate`, `plan` and `apply` start with (docs/costs.md): the load forecast of the 30 days
from "now" against every limit, as located problems. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reconciler.bundle.desired import Bundle
from reconciler.errors import Diagnostic
from reconciler.forecast.budgets import check_budgets
from reconciler.forecast.costs import CostBook
from reconciler.forecast.fires import schedules_of
from reconciler.forecast.load import LoadForecast, forecast_load


def has_limits(bundles: Sequence[Bundle], book: CostBook | None) -> bool:
    return any(not b.limits.empty for b in bundles) or (
        book is not None and any(not a.limits.empty for a in book.agents.values())
    )


def budget_problems(bundles: Sequence[Bundle], book: CostBook | None, now: datetime) -> list[Diagnostic]:
    """Every budget the bundles' schedules exceed, at the line of the schedule that contributes most; and
    every bundle limit that cannot be checked (a cost without prices, a concurrency without durations)."""
    if not has_limits(bundles, book):
        return []
    agent_caps = book is not None and any(a.limits.max_concurrent for a in book.agents.values())
    bundle_caps = any(b.limits.max_concurrent for b in bundles)
    forecast = forecast_load(
        schedules_of(bundles), book, now, agent_peaks=agent_caps, bundle_peaks=bundle_caps
    )
    problems = [
        breach.diagnostic() for breach in check_budgets(forecast, book, {b.key: b.limits for b in bundles})
    ]
    problems += _uncheckable(bundles, forecast, book)
    return sorted(set(problems))


def _uncheckable(
    bundles: Sequence[Bundle], forecast: LoadForecast, book: CostBook | None
) -> list[Diagnostic]:
    found = []
    for bundle in bundles:
        group = forecast.bundle(bundle.key)
        if group is None:
            continue
        agents = sorted({forecast.schedules[i].ref.agent for i in group.schedules})
        limits = bundle.limits
        # (limit, whether the bundle sets it, what it reads, the agents without that figure)
        needs = (
            (
                "maxMonthlyCost",
                limits.max_monthly_cost is not None,
                "perRun",
                [a for a in agents if book is None or book.per_run(a) is None],
            ),
            (
                "maxConcurrent",
                limits.max_concurrent is not None,
                "duration",
                [a for a in agents if book is None or book.duration(a) is None],
            ),
        )
        for limit, is_set, figure, missing in needs:
            where = limits.where.get(limit)
            if is_set and missing and where is not None:
                found.append(
                    Diagnostic(
                        where.file,
                        where.line,
                        where.col,
                        f"{limit} of bundle '{bundle.key}' needs the {figure} of {', '.join(missing)} in a "
                        "Costs document (kind: Costs, or --costs FILE)",
                        f"limits.{limit}",
                    )
                )
    return found
