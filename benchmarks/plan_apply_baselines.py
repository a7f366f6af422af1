"""The plan/apply benchmark's two baselines, each run on a fresh state after reconciler's scenarios: the best
script a user would write (benchmarks/best_script.py, a whole process) and the sequential script in this
process (in full, or on a sample of the agents and scaled to all of them)."""

from __future__ import annotations

from pathlib import Path

from harness import KEY, Server, run_best_script
from plan_apply_providers import Spec
from plan_apply_report import Row, requests
from scenarios import Scenario, write_bundle


def best_script(
    spec: Spec,
    n: int,
    agents: list[str],
    server: Server,
    rows: list[Row],
    scenarios: tuple[Scenario, ...],
    bundle: Path,
    parallelism: int,
) -> None:
    """The same scenarios, in order, on a fresh state, by the best script a user would write
    (benchmarks/best_script.py: the official SDK where there is one, libyaml's C loader, a thread pool of the
    same parallelism), each run a whole process. `status` has no counterpart. benchmarks/vs_script.py
    interleaves the two run by run; here the script's sequence follows reconciler's."""
    server.admin("POST", "reset")
    for agent in agents:
        server.admin("POST", "agents", {"id": agent})
    for sc, row in zip(scenarios, rows, strict=True):
        if sc.status:
            continue
        write_bundle(bundle, spec, n, agents, changed=int(n * sc.changed), removed=int(n * sc.removed))
        run = run_best_script(bundle, spec, server, parallelism, dry=not sc.apply)
        row.best_script_s = round(run.wall_s, 3)
        row.vs_best_script = round(run.wall_s / row.wall_s, 2)


def global_read(spec: Spec, server: Server) -> tuple[float, int]:
    """The baseline's fixed reads (a global list) against the full live state: time and requests."""
    script = spec.script(server.url, KEY)
    try:
        script.live([], [])
        return script.seconds["fixed"], script.requests["fixed"]
    finally:
        script.close()


def baseline(
    spec: Spec,
    n: int,
    agents: list[str],
    sample: int,
    server: Server,
    rows: list[Row],
    full_state_reads: list[tuple[float, int]],
    scenarios: tuple[Scenario, ...],
) -> None:
    """The same scenarios, in order, by the sequential script on a fresh state: over every agent, or over
    the first `sample` agents and scaled by agents/sample (the fixed global list measured on the full state)."""
    server.admin("POST", "reset")
    covered = agents[:sample]
    scale = len(agents) / sample
    script = spec.script(server.url, KEY)
    try:
        for index, (sc, row) in enumerate(zip(scenarios, rows, strict=True)):
            changed, removed = int(n * sc.changed), int(n * sc.removed)
            mine = [i for i in range(n) if agents[i % len(agents)] in covered]
            wanted = [(i, agents[i % len(agents)], i < changed) for i in mine if i < n - removed]
            gone = [(i, agents[i % len(agents)]) for i in mine if i >= n - removed]
            before = dict(script.seconds), dict(script.requests)
            if sc.apply:
                script.converge(wanted, gone if sc.removed else [], covered)
            else:  # a plan-only script still reads everything it manages
                script.live(covered, [(i, a) for i, a, _ in wanted])
            seconds = {k: script.seconds[k] - before[0][k] for k in script.seconds}
            sent = {k: script.requests[k] - before[1][k] for k in script.requests}
            if sample == len(agents):
                row.baseline_s = round(seconds["fixed"] + seconds["scaled"], 3)
                row.baseline_requests = sent["fixed"] + sent["scaled"]
                row.baseline_basis = "measured"
            else:
                fixed_s, fixed_n = full_state_reads[index] if full_state_reads else (0.0, 0)
                row.baseline_s = round(fixed_s + seconds["scaled"] * scale, 3)
                row.baseline_requests = fixed_n + round(sent["scaled"] * scale)
                row.baseline_basis = (
                    f"scaled from {sample} of {len(agents)} agents ({requests(sent['scaled'])})"
                    + ("; its global list read on the full state" if fixed_n else "")
                )
            row.speedup = round(row.baseline_s / row.wall_s, 2)
    finally:
        script.close()
