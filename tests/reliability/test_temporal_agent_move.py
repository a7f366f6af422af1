"""A schedule that moves to another agent (workflow type) under the same name, on Temporal, found by the fault
soak: the schedule id is `<bundleKey>--<name>` and ignores the agent, so the move is an update of the same
schedule (the provider says `agents_in_identity = False`). Before that, the plan made it a create beside an
archive of the old one; the create found the id taken, and the bundle's schedule was never made (moved in one
commit: the apply exited 0 with the old one archived; moved after it left the bundle: every apply failed
with 409 "already registered").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox.temporal_dev import DevServer
from tests.conftest import Run, run_cli
from tests.reliability.temporal_revision import empty


def _bundle(path: Path, alpha_agent: str | None) -> str:
    schedules: list[dict[str, Any]] = [
        {"name": "keep", "agent": "briefing-agent", "when": {"every": "1h"}, "input": {"message": "k"}}
    ]
    if alpha_agent is not None:
        schedules.append(
            {"name": "alpha", "agent": alpha_agent, "when": {"every": "1h"}, "input": {"message": "a"}}
        )
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "move",
        "target": {"provider": "temporal", "taskQueue": "agents"},
        "prune": "archive",
        "schedules": schedules,
    }
    path.write_text(json.dumps(document))
    return str(path)


def _cli(server: DevServer, *args: str) -> Run:
    return run_cli(
        *args, env={"TEMPORAL_HTTP_ADDRESS": server.http_url, "TEMPORAL_NAMESPACE": server.namespace}
    )


def _alpha(server: DevServer) -> dict[str, Any]:
    response = httpx.get(f"{server.http_url}/api/v1/namespaces/{server.namespace}/schedules/move--alpha")
    response.raise_for_status()
    schedule: dict[str, Any] = response.json()["schedule"]
    return schedule


@pytest.mark.parametrize("left_the_bundle_first", [False, True], ids=["in-one-commit", "after-archive"])
def test_a_schedule_moved_to_another_agent_runs_the_new_agent(
    temporal_server: DevServer, tmp_path: Path, left_the_bundle_first: bool
) -> None:
    empty(temporal_server.http_url)
    path = tmp_path / "move.yaml"
    assert _cli(temporal_server, "apply", "--auto-approve", _bundle(path, "briefing-agent")).code == 0
    if left_the_bundle_first:
        assert _cli(temporal_server, "apply", "--auto-approve", _bundle(path, None)).code == 0
    moved = _cli(temporal_server, "apply", "--auto-approve", _bundle(path, "digest-agent"))
    again = _cli(temporal_server, "apply", "--auto-approve", str(path))
    alpha = _alpha(temporal_server)
    assert (moved.code, again.code) == (0, 0), moved.err + again.err
    assert alpha["action"]["startWorkflow"]["workflowType"]["name"] == "digest-agent"
    assert not (alpha.get("state") or {}).get("paused", False)
    assert _cli(temporal_server, "plan", "--detailed-exitcode", str(path)).code == 0
