"""reconciler against the best script a user would write (benchmarks/best_script.py), interleaved.

    .venv/bin/python benchmarks/vs_script.py                          # Cadenya, N = 10,000, 20 ms, 3 rounds
    .venv/bin/python benchmarks/vs_script.py --providers cadenya,oz --n 1000 --rounds 5

Per provider, the sandbox runs in its own process with the latency given. Each round runs both contenders,
in alternating order, through the same steps on a freshly reset sandbox: all creates, a plan with no
changes (the script's `--dry-run`) twice, and 10 % updates. reconciler's parse cache (docs/cli.md) starts
each round empty: the creates parse the file and keep it, the first plan reads it kept, the second runs
with the cache off (what the first run on a fresh CI runner costs), and the updates parse their edited file. Every run is a whole process (interpreter start-up
included) timed by a small launcher; the ratio of a step is taken per round (the two runs sit next to each
other) and the median of those is reported, with the machine's load average beside it. The ideal is the
fewest requests each API allows at the parallelism given, one latency each (plan_apply_providers.py).
Results: benchmarks/results/vs_script.{md,json}; `--readme` also rewrites the README's headline table (between
its `<!-- headline:start -->` and `<!-- headline:end -->` lines) from them. Run that on an otherwise idle
machine: the table says how busy the machine was.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import Run, Server, busy_seconds, run_best_script, run_header, sandbox, timed
from plan_apply import RESULTS
from plan_apply_providers import SPECS
from scenarios import SCENARIOS as ALL_SCENARIOS
from scenarios import agents_for, work_for, write_bundle

STEPS = {s.name: s for s in ALL_SCENARIOS}
# The no-change plan twice: as a run right after another over the same file finds it (its parse kept by
# reconciler's parse cache, docs/cli.md), and with that cache off, as the first run on a fresh CI runner does.
UNCACHED_PLAN = "plan: no changes, parse cache off"
ORDER = ("apply: all creates", "plan: no changes", UNCACHED_PLAN, "apply: 10% updates")
SCENARIO_OF = {UNCACHED_PLAN: "plan: no changes"}


@dataclass
class Step:
    provider: str
    n: int
    step: str
    ideal_s: float
    reconciler: list[Run] = field(default_factory=list)
    script: list[Run] = field(default_factory=list)
    load: list[float] = field(default_factory=list)  # 1-minute load average after each round
    # CPU seconds the sandbox spent serving each run: with the contender's own CPU, where the time went.
    served: dict[str, list[float]] = field(default_factory=lambda: {"reconciler": [], "script": []})

    def summary(self) -> dict[str, object]:
        def walls(runs: list[Run]) -> dict[str, float]:
            values = [r.wall_s for r in runs]
            return {"min": min(values), "median": statistics.median(values), "max": max(values)}

        ratios = [s.wall_s / r.wall_s for r, s in zip(self.reconciler, self.script, strict=True)]
        return {
            "provider": self.provider,
            "n": self.n,
            "step": self.step,
            "ideal_s": round(self.ideal_s, 3),
            "reconciler_s": walls(self.reconciler),
            "script_s": walls(self.script),
            "reconciler_rss_mb": max(r.rss_mb for r in self.reconciler),
            "script_rss_mb": max(r.rss_mb for r in self.script),
            "reconciler_cpu_s": round(statistics.median(r.cpu_s for r in self.reconciler), 2),
            "script_cpu_s": round(statistics.median(r.cpu_s for r in self.script), 2),
            "sandbox_cpu_s": {who: round(statistics.median(v), 2) for who, v in self.served.items() if v},
            "script_over_reconciler": round(statistics.median(ratios), 3),
            "reconciler_over_ideal": round(
                statistics.median(r.wall_s for r in self.reconciler) / self.ideal_s, 3
            )
            if self.ideal_s
            else None,
            "load_1m": [round(v, 2) for v in self.load],
        }


def run_round(
    provider: str,
    n: int,
    server: Server,
    opts: argparse.Namespace,
    steps: dict[str, Step],
    script_first: bool,
) -> None:
    spec = SPECS[provider]
    agents = agents_for(n)
    contenders = ["script", "reconciler"] if script_first else ["reconciler", "script"]
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "bench.yaml"
        cache = {"RECONCILER_CACHE_DIR": str(Path(tmp) / "parse-cache")}  # empty at each round's start
        for who in contenders:
            server.admin("POST", "reset")
            for agent in agents:
                server.admin("POST", "agents", {"id": agent})
            for name in ORDER:
                scenario = STEPS[SCENARIO_OF.get(name, name)]
                write_bundle(bundle, spec, n, agents, changed=int(n * scenario.changed))
                served = server.cpu_s()
                if who == "reconciler":
                    verb = ["apply", "--auto-approve"] if scenario.apply else ["plan"]
                    argv = [sys.executable, "-m", "reconciler", *verb, str(bundle)]
                    argv += ["--parallelism", str(opts.parallelism)]
                    off = {"RECONCILER_NO_CACHE": "1"} if name == UNCACHED_PLAN else {}
                    run = timed(argv, {**os.environ, **server.env, **cache, **off})
                else:
                    run = run_best_script(bundle, spec, server, opts.parallelism, dry=not scenario.apply)
                getattr(steps[name], who).append(run)
                steps[name].served[who].append(server.cpu_s() - served)
    for step in steps.values():
        step.load.append(os.getloadavg()[0])


def markdown(rows: list[dict[str, object]], header: dict[str, object]) -> str:
    lines = [
        "# reconciler vs. the best script",
        "",
        f"{header['when']} · {header['cpu']} · {header['cpus']} CPUs · latency {header['latency_ms']} ms · "
        f"parallelism {header['parallelism']} · {header['rounds']} interleaved rounds · machine busy "
        f"{header['busy']:.0%} of its CPUs outside this benchmark's own processes",
        "",
        "| provider | N | step | reconciler s (min–max) | script s (min–max) | script ÷ reconciler | "
        "reconciler ÷ ideal | CPU s: reconciler / script | sandbox CPU s serving reconciler / script | "
        "peak RSS MB (reconciler / script) | load 1m |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        rec, scr = row["reconciler_s"], row["script_s"]
        assert isinstance(rec, dict) and isinstance(scr, dict)
        lines.append(
            f"| {row['provider']} | {row['n']:,} | {row['step']} | {rec['median']:.2f} ({rec['min']:.2f}–"
            f"{rec['max']:.2f}) | {scr['median']:.2f} ({scr['min']:.2f}–{scr['max']:.2f}) | "
            f"{row['script_over_reconciler']} | {row['reconciler_over_ideal']} | {_cpu(row)} | "
            f"{row['reconciler_rss_mb']:.0f} / {row['script_rss_mb']:.0f} | "
            f"{', '.join(str(v) for v in row['load_1m'])} |"  # type: ignore[attr-defined]
        )
    lines += [
        "",
        "script ÷ reconciler above 1 means reconciler is faster: the median of the per-round ratios. The script "
        "is benchmarks/best_script.py: the official SDK on Cadenya, httpx elsewhere, libyaml's C loader, a "
        "thread pool of the same parallelism.",
    ]
    return "\n".join(lines) + "\n"


def _cpu(row: dict[str, object]) -> str:
    """Two cells: the contenders' own CPU, and the sandbox's while serving each (– in older results)."""
    served = row.get("sandbox_cpu_s")
    if "reconciler_cpu_s" not in row or not isinstance(served, dict):
        return "– | –"
    return (
        f"{row['reconciler_cpu_s']} / {row['script_cpu_s']} | "
        f"{served.get('reconciler', '–')} / {served.get('script', '–')}"
    )


README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- headline:start -->", "<!-- headline:end -->"
# The targets, per step: reconciler at least 1.3x faster than the script on creates and updates.
TARGET_OVER_SCRIPT = {"apply: all creates": 1.3, "apply: 10% updates": 1.3}


def headline(document: dict[str, Any]) -> str:
    """The README's table: Cadenya (the platform with an official SDK) from a vs_script.json document."""
    header, rows = document["header"], document["rows"]
    loads = [v for row in rows for v in row["load_1m"]]
    lines = [
        f"N = {rows[0]['n']:,} schedules on the Cadenya sandbox (its own process, {header['latency_ms']:g} ms per "
        f"request), parallelism {header['parallelism']}, {header['rounds']} interleaved rounds, whole processes; "
        f"{header['cpus']} CPUs ({header['cpu']}), load average {min(loads):.1f}–{max(loads):.1f}, other "
        f"processes used {header['busy']:.0%} of the CPUs ({header['when']}; `benchmarks/vs_script.py --readme`).",
        "",
        "| step | reconciler | the best script | script ÷ reconciler | reconciler ÷ network ideal |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        if row["provider"] != "cadenya":
            continue
        target = TARGET_OVER_SCRIPT.get(row["step"])
        mark = "" if target is None else (" ✅" if row["script_over_reconciler"] >= target else " ❌")
        goal = "" if target is None else f" (target ≥ {target})"
        lines.append(
            f"| {row['step']} | {row['reconciler_s']['median']:.2f} s | {row['script_s']['median']:.2f} s | "
            f"{row['script_over_reconciler']:.2f}{goal}{mark} | {row['reconciler_over_ideal']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def replace_headline(readme: str, table: str) -> str:
    before, rest = readme.split(START + "\n", 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{table}{END}{after}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--providers", default="cadenya")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=20.0, help="ms per request in the sandbox")
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--readme", action="store_true", help="rewrite the README's headline table")
    opts = parser.parse_args()
    rows: list[dict[str, object]] = []
    started, busy_before, own_before = time.perf_counter(), busy_seconds(), _children_cpu()
    for provider in opts.providers.split(","):
        spec = SPECS[provider]
        agents = agents_for(opts.n)
        steps = {}
        for name in ORDER:
            sc = STEPS[SCENARIO_OF.get(name, name)]
            work = work_for(sc, opts.n, len(agents))
            ideal = spec.minimum(work).ideal_s(opts.latency / 1000, opts.parallelism)
            steps[name] = Step(provider, opts.n, name, ideal)
        with sandbox(spec, agents, opts.latency) as server:
            for index in range(opts.rounds):
                run_round(provider, opts.n, server, opts, steps, index % 2 == 1)
                print(f"{provider}: round {index + 1} of {opts.rounds} done", file=sys.stderr)
        rows += [step.summary() for step in steps.values()]
    elapsed = time.perf_counter() - started
    others = max(0.0, (busy_seconds() - busy_before) - (_children_cpu() - own_before))
    header = run_header(
        opts.latency,
        opts.parallelism,
        rounds=opts.rounds,
        busy=others / (elapsed * (os.cpu_count() or 1)),
    )
    opts.out.mkdir(parents=True, exist_ok=True)
    (opts.out / "vs_script.json").write_text(json.dumps({"header": header, "rows": rows}, indent=2) + "\n")
    text = markdown(rows, header)
    (opts.out / "vs_script.md").write_text(text)
    print(text)
    if opts.readme:
        document = {"header": header, "rows": rows}
        README.write_text(replace_headline(README.read_text(encoding="utf-8"), headline(document)))
    return 0


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    sys.exit(main())
