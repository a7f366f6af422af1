"""The current `agentex-client` (0.28.4, which speaks the run-schedules API) against the sandbox.

The test environment pins 0.17.0 (the seed's API), and both install as the module `agentex`, so the
current SDK lives in a virtualenv of its own: built once under `$AGENTEX_SDK_VENV` (default
`~/.cache/reconciler/agentex-client-0.28.4`) with pip, then `sdk_current_conformance.py` runs in it.
Slow (the first run installs the SDK): `pytest --runslow tests/sandbox/agentex/test_agentex_runs_sdk.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.sandbox_server import Server

VERSION = "0.28.4"
SCRIPT = Path(__file__).with_name("sdk_current_conformance.py")


def sdk_python() -> Path:
    """The virtualenv's interpreter, with agentex-client VERSION installed (skips if pip cannot get it)."""
    default = Path.home() / ".cache" / "reconciler" / f"agentex-client-{VERSION}"
    home = Path(os.environ.get("AGENTEX_SDK_VENV", default))
    python = home / "bin" / "python"
    check = [str(python), "-c", f"import agentex, sys; sys.exit(agentex.__version__ != {VERSION!r})"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    venv.EnvBuilder(with_pip=True, clear=True).create(home)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"agentex-client=={VERSION}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if install.returncode != 0:
        pytest.skip(f"could not install agentex-client=={VERSION}: {install.stderr[-500:]}")
    return python


@pytest.mark.slow
def test_current_sdk_drives_every_run_schedule_route(runs_server: Server, runs: object) -> None:
    python = sdk_python()
    env = {**os.environ, **runs_server.env, "PYTHONNOUSERSITE": "1"}
    env.pop("PYTHONPATH", None)
    result = subprocess.run([str(python), str(SCRIPT)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "OK"
    assert sys.executable != str(python)
