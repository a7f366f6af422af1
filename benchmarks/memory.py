"""Peak memory of `plan` (no changes) and `apply` (all creates) by number of schedules, and what holds it.

    .venv/bin/python benchmarks/memory.py                              # N = 10,000 in 1 bundle, 100,000 in 100
    .venv/bin/python benchmarks/memory.py --sizes 10000 --bundles 1
    .venv/bin/python benchmarks/memory.py --sizes 10000 --holders      # + tracemalloc's top holders at the peak
    .venv/bin/python benchmarks/memory.py --provider oz --sizes 2000,10000 --bundles 1,1

Against the Cadenya sandbox (or `--provider`'s), in its own process (benchmarks/plan_apply.py starts it), with the latency given
(0 by default: memory does not depend on it). Every CLI run is a process of its own, forked from a small
launcher, so its peak RSS (`ru_maxrss`, the kernel's high-water mark) is its own. The bare start-up is the
peak of the same command on a bundle of one schedule: what is left, divided by N / 1,000, is the memory each
1,000 schedules cost (the issue's target: at most 5 MB). `--holders` runs the same command again inside a
process that traces allocations (tracemalloc; much slower) and prints the lines holding the most memory at
the traced peak, grouped by file and line. Results: benchmarks/results/memory.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness import Server, run_header, sandbox, timed
from plan_apply import RESULTS
from plan_apply_providers import SPECS
from scenarios import agents_for

ROOT = Path(__file__).resolve().parent.parent


def write_bundles(
    folder: Path, n: int, bundles: int, agents: list[str], provider: str = "cadenya"
) -> list[Path]:
    """`n` schedules of `provider` spread over `bundles` files (bundle keys `fleet-000`...), over `agents`:
    block YAML with JSON values, what a generated bundle looks like (benchmarks/plan_apply.py writes the same)."""
    spec = SPECS[provider]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for b in range(bundles):
        lines = [
            "apiVersion: reconciler/v1",
            "kind: Bundle",
            f"bundleKey: fleet-{b:03d}",
            f"target: {json.dumps(spec.target)}",
            "prune: archive",
            "schedules:",
        ]
        for i in range(b, n, bundles):
            entry = spec.schedule(i, agents[i % len(agents)], False)
            first = True
            for key, value in entry.items():
                lines.append(f"  {'- ' if first else '  '}{key}: {json.dumps(value)}")
                first = False
        path = folder / f"fleet-{b:03d}.yaml"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def cli(server: Server, verb: list[str], folder: Path, parallelism: int) -> float:
    """Peak RSS in MB of `reconciler VERB FOLDER` as a process of its own."""
    env = {**os.environ, **server.env}
    env.pop("RECONCILER_SANDBOX", None)
    argv = [sys.executable, "-m", "reconciler", *verb, str(folder), "--parallelism", str(parallelism)]
    return timed(argv, env).rss_mb


def fresh(server: Server, agents: list[str]) -> None:
    server.admin("POST", "reset")
    for agent in agents:
        server.admin("POST", "agents", {"id": agent})


# Run inside a traced process: the CLI's own entry point, a thread that snapshots the heap each time the traced
# memory passes its previous snapshot by 5 %, and the top lines of the largest snapshot printed as JSON.
TRACER = """
import json, sys, threading, time, tracemalloc
tracemalloc.start(1)
best = [0, None]
stop = threading.Event()
def watch():
    while not stop.wait(0.2):
        current, _ = tracemalloc.get_traced_memory()
        if current > best[0] * 1.05:
            best[:] = [current, tracemalloc.take_snapshot()]
threading.Thread(target=watch, daemon=True).start()
from reconciler.cli.main import run
sys.argv = ["reconciler", *sys.argv[1:]]
try:
    sys.stdout = open("/dev/null", "w")
    run()
except SystemExit:
    pass
finally:
    stop.set()
    sys.stdout = sys.__stdout__
    current, _ = tracemalloc.get_traced_memory()
    if current > best[0]:
        best[:] = [current, tracemalloc.take_snapshot()]
    stats = best[1].statistics("lineno")
    def short(name):  # reconciler/..., a library's own path, or the standard library's file
        for cut in ("/site-packages/", "/reconciler/"):
            if cut in name:
                return ("reconciler/" if cut == "/reconciler/" else "") + name.split(cut)[-1]
        return name.rsplit("/lib/", 1)[-1]
    top = [{"where": f"{short(s.traceback[0].filename)}:{s.traceback[0].lineno}",
            "mb": round(s.size / 2**20, 2), "blocks": s.count} for s in stats[:25]]
    print(json.dumps({"traced_mb": round(best[0] / 2**20, 1), "top": top}))
