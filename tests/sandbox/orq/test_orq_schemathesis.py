"""orq's published OpenAPI document for the create operation (`tests/data/orq/seed-openapi.yaml`, copied
verbatim) run against the orq sandbox with schemathesis: examples, coverage and fuzzing, every response
checked against the document.

schemathesis is not a test dependency: it is installed once in a virtualenv of its own under
`$SCHEMATHESIS_VENV` (default `~/.cache/reconciler/schemathesis-4.32.5`). Slow: `pytest --runslow <this
file>`.

Adjustments to the document, each for a stated reason:
- a 401 response is added: the operation declares bearer security but not the answer to a missing key;
- the clock is set to the docs' own date (2026-04-20T10:00Z), so the `once` example's `@at` is in the future;
- `positive_data_acceptance` runs on the documented examples only: a random string is schema-valid but is
  no cron expression, and orq answers it with the documented 400;
- `unsupported_method` and `allow_header_conformance` are off: the seed documents only POST on a path that
  also serves GET (the list).
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.sandbox.agentex.venvs import building
from tests.sandbox_server import API_KEY, running_sandbox

VERSION = "4.32.5"
DOCUMENT = ROOT / "tests" / "data" / "orq" / "seed-openapi.yaml"
PATH = "/v3/agents/{agent_key}/schedules"
AGENT = "customer_digest"


def schemathesis() -> Path:
    default = Path.home() / ".cache" / "reconciler" / f"schemathesis-{VERSION}"
    home = Path(os.environ.get("SCHEMATHESIS_VENV", default))
    binary = home / "bin" / "schemathesis"
    with building(home):
        try:
            if VERSION in subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout:
                return binary
        except OSError:  # not there yet, or a moved virtualenv whose scripts point elsewhere
            pass
        venv.EnvBuilder(with_pip=True, clear=True).create(home)
        install = subprocess.run(
            [str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", f"schemathesis=={VERSION}"],
            capture_output=True,
            text=True,
            timeout=600,
        )
    if install.returncode != 0:
        pytest.skip(f"could not install schemathesis=={VERSION}: {install.stderr[-500:]}")
    return binary


def seed_document() -> dict[str, object]:
    """The published document, with the 401 added."""
    document: dict[str, object] = yaml.safe_load(DOCUMENT.read_text())
    operation = document["paths"][PATH]["post"]  # type: ignore[index]
    operation["responses"]["401"] = {
        "description": "Missing or wrong API key (added: the seed declares bearer security but not its 401).",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {"message": {"type": "string"}, "code": {"type": "integer"}},
                }
            }
        },
    }
    return document


@pytest.mark.slow
def test_the_seeds_openapi_document_holds_against_the_sandbox(tmp_path: Path) -> None:
    binary = schemathesis()
    (tmp_path / "openapi.yaml").write_text(yaml.safe_dump(seed_document(), sort_keys=False))
    (tmp_path / "schemathesis.toml").write_text(
        f'headers = {{ Authorization = "Bearer {API_KEY}" }}\n[parameters]\n"path.agent_key" = "{AGENT}"\n'
    )
    with running_sandbox("orq", "--agents", AGENT) as server:
        server.admin("POST", "clock", {"now": "2026-04-20T10:00:00Z"})
        base = [str(binary), "run", "openapi.yaml", "--url", server.url, "--checks", "all"]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        runs = (
            [*base, "--phases", "examples"],
            [
                *base,
                "--exclude-checks",
                "positive_data_acceptance,unsupported_method,allow_header_conformance",
                "--max-examples",
                "200",
                "--generation-deterministic",
                "--continue-on-failure",
            ],
        )
        for args in runs:
            result = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
            assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        stats = server.admin("GET", "stats")
        assert stats["routes"][f"POST {PATH}"].get("201", 0) >= 3  # the documented examples were created
