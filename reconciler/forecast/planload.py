"""The load and cost change a plan makes (docs/costs.md): the live schedules' timing before, the state the
plan leaves after, forecast over the same 30 days. Pure: a Plan (with its steps' live and desired sides),
a CostBook and "now" in; deltas and their JSON out.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.money import Money, format_amount
from reconciler.bundle.when import timing_from_when
from reconciler.forecast.budgets import LoadDelta, Scope, delta_text, load_deltas
from reconciler.forecast.costs import CostBook
from reconciler.forecast.fires import ScheduleRef
from reconciler.forecast.load import forecast_load
from reconciler.forecast.semantics import Semantics, semantics_for
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import BundlePlan, Plan
from reconciler.providers.capabilities import capabilities_for
from reconciler.timing import TimingError

REMOVING = frozenset({"archive", "delete"})
# Steps that always change a schedule's runs; any other changes them only through these fields (the agent
# carries the cost).
RUN_CHANGING_KINDS = frozenset({"create", "archive", "delete", "pause", "resume"})
RUN_FIELDS = frozenset({"when", "state", "agent"})


def changes_runs(plan: Plan) -> bool:
    """Whether a step of `plan` can change any schedule's runs or cost. Where none can, every bundle's and
    agent's load is the same before and after, so a view that shows only changes has nothing to show and
    need not forecast the 30 days twice (seconds at 10,000 schedules)."""
    return any(
        action.kind in RUN_CHANGING_KINDS or any(c.path.split(".")[0] in RUN_FIELDS for c in action.changes)
        for bundle in plan.bundles
        for action in bundle.actions
    )


def plan_load(plan: Plan, book: CostBook | None, now: datetime) -> tuple[int, list[LoadDelta]]:
    """The window's first instant and, per bundle then per agent, the runs and monthly cost before -> after.
    Only plans made in this run carry their steps' live and desired sides: a plan read back from a file has
    no load to show."""
    before: list[tuple[ScheduleRef, Semantics]] = []
    after: list[tuple[ScheduleRef, Semantics]] = []
    for bundle in plan.bundles:
        for action in bundle.actions:
            if action.live is not None and action.live.state != "archived":
                live = _from_live(bundle, action.live)
                if live is not None:
                    before.append(_ref(bundle, live, action.name))
            if action.kind in REMOVING:
                continue
            if action.desired is not None:
                after.append(_ref(bundle, action.desired, action.name))
            elif action.live is not None and action.live.state != "archived":
                kept = _from_live(bundle, action.live)
                if kept is not None:
                    after.append(_ref(bundle, kept, action.name))
    quick = {"agent_peaks": False, "bundle_peaks": False}
    old, new = forecast_load(before, book, now, **quick), forecast_load(after, book, now, **quick)
    return new.start, load_deltas(old, new)


def _from_live(bundle: BundlePlan, live: LiveSchedule) -> DesiredSchedule | None:
    """The live schedule as the bundle would write it; None where its timing cannot be read back."""
    if not live.when:
        return None
    try:
        timing = timing_from_when(live.when, capabilities_for(bundle.provider, bundle.target.get("api")))
    except (TimingError, ValueError, KeyError, TypeError):
        return None
    if timing is None:
        return None
    state: Literal["active", "paused"] = "paused" if live.state == "paused" else "active"
    return DesiredSchedule(
        live.name or live.remote_id, live.agent, state, live.when, timing, {}, {}, live.options
    )


def _ref(bundle: BundlePlan, schedule: DesiredSchedule, name: str) -> tuple[ScheduleRef, Semantics]:
    ref = ScheduleRef.of(bundle.bundle_key, bundle.provider, bundle.target, schedule, name=name)
    return ref, semantics_for(bundle.provider, bundle.target, schedule)


def load_json(start: int, deltas: list[LoadDelta]) -> dict[str, Any]:
    """The plan JSON's `load` (docs/plan-json.md)."""
    return {
        "window": {
            "start": datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "days": 30,
        },
        "bundles": [_delta_json(d) for d in deltas if d.scope == "bundle"],
        "agents": [_delta_json(d) for d in deltas if d.scope == "agent"],
    }


