"""The real CLI in a subprocess (`python -m reconciler ...`), exactly as a user or CI runs it; and an apply
that can be SIGKILLed the moment the kit's proxy reaches its kill point, as a crash would end it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path


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


def run_cli(*args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 120) -> Run:
    """`reconciler ARGS` to the end."""
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        env=_env(env),
        cwd=cwd,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


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
