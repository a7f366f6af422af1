"""Plan and apply at 100 / 1,000 / 10,000 schedules against a sandbox server with injected latency.

    .venv/bin/python benchmarks/plan_apply.py [--sizes 100,1000,10000] [--latency 20] [--parallelism 8]

For each size: the sandbox runs as a separate process (`reconciler sandbox serve --latency MS`); the real
CLI runs each scenario as a user would; the sandbox's own request counter says how many requests were sent.
The ideal wall time is the minimum number of requests the API allows times the latency, divided by the
parallelism; the baseline is a straightforward sequential script doing the same work in this process.
Results: benchmarks/results/plan_apply.{md,json,svg}.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
KEY = "bench-key"
WS = "ws_bench"
PAGE = 1000  # Cadenya's largest page


@dataclass
class Row:
    n: int
    agents: int
    scenario: str
    wall_s: float
    requests: int
    min_requests: int
    ideal_s: float
    ratio: float
    peak_rss_mb: float
    baseline_s: float | None = None
    baseline_requests: int | None = None
    speedup: float | None = None


# ---- the sandbox server ------------------------------------------------------------------------------------
@contextmanager
def sandbox(agents: list[str], latency_ms: float) -> Iterator[str]:
    args = [
        sys.executable,
        "-m",
        "reconciler",
        "sandbox",
        "serve",
        "--provider",
        "cadenya",
        "--port",
        "0",
        "--api-key",
        KEY,
        "--workspace",
        WS,
        "--agents",
        ",".join(agents),
    ]
    if latency_ms:
        args += ["--latency", str(latency_ms)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    url = ""
    for line in proc.stdout:
        found = re.match(r"^export CADENYA_BASE_URL=(\S+)", line)
        url = found.group(1) if found else url
        if line.startswith("# Ctrl-C"):
            break
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def requests_sent(url: str) -> int:
    stats = httpx.get(f"{url}/_sandbox/stats", headers={"Authorization": f"Bearer {KEY}"}).json()
    return int(stats["total"])


# ---- bundles -----------------------------------------------------------------------------------------------
def write_bundle(path: Path, n: int, agents: list[str], *, changed: int = 0, removed: int = 0) -> None:
    lines = [
        "apiVersion: reconciler/v1",
        "kind: Bundle",
        "bundleKey: bench",
        f"target: {{provider: cadenya, workspace: {WS}}}",
        "schedules:",
    ]
    for i in range(n - removed):
        message = f"Run {i} (edited)" if i < changed else f"Run {i}"
        lines += [
            f"  - name: s{i:05d}",
            f"    agent: {agents[i % len(agents)]}",
            f"    when: {{every: {1 + i % 24}h}}",
            f"    input: {{message: '{message}'}}",
        ]
    path.write_text("\n".join(lines) + "\n")


# ---- running the CLI ---------------------------------------------------------------------------------------
def run_cli(args: list[str], url: str, parallelism: int) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of one CLI run."""
    env = {**os.environ, "CADENYA_BASE_URL": url, "CADENYA_API_KEY": KEY}
    env.pop("RECONCILER_SANDBOX", None)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args, "--parallelism", str(parallelism)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        raise SystemExit(f"reconciler {' '.join(args)} failed with exit code {code}")
    return wall, usage.ru_maxrss / 1024, code


# ---- the minimum the API allows ----------------------------------------------------------------------------
def list_requests(n_live: int, agents: int) -> int:
    per_agent = math.ceil(n_live / agents)
    return math.ceil(agents / PAGE) + agents * max(1, math.ceil(per_agent / PAGE))


def ideal(requests_needed: int, latency_s: float, parallelism: int, list_agents: int) -> float:
    """Listing: the agents page, then one page per agent in parallel; writes: `parallelism` at a time."""
    writes = requests_needed - list_requests(0, list_agents)
    list_waves = 1 + math.ceil(list_agents / parallelism)
    return (list_waves + math.ceil(max(writes, 0) / parallelism)) * latency_s


