"""Shared by the hostile-input tests: the invariant every input must keep, and a bounded subprocess runner.

The invariant: whatever the bytes, loading and validating either succeeds or returns located problems
(file, line >= 1, column >= 1, a printable message), never raises, and every output format can print them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from reconciler.bundle.validate import Loaded, load_bundles
from reconciler.cli.output import format_diagnostics
from tests.conftest import ROOT

ROOT_EXAMPLES = sorted((ROOT / "examples").rglob("*.yaml")) + sorted((ROOT / "bundles").glob("*.yaml"))
ENVIRON = {"TOKEN": "canary-fuzz-secret", "REGION": "emea", "DIGEST_TOKEN": "canary-digest"}


def check_located(paths: list[str], environ: dict[str, str] | None = None) -> Loaded:
    """Load and validate; every problem must carry a place and print cleanly in every format."""
    loaded = load_bundles(paths, environ=ENVIRON if environ is None else environ)
    for problem in loaded.diagnostics:
        assert problem.file, problem
        assert problem.line >= 1 and problem.col >= 1, f"no location: {problem}"
        assert problem.message and problem.message.isprintable(), repr(problem.message)
    for fmt in ("text", "json", "github"):
        format_diagnostics(loaded.diagnostics, fmt).encode("utf-8")  # no lone surrogate reaches output
    for secret in ("canary-fuzz-secret", "canary-digest"):
        assert all(secret not in d.message for d in loaded.diagnostics)
    if not loaded.diagnostics:
        assert all(b.key for b in loaded.bundles)
    return loaded


@dataclass
class Measured:
    code: int
    out: str
    err: str
    seconds: float
    peak_rss_mib: float


def run_measured(*args: str, timeout: float = 120, cwd: Path = ROOT) -> Measured:
    """`reconciler ARGS` in a subprocess: its exit code, output, time and own peak resident memory (from
    wait4, which reports this child alone). Killed, and the test failed, if it runs past `timeout`."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            cwd=cwd,
        )
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise AssertionError(f"reconciler {' '.join(args)[:200]} still running after {timeout} s")
            time.sleep(0.02)
        seconds = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
        out.seek(0)
        err.seek(0)
        return Measured(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            usage.ru_maxrss / 1024,
        )
