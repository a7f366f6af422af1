"""benchmarks/plan_apply.py: its bundles stay valid for every provider, and (slow) at a small size each
provider's real CLI sends exactly the requests the benchmark calls the API's minimum, does all the work, and
the sequential baseline script converges the same scenarios.

The slow test is the benchmark's "requests = minimum" target as a regression check: one extra request per
schedule (a per-schedule GET during plan, a read before each write) fails it; a known, deliberate excess is
declared, with its reason, by the provider's spec in benchmarks/plan_apply_providers.py (`deliberate`), and
the report counts it apart from the minimum.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from reconciler.bundle.validate import load_bundles
from tests.conftest import ROOT

N = 40  # schedules: over 10 agents, so 4 updates and 4 archives per run


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    sys.path.insert(0, str(ROOT / "benchmarks"))  # the benchmark's modules import each other by name
    try:
        import plan_apply

        yield plan_apply
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def test_every_providers_bundles_validate_in_every_scenario(bench: ModuleType, tmp_path: Path) -> None:
    specs = bench.SPECS.values()
    for spec in specs:
        agents = bench.agents_for(N)
        for scenario in bench.SCENARIOS:
            path = tmp_path / f"{spec.key}-{scenario.name.replace(' ', '_').replace(':', '')}.yaml"
            changed, removed = int(N * scenario.changed), int(N * scenario.removed)
            bench.write_bundle(path, spec, N, agents, changed=changed, removed=removed)
            loaded = load_bundles([str(path)])
            assert loaded.diagnostics == [], (spec.key, scenario.name, loaded.diagnostics[:3])
            assert len(loaded.bundles[0].schedules) == N - removed
    assert {s.provider for s in specs} == {"cadenya", "agentex", "orq", "oz", "tbd-agents"}


@pytest.mark.slow
@pytest.mark.parametrize("key", ["cadenya", "agentex", "agentex-run-schedules", "orq", "oz", "tbd-agents"])
def test_the_cli_sends_the_minimum_and_the_baseline_does_the_same_work(bench: ModuleType, key: str) -> None:
    opts = argparse.Namespace(
        latency=0.0,
        parallelism=4,
        baseline=True,
        full=True,
        baseline_full=N,
        baseline_sample=N,
        best_script=False,
    )
    spec = bench.SPECS[key]
    with bench.sandbox(spec, bench.agents_for(N), 0.0) as server:
        rows, _ = bench.bench(spec, N, opts, server, with_cpu=False)
    assert [r.scenario for r in rows] == [s.name for s in bench.SCENARIOS]
    for row in rows:
        assert row.requests == row.min_requests + row.deliberate_requests, (row.scenario, row.routes)
        writes = (
            N if (key, row.scenario) == ("orq", "apply: all creates") else 0
        )  # orq: the id PATCH after each create (see its deliberate_why)
        assert row.writes_done == row.writes_needed + writes, (row.scenario, row.routes)
        assert row.baseline_basis == "measured" and row.baseline_requests, row.scenario
    creates = rows[0]
    made = 2 * N if key == "orq" else N  # orq: each create and its id PATCH
    assert creates.writes_done == made and creates.baseline_requests >= N  # the script created them all too
