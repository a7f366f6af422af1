"""How the benchmarks run things: a platform's sandbox as a process of its own, the CLI (or the best script)
as a process of its own with its wall time, CPU and peak RSS, and what the machine is and how busy it was.
Shared by benchmarks/plan_apply.py, memory.py, fleet.py, vs_script.py and controller_replan.py."""

from __future__ import annotations

import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
from plan_apply_providers import Spec

from reconciler.providers.registry import CONNECTIONS

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key"
# The CLIs a benchmark runs keep their parse cache (docs/cli.md) in a folder of this benchmark's own, empty
# when it starts: a run finds a file's parse kept only when an earlier run of the same benchmark read the
# very same bytes (a plan after the apply of the same file), never from the user's earlier runs.
os.environ.setdefault("RECONCILER_CACHE_DIR", tempfile.mkdtemp(prefix="reconciler-bench-parse-cache-"))


# ---- the sandbox server ------------------------------------------------------------------------------------
@dataclass
class Server:
    url: str
    env: dict[str, str]
    pid: int

    def cpu_s(self) -> float:
        """CPU seconds the sandbox process has used (user + system, from /proc)."""
        with suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return math.nan

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = self._admin.request(method, f"/_sandbox/{path}", json=body)
        response.raise_for_status()
        return response.json()

    @cached_property
    def _admin(self) -> httpx.Client:  # one connection for the admin calls (200 agents at N = 10,000)
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {KEY}"}, timeout=60)

    def routes(self) -> dict[str, dict[str, int]]:
        routes: dict[str, dict[str, int]] = self.admin("GET", "stats")["routes"]
        return routes


@contextmanager
def sandbox(spec: Spec, agents: list[str], latency_ms: float) -> Iterator[Server]:
    args = [sys.executable, "-m", "reconciler", "sandbox", "serve", "--provider", spec.provider, *spec.serve]
    args += ["--port", "0", "--api-key", KEY, "--agents", ",".join(agents)]
    args += ["--latency", f"{latency_ms:g}"] if latency_ms else []
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    env: dict[str, str] = {}
    for line in proc.stdout:
        found = re.match(r"^export (\w+)=(\S+)$", line.strip())
        if found:
            env[found.group(1)] = found.group(2).strip("'")
        if line.startswith("# Ctrl-C"):
            break
    server: Server | None = None
    try:
        url = next(v for k, v in env.items() if k.endswith(("_BASE_URL", "_SERVER_URL")))
        server = Server(
            url, {**env, CONNECTIONS[spec.provider].api_key_env: KEY}, proc.pid
        )  # keys: never printed
        yield server
    finally:
        if server is not None and "_admin" in vars(server):
            server._admin.close()
        proc.terminate()
        proc.wait(timeout=30)


def delta(after: dict[str, dict[str, int]], before: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for route, outcomes in after.items():
        for outcome, n in outcomes.items():
            d = n - before.get(route, {}).get(outcome, 0)
            if d:
                out.setdefault(route, {})[outcome] = d
    return out


def writes_done(routes: dict[str, dict[str, int]]) -> int:
    """Successful requests that change something: the work actually carried out."""
    return sum(
        n
        for route, outcomes in routes.items()
        if not route.startswith("GET ")
        for outcome, n in outcomes.items()
        if outcome.startswith("2")
    )


# ---- running the CLI ---------------------------------------------------------------------------------------
@dataclass
class Run:
    wall_s: float
    cpu_s: float
    rss_mb: float


# Linux counts a forked child's peak RSS from its parent's (the memory it was forked with), and this process
# grows; so the CLI is forked from a small launcher, which reports the CLI's own wall time, CPU and peak RSS.
LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "wall": wall, "cpu": cpu, "rss_kb": usage.ru_maxrss}))
"""


def timed(argv: list[str], env: dict[str, str]) -> Run:
    """`argv` as a process of its own: its wall time, CPU and peak RSS (exit 0 or 2, else the run stops)."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *argv], env=env, capture_output=True, text=True, check=False
    )
    result = json.loads(done.stdout)
    if result["code"] not in (0, 2):
        raise SystemExit(f"{' '.join(argv[1:5])} failed (exit {result['code']}):\n{done.stderr[-2000:]}")
    return Run(result["wall"], result["cpu"], result["rss_kb"] / 1024)


def run_cli(args: list[str], env: dict[str, str], parallelism: int) -> Run:
    full = {**os.environ, **env}
    full.pop("RECONCILER_SANDBOX", None)
    return timed([sys.executable, "-m", "reconciler", *args, "--parallelism", str(parallelism)], full)


def run_best_script(bundle: Path, spec: Spec, server: Server, parallelism: int, *, dry: bool) -> Run:
    """benchmarks/best_script.py on `bundle`, as a process of its own (the interpreter's start-up included)."""
    argv = [sys.executable, str(ROOT / "benchmarks" / "best_script.py"), str(bundle), "--provider", spec.key]
    argv += ["--url", server.url, "--parallelism", str(parallelism)] + (["--dry-run"] if dry else [])
    env = {**os.environ, "BENCH_API_KEY": KEY, "PYTHONPATH": str(ROOT / "benchmarks")}
    return timed(argv, env)


def startup_s() -> float:
    """Wall time of the CLI doing nothing: the interpreter and the CLI's imports (best of 2)."""
    best = math.inf
    for _ in range(2):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "reconciler", "--help"], capture_output=True, check=True)
        best = min(best, time.perf_counter() - started)
    return best


# ---- the machine -------------------------------------------------------------------------------------------
def cpu_model() -> str:
    with suppress(OSError, StopIteration):
        return next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return "unknown CPU"


def run_header(latency_ms: float, parallelism: int, **extra: Any) -> dict[str, Any]:
    """What every benchmark's results start with: when, on what machine, at what latency and parallelism."""
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "latency_ms": latency_ms,
        "parallelism": parallelism,
        **extra,
    }


def busy_seconds() -> float:
    """CPU seconds every process on the machine has used since boot (from /proc/stat)."""
    with suppress(OSError, ValueError):
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    return math.nan


def own_seconds() -> float:
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime
