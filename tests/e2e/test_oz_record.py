"""The applied record on Warp Oz, end to end: the real CLI applies against the sandbox running as a server, and
the provider (and the official SDK, as an operator would) reads the metadata key `reconciler.applied` back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oz_agent_sdk import OzAPI

from reconciler.bundle.validate import load_bundles
from reconciler.plan.live import LiveSchedule
from reconciler.plan.record import parse_record
from reconciler.providers.base import Provider
from reconciler.providers.registry import open_provider
from tests.e2e.support import bundle_text, cli, plan_json, write
from tests.sandbox_server import API_KEY, Server, running_sandbox

TEAM = "team_record"
KEY = "e2e-digest-key"
ENV = {"RECONCILER_DIGEST_KEY": KEY}
APPLIED = "reconciler.applied"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("oz", "--workspace", TEAM) as srv:
        yield srv


@pytest.fixture
def oz(sandbox: Server) -> Iterator[OzAPI]:
    client = OzAPI(api_key=API_KEY, base_url=sandbox.url, max_retries=0)
    yield client
    client.close()


def bundle(state: str = "active") -> str:
    schedule: dict[str, Any] = {
        "name": "briefing",
        "agent": "default",
        "when": {"cron": "0 9 * * mon-fri"},
        "input": {"message": "Morning briefing"},
        "labels": {"team": "support"},
        "state": state,
    }
    return bundle_text({"provider": "oz"}, [schedule])


def the_live(server: Server, path: str) -> tuple[LiveSchedule, Provider]:
    [loaded] = load_bundles([path], environ={}).bundles
    reader = open_provider(loaded, digest_key=KEY.encode(), environ=server.env)
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
    assert live.applied.text() == reader.record_of(reader.normalise(reader.bundle.schedules[0]))
    assert live.incomplete_marker == ""
    assert live.changed_at is not None and live.changed_at.endswith("Z")
    assert live.changed_by == "Sandbox User"  # Oz's updated_by, by its display name


def test_state_paused_then_active_moves_the_record_with_the_schedule(
    sandbox: Server, oz: OzAPI, tmp_path: Path
) -> None:
    path = write(tmp_path, bundle())
    apply(sandbox, path)
    write(tmp_path, bundle("paused"))
    assert plan_json(sandbox, path, env=ENV)["summary"]["pause"] == 1
    apply(sandbox, path)
    live, _ = the_live(sandbox, path)
    assert (live.state, live.applied and live.applied.state) == ("paused", "paused")
    [item] = oz.agent.schedules.list().schedules
    assert (
        item.enabled is False and item.metadata is not None and item.metadata[APPLIED].startswith("paused.")
    )

    write(tmp_path, bundle("active"))
    apply(sandbox, path)
    live, _ = the_live(sandbox, path)
    assert (live.state, live.applied and live.applied.state) == ("active", "active")
    assert cli(sandbox, "plan", "--detailed-exitcode", path, env=ENV).code == 0


def test_a_pause_made_in_oz_leaves_the_record_saying_active(
    sandbox: Server, oz: OzAPI, tmp_path: Path
) -> None:
    path = write(tmp_path, bundle())
    apply(sandbox, path)
    [item] = oz.agent.schedules.list().schedules
    oz.agent.schedules.pause(item.id)  # an operator, in Warp
    live, _ = the_live(sandbox, path)
    assert live.state == "paused"
    assert live.applied is not None and live.applied.state == "active"  # not ours: an outside pause


def test_an_old_marker_without_a_record_gets_one_update_then_nothing(
    sandbox: Server, oz: OzAPI, tmp_path: Path
) -> None:
    path = write(tmp_path, bundle())
    apply(sandbox, path)
    [item] = oz.agent.schedules.list().schedules
    assert item.metadata is not None
    oz.agent.schedules.update(  # what an older version of the reconciler wrote: the marker without a record
        item.id,
        name=item.name,
        cron_schedule=item.cron_schedule,
        enabled=True,
        prompt=item.prompt,
        metadata={k: v for k, v in item.metadata.items() if k != APPLIED},
    )
    live, _ = the_live(sandbox, path)
    assert live.applied is None and "record what was applied" in live.incomplete_marker

    plan = plan_json(sandbox, path, env=ENV)
    changed = [a for a in plan["bundles"][0]["actions"] if a["action"] != "noop"]
    assert [(a["action"], a["name"]) for a in changed] == [("update", "briefing")]
    assert "record what was applied in the ownership marker" in changed[0]["reason"]
    apply(sandbox, path)
    assert cli(sandbox, "plan", "--detailed-exitcode", path, env=ENV).code == 0
    [item] = oz.agent.schedules.list().schedules
    assert item.metadata is not None
    record = parse_record(item.metadata[APPLIED])
    assert record is not None and record.state == "active"


def test_twelve_labels_fit_beside_the_marker_and_thirteen_do_not(sandbox: Server, tmp_path: Path) -> None:
    schedule: dict[str, Any] = {
        "name": "labelled",
        "agent": "default",
        "when": {"every": "1h"},
        "input": {"message": "go"},
        "labels": {f"k{i}": "v" for i in range(12)},
        "protect": True,
    }
    path = write(tmp_path, bundle_text({"provider": "oz"}, [schedule]))
    apply(sandbox, path)  # marker: bundle, name, protect, every, source, applied; + 12 labels, within 20
    assert cli(sandbox, "plan", "--detailed-exitcode", path, env=ENV).code == 0
    schedule["labels"]["k12"] = "v"
    write(tmp_path, bundle_text({"provider": "oz"}, [schedule]))
    refused = cli(sandbox, "validate", path)
    assert refused.code != 0 and "at most 12 labels" in refused.out + refused.err
