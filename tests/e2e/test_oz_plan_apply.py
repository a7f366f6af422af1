"""plan/apply end to end: the real CLI against the Oz sandbox running as a server, over real HTTP.

Live state is also read and changed with the official `oz-agent-sdk`, as a person using Oz would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oz_agent_sdk import OzAPI

from tests.e2e.support import bundle_text, cli, export, plan_json, write
from tests.sandbox_server import API_KEY, Server, running_sandbox

TEAM = "team_e2e"
AGENTS = ("agent_ops",)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("oz", "--workspace", TEAM, "--agents", ",".join(AGENTS)) as srv:
        yield srv


@pytest.fixture
def oz(sandbox: Server) -> Iterator[OzAPI]:
    client = OzAPI(api_key=API_KEY, base_url=sandbox.url)
    yield client
    client.close()


def bundle(key: str = "team", prune: str = "archive", **overrides: Any) -> str:
    schedules = overrides.get("schedules") or [
        {
            "name": "briefing",
            "agent": "default",
            "when": {"cron": "0 9 * * mon-fri"},
            "input": {"message": "Morning briefing"},
            "labels": {"team": "support"},
        },
        {
            "name": "digest",
            "agent": "agent_ops",
            "when": {"every": "6h", "offset": "15m"},
            "input": {"message": "Digest"},
            "options": {"mode": "plan"},
        },
    ]
    return bundle_text({"provider": "oz"}, schedules, key, prune)


def live(oz: OzAPI) -> dict[str, Any]:
    return {s.name: s for s in oz.agent.schedules.list().schedules}


def test_applied_fields_as_the_sdk_reads_them(sandbox: Server, oz: OzAPI, tmp_path: Path) -> None:
    """What the contract (tests/conformance) cannot see: Oz's own fields, read with its SDK."""
    applied = cli(sandbox, "apply", "--auto-approve", write(tmp_path, bundle()))
    assert applied.code == 0, applied.err
    schedules = live(oz)
    digest = schedules["digest"]
    assert digest.cron_schedule == "15 */6 * * *" and digest.agent_uid == "agent_ops"  # `every` as its cron
    assert digest.metadata is not None and digest.metadata["reconciler.bundle"] == "team"
    briefing = schedules["briefing"]
    assert briefing.agent_uid is None and briefing.metadata is not None
    assert briefing.metadata["team"] == "support" and briefing.prompt == "Morning briefing"


def test_an_every_without_an_exact_cron_is_a_validation_error(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle(schedules=[{"name": "odd", "agent": "default", "when": {"every": "90m"}}]))
    result = cli(sandbox, "validate", path)
    assert result.code == 1
    assert "every" in result.out + result.err and "whole number of hours" in result.out + result.err


