"""How long `reconciler sandbox serve` takes from exec to answering its first request (target: < 2 s).

    python benchmarks/sandbox_startup.py [--runs N] [--provider cadenya]

Measures a cold process each run: interpreter start, imports, store, uvicorn, the printed URL, then
one authenticated request. Prints each run and the median.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time

import httpx


def one_run(provider: str) -> tuple[float, float]:
    """(seconds until the URL was printed, seconds until the first request was answered)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--provider", provider, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        url = ""
        for line in proc.stdout:
            if "_BASE_URL=" in line or "_SERVER_URL=" in line:
                url = line.strip().split("=", 1)[1]
            if line.startswith("# Ctrl-C"):
                break
        printed = time.perf_counter() - started
        httpx.get(f"{url}/_sandbox/stats", headers={"Authorization": "Bearer sandbox-key"}).raise_for_status()
        return printed, time.perf_counter() - started
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--provider", default="cadenya")
    args = parser.parse_args()
    ready = []
    for i in range(args.runs):
        printed, answered = one_run(args.provider)
        ready.append(answered)
        print(f"run {i + 1}: URL printed after {printed:.3f} s, first answer after {answered:.3f} s")
    median = statistics.median(ready)
    print(f"sandbox startup ({args.provider}): median {median:.3f} s over {args.runs} runs (target < 2 s)")
    return 0 if median < 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
