"""The real CLI, as a user or CI runs it: in a subprocess (`python -m reconciler ...`), or in the test's own
process through the same `main` the entry point calls; and an apply that can be SIGKILLed the moment the
kit's proxy reaches its kill point, as a crash would end it (always a subprocess: only a process can die).

In process is the default for a scenario's plan/apply steps: a subprocess spends ~0.9 s importing the CLI
before it does anything, and a conformance run is hundreds of steps. Every revision still runs its first
scenario and its crash scenarios through real subprocesses, so the entry point itself stays covered;
`RECONCILER_KIT_SUBPROCESS=1` runs every step in a subprocess."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from reconciler.envflag import env_flag

# The variable that puts every step back in a subprocess (a provider author chasing a start-up problem).
SUBPROCESS_ENV = "RECONCILER_KIT_SUBPROCESS"


@dataclass
class Run:
    code: int | None  # None: killed
    out: str
    err: str

    @property
    def killed(self) -> bool:
        return self.code is None


def _env(env: dict[str, str]) -> dict[str, str]:
    full = {**os.environ, **env}
    full.pop("NO_COLOR", None)  # the kit reads the CLI's plain output either way
    return full


def run_cli(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 120, in_process: bool = False
) -> Run:
    """`reconciler ARGS` to the end: in this process when `in_process` (and the environment allows it),
    else in a subprocess, killed after `timeout` seconds."""
    if in_process and can_run_in_process(env):
        return run_in_process(*args, env=env, cwd=cwd)
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        env=_env(env),
        cwd=cwd,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def can_run_in_process(env: dict[str, str]) -> bool:
    """In process gives the same answer as a subprocess unless the run asks for its own log (a handler on
    the stderr of that one run would outlive it) or the user asked for subprocesses throughout."""
    full = _env(env)
    return not env_flag(os.environ, SUBPROCESS_ENV) and not full.get("RECONCILER_LOG")


# One in-process run at a time: the environment, the working directory and sys.stdout are the process's.
_ONE_AT_A_TIME = threading.Lock()


def run_in_process(*args: str, env: dict[str, str], cwd: Path | None = None) -> Run:
    """`reconciler ARGS` through `reconciler.cli.main.main`, with exactly the environment, working directory
    and (non-terminal) output streams the subprocess would have had; all of them restored afterwards."""
    from reconciler.cli.main import main  # imported on first use: a kit that never runs in process skips it

    out, err = io.StringIO(), io.StringIO()
    with _ONE_AT_A_TIME, _environment(_env(env)), _directory(cwd), redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return Run(code, out.getvalue(), err.getvalue())


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _directory(cwd: Path | None) -> Iterator[None]:
    if cwd is None:
        yield
        return
    saved = os.getcwd()
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved)


def run_killable(*args: str, env: dict[str, str], kill_on: threading.Event, timeout: float = 120) -> Run:
    """`reconciler ARGS`, SIGKILLed the moment `kill_on` is set (or when `timeout` passes)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(env),
    )
    deadline = time.monotonic() + timeout
    killed = False
    while proc.poll() is None:
        if kill_on.wait(0.01) or time.monotonic() > deadline:
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
    out, err = proc.communicate(timeout=60)
    return Run(None if killed else proc.returncode, out, err)