def test_edits_become_exactly_one_update(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    edited = json.loads(bundle())
    edited["schedules"][0]["when"]["cron"] = "0 10 * * 1-5"
    edited["schedules"][0]["input"]["message"] = "Later briefing"
    edited["schedules"][0]["labels"]["tier"] = "gold"
    write(tmp_path, json.dumps(edited))
    plan = plan_json(sandbox, path)
    changed = [a for a in plan["bundles"][0]["actions"] if a["action"] != "noop"]
    assert [(a["action"], a["name"]) for a in changed] == [("update", "briefing")]
    assert changed[0]["reason"].startswith("read-modify-write PUT")
    paths = {c["path"]: (c["before"], c["after"]) for c in changed[0]["changes"]}
    assert paths == {
        "when.cron": ("0 9 * * 1-5", "0 10 * * 1-5"),
        "input.message": ("Morning briefing", "Later briefing"),
        "labels.tier": (None, "gold"),
    }
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_agent_config_set_elsewhere_survives_updates(sandbox: Server, oz: OzAPI, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    b = live(oz)["briefing"]
    oz.agent.schedules.update(  # someone adds an environment in the Oz UI: a full PUT of their own
        b.id,
        name=b.name,
        cron_schedule=b.cron_schedule,
        enabled=b.enabled,
        prompt=b.prompt,
        metadata=b.metadata or {},
        agent_config={"environment_id": "env_1", "skills": ["org/repo:a.md"]},
    )
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0  # not the bundle's business
    edited = json.loads(bundle())
    edited["schedules"][0]["input"]["message"] = "Changed"
    write(tmp_path, json.dumps(edited))
    shown = cli(sandbox, "plan", path)
    assert "keeps agent_config set outside the bundle" in shown.out
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    after = live(oz)["briefing"]
    assert after.prompt == "Changed" and after.agent_config is not None
    assert after.agent_config.environment_id == "env_1" and after.agent_config.skills == ["org/repo:a.md"]
    managed = json.loads(bundle())
    managed["schedules"][0]["options"] = {"agent_config": {"model_id": "m1"}}
    write(tmp_path, json.dumps(managed))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    config = live(oz)["briefing"].agent_config
    assert config is not None and config.api_model_id == "m1" and config.environment_id is None
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_archive_is_a_marker_in_the_metadata_that_a_restore_removes(
    sandbox: Server, oz: OzAPI, tmp_path: Path
) -> None:
    """The contract sees an archived schedule not firing; the SDK sees Oz's `reconciler.archived` marker,
    gone again (same id) once the bundle adds it back, paused."""
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    made = live(oz)["briefing"]
    removed = json.loads(bundle())
    removed["schedules"] = removed["schedules"][1:]
    write(tmp_path, json.dumps(removed))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    archived = live(oz)["briefing"]
    assert archived.enabled is False and archived.metadata is not None
    assert archived.metadata["reconciler.archived"] == "true"
    paused = json.loads(bundle())
    paused["schedules"][0]["state"] = "paused"
    write(tmp_path, json.dumps(paused))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    restored = live(oz)["briefing"]
    assert restored.id == made.id and restored.enabled is False
    assert "reconciler.archived" not in (restored.metadata or {})


def test_team_scope_change_is_planned_as_a_recreate(sandbox: Server, oz: OzAPI, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    before = live(oz)["briefing"].id
    personal = json.loads(bundle())
    personal["schedules"][0]["options"] = {"team": False}
    write(tmp_path, json.dumps(personal))
    [step] = [a for a in plan_json(sandbox, path)["bundles"][0]["actions"] if a["action"] != "noop"]
    assert step["action"] == "update" and step["reason"].startswith("recreate")
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    after = live(oz)["briefing"]
    assert after.id != before and after.scope is not None and after.scope.type == "User"
    assert len(oz.agent.schedules.list().schedules) == 2
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_adoption_keeps_the_agent_config_set_outside_the_bundle(
    sandbox: Server, oz: OzAPI, tmp_path: Path
) -> None:
    """Adoption itself (refused without `adopt: true`, then one adopt, no twin) is the contract's."""
    oz.agent.schedules.create(
        name="briefing", cron_schedule="0 7 * * *", prompt="old", agent_config={"model_id": "theirs"}
    )
    adopting = json.loads(bundle())
    adopting["schedules"][0]["adopt"] = True
    assert cli(sandbox, "apply", "--auto-approve", write(tmp_path, json.dumps(adopting))).code == 0
    adopted = live(oz)["briefing"]
    assert adopted.prompt == "Morning briefing" and adopted.agent_config is not None
    assert adopted.agent_config.api_model_id == "theirs"  # not the bundle's to drop


def test_export_writes_oz_crons_and_agents(sandbox: Server, oz: OzAPI, tmp_path: Path) -> None:
    oz.agent.schedules.create(
        name="standup", cron_schedule="30 7 * * mon-fri", prompt="Standup", metadata={"team": "eng"}
    )
    oz.agent.schedules.create(
        name="hourly", cron_schedule="5 * * * *", prompt="Tick", agent_uid="agent_ops", mode="plan"
    )
    theirs = [{"name": "theirs", "agent": "default", "when": {"every": "1h"}, "input": {"message": "t"}}]
    owned_elsewhere = write(tmp_path, bundle("other", schedules=theirs), "other.yaml")
    assert cli(sandbox, "apply", "--auto-approve", owned_elsewhere).code == 0
    _exported, text, said = export(sandbox, tmp_path, "--provider", "oz")
    assert "owned by bundle 'other'" in said
    assert "cron: 30 7 * * 1-5" in text and "cron: 5 * * * *" in text and "agent: agent_ops" in text
    # the plan of it (adoptions only, then nothing): tests/conformance
