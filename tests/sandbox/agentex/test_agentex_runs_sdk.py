"""The current `agentex-client` (0.28.4, which speaks the run-schedules API) against the sandbox.

The test environment pins 0.17.0 (the seed's API), and both install as the module `agentex`, so the
current SDK lives in a virtualenv of its own (`venvs.py`; `$AGENTEX_SDK_VENV` picks its folder), and
`sdk_current_conformance.py` runs in it. Slow (the first run installs the SDK):
`pytest --runslow tests/sandbox/agentex/test_agentex_runs_sdk.py`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.sandbox.agentex.venvs import tool_python
from tests.sandbox_server import Server

VERSION = "0.28.4"
SCRIPT = Path(__file__).with_name("sdk_current_conformance.py")


@pytest.mark.slow
def test_current_sdk_drives_every_run_schedule_route(runs_server: Server, runs: object) -> None:
    check = f"import agentex, sys; sys.exit(agentex.__version__ != {VERSION!r})"
    python = tool_python(f"agentex-client=={VERSION}", check, "AGENTEX_SDK_VENV")
    env = {**os.environ, **runs_server.env, "PYTHONNOUSERSITE": "1"}
    env.pop("PYTHONPATH", None)
    result = subprocess.run([str(python), str(SCRIPT)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "OK"
