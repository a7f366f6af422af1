"""Where the time of `plan` and `apply` goes at 10,000 schedules (Cadenya sandbox, injected latency).

    .venv/bin/python benchmarks/profile_plan_apply.py                        # this checkout, each scenario once
    .venv/bin/python benchmarks/profile_plan_apply.py --code /tmp/old --repeat 3   # another version's code
    .venv/bin/python benchmarks/profile_plan_apply.py --profile /tmp/prof    # + a cProfile of each CLI run

A narrower companion of benchmarks/plan_apply.py for working on speed: one provider, the scenarios that
matter, and for each the CLI's wall time and CPU and the sandbox's CPU, measured separately, so that two
versions can be compared run against run. `--code DIR` runs the CLI and the sandbox from another copy of the
`reconciler` package (`git archive <commit> reconciler | tar -x -C DIR`), from a directory outside this
checkout so that the copy, not this one, is imported. The machine is shared: compare runs taken close
together (interleave them), and prefer CPU seconds to wall seconds when other processes are busy.

Scenarios: `start` (the interpreter and the CLI's imports), `validate` (start + load, render and
check the bundle), `creates` (apply to an empty sandbox), `plan` (no changes), `updates` (apply with 10 %
of the schedules edited; alternately edited and restored, so every run has the same work).
`--profile DIR` writes `<scenario>.prof` (cProfile of the CLI; worker threads are not in it) and, with
`--server-profile`, `server.prof` for the sandbox.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
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
SCENARIOS = ("start", "validate", "creates", "plan", "updates")


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


class Runner:
    """Runs `python -m reconciler ...` from the chosen code, outside this checkout."""

    def __init__(self, code: Path | None, workdir: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if k != "RECONCILER_SANDBOX"}
        if code is not None:  # first on the path; what PYTHONPATH already held stays behind it
            self.env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(code), os.environ.get("PYTHONPATH")) if p
            )
        self.workdir = workdir

    def command(self, args: list[str], profile: Path | None = None) -> list[str]:
        if args == ["(imports)"]:
            return [sys.executable, "-c", "import reconciler.cli.main"]
        prefix = ["-m", "cProfile", "-o", str(profile)] if profile else []
        return [sys.executable, *prefix, "-m", "reconciler", *args]

    def cli(self, args: list[str], url: str = "", profile: Path | None = None) -> tuple[float, float]:
        """Wall and CPU seconds of one CLI run (exit 0 or 2 expected)."""
        env = {**self.env, "CADENYA_BASE_URL": url, "CADENYA_API_KEY": KEY} if url else self.env
        started = time.perf_counter()
        proc = subprocess.Popen(
            self.command(args, profile), env=env, cwd=self.workdir, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stderr is not None
        errors = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) not in (0, 2):
            raise SystemExit(f"reconciler {' '.join(args)} failed:\n{errors[-2000:]}")
        return wall, usage.ru_utime + usage.ru_stime

    @contextmanager
    def sandbox(
        self, agents: list[str], latency_ms: float, profile: Path | None
    ) -> Iterator[tuple[str, int]]:
        args = [
            "sandbox",
            "serve",
            "--provider",
            "cadenya",
            "--workspace",
            WS,
            "--port",
            "0",
            "--api-key",
            KEY,
        ]
        args += ["--agents", ",".join(agents), *(["--latency", f"{latency_ms:g}"] if latency_ms else [])]
        proc = subprocess.Popen(
            self.command(args, profile), env=self.env, cwd=self.workdir, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert proc.stdout is not None
        url = ""
        for line in proc.stdout:
            found = re.match(r"^export CADENYA_BASE_URL=(\S+)$", line.strip())
            url = found.group(1).strip("'") if found else url
            if line.startswith("# Ctrl-C"):
                break
        try:
            yield url, proc.pid
        finally:
            proc.send_signal(2)  # SIGINT: a clean exit, which lets cProfile write its file
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
    return sum(sum(outcomes.values()) for outcomes in stats["routes"].values())  # admin requests not counted


def summary(runs: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        out[f"{key}_min"] = round(min(values), 3)
        out[f"{key}_median"] = round(statistics.median(values), 3)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--latency", type=float, default=20.0)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each scenario (creates: once)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"any of {', '.join(SCENARIOS)}")
    parser.add_argument("--code", type=Path, help="run this copy of the reconciler package instead")
    parser.add_argument("--profile", type=Path, help="write a cProfile of each CLI run here")
    parser.add_argument("--server-profile", action="store_true", help="run the sandbox under cProfile too")
    opts = parser.parse_args()
    wanted = [s.strip() for s in opts.scenarios.split(",") if s.strip()]
    if opts.profile:
        opts.profile.mkdir(parents=True, exist_ok=True)

    def prof(name: str) -> Path | None:
        return opts.profile / f"{name}.prof" if opts.profile else None

    agents = [f"agent_{i:03d}" for i in range(opts.agents)]
    n, par = opts.n, ["--parallelism", str(opts.parallelism)]
    results: dict[str, object] = {"code": str(opts.code or "this checkout"), "n": n, "agents": opts.agents}
    with tempfile.TemporaryDirectory() as tmp:
        runner = Runner(opts.code.resolve() if opts.code else None, Path(tmp))
        same = Path(tmp) / "bench.yaml"  # updates edit this file in place: a bundle is applied from one file
        write_bundle(same, n, agents)
        if "start" in wanted:
            runs = [runner.cli(["(imports)"]) for _ in range(max(3, opts.repeat))]
            results["start"] = summary([{"wall_s": w, "cli_cpu_s": c} for w, c in runs])
        if "validate" in wanted:
            runs = [runner.cli(["validate", str(same)], profile=prof("validate")) for _ in range(opts.repeat)]
            results["validate"] = summary([{"wall_s": w, "cli_cpu_s": c} for w, c in runs])
        server_prof = opts.profile / "server.prof" if opts.profile and opts.server_profile else None
        with runner.sandbox(agents, opts.latency, server_prof) as (url, pid):
            plan = [("creates", ["apply", "--auto-approve", str(same)], 1)]
            plan += [("plan", ["plan", str(same)], opts.repeat)]
            plan += [("updates", ["apply", "--auto-approve"], opts.repeat)]
            if "creates" not in wanted and {"plan", "updates"} & set(wanted):
                runner.cli(plan[0][1] + par, url)  # unreported: a no-change plan needs the schedules there
            for name, args, count in plan:
                if name not in wanted:
                    continue
                measured: list[dict[str, float]] = []
                for i in range(count):
                    if name == "updates":  # edit 10 %, then restore them: the same work every time
                        write_bundle(same, n, agents, changed=n // 10 if i % 2 == 0 else 0)
                        args = ["apply", "--auto-approve", str(same)]
                    sent, server = requests_sent(url), cpu_of(pid)
                    wall, cpu = runner.cli([*args, *par], url, prof(name))
                    measured.append(
                        {
                            "wall_s": wall,
                            "cli_cpu_s": cpu,
                            "server_cpu_s": cpu_of(pid) - server,
                            "requests": requests_sent(url) - sent,
                        }
                    )
                results[name] = summary(measured)
                print(name, results[name], file=sys.stderr, flush=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
