"""What the benchmarks run: a generated bundle of N schedules for a provider, the scenarios (creates,
no-change plan, status, updates, archives), the agents they spread over and the work each implies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from plan_apply_providers import Spec, Work


# ---- bundles -----------------------------------------------------------------------------------------------
def write_bundle(
    path: Path, spec: Spec, n: int, agents: list[str], *, changed: int = 0, removed: int = 0
) -> None:
    """Block-style YAML, values as JSON (which YAML reads): what a generated bundle looks like."""
    lines = [
        "apiVersion: reconciler/v1",
        "kind: Bundle",
        "bundleKey: bench",
        f"target: {json.dumps(spec.target)}",
    ]
    lines += ["prune: archive", "schedules:"]
    for i in range(n - removed):
        entry = spec.schedule(i, agents[i % len(agents)], i < changed)
        first = True
        for key, value in entry.items():
            lines.append(f"  {'- ' if first else '  '}{key}: {json.dumps(value)}")
            first = False
    path.write_text("\n".join(lines) + "\n")


# ---- one provider at one size ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    name: str
    apply: bool
    changed: float = 0.0  # share of the bundle edited
    removed: float = 0.0  # share of the bundle removed (archived)
    creates: bool = False
    status: bool = False  # `reconciler status`: the fire counters read, no plan


SCENARIOS = (
    Scenario("apply: all creates", True, creates=True),
    Scenario("plan: no changes", False),
    Scenario("status: counters read", False, status=True),
    Scenario("plan: 10% changed", False, changed=0.1),
    Scenario("apply: 10% updates", True, changed=0.1),
    Scenario("apply: 10% archives", True, changed=0.1, removed=0.1),
)


def agents_for(n: int) -> list[str]:
    return [f"agent_{i:03d}" for i in range(max(10, min(200, n // 50)))]


def work_for(sc: Scenario, n: int, agent_count: int) -> Work:
    per_agent = tuple(len(range(a, n, agent_count)) for a in range(agent_count))
    if sc.creates:
        return Work(tuple(0 for _ in per_agent), creates=n)
    updates = int(n * sc.changed) if sc.apply and not sc.removed else 0
    return Work(per_agent, updates=updates, archives=int(n * sc.removed) if sc.apply else 0)