"""


def holders(server: Server, verb: list[str], folder: Path, parallelism: int) -> dict[str, object]:
    env = {**os.environ, **server.env, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    env.pop("RECONCILER_SANDBOX", None)
    argv = [sys.executable, "-c", TRACER, *verb, str(folder), "--parallelism", str(parallelism)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if not done.stdout.strip():
        raise SystemExit(f"traced run failed:\n{done.stderr[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@dataclass
class Row:
    n: int
    bundles: int
    step: str
    peak_mb: float
    startup_mb: float
    load_1m: float

    @property
    def per_1000_mb(self) -> float:
        return (self.peak_mb - self.startup_mb) / (self.n / 1000)


def measure(n: int, bundles: int, opts: argparse.Namespace) -> tuple[list[Row], dict[str, dict[str, object]]]:
    agents = agents_for(n)
    rows: list[Row] = []
    traced: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp, sandbox(SPECS[opts.provider], agents, opts.latency) as server:
        small = Path(tmp) / "one"
        write_bundles(small, 1, 1, agents, opts.provider)
        fresh(server, agents)
        startup = {"apply": cli(server, ["apply", "--auto-approve"], small, opts.parallelism)}
        startup["plan"] = cli(server, ["plan"], small, opts.parallelism)
        folder = Path(tmp) / "fleet"
        write_bundles(folder, n, bundles, agents, opts.provider)
        fresh(server, agents)
        peak = cli(server, ["apply", "--auto-approve"], folder, opts.parallelism)
        rows.append(Row(n, bundles, "apply: all creates", peak, startup["apply"], os.getloadavg()[0]))
        peak = cli(server, ["plan"], folder, opts.parallelism)
        rows.append(Row(n, bundles, "plan: no changes", peak, startup["plan"], os.getloadavg()[0]))
        if opts.holders:
            traced["plan: no changes"] = holders(server, ["plan"], folder, opts.parallelism)
            fresh(server, agents)
            traced["apply: all creates"] = holders(
                server, ["apply", "--auto-approve"], folder, opts.parallelism
            )
    return rows, traced


def markdown(
    rows: list[Row], traced: dict[str, dict[str, object]], header: dict[str, object], provider: str
) -> str:
    out = [
        f"# Peak memory by number of schedules ({provider} sandbox)",
        "",
        f"{header['when']}, {header['cpu']} ({header['cpus']} CPUs), latency {header['latency_ms']:g} ms, "
        f"parallelism {header['parallelism']}, Python {header['python']}.",
        "",
        "| N | bundles | step | peak RSS | bare start-up | per 1,000 schedules | load (1 min) |",
        "|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r.n:,} | {r.bundles} | {r.step} | {r.peak_mb:.0f} MB | {r.startup_mb:.0f} MB | "
            f"{r.per_1000_mb:.2f} MB | {r.load_1m:.2f} |"
        )
    for label, result in traced.items():
        out += ["", f"## Top holders at the traced peak: {label} ({result['traced_mb']} MB traced)", ""]
        out += ["| where | MB | blocks |", "|---|---:|---:|"]
        for t in result["top"]:  # type: ignore[attr-defined]
            out.append(f"| {t['where']} | {t['mb']} | {t['blocks']:,} |")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--provider", default="cadenya", choices=sorted(SPECS))
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--bundles", default="1,100", help="bundles per size, in the same order")
    parser.add_argument("--latency", type=float, default=0.0, help="ms per request in the sandbox")
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--holders", action="store_true", help="also trace allocations (slow)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    opts = parser.parse_args()
    sizes = [int(s) for s in opts.sizes.split(",")]
    counts = [int(b) for b in opts.bundles.split(",")]
    rows: list[Row] = []
    traced: dict[str, dict[str, object]] = {}
    for n, bundles in zip(sizes, counts + counts[-1:] * len(sizes), strict=False):
        found, tops = measure(n, bundles, opts)
        rows += found
        traced.update({f"N = {n:,}, {label}": t for label, t in tops.items()})
        print(f"N = {n:,} done", file=sys.stderr)
    header = run_header(opts.latency, opts.parallelism, python=sys.version.split()[0])
    opts.out.mkdir(parents=True, exist_ok=True)
    data = {
        "header": header,
        "rows": [{**vars(r), "per_1000_mb": r.per_1000_mb} for r in rows],
        "traced": traced,
    }
    stem = (
        "memory" if opts.provider == "cadenya" else f"memory-{opts.provider}"
    )  # Cadenya's: the first results
    (opts.out / f"{stem}.json").write_text(json.dumps({**data, "provider": opts.provider}, indent=2) + "\n")
    text = markdown(rows, traced, header, opts.provider)
    (opts.out / f"{stem}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
