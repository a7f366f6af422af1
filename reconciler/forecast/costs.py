"""The Costs document (`kind: Costs`, docs/costs.md): per agent, what a run costs, how long it lasts and the
budget it must keep. Pure: a loaded `Document` in, a `CostBook` or located problems out.

```yaml
apiVersion: reconciler/v1
kind: Costs
agents:
  agent_briefer:
    perRun: "0.40 USD"
    duration: {typical: 4m, p95: 11m}
    limits: {maxRunsPerDay: 200, maxMonthlyCost: "500 USD", maxConcurrent: 3}
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.bundle.document import Document
from reconciler.bundle.money import Limits, Money, Path_, Where, parse_limits, parse_money, where_of
from reconciler.errors import Diagnostic
from reconciler.timing import TimingError, format_duration, parse_duration

COSTS_KIND = "Costs"
_TOP_KEYS = ("apiVersion", "kind", "agents")
_AGENT_KEYS = ("perRun", "duration", "limits")
_DURATION_KEYS = ("typical", "p95")


@dataclass(frozen=True)
class Durations:
    """How long a run lasts, in seconds: the typical run (concurrency) and the 95th percentile (overlap)."""

    typical: int
    p95: int


@dataclass(frozen=True)
class AgentCosts:
    agent: str
    per_run: Money | None = None
    duration: Durations | None = None
    limits: Limits = field(default_factory=Limits)
    where: Where | None = None  # the agent's key in the Costs document


@dataclass(frozen=True)
class CostBook:
    """Every agent the Costs document names, by agent id (the same id on every target)."""

    agents: dict[str, AgentCosts] = field(default_factory=dict)
    file: str = ""

    def per_run(self, agent: str) -> Money | None:
        found = self.agents.get(agent)
        return found.per_run if found else None

    def duration(self, agent: str) -> Durations | None:
        found = self.agents.get(agent)
        return found.duration if found else None


def is_costs_document(data: Any) -> bool:
    return isinstance(data, dict) and data.get("kind") == COSTS_KIND


def parse_costs(document: Document) -> tuple[CostBook | None, list[Diagnostic]]:
    """The CostBook of one `kind: Costs` document, or every problem in it (file:line:col)."""
    problems: list[Diagnostic] = []

    def report(path: Path_, message: str) -> None:
        problems.append(document.diagnostic(path, message, at_key=_is_unknown(message)))

    data = document.data
    if data.get("apiVersion") != "reconciler/v1":
        report(("apiVersion",), "a Costs document starts with 'apiVersion: reconciler/v1'")
    for key in sorted(set(data) - set(_TOP_KEYS), key=str):
        report((key,), f"unknown field '{key}' in a Costs document; known: {', '.join(_TOP_KEYS)}")
    agents = data.get("agents")
    if not isinstance(agents, dict):
        report(("agents",), "agents must be a mapping of agent id to {perRun, duration, limits}")
        return None, problems
    book: dict[str, AgentCosts] = {}
    for agent, entry in agents.items():
        parsed = _agent(document, str(agent), entry, report)
        if parsed is not None:
            book[str(agent)] = parsed
    return (None, problems) if problems else (CostBook(book, document.file), [])


def _is_unknown(message: str) -> bool:
    return message.startswith("unknown field")


def _agent(document: Document, agent: str, entry: Any, report: Any) -> AgentCosts | None:
    path: Path_ = ("agents", agent)
    if not isinstance(entry, dict):
        report(path, f"agent '{agent}' must be a mapping with {', '.join(_AGENT_KEYS)}")
        return None
    for key in sorted(set(entry) - set(_AGENT_KEYS), key=str):
        report((*path, key), f"unknown field '{key}' for agent '{agent}'; known: {', '.join(_AGENT_KEYS)}")
    per_run = parse_money(entry["perRun"], (*path, "perRun"), report) if "perRun" in entry else None
    duration = _durations(entry.get("duration"), (*path, "duration"), report)
    limits = parse_limits(document, entry.get("limits"), (*path, "limits"), report)
    cap = limits.max_monthly_cost
    if per_run is not None and cap is not None and cap.currency != per_run.currency:
        report(
            (*path, "limits", "maxMonthlyCost"),
            f"agent '{agent}' costs {per_run.currency} per run but its maxMonthlyCost is in {cap.currency}: "
            "one currency per agent",
        )
    if cap is not None and per_run is None:
        report(
            (*path, "limits", "maxMonthlyCost"),
            f"maxMonthlyCost needs agent '{agent}'s perRun: without a price no cost can be forecast",
        )
    if limits.max_concurrent is not None and duration is None:
        report(
            (*path, "limits", "maxConcurrent"),
            f"maxConcurrent needs agent '{agent}'s duration: concurrency is forecast from run durations",
        )
    return AgentCosts(agent, per_run, duration, limits, where_of(document, path))


def _durations(value: Any, path: Path_, report: Any) -> Durations | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        report(path, "duration must be a mapping {typical: 4m, p95: 11m}")
        return None
    for key in sorted(set(value) - set(_DURATION_KEYS), key=str):
        report((*path, key), f"unknown field '{key}' in duration; known: typical, p95")
    seconds: dict[str, int] = {}
    for key in _DURATION_KEYS:
        if key not in value:
            continue
        try:
            seconds[key] = parse_duration(value[key])
        except TimingError as exc:
            report((*path, key), f"duration.{key}: {exc}")
    if "typical" not in value:
        report(path, "duration.typical is required (p95 defaults to it)")
    if "typical" not in seconds:
        return None
    typical = seconds["typical"]
    p95 = seconds.get("p95", typical)
    if p95 < typical:
        report(
            (*path, "p95"),
            f"duration.p95 ({format_duration(p95)}) is shorter than typical ({format_duration(typical)})",
        )
        return None
    return Durations(typical, p95)
