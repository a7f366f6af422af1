"""`pip install agent-reconciler` (no extras) gives a CLI that works against a real endpoint, and asks for the
`[sandbox]` extra, by name, where it needs the sandbox servers.

The package is built and installed from this checkout into a fresh virtualenv, pinned by constraints.txt as
users' CI installs it; the platform it talks to is a sandbox server run from the test environment (which has
the extra), i.e. a real HTTP endpoint as far as the installed CLI can tell.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cadenya import Cadenya

from reconciler import __version__
from tests.sandbox_server import API_KEY, running_sandbox

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: lean-install
target: {provider: cadenya, workspace: ws_lean}
schedules:
  - name: nightly
    agent: agent_lean
    when: {cron: "0 3 * * *"}
    input: {message: "Nightly run"}
"""


@pytest.fixture(scope="module")
def lean_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    venv = tmp_path_factory.mktemp("lean") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--constraint",
            str(ROOT / "constraints.txt"),
            str(ROOT),
        ],
        check=True,
        timeout=600,
    )
    yield venv


def _run(
    venv: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RECONCILER_", "CADENYA_", "PYTHON"))}
    return subprocess.run(
        [str(venv / "bin" / "reconciler"), *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def test_the_lean_install_leaves_the_sandbox_servers_out(lean_venv: Path) -> None:
    probe = subprocess.run(
        [
            str(lean_venv / "bin" / "python"),
            "-c",
            "import importlib.util as u; print(u.find_spec('fastapi'), u.find_spec('uvicorn'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.split() == ["None", "None"]
    version = _run(lean_venv, "--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"reconciler {__version__}")


def test_the_lean_cli_validates_plans_and_applies_against_an_endpoint(
    lean_venv: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.yaml"
    bundle.write_text(BUNDLE)
    assert _run(lean_venv, "validate", str(bundle), cwd=tmp_path).returncode == 0
    with running_sandbox("cadenya", "--workspace", "ws_lean", "--agents", "agent_lean") as server:
        applied = _run(lean_venv, "apply", "--auto-approve", str(bundle), env=server.env, cwd=tmp_path)
        assert applied.returncode == 0, applied.stderr
        again = _run(lean_venv, "plan", "--detailed-exitcode", str(bundle), env=server.env, cwd=tmp_path)
        assert again.returncode == 0, again.stdout + again.stderr
        with Cadenya(api_key=API_KEY, base_url=server.url, workspace_id="ws_lean") as sdk:
            names = [s.metadata.name for s in sdk.agents.schedules.list("agent_lean", limit=10)]
    assert names == ["nightly"]


@pytest.mark.parametrize(
    "args",
    [("plan", "--sandbox", "bundle.yaml"), ("sandbox", "serve", "--provider", "cadenya", "--port", "0")],
    ids=["--sandbox", "sandbox-serve"],
)
def test_the_sandbox_without_its_extra_names_the_extra_to_install(
    lean_venv: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    (tmp_path / "bundle.yaml").write_text(BUNDLE)
    result = _run(lean_venv, *args, cwd=tmp_path)
    assert result.returncode == 1
    assert "pip install 'agent-reconciler[sandbox]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / ".reconciler").exists()  # nothing was started
