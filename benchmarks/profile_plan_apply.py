"""Where the time of `plan` and `apply` goes at 10,000 schedules (Cadenya sandbox, injected latency).

    .venv/bin/python benchmarks/profile_plan_apply.py                     # wall times of each phase
    .venv/bin/python benchmarks/profile_plan_apply.py --profile /tmp/prof  # + cProfile of each CLI run

A narrower companion of benchmarks/plan_apply.py for working on speed: one provider, the scenarios that
matter, the CLI's start-up, the loader alone and the sandbox's CPU, each measured separately so a change can
be compared before and after. `--profile DIR` writes `<scenario>.prof` (the CLI, via cProfile) for
`python -m pstats` or snakeviz; with `--server-profile` the sandbox runs under cProfile too (`server.prof`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

KEY = "bench-key"
WS = "ws_bench"


def write_bundle(path: Path, n: int, agents: list[str], *, changed: int = 0) -> None:
    """What benchmarks/plan_apply.py writes for Cadenya: block-style YAML, values as JSON."""
    lines = ["apiVersion: reconciler/v1", "kind: Bundle", "bundleKey: bench"]
    lines += [
        f"target: {json.dumps({'provider': 'cadenya', 'workspace': WS})}",
        "prune: archive",
        "schedules:",
    ]
    for i in range(n):
        edited = " (edited)" if i < changed else ""
        lines.append(f'  - name: "s{i:05d}"')
        lines.append(f'    agent: "{agents[i % len(agents)]}"')
        lines.append(f'    when: {{"every": "{1 + i % 24}h"}}')
        lines.append(f'    input: {{"message": "Run {i}{edited}"}}')
    path.write_text("\n".join(lines) + "\n")


@contextmanager
def sandbox(agents: list[str], latency_ms: float, profile: Path | None) -> Iterator[tuple[str, int]]:
    args = [sys.executable]
    args += ["-m", "cProfile", "-o", str(profile)] if profile else []
    args += [
        "-m",
        "reconciler",
        "sandbox",
        "serve",
        "--provider",
        "cadenya",
        "--workspace",
        WS,
        "--port",
        "0",
    ]
    args += ["--api-key", KEY, "--agents", ",".join(agents)]
    args += ["--latency", f"{latency_ms:g}"] if latency_ms else []
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    url = ""
    for line in proc.stdout:
        found = re.match(r"^export CADENYA_BASE_URL=(\S+)$", line.strip())
        if found:
            url = found.group(1).strip("'")
        if line.startswith("# Ctrl-C"):
            break
    try:
        yield url, proc.pid
    finally:
        proc.send_signal(2)  # SIGINT: lets cProfile write its file
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def requests_sent(url: str) -> int:
    stats = httpx.get(f"{url}/_sandbox/stats", headers={"Authorization": f"Bearer {KEY}"}, timeout=60).json()
    return sum(sum(outcomes.values()) for outcomes in stats["routes"].values())


def cli(args: list[str], url: str, parallelism: int | None, profile: Path | None) -> tuple[float, float]:
    """Wall and CPU seconds of one CLI run."""
    env = {**os.environ, "CADENYA_BASE_URL": url, "CADENYA_API_KEY": KEY}
    env.pop("RECONCILER_SANDBOX", None)
    command = [sys.executable, *(["-m", "cProfile", "-o", str(profile)] if profile else [])]
    command += ["-m", "reconciler", *args, *(["--parallelism", str(parallelism)] if parallelism else [])]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 2):
        raise SystemExit(f"reconciler {' '.join(args)} failed:\n{errors[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def best_of(count: int, command: list[str]) -> float:
    best = float("inf")
    for _ in range(count):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--latency", type=float, default=20.0)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--profile", type=Path, help="write a cProfile of each CLI run here")
    parser.add_argument("--server-profile", action="store_true", help="run the sandbox under cProfile too")
    parser.add_argument("--scenarios", default="creates,plan,updates")
    opts = parser.parse_args()
    if opts.profile:
        opts.profile.mkdir(parents=True, exist_ok=True)
    prof = (lambda name: opts.profile / f"{name}.prof") if opts.profile else (lambda name: None)
    agents = [f"agent_{i:03d}" for i in range(opts.agents)]
    n = opts.n
    results: dict[str, object] = {}
    python = [sys.executable, "-c", "pass"]
    results["python_start_s"] = round(best_of(3, python), 3)
    results["cli_help_s"] = round(best_of(3, [sys.executable, "-m", "reconciler", "--help"]), 3)
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "bench.yaml"
        write_bundle(bundle, n, agents)
        loader = (
            "import sys, time; t = time.perf_counter(); from reconciler.bundle.validate import load_bundles; "
            "i = time.perf_counter(); r = load_bundles([sys.argv[1]]); e = time.perf_counter(); "
            "assert not r.diagnostics; print(i - t, e - i)"
        )
        out = subprocess.run(
            [sys.executable, "-c", loader, str(bundle)], capture_output=True, text=True, check=True
        )
        imports, load = (float(v) for v in out.stdout.split())
        results["load_imports_s"], results["load_bundle_s"] = round(imports, 3), round(load, 3)
        validate = cli(["validate", str(bundle)], "http://127.0.0.1:9", None, prof("validate"))
        results["validate_wall_s"] = round(validate[0], 3)
        server_prof = opts.profile / "server.prof" if opts.profile and opts.server_profile else None
        with sandbox(agents, opts.latency, server_prof) as (url, pid):
            scenarios = opts.scenarios.split(",")
            for name, args, changed in (
                ("creates", ["apply", "--auto-approve"], 0),
                ("plan", ["plan"], 0),
                ("updates", ["apply", "--auto-approve"], n // 10),
            ):
                if name not in scenarios:
                    continue
                write_bundle(bundle, n, agents, changed=changed)
                sent, server_cpu = requests_sent(url), cpu_of(pid)
                wall, cpu = cli([*args, str(bundle)], url, opts.parallelism, prof(name))
                results[name] = {
                    "wall_s": round(wall, 3),
                    "cli_cpu_s": round(cpu, 3),
                    "server_cpu_s": round(cpu_of(pid) - server_cpu, 3),
                    "requests": requests_sent(url) - sent,  # admin requests are not counted
                }
                print(name, results[name], file=sys.stderr, flush=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
