"""A fleet in one run: 100,000 schedules over 100 bundles, applied (all creates) and then planned (no changes).

    .venv/bin/python benchmarks/fleet.py                          # 100,000 over 100 bundles, latency 0
    .venv/bin/python benchmarks/fleet.py --n 20000 --bundles 20 --latency 20

The issue's target: the reconciler process peaks at 600 MB or less. The Cadenya sandbox runs in its own
process (benchmarks/plan_apply.py starts it) with the latency given: 0 by default, since the target is
memory and a 20 ms run of 100,000 creates at parallelism 8 takes over four minutes of waiting alone. Each
bundle is one team's: its own file and bundle key, and its own two of the 200 agents (schedule i goes to
agent i mod 200 and bundle i mod 100), the layout a fleet split by team has. Every CLI run is a process of
its own, forked from a small launcher that reports its wall time, CPU (user + system) and peak RSS; the
machine's load average is printed beside each figure (wall time is not meaningful on a shared machine).
Results: benchmarks/results/fleet.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from harness import Run, run_header, sandbox, timed
from memory import fresh, write_bundles
from plan_apply import RESULTS
from plan_apply_providers import SPECS
from scenarios import agents_for

TARGET_MB = 600


def run(verb: list[str], folder: Path, env: dict[str, str], parallelism: int) -> Run:
    argv = [sys.executable, "-m", "reconciler", *verb, str(folder), "--parallelism", str(parallelism)]
    return timed(argv, env)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--bundles", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.0, help="ms per request in the sandbox")
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--out", type=Path, default=RESULTS)
    opts = parser.parse_args()
    agents = agents_for(opts.n)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp, sandbox(SPECS["cadenya"], agents, opts.latency) as server:
        folder = Path(tmp) / "fleet"
        write_bundles(folder, opts.n, opts.bundles, agents)
        fresh(server, agents)
        env = {**os.environ, **server.env}
        env.pop("RECONCILER_SANDBOX", None)
        for step, verb in (
            ("apply: all creates", ["apply", "--auto-approve"]),
            ("plan: no changes", ["plan"]),
        ):
            load_before = os.getloadavg()[0]
            result = run(verb, folder, env, opts.parallelism)
            rows.append(
                {
                    "step": step,
                    "wall_s": round(result.wall_s, 1),
                    "cpu_s": round(result.cpu_s, 1),
                    "peak_rss_mb": round(result.rss_mb),
                    "load_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                }
            )
            print(f"{step}: {rows[-1]}", file=sys.stderr)
        listed = server.admin("GET", "stats")
    header = run_header(opts.latency, opts.parallelism, n=opts.n, bundles=opts.bundles, target_mb=TARGET_MB)
    opts.out.mkdir(parents=True, exist_ok=True)
    data = {"header": header, "rows": rows, "sandbox_routes": listed.get("routes", {})}
    (opts.out / "fleet.json").write_text(json.dumps(data, indent=2) + "\n")
    lines = [
        f"# {opts.n:,} schedules over {opts.bundles} bundles in one run (Cadenya sandbox)",
        "",
        f"{header['when']}, {header['cpu']} ({header['cpus']} CPUs), latency {opts.latency:g} ms, "
        f"parallelism {opts.parallelism}. Target: peak RSS ≤ {TARGET_MB} MB.",
        "",
        "| step | peak RSS | CPU (user+sys) | wall | load (1 min, before → after) |",
        "|---|---:|---:|---:|---|",
    ]
    for r in rows:
        load = r["load_1m"]
        lines.append(
            f"| {r['step']} | {r['peak_rss_mb']} MB | {r['cpu_s']} s | {r['wall_s']} s | "
            f"{load[0]} → {load[1]} |"  # type: ignore[index]
        )
    text = "\n".join(lines) + "\n"
    (opts.out / "fleet.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
