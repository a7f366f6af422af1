"""The seed's own OpenAPI document (`POST /agents/{agent_id}/schedules`) against the legacy sandbox, with
schemathesis (in a virtualenv of its own: `venvs.py`). Slow: `pytest --runslow`.

Checks left out, each because the real server differs from the seed's excerpt and the sandbox follows the
server (WIRE-PROTOCOLS §1A; `reconciler/sandbox/agentex/README.md`):
- status_code_conformance: the excerpt documents 200 and 422 only; the server also answers 400 (neither
  cron nor interval), 404 (unknown agent) and 409 (duplicate name).
- positive_data_acceptance: "at least one of cron and interval" is a server rule the schema cannot say.
- negative_data_rejection: the server's pydantic models coerce in lax mode (`0` for false, `5.0` for 5),
  as FastAPI does.
- unsupported_method: the excerpt shows POST only; the same path also lists schedules (GET).
Every other check runs: no 5xx, content types, response headers, and every 200 and 422 body against the
document's schemas.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.sandbox.agentex.venvs import tool_python
from tests.sandbox_server import API_KEY, Server

DOCUMENT = ROOT / "tests" / "data" / "agentex" / "seed-openapi.yaml"
EXCLUDED = (
    "status_code_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "unsupported_method",
)


@pytest.mark.slow
def test_schemathesis_finds_no_mismatch(legacy_server: Server, legacy: object, tmp_path: Path) -> None:
    st = tool_python("schemathesis==4.32.5", "import schemathesis").parent / "st"
    document = yaml.safe_load(DOCUMENT.read_text())
    # Aim the generated requests at an agent that exists, so that creates succeed and 200s are checked too.
    [agent] = document["paths"]["/agents/{agent_id}/schedules"]["post"]["parameters"]
    agent["schema"] = {"type": "string", "enum": ["agent-a"]}
    pinned = tmp_path / "openapi.yaml"
    pinned.write_text(yaml.safe_dump(document, sort_keys=False))
    for schema in (str(DOCUMENT), str(pinned)):
        result = subprocess.run(
            [
                str(st),
                "run",
                schema,
                "--url",
                legacy_server.url,
                "-H",
                f"Authorization: Bearer {API_KEY}",
                "--checks",
                "all",
                "--exclude-checks",
                ",".join(EXCLUDED),
                "--max-examples",
                "150",
                "--seed",
                "1",
                "--continue-on-failure",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
