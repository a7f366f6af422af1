"""The controller's warm re-plan at 10,000 schedules against the network ideal and a cold `reconciler plan`.

    .venv/bin/python benchmarks/controller_replan.py                 # Cadenya, N = 10,000, 20 ms, 5 rounds
    .venv/bin/python benchmarks/controller_replan.py --n 1000 --rounds 3

The Cadenya sandbox runs in its own process with the latency given (as benchmarks/vs_script.py). The bundle
is applied once; then, interleaved round by round: a cold `reconciler plan` (a whole process: start-up,
loading, validation, reads, plan) and one warm round of the controller (`Controller.round()` in this process,
watching a git repository holding the bundle: `git fetch`, `git rev-parse`, then the reads and the plan of a
bundle validated once, with warm connections). The controller's first round (clone, validation, the next
hour's fire counts) is reported apart. `status` verdicts are off (`--status-every 0`): they read the fire
counters, a request pattern of their own. The ideal: the fewest requests the API allows, one latency each,
at the parallelism given (benchmarks/plan_apply_providers.py). Target: warm ÷ ideal ≤ 1.2.
Results: benchmarks/results/controller_replan.{md,json}, with the load average beside every figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import run_cli, run_header, sandbox
from plan_apply import RESULTS
from plan_apply_providers import SPECS
from scenarios import SCENARIOS, agents_for, work_for, write_bundle

from reconciler.cli.session import Options
from reconciler.controller.git import GitSource, Revision
from reconciler.controller.logs import Secrets
from reconciler.controller.loop import Controller, Settings
from reconciler.controller.metrics import ControllerMetrics
from reconciler.providers import http


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=20.0, help="ms per request in the sandbox")
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    opts = parser.parse_args()
    gc.freeze()  # the collector as `reconciler controller` runs it (reconciler.cli.main.run)
    gc.set_threshold(100_000, 50, 100)
    spec = SPECS["cadenya"]
    agents = agents_for(opts.n)
    ideal = spec.minimum(
        work_for(next(s for s in SCENARIOS if s.name == "plan: no changes"), opts.n, len(agents))
    ).ideal_s(opts.latency / 1000, opts.parallelism)
    cold: list[dict[str, float]] = []
    warm: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp, sandbox(spec, agents, opts.latency) as server:
        repo = Path(tmp) / "repo"
        (repo / "bundles").mkdir(parents=True)
        bundle = repo / "bundles" / "bench.yaml"
        write_bundle(bundle, spec, opts.n, agents)
        _git(repo, "init", "--quiet", "--initial-branch", "main")
        _git(repo, "add", "--all")
        _git(repo, "commit", "--quiet", "-m", "bench")
        run_cli(["apply", "--auto-approve", str(bundle)], server.env, opts.parallelism)
        os.environ.update(server.env)
        os.environ.pop("RECONCILER_SANDBOX", None)
        metrics = ControllerMetrics()
        http.request_observers.append(metrics.observe_request)
        options = Options((), parallelism=opts.parallelism)
        source = GitSource(str(repo), "main", "bundles", str(Path(tmp) / "work"))
        controller = Controller(source, Settings(options, 60.0, status_every=0), metrics, Secrets())
        first = _round(controller)
        assert controller.snapshot.ready, controller.snapshot
        for index in range(opts.rounds):
            for who in ("cold", "warm") if index % 2 == 0 else ("warm", "cold"):
                if who == "cold":
                    run = run_cli(["plan", str(bundle)], server.env, opts.parallelism)
                    cold.append(
                        {"wall_s": run.wall_s, "cpu_s": run.cpu_s, "rss_mb": run.rss_mb, "load_1m": _load()}
                    )
                else:
                    warm.append(_round(controller))
            print(f"round {index + 1} of {opts.rounds} done", file=sys.stderr)
        [status] = controller.snapshot.bundles
        assert status.result == "ok", status
        controller.close()
    header = run_header(
        opts.latency,
        opts.parallelism,
        n=opts.n,
        rounds=opts.rounds,
        ideal_s=round(ideal, 3),
        # this process: the controller with the bundle, its plan and its providers (the sandbox runs apart)
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    )
    result = {"header": header, "first_round": first, "warm": warm, "cold": cold}
    opts.out.mkdir(parents=True, exist_ok=True)
    (opts.out / "controller_replan.json").write_text(json.dumps(result, indent=2) + "\n")
    text = _markdown(header, first, warm, cold, ideal)
    (opts.out / "controller_replan.md").write_text(text)
    print(text)
    return 0


def _round(controller: Controller) -> dict[str, float]:
    """One round, timed; with how much of it was the source's poll (`git fetch`, `git rev-parse`)."""
    poll, spent = controller.source.poll, [0.0]

    def timed_poll() -> Revision:
        start = time.perf_counter()
        try:
            return poll()
        finally:
            spent[0] += time.perf_counter() - start

    controller.source.poll = timed_poll  # type: ignore[method-assign]
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        controller.round()
    finally:
        controller.source.poll = poll  # type: ignore[method-assign]
    return {
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "git_s": spent[0],
        "load_1m": _load(),
    }


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _markdown(
    header: dict[str, object],
    first: dict[str, float],
    warm: list[dict[str, float]],
    cold: list[dict[str, float]],
    ideal: float,
) -> str:
    def row(name: str, runs: list[dict[str, float]]) -> str:
        walls = [r["wall_s"] for r in runs]
        median = statistics.median(walls)
        cpus = statistics.median(r["cpu_s"] for r in runs)
        loads = ", ".join(f"{r['load_1m']:g}" for r in runs)
        git = f"{statistics.median(r['git_s'] for r in runs):.2f}" if "git_s" in runs[0] else "–"
        return (
            f"| {name} | {median:.2f} ({min(walls):.2f}–{max(walls):.2f}) | {git} | {cpus:.2f} | "
            f"{median / ideal:.2f} | {loads} |"
        )

    return "\n".join(
        [
            "# Controller: warm re-plan vs. the network ideal and a cold `reconciler plan`",
            "",
            f"{header['when']} · {header['cpu']} · {header['cpus']} CPUs · Cadenya sandbox in its own process · "
            f"N = {header['n']:,} · latency {header['latency_ms']} ms · parallelism {header['parallelism']} · "
            f"{header['rounds']} interleaved rounds · ideal {ideal:.3f} s · the controller's peak RSS "
            f"{header['peak_rss_mb']} MB",
            "",
            "| run | wall s, median (min–max) | of which git s | CPU s, median | ÷ ideal | load 1m per run |",
            "|---|---|---|---|---|---|",
            row("controller, warm round (fetch + reads + plan)", warm),
            row("`reconciler plan`, cold process", cold),
            row("controller, first round (clone + validate + reads + plan)", [first]),
            "",
            "The warm round's CPU is this process's (the reads' HTTP client and the planner); the cold plan's is "
            "its own process's. The machine is shared: read every figure with the load beside it.",
            "",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
