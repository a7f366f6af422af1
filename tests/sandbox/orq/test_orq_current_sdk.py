"""The current `orq-ai-sdk` (4.17.13, which speaks the display-name API) against the sandbox.

The test environment pins 4.12.22 (the seed's API) and both install as `orq_ai_sdk`, so the current SDK
lives in a virtualenv of its own: built once under `$ORQ_SDK_VENV` (default
`~/.cache/reconciler/orq-ai-sdk-4.17.13`) with pip, then `sdk_current_conformance.py` runs in it.
Slow (the first run installs the SDK): `pytest --runslow tests/sandbox/orq/test_orq_current_sdk.py`.
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest

from tests.sandbox.agentex.venvs import building
from tests.sandbox.orq.conftest import AGENTS
from tests.sandbox_server import API_KEY, running_sandbox

VERSION = "4.17.13"
SCRIPT = Path(__file__).with_name("sdk_current_conformance.py")


def sdk_python() -> Path:
    """The virtualenv's interpreter, with orq-ai-sdk VERSION installed (skips if pip cannot get it)."""
    default = Path.home() / ".cache" / "reconciler" / f"orq-ai-sdk-{VERSION}"
    home = Path(os.environ.get("ORQ_SDK_VENV", default))
    python = home / "bin" / "python"
    check = [
        str(python),
        "-c",
        f"import importlib.metadata as m, sys; sys.exit(m.version('orq-ai-sdk') != {VERSION!r})",
    ]
    with building(home):
        if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
            return python
        venv.EnvBuilder(with_pip=True, clear=True).create(home)
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"orq-ai-sdk=={VERSION}"],
            capture_output=True,
            text=True,
            timeout=600,
        )
    if install.returncode != 0:
        pytest.skip(f"could not install orq-ai-sdk=={VERSION}: {install.stderr[-500:]}")
    return python


@pytest.mark.slow
def test_current_sdk_drives_every_route_of_the_display_name_revision() -> None:
    python = sdk_python()
    with running_sandbox("orq", "--api", "display-name", "--agents", ",".join(AGENTS)) as server:
        env = {**os.environ, **server.env, "ORQ_API_KEY": API_KEY, "PYTHONNOUSERSITE": "1"}
        env.pop("PYTHONPATH", None)
        result = subprocess.run(
            [str(python), str(SCRIPT)], capture_output=True, text=True, env=env, timeout=120
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "OK"
