"""Virtualenvs of their own for tools the test environment cannot hold: the current `agentex-client`
(the test extras pin 0.17.0, and both install as `agentex`) and schemathesis (not a project dependency).

Built once with pip under `$RECONCILER_TOOL_VENVS` (default `~/.cache/reconciler`), reused afterwards; a
test that needs one is skipped, saying why, when pip cannot install it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def tool_python(requirement: str, check: str, env_var: str | None = None) -> Path:
    """The interpreter of a virtualenv holding `requirement`; `check` is Python that exits 0 once it is there."""
    root = Path(os.environ.get("RECONCILER_TOOL_VENVS", Path.home() / ".cache" / "reconciler"))
    home = (
        Path(os.environ[env_var])
        if env_var and os.environ.get(env_var)
        else root / requirement.replace("==", "-")
    )
    python = home / "bin" / "python"
    with building(home):
        if (
            python.exists()
            and subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0
        ):
            return python
        venv.EnvBuilder(with_pip=True, clear=True).create(home)
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", requirement],
            capture_output=True,
            text=True,
            timeout=900,
        )
    if install.returncode != 0:
        pytest.skip(f"could not install {requirement}: {install.stderr[-500:]}")
    return python


@contextmanager
def building(home: Path) -> Iterator[None]:
    """Held while a test checks or builds the virtualenv `home`: under `pytest -n`, two workers can need the
    same one (schemathesis serves the Agentex and the orq tests), and a build wipes the directory first."""
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f".{home.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield
