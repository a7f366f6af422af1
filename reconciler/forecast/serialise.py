"""JSON documents of `preview --format json` and `calendar --format json`: plain data, ISO 8601 times
(UTC with `Z`, local with their offset). Pure. Inputs and secrets never appear: only timing is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reconciler.bundle.money import format_amount
from reconciler.forecast.fires import Forecast, ScheduleRef
from reconciler.forecast.moments import iso_utc
from reconciler.timing import load_zone

if TYPE_CHECKING:  # `calendar` builds the view; `preview` never loads its collision and load engines
    from reconciler.forecast.view import CalendarView


def schedule_json(ref: ScheduleRef) -> dict[str, Any]:
    return {
        "bundle": ref.bundle,
        "name": ref.name,
        "agent": ref.agent,
        "provider": ref.provider,
        "api": ref.api,
        "state": ref.state,
        "timezone": ref.timezone,
        "when": ref.when,
        "file": ref.file,
        "line": ref.line,
    }


def preview_json(forecasts: Sequence[Forecast], after: datetime, count: int) -> dict[str, Any]:
    schedules = []
    for forecast in forecasts:
        zone = load_zone(forecast.ref.timezone)
        schedules.append(
            {
                **schedule_json(forecast.ref),
                "exact": forecast.semantics.exact,
                "fires": [
                    {"utc": iso_utc(fire), "local": fire.astimezone(zone).isoformat()}
                    for fire in forecast.fires
                ],
                "notes": list(forecast.notes),
            }
        )
    return {"from": iso_utc(after), "count": count, "schedules": schedules}


def calendar_json(view: CalendarView, fail_on: int | None = None) -> dict[str, Any]:
    report, grid = view.report, view.grid
    labels = [item.ref.label for item in view.fires]

    def names(indices: Sequence[int]) -> list[str]:
        return [labels[i] for i in indices]

    def at(seconds: int) -> str:
        return iso_utc(datetime.fromtimestamp(seconds, UTC))

    most = len(report.peak_minute.schedules) if report.peak_minute else 0
    return {
        "from": iso_utc(view.start),
        "to": iso_utc(view.end),
        "timezone": view.zone,
        "total_fires": grid.total,
        "heatmap": {
            "days": [d.isoformat() for d in grid.days],
            "counts": [list(row) for row in grid.counts],
            "in_window": [list(row) for row in grid.in_window],
        },
        "schedules": [
            {
                **schedule_json(item.ref),
                "exact": item.semantics.exact,
                "fires_in_window": len(item.instants),
                "fires_per_day": list(days),
                "truncated": item.truncated,
            }
            for item, days in zip(view.fires, grid.per_schedule_day, strict=True)
        ],
        "busiest_minutes": [
            {"minute": at(m.minute), "schedules": names(m.schedules), "fires": m.fires}
            for m in report.busiest_minutes
        ],
        "busiest_hours": [
            {"day": h.day.isoformat(), "hour": h.hour, "fires": h.fires} for h in report.busiest_hours
        ],
        "same_instant": [
            {"schedules": names(t.schedules), "times": t.times, "first": at(t.first)} for t in report.together
        ],
        "agents": [
            {"agent": a.agent, "fires_per_day": list(a.per_day), "total": a.total} for a in report.agents
        ],
        "budget": report.budget,
        "over_budget": [
            {"schedule": labels[o.schedule], "most_per_day": o.most, "day": o.day.isoformat()}
            for o in report.over_budget
        ],
        "most_schedules_in_one_minute": most,
        "fail_on_collision": fail_on,
        "collision": fail_on is not None and most > fail_on,
        "offset_changes": [
            {"timezone": c.zone, "at": at(c.instant), "before": c.before, "after": c.after}
            for c in view.changes
        ],
        "notes": [{"schedule": label, "note": note} for label, note in view.notes],
        "paused_left_out": list(view.paused),
        "load": _load_json(view, labels),
    }


def _load_json(view: CalendarView, labels: Sequence[str]) -> dict[str, Any] | None:
    """With a Costs document: per heatmap cell the most runs in progress and the cost of the runs started
    there (amounts as decimal strings), and the schedules whose runs overlap themselves."""
    if view.load is None:
        return None
    load = view.load.grid
    return {
        "concurrent": [list(row) for row in load.concurrent],
        "peak_concurrent": load.peak_concurrent,
        "peak_at": iso_utc(datetime.fromtimestamp(load.peak_at, UTC)) if load.peak_at is not None else None,
        "timed_schedules": load.timed_schedules,
        "cost": {
            currency: [[format_amount(amount) for amount in row] for row in load.cost[currency]]
            for currency in load.currencies
        },
        "unpriced_runs": [list(row) for row in load.unpriced],
        "overlaps": [
            {
                "schedule": labels[overlap.schedule],
                "shortest_gap_seconds": overlap.shortest_gap,
                "p95_seconds": overlap.p95,
                "skip_policy": overlap.skip_policy,
                "predicted_skips": overlap.predicted_skips,
            }
            for overlap in view.load.overlaps
        ],
    }
