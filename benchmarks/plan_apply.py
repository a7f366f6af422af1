"""Plan and apply at 100 / 1,000 / 10,000 schedules for every provider, against its sandbox with latency.

    .venv/bin/python benchmarks/plan_apply.py                 # every provider, meant to take < 10 minutes
    .venv/bin/python benchmarks/plan_apply.py --full          # + agentex run-schedules, everything in full
    .venv/bin/python benchmarks/plan_apply.py --providers oz --sizes 100,1000 --out /tmp/bench

The default leaves out what does not fit in 10 minutes on 2 CPUs, and the results say so: agentex legacy at
10,000 runs the creates, the no-change plan and status only (every other scenario re-reads 10,000 schedules one GET
each), and baselines beyond N = 100 cover a sample of the agents.

Per provider and size: the sandbox runs as a separate process (`reconciler sandbox serve --latency MS`);
the real CLI runs each scenario as a user would; the sandbox's own counter says how many requests were
sent. The minimum and the ideal wall time come from each API's rules (benchmarks/plan_apply_providers.py).
At the largest size, the CPU of reading and of planning is measured in-process with no latency.
Two baselines (benchmarks/plan_apply_baselines.py): the best script a user would write
(benchmarks/best_script.py: the official SDK where there is one, libyaml's C loader, a thread pool of the same
parallelism), run as a whole process like the CLI on a fresh state after reconciler's runs
(benchmarks/vs_script.py interleaves the two run by run); and a sequential script in this process doing the
same work: in full where that is cheap, and otherwise on a sample of the agents, scaled to all of them and
labelled so.
Results: benchmarks/results/plan_apply.{md,json,svg}.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

from harness import (
    ROOT,
    Server,
    busy_seconds,
    cpu_model,
    delta,
    own_seconds,
    run_cli,
    sandbox,
    startup_s,
    writes_done,
)

# Re-exported (as are the names above): the other benchmarks import them from here.
from harness import Run as Run
from harness import run_header as run_header
from harness import timed as timed
from plan_apply_baselines import baseline, best_script, global_read
from plan_apply_plot import svg
from plan_apply_providers import DEFAULT, SPECS, Spec
from plan_apply_report import Row, Summary, markdown
from scenarios import SCENARIOS, agents_for, work_for, write_bundle

RESULTS = ROOT / "benchmarks" / "results"


# ---- CPU with no latency, in this process ------------------------------------------------------------------
def cpu_per_1000(
    bundle_path: Path, env: dict[str, str], parallelism: int, *, listed: bool
) -> tuple[float | None, float]:
    """(reading, planning) CPU seconds per 1,000 schedules: `list_live` (HTTP client, JSON, wire
    translation), then normalise + diff as `plan` does it (best of 3). Not `listed`: the live state is
    what the provider reads back from each schedule as applied (`as_live`), with no request and no reading."""
    from reconciler.bundle.validate import load_bundles
    from reconciler.plan.normalise import applied_record
    from reconciler.plan.planner import plan_bundle
    from reconciler.providers.registry import open_provider

    [bundle] = load_bundles([str(bundle_path)]).bundles
    provider = open_provider(bundle, parallelism=parallelism, environ=env)
    try:
        reading: float | None = None
        if listed:
            started = time.process_time()
            live = provider.list_live()
            reading = time.process_time() - started
        else:
            # As applied: `as_live` translates the wire form only; the record of the apply (which the
            # provider writes from the plan's step) is what an apply would have left in the marker.
            live = [
                replace(
                    provider.as_live(s),
                    remote_id=provider.as_live(s).remote_id or f"id{i}",
                    applied=applied_record(provider.normalise(s)),
                    incomplete_marker="",
                )
                for i, s in enumerate(bundle.schedules)
            ]
        planning = math.inf
        for _ in range(3):
            started = time.process_time()
            schedules = tuple(provider.normalise(s) for s in bundle.schedules)
            normalised = type(bundle)(bundle.key, bundle.provider, bundle.target, bundle.prune, schedules)
            plan = plan_bundle(
                normalised,
                live,
                display_name=provider.display_name,
                restore_archived="create" if provider.restore_archived == "create" else "resume",
                update_reason=provider.update_reason,
                now=datetime.now(UTC),
            )
            planning = min(planning, time.process_time() - started)
        if plan.has_changes:
            raise SystemExit(
                f"{provider.name}: the CPU plan of an unchanged bundle has changes: {plan.summary}"
            )
    finally:
        provider.client.close()
    per = 1000 / max(1, len(bundle.schedules))
    return None if reading is None else reading * per, planning * per


def bench(
    spec: Spec, n: int, opts: argparse.Namespace, server: Server, with_cpu: bool
) -> tuple[list[Row], Summary | None]:
    """Every scenario at size `n` on `server` (reset first, with the agents the size has), then the baseline."""
    agents = agents_for(n)
    server.admin("POST", "reset")
    for agent in agents:  # the sandbox was started with the smallest size's agents; reset keeps those
        server.admin("POST", "agents", {"id": agent})
    latency = opts.latency / 1000
    rows: list[Row] = []
    summary: Summary | None = None
    # the baseline covers every agent, or a sample of them at sizes beyond --baseline-full
    sample = len(agents)
    if not opts.full and (n > opts.baseline_full or spec.reads_per_live):  # a GET each: sampled even at 100
        sample = min(len(agents), max(1, math.ceil(opts.baseline_sample * len(agents) / n)))
    cut = not opts.full and spec.cut_above is not None and n > spec.cut_above
    scenarios = SCENARIOS[:3] if cut else SCENARIOS
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "bench.yaml"
        full_state_reads: list[tuple[float, int]] = []  # the baseline's global list, on the full state
        for sc in scenarios:
            changed, removed = int(n * sc.changed), int(n * sc.removed)
            write_bundle(bundle, spec, n, agents, changed=changed, removed=removed)
            if opts.baseline and sample < len(agents) and spec.agent_page is None:
                # The global list before this scenario: empty before the creates; after them always N
                # schedules (edits change text, not size), so read once and reused.
                reads = full_state_reads[1:2] if len(full_state_reads) > 1 else [global_read(spec, server)]
                full_state_reads.append(reads[0])
            before, served = server.routes(), server.cpu_s()
            verb = ["apply", "--auto-approve"] if sc.apply else ["status"] if sc.status else ["plan"]
            run = run_cli([*verb, str(bundle)], server.env, opts.parallelism)
            served = server.cpu_s() - served
            routes = delta(server.routes(), before)
            work = work_for(sc, n, len(agents))
            minimum = spec.minimum(work)
            ideal = minimum.ideal_s(latency, opts.parallelism)
            rows.append(
                Row(
                    provider=spec.key,
                    n=n,
                    agents=len(agents),
                    scenario=sc.name,
                    wall_s=round(run.wall_s, 3),
                    cpu_s=round(run.cpu_s, 3),
                    sandbox_cpu_s=round(served, 3),
                    peak_rss_mb=round(run.rss_mb, 1),
                    requests=sum(sum(o.values()) for o in routes.values()),
                    min_requests=minimum.total,
                    deliberate_requests=spec.deliberate(work),
                    writes_needed=minimum.writes,
                    writes_done=writes_done(routes),
                    ideal_s=round(ideal, 3),
                    ratio=round(run.wall_s / ideal, 2) if ideal else 0.0,
                    routes=routes,
                )
            )
            if with_cpu and sc.name == "plan: no changes":
                summary = cpu_summary(spec, n, server, bundle, opts)
        if opts.baseline:
            baseline(spec, n, agents, sample, server, rows, full_state_reads, scenarios)
        if opts.best_script:
            best_script(spec, n, agents, server, rows, scenarios, bundle, opts.parallelism)
    return rows, summary


def cpu_summary(spec: Spec, n: int, server: Server, bundle: Path, opts: argparse.Namespace) -> Summary:
    # Reading (HTTP client, JSON, wire translation) is measured with --full only: the CLI CPU column has it.
    listed = opts.full
    server.admin("POST", "traffic", {"latency": None})
    try:
        reading, planning = cpu_per_1000(bundle, server.env, opts.parallelism, listed=listed)
    finally:
        server.admin("POST", "traffic", {"latency": f"{opts.latency:g}" if opts.latency else None})
    return Summary(
        provider=spec.key,
        n=n,
        read_cpu_s_per_1000=None if reading is None else round(reading, 4),
        planner_cpu_s_per_1000=round(planning, 4),
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--providers", default=",".join(DEFAULT), help=f"any of {', '.join(SPECS)}")
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--latency", type=float, default=20.0, help="injected latency per request, ms")
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=50,
        help="schedules the baseline covers at sizes where it is sampled (default 50)",
    )
    parser.add_argument(
        "--baseline-full",
        type=int,
        default=100,
        help="largest size at which the baseline covers every agent (default 100)",
    )
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    parser.add_argument(
        "--no-best-script",
        dest="best_script",
        action="store_false",
        help="leave out the best-script baseline (benchmarks/best_script.py)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="every provider and revision, every scenario, every baseline in full (about an hour)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--render", type=Path, metavar="JSON", help="only write the report again from a results JSON"
    )
    opts = parser.parse_args()
    if opts.render:
        return render(opts.render, opts.out)
    keys = list(SPECS) if opts.full else [k.strip() for k in opts.providers.split(",") if k.strip()]
    unknown = [k for k in keys if k not in SPECS]
    if unknown:
        parser.error(f"unknown provider {', '.join(unknown)}; choose from {', '.join(SPECS)}")
    sizes = sorted(int(s) for s in opts.sizes.split(","))
    run = Progress(opts, keys, sizes)
    for key in keys:
        with sandbox(
            SPECS[key], agents_for(sizes[0]), opts.latency
        ) as server:  # one per provider: reset per size
            for n in sizes:
                begun = time.perf_counter()
                found, summary = bench(SPECS[key], n, opts, server, with_cpu=n == sizes[-1])
                run.rows += found
                run.summaries += [summary] if summary else []
                run.write(final=False)  # a run cut short still leaves what it measured
                print(
                    f"{key} N={n:,}: {time.perf_counter() - begun:.0f} s (total {run.elapsed():.0f} s)",
                    file=sys.stderr,
                )
    print(run.write(final=True))
    print(f"total elapsed: {run.elapsed():.0f} s", file=sys.stderr)
    return 0


def render(source: Path, out: Path) -> int:
    """The markdown and the plot again from a results JSON (after a change to the report's wording)."""
    document = json.loads(source.read_text())
    rows = [Row(**r) for r in document["rows"]]
    summaries = [Summary(**s) for s in document["summaries"]]
    specs = [SPECS[k] for k in document["settings"]["providers"]]
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan_apply.md").write_text(
        markdown(rows, summaries, specs, document["machine"], document["settings"])
    )
    (out / "plan_apply.svg").write_text(svg(rows, specs))
    return 0


