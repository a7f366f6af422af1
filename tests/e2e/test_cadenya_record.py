"""The applied record on Cadenya, end to end: the real CLI applies against the sandbox running as a server, and
the provider (and the official SDK, as an operator would) reads the label `reconciler.dev/applied` back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cadenya import Cadenya

from reconciler.bundle.validate import load_bundles
from reconciler.plan.live import LiveSchedule
from reconciler.plan.record import parse_record
from reconciler.providers.base import Provider
from reconciler.providers.registry import open_provider
from tests.e2e.support import bundle_text, cli, plan_json, write
from tests.sandbox_server import API_KEY, Server, running_sandbox

WS = "ws_record"
KEY = "e2e-digest-key"
ENV = {"RECONCILER_DIGEST_KEY": KEY}
APPLIED = "reconciler.dev/applied"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", WS, "--agents", "agent_a") as srv:
        yield srv


@pytest.fixture
def sdk(sandbox: Server) -> Iterator[Cadenya]:
    client = Cadenya(api_key=API_KEY, base_url=sandbox.url, workspace_id=WS)
    yield client
    client.close()


def bundle(state: str = "active") -> str:
    schedule: dict[str, Any] = {
        "name": "briefing",
        "agent": "agent_a",
        "when": {"cron": "0 9 * * mon-fri", "timezone": "Europe/Berlin"},
        "input": {"message": "Morning briefing"},
        "labels": {"team": "support"},
        "state": state,
    }
    return bundle_text({"provider": "cadenya", "workspace": WS}, [schedule])


def provider(server: Server, path: str) -> Provider:
    [loaded] = load_bundles([path], environ={}).bundles
    return open_provider(loaded, digest_key=KEY.encode(), environ=server.env)


def the_live(server: Server, path: str) -> tuple[LiveSchedule, Provider]:
    reader = provider(server, path)
    [live] = reader.list_live()
    return live, reader


def apply(server: Server, path: str) -> None:
    result = cli(server, "apply", "--auto-approve", path, env=ENV)
    assert result.code == 0, result.out + result.err


def test_apply_records_the_state_and_the_digests_of_what_it_applied(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    apply(sandbox, path)
    live, reader = the_live(sandbox, path)
    assert live.applied is not None and live.applied.state == "active"
    desired = reader.normalise(reader.bundle.schedules[0])
    assert live.applied.text() == reader.record_of(desired)  # the digests of exactly what the bundle says
    assert live.incomplete_marker == ""
    assert live.changed_at is not None and live.changed_at.endswith("Z")
    assert live.changed_by is None  # Cadenya does not say who changed a schedule


def test_state_paused_then_active_moves_the_record_with_the_schedule(
    sandbox: Server, sdk: Cadenya, tmp_path: Path
) -> None:
    path = write(tmp_path, bundle())
    apply(sandbox, path)
    write(tmp_path, bundle("paused"))
    assert plan_json(sandbox, path, env=ENV)["summary"]["pause"] == 1
    apply(sandbox, path)
    live, _ = the_live(sandbox, path)
    assert (live.state, live.applied and live.applied.state) == ("paused", "paused")
    [item] = sdk.agents.schedules.list("agent_a")
    assert item.state == "STATE_PAUSED" and item.metadata.labels[APPLIED].startswith("paused.")

    write(tmp_path, bundle("active"))
    apply(sandbox, path)
    live, _ = the_live(sandbox, path)
    assert (live.state, live.applied and live.applied.state) == ("active", "active")
    assert cli(sandbox, "plan", "--detailed-exitcode", path, env=ENV).code == 0


def test_a_pause_made_in_cadenya_leaves_the_record_saying_active(
    sandbox: Server, sdk: Cadenya, tmp_path: Path
) -> None:
    path = write(tmp_path, bundle())
    apply(sandbox, path)
    [item] = sdk.agents.schedules.list("agent_a")
    sdk.agents.schedules.pause("agent_a", item.metadata.id)  # an operator, in Cadenya's UI
    live, _ = the_live(sandbox, path)
    assert live.state == "paused"
    assert live.applied is not None and live.applied.state == "active"  # not ours: an outside pause


def test_an_old_marker_without_a_record_gets_one_update_then_nothing(
    sandbox: Server, sdk: Cadenya, tmp_path: Path
) -> None:
    path = write(tmp_path, bundle())
    apply(sandbox, path)
    [item] = sdk.agents.schedules.list("agent_a")
    labels = {k: v for k, v in item.metadata.labels.items() if k != APPLIED}
    sdk.agents.schedules.update(  # what an older version of the reconciler wrote
        "agent_a",
        item.metadata.id,
        metadata={"name": item.metadata.name, "labels": labels},
        update_mask="metadata.labels",
    )
    live, _ = the_live(sandbox, path)
    assert live.applied is None and "record what was applied" in live.incomplete_marker

    plan = plan_json(sandbox, path, env=ENV)
    changed = [a for a in plan["bundles"][0]["actions"] if a["action"] != "noop"]
    assert [(a["action"], a["name"]) for a in changed] == [("update", "briefing")]
    assert "record what was applied in the ownership marker" in changed[0]["reason"]
    apply(sandbox, path)
    assert cli(sandbox, "plan", "--detailed-exitcode", path, env=ENV).code == 0
    [item] = sdk.agents.schedules.list("agent_a")
    record = parse_record(item.metadata.labels[APPLIED])
    assert record is not None and record.state == "active"
    assert json.dumps(item.metadata.labels).count(APPLIED) == 1