_SCOPES: tuple[tuple[Scope, str], ...] = (("bundle", "bundles"), ("agent", "agents"))


def load_from_json(value: Any) -> tuple[int, list[LoadDelta]]:
    """A saved plan's `load` (what `load_json` wrote) back as values, for `show`. ValueError says what is
    wrong: a plan file may come from an artifact someone else uploaded."""
    try:
        start = datetime.strptime(value["window"]["start"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        deltas = [_delta_from_json(scope, entry) for scope, key in _SCOPES for entry in value[key]]
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise ValueError(f"'load' is not what `plan --out` writes ({type(exc).__name__}: {exc})") from None
    return int(start.timestamp()), deltas


def _delta_from_json(scope: Scope, entry: dict[str, Any]) -> LoadDelta:
    def pair(name: str) -> tuple[int, int]:
        before, after = entry[name]["before"], entry[name]["after"]
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (before, after)):
            raise TypeError(f"{name} must hold whole numbers")
        return before, after

    def money(items: list[dict[str, str]]) -> tuple[Money, ...]:
        return tuple(Money(Decimal(str(m["amount"])), str(m["currency"])) for m in items)

    key = str(entry["bundle_key" if scope == "bundle" else "agent"])
    cost = entry["monthly_cost"]
    return LoadDelta(
        scope,
        key,
        pair("runs_per_day"),
        pair("runs_per_month"),
        (money(cost["before"]), money(cost["after"])),
    )


def _delta_json(delta: LoadDelta) -> dict[str, Any]:
    key = "bundle_key" if delta.scope == "bundle" else "agent"
    return {
        key: delta.key,
        "runs_per_day": {"before": delta.runs_per_day[0], "after": delta.runs_per_day[1]},
        "runs_per_month": {"before": delta.runs_per_month[0], "after": delta.runs_per_month[1]},
        "monthly_cost": {
            "before": [_money(m) for m in delta.monthly_cost[0]],
            "after": [_money(m) for m in delta.monthly_cost[1]],
            "change": [_money(m) for m in delta.cost_change],
        },
    }


def _money(money: Money) -> dict[str, str]:
    return {"amount": format_amount(money.amount), "currency": money.currency}


def load_lines(start: int, deltas: list[LoadDelta]) -> list[str]:
    """The text plan's load section: only the bundles and agents whose runs or cost change; none, no lines."""
    changed = [d for d in deltas if d.changed or d.cost_change]
    if not changed:
        return []
    day = datetime.fromtimestamp(start, UTC).date().isoformat()
    lines = [f"Load and cost (the 30 days from {day}, UTC; runs/day = the busiest day):"]
    lines += [f"  {d.scope} {d.key}: {delta_text(d)}" for d in changed]
    return lines


def load_markdown(start: int, deltas: list[LoadDelta]) -> str:
    """The PR comment's load section: a table of what changes; "" when nothing does."""
    changed = [d for d in deltas if d.changed or d.cost_change]
    if not changed:
        return ""
    day = datetime.fromtimestamp(start, UTC).date().isoformat()
    rows = [
        f"**Load and cost** (the 30 days from {day}, UTC; runs/day = the busiest day)",
        "",
        "| | runs/day | runs/month | change |",
        "|---|---|---|---|",
    ]
    for d in changed:
        change = delta_text(d).rsplit(" (", 1)[1].rstrip(")")
        rows.append(
            f"| {d.scope} <code>{html.escape(d.key)}</code> | {d.runs_per_day[0]:,} → {d.runs_per_day[1]:,} "
            f"| {d.runs_per_month[0]:,} → {d.runs_per_month[1]:,} | {html.escape(change)} |"
        )
    return "\n".join(rows) + "\n"