class Progress:
    """What has been measured so far, and the machine's state while it was: written after every size."""

    def __init__(self, opts: argparse.Namespace, keys: list[str], sizes: list[int]) -> None:
        self.opts, self.keys, self.sizes = opts, keys, sizes
        self.started, self.busy, self.own = time.perf_counter(), busy_seconds(), own_seconds()
        self.startup = startup_s()
        self.rows: list[Row] = []
        self.summaries: list[Summary] = []

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def write(self, *, final: bool) -> str:
        elapsed = self.elapsed()
        others = (busy_seconds() - self.busy) - (own_seconds() - self.own)
        machine = {
            "system": f"{platform.system()} {platform.machine()}",
            "cpus": os.cpu_count(),
            "cpu_model": cpu_model(),
            "python": platform.python_version(),
            "other_processes_cpu_share": round(max(0.0, others) / (elapsed * (os.cpu_count() or 1)), 3),
            "benchmark_cpu_s": round(own_seconds() - self.own, 1),  # this script, the CLIs and the sandboxes
            "load_average_end": [round(v, 2) for v in os.getloadavg()],
        }
        settings = {
            "latency_ms": self.opts.latency,
            "parallelism": self.opts.parallelism,
            "sizes": self.sizes,
            "providers": self.keys,
            "full": self.opts.full,
            "baseline_sample": None if self.opts.full else self.opts.baseline_sample,
            "command": " ".join(["python", "benchmarks/plan_apply.py", *sys.argv[1:]]),
            "cli_startup_s": round(self.startup, 3),
            "elapsed_s": round(elapsed, 1),
            "complete": final,
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        }
        specs = [SPECS[k] for k in self.keys]
        out: Path = self.opts.out
        out.mkdir(parents=True, exist_ok=True)
        report = markdown(self.rows, self.summaries, specs, machine, settings)
        (out / "plan_apply.md").write_text(report)
        document = {
            "machine": machine,
            "settings": settings,
            "summaries": [asdict(s) for s in self.summaries],
            "rows": [asdict(r) for r in self.rows],
        }
        (out / "plan_apply.json").write_text(json.dumps(document, indent=2) + "\n")
        (out / "plan_apply.svg").write_text(svg(self.rows, specs))
        return report


if __name__ == "__main__":
    raise SystemExit(main())
