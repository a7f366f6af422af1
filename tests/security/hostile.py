"""Shared by the hostile-input tests: the invariant every input must keep, and a bounded subprocess runner.

The invariant: whatever the bytes, loading and validating either succeeds or returns located problems
(file, line >= 1, column >= 1, a printable message), never raises, and every output format can print them.
"""

from __future__ import annotations

import os
import signal
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


# Linux starts a forked child's peak RSS at its parent's (exec keeps the larger of the two), and the pytest
# process that runs these tests grows to hundreds of MiB in a full run. So the CLI is forked by a small
# launcher, a fresh interpreter of a few MiB, which writes the CLI's own peak RSS (KiB) to the pipe `fd`.
_LAUNCHER = """
import os, sys
fd = int(sys.argv[1])
pid = os.fork()
if pid == 0:
    os.close(fd)
    os.execv(sys.executable, [sys.executable, "-m", "reconciler", *sys.argv[2:]])
_, status, usage = os.wait4(pid, 0)
os.write(fd, str(usage.ru_maxrss).encode())
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(*args: str, timeout: float = 120, cwd: Path = ROOT) -> Measured:
    """`reconciler ARGS` in a subprocess: its exit code, output, time and own peak resident memory (the
    CLI's alone, see `_LAUNCHER`). Killed, and the test failed, if it runs past `timeout`."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    read_rss, write_rss = os.pipe()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, os.fdopen(read_rss, "rb") as pipe:
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", _LAUNCHER, str(write_rss), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                cwd=cwd,
                pass_fds=(write_rss,),
                start_new_session=True,  # a timeout kills the launcher and the CLI together
            )
        finally:
            os.close(write_rss)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError(
                f"reconciler {' '.join(args)[:200]} still running after {timeout} s"
            ) from None
        seconds = time.monotonic() - started
        reported = pipe.read()
        out.seek(0)
        err.seek(0)
        return Measured(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            int(reported or 0) / 1024,
        )
