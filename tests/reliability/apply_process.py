"""`reconciler apply --auto-approve` as a separate process that a test can SIGKILL at a chosen moment.

Two launchers. `exec`: `python -m reconciler apply ...`, exactly as CI runs it. `fork`: the same CLI entry
point (`reconciler.cli.main.main`) in a process forked from a fork server that imported the reconciler
once, so a run does not pay the interpreter's start-up (about 0.6 s of CPU, most of a small apply) on a
2-core CI machine. Either way the apply is a process of its own with its own connections, and SIGKILL
ends it without a word, as a crash would; the crash tests use both.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from tests.conftest import ROOT

Launcher = Literal["exec", "fork"]
PRELOAD = [
    "reconciler.cli.main",
    "reconciler.cli.apply",  # verbs load when they run (reconciler/cli/commands.py): preload the one used
    "reconciler.providers.cadenya.provider",
    "reconciler.providers.agentex.provider",
    "reconciler.providers.orq.provider",
    "reconciler.providers.oz.provider",
    "reconciler.providers.tbd_agents.provider",
    "reconciler.providers.temporal.provider",
    "httpcore",
    "httpx",
    "tests.reliability.apply_process",
]
_forkserver = multiprocessing.get_context("forkserver")
_forkserver.set_forkserver_preload(PRELOAD)


@dataclass
class ApplyRun:
    code: int | None  # None: killed
    out: str
    err: str

    @property
    def killed(self) -> bool:
        return self.code is None


class Running(Protocol):
    def poll(self) -> int | None: ...
    def kill(self) -> None: ...
    def finish(self) -> ApplyRun: ...


def _env(env: dict[str, str]) -> dict[str, str]:
    full = {**os.environ, **env}
    full.pop("NO_COLOR", None)
    return full


class _Exec:
    def __init__(self, env: dict[str, str], argv: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(env),
            cwd=ROOT,
        )
        self.killed = False

    def poll(self) -> int | None:
        return self.proc.poll()

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.killed = True

    def finish(self) -> ApplyRun:
        out, err = self.proc.communicate(timeout=60)
        return ApplyRun(None if self.killed else self.proc.returncode, out, err)


def _child(env: dict[str, str], argv: list[str], out: str, err: str) -> None:
    """Runs in the forked process: the CLI with its output in two files, its exit code as the process's."""
    from reconciler.cli.main import main

    os.environ.clear()
    os.environ.update(env)
    os.chdir(ROOT)
    for fd, name in ((1, out), (2, err)):
        target = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - the process's own streams until it exits
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    code = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    raise SystemExit(code)


class _Fork:
    def __init__(self, env: dict[str, str], argv: list[str]) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="apply-")
        self.out, self.err = str(Path(self.dir.name) / "out"), str(Path(self.dir.name) / "err")
        self.proc = _forkserver.Process(target=_child, args=(_env(env), argv, self.out, self.err))
        self.proc.start()
        self.killed = False

    def poll(self) -> int | None:
        return self.proc.exitcode

    def kill(self) -> None:
        assert self.proc.pid is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.killed = True

    def finish(self) -> ApplyRun:
        self.proc.join(60)
        code = self.proc.exitcode
        run = ApplyRun(None if self.killed else code, Path(self.out).read_text(), Path(self.err).read_text())
        self.dir.cleanup()
        return run


def start_apply(env: dict[str, str], *args: str, launcher: Launcher = "fork") -> Running:
    argv = ["apply", "--auto-approve", *args]
    return _Exec(env, argv) if launcher == "exec" else _Fork(env, argv)


def cli(env: dict[str, str], *argv: str) -> ApplyRun:
    """`reconciler ARGV` in a forked process (any verb), to the end."""
    return _Fork(env, list(argv)).finish()


def run_apply(
    env: dict[str, str],
    *args: str,
    kill_on: threading.Event | None = None,
    launcher: Launcher = "fork",
    timeout: float = 120,
) -> ApplyRun:
    """Run apply to the end, or SIGKILL it the moment `kill_on` is set."""
    running = start_apply(env, *args, launcher=launcher)
    deadline = time.monotonic() + timeout
    while running.poll() is None:
        if kill_on.wait(0.01) if kill_on is not None else time.sleep(0.01):
            running.kill()
            break
        if time.monotonic() > deadline:
            running.kill()
            raise AssertionError(f"apply did not finish in {timeout} s")
    return running.finish()


def run_together(
    envs: list[dict[str, str]], *args: str, launcher: Launcher = "fork", timeout: float = 120
) -> list[ApplyRun]:
    """Start one apply per environment at once; wait for all of them."""
    running = [start_apply(env, *args, launcher=launcher) for env in envs]
    deadline = time.monotonic() + timeout
    while any(r.poll() is None for r in running):
        if time.monotonic() > deadline:
            for r in running:
                if r.poll() is None:
                    r.kill()
            raise AssertionError(f"concurrent applies did not finish in {timeout} s")
        time.sleep(0.02)
    return [r.finish() for r in running]