# ---- the baseline: a hand-written sequential script -------------------------------------------------------
class Baseline:
    """What a user's first script would do: list every agent's schedules with the default page size, then
    create, update or archive one schedule at a time."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
        self.requests = 0

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        self.requests += 1
        response = self.client.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def live(self, agents: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for agent in agents:
            cursor = ""
            while True:
                page = self._call(
                    "GET",
                    f"/v1/workspaces/{WS}/agents/{agent}/schedules",
                    params={"cursor": cursor} if cursor else {},
                )
                for item in page["items"]:
                    if item["state"] != "STATE_ARCHIVED":
                        found[item["metadata"]["name"]] = item
                cursor = page.get("pagination", {}).get("nextCursor", "")
                if not cursor:
                    break
        return found

    def converge(self, n: int, agents: list[str], *, changed: int = 0, removed: int = 0) -> None:
        live = self.live(agents)
        for i in range(n - removed):
            name, agent = f"s{i:05d}", agents[i % len(agents)]
            spec = {
                "schedule": {"intervals": [{"every": f"{(1 + i % 24) * 3600}s"}], "timezone": "UTC"},
                "initialMessage": f"Run {i} (edited)" if i < changed else f"Run {i}",
            }
            current = live.get(name)
            if current is None:
                self._call(
                    "POST",
                    f"/v1/workspaces/{WS}/agents/{agent}/schedules",
                    json={"metadata": {"name": name, "bundleKey": "base"}, "spec": spec},
                )
            elif current["spec"].get("initialMessage") != spec["initialMessage"]:
                self._call(
                    "PATCH",
                    f"/v1/workspaces/{WS}/agents/{agent}/schedules/{current['metadata']['id']}",
                    json={"spec": spec, "updateMask": "spec"},
                )
        for i in range(n - removed, n):
            current = live.get(f"s{i:05d}")
            if current is not None:
                agent = agents[i % len(agents)]
                self._call(
                    "POST",
                    f"/v1/workspaces/{WS}/agents/{agent}/schedules/{current['metadata']['id']}:archive",
                )


def timed_baseline(url: str, agents: list[str], n: int, **kwargs: int) -> tuple[float, int]:
    base = Baseline(url)
    started = time.perf_counter()
    base.converge(n, agents, **kwargs)
    return time.perf_counter() - started, base.requests


# ---- one size ----------------------------------------------------------------------------------------------
def bench_size(n: int, latency_ms: float, parallelism: int, with_baseline: bool) -> list[Row]:
    agent_count = max(10, min(200, n // 50))
    agents = [f"agent_{i:03d}" for i in range(agent_count)]
    latency = latency_ms / 1000
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "bench.yaml"
        scenarios: list[tuple[str, list[str], dict[str, int], int, int]] = [
            # (name, CLI args, bundle edits, live schedules before, writes the API needs)
            ("apply: all creates", ["apply", "--auto-approve"], {}, 0, n),
            ("plan: no changes", ["plan"], {}, n, 0),
            ("plan: 10% changed", ["plan"], {"changed": n // 10}, n, 0),
            ("apply: 10% updates", ["apply", "--auto-approve"], {"changed": n // 10}, n, n // 10),
            (
                "apply: 10% archives",
                ["apply", "--auto-approve"],
                {"changed": n // 10, "removed": n // 10},
                n,
                n // 10,
            ),
        ]
        with sandbox(agents, latency_ms) as url:
            for name, args, edits, live_before, writes in scenarios:
                write_bundle(bundle, n, agents, **edits)
                before = requests_sent(url)
                wall, rss, _ = run_cli([*args, str(bundle)], url, parallelism)
                sent = requests_sent(url) - before
                minimum = list_requests(live_before, agent_count) + writes
                best = ideal(minimum, latency, parallelism, agent_count)
                rows.append(
                    Row(
                        n,
                        agent_count,
                        name,
                        round(wall, 3),
                        sent,
                        minimum,
                        round(best, 3),
                        round(wall / best, 2) if best else 0.0,
                        round(rss, 1),
                    )
                )
        if with_baseline:  # on a fresh sandbox, the same sequence of work, one request at a time
            with sandbox(agents, latency_ms) as url:
                work = [
                    ("apply: all creates", {}),
                    ("plan: no changes", None),
                    ("plan: 10% changed", None),
                    ("apply: 10% updates", {"changed": n // 10}),
                    ("apply: 10% archives", {"changed": n // 10, "removed": n // 10}),
                ]
                for (_scenario, edits), row in zip(work, rows, strict=True):
                    if edits is None:  # a plan-only script still has to read everything
                        base = Baseline(url)
                        started = time.perf_counter()
                        base.live(agents)
                        seconds, sent = time.perf_counter() - started, base.requests
                    else:
                        seconds, sent = timed_baseline(url, agents, n, **edits)
                    row.baseline_s, row.baseline_requests = round(seconds, 3), sent
                    row.speedup = round(seconds / row.wall_s, 2)
    return rows


# ---- reports -----------------------------------------------------------------------------------------------
def machine() -> str:
    cpu = "unknown CPU"
    with suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


def markdown(rows: list[Row], latency_ms: float, parallelism: int) -> str:
    out = [
        f"# plan/apply benchmark (cadenya sandbox, latency {latency_ms:g} ms, parallelism {parallelism})",
        "",
        f"Machine: {machine()}. Wall times include starting the CLI (Python imports, about 1 s).",
        "",
        "| N | agents | scenario | wall s | requests | minimum | ideal s | measured/ideal | peak RSS MB | "
        "baseline s | baseline requests | speed-up |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        base = (
            f"{r.baseline_s} | {r.baseline_requests} | {r.speedup}×"
            if r.baseline_s is not None
            else "– | – | –"
        )
        out.append(
            f"| {r.n:,} | {r.agents} | {r.scenario} | {r.wall_s} | {r.requests:,} | {r.min_requests:,} | "
            f"{r.ideal_s} | {r.ratio} | {r.peak_rss_mb} | {base} |"
        )
    return "\n".join(out) + "\n"


def svg(rows: list[Row]) -> str:
    """Wall time against N (log-log) for the all-creates apply: us, the ideal, the baseline."""
    points = [r for r in rows if r.scenario == "apply: all creates"]
    series = {
        "reconciler": [(r.n, r.wall_s) for r in points],
        "ideal": [(r.n, r.ideal_s) for r in points],
        "sequential baseline": [(r.n, r.baseline_s) for r in points if r.baseline_s],
    }
    colours = {"reconciler": "#1f77b4", "ideal": "#2ca02c", "sequential baseline": "#d62728"}
    values = [v for s in series.values() for _, v in s if v] or [1.0]
    xs = [n for n, _ in series["reconciler"]] or [1]
    lo_x, hi_x = math.log10(min(xs)), math.log10(max(xs)) + 1e-9
    lo_y, hi_y = math.log10(min(values)) - 0.1, math.log10(max(values)) + 0.1
    width, height, pad = 640, 400, 60

    def at(n: float, v: float) -> tuple[float, float]:
        x = pad + (math.log10(n) - lo_x) / (hi_x - lo_x or 1) * (width - 2 * pad)
        y = height - pad - (math.log10(v) - lo_y) / (hi_y - lo_y) * (height - 2 * pad)
        return round(x, 1), round(y, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle">apply (all creates): wall time vs N, log-log</text>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="black"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="black"/>',
    ]
    for n in xs:
        x, _ = at(n, values[0])
        parts.append(f'<text x="{x}" y="{height - pad + 18}" text-anchor="middle">{n:,}</text>')
    for v in sorted({round(v, 2) for v in values}):
        _, y = at(xs[0], v)
        parts.append(f'<text x="{pad - 6}" y="{y + 4}" text-anchor="end">{v:g}s</text>')
    for i, (label, data) in enumerate(series.items()):
        if not data:
            continue
        coords = " ".join(f"{x},{y}" for x, y in (at(n, v) for n, v in data))
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colours[label]}" stroke-width="2"/>')
        for n, v in data:
            x, y = at(n, v)
            parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{colours[label]}"/>')
        parts.append(
            f'<text x="{width - pad - 150}" y="{pad + 16 * i}" fill="{colours[label]}">{label}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--latency", type=float, default=20.0, help="injected latency per request, ms")
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    options = parser.parse_args()
    rows: list[Row] = []
    for n in (int(s) for s in options.sizes.split(",")):
        started = time.perf_counter()
        rows.extend(bench_size(n, options.latency, options.parallelism, not options.no_baseline))
        print(f"N={n:,}: done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    options.out.mkdir(parents=True, exist_ok=True)
    report = markdown(rows, options.latency, options.parallelism)
    (options.out / "plan_apply.md").write_text(report)
    (options.out / "plan_apply.json").write_text(
        json.dumps(
            {
                "machine": machine(),
                "latency_ms": options.latency,
                "parallelism": options.parallelism,
                "rows": [asdict(r) for r in rows],
            },
            indent=2,
        )
        + "\n"
    )
    (options.out / "plan_apply.svg").write_text(svg(rows))
    print(report)
    return 0


if __name__ == "__main__":
    shutil.rmtree(ROOT / ".reconciler" / "bench", ignore_errors=True)
    raise SystemExit(main())
