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

from tests.e2e.support import bundle_text, cli, plan_json, write
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


def test_apply_then_plan_shows_no_changes(sandbox: Server, oz: OzAPI, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    first = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert first.code == 2, first.err
    assert "Plan: 2 to create, 0 to update" in first.out
    applied = cli(sandbox, "apply", "--auto-approve", path)
    assert applied.code == 0, applied.err
    again = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert again.code == 0, again.out + again.err
    assert "No changes" in again.out
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


def test_pause_archive_restore_and_delete(sandbox: Server, oz: OzAPI, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    paused = json.loads(bundle())
    paused["schedules"][0]["state"] = "paused"
    write(tmp_path, json.dumps(paused))
    assert plan_json(sandbox, path)["summary"]["pause"] == 1
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert live(oz)["briefing"].enabled is False

    removed = json.loads(bundle())
    removed["schedules"] = removed["schedules"][1:]
    write(tmp_path, json.dumps(removed))
    assert plan_json(sandbox, path)["summary"]["archive"] == 1
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    archived = live(oz)["briefing"]
    assert archived.enabled is False and archived.metadata is not None
    assert archived.metadata["reconciler.archived"] == "true"
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0  # archived stays archived

    write(tmp_path, bundle())  # re-added: restored, not duplicated
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    schedules = oz.agent.schedules.list().schedules
    assert [s.name for s in schedules] == ["briefing", "digest"]
    assert schedules[0].enabled is True and "reconciler.archived" not in (schedules[0].metadata or {})
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0

    deleting = json.loads(bundle(prune="delete"))
    deleting["schedules"] = deleting["schedules"][1:]
    write(tmp_path, json.dumps(deleting))
    refused = cli(sandbox, "apply", "--auto-approve", path)
    assert refused.code == 1 and "--allow-delete" in refused.err
    assert cli(sandbox, "apply", "--auto-approve", "--allow-delete", path).code == 0
    assert list(live(oz)) == ["digest"]


def test_an_archived_schedule_re_added_as_paused_comes_back_paused(
    sandbox: Server, oz: OzAPI, tmp_path: Path
) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    made = live(oz)["briefing"]
    removed = json.loads(bundle())
    removed["schedules"] = removed["schedules"][1:]
    write(tmp_path, json.dumps(removed))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    paused = json.loads(bundle())
    paused["schedules"][0]["state"] = "paused"
    write(tmp_path, json.dumps(paused))
    summary = plan_json(sandbox, path)["summary"]
    assert (summary["pause"], summary["resume"]) == (1, 0)  # restored straight to paused, never run
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    restored = live(oz)["briefing"]
    assert restored.id == made.id and restored.enabled is False
    assert "reconciler.archived" not in (restored.metadata or {})
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


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


def test_foreign_schedules_are_never_touched(sandbox: Server, oz: OzAPI, tmp_path: Path) -> None:
    foreign = oz.agent.schedules.create(name="someone-elses", cron_schedule="0 * * * *", prompt="hi")
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    write(
        tmp_path,
        bundle(
            schedules=[
                {"name": "only", "agent": "default", "when": {"every": "1h"}, "input": {"message": "x"}}
            ]
        ),
    )
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    after = oz.agent.schedules.retrieve(foreign.id)
    assert after == foreign


def test_unowned_collision_is_an_error_unless_adopted(sandbox: Server, oz: OzAPI, tmp_path: Path) -> None:
    oz.agent.schedules.create(
        name="briefing", cron_schedule="0 7 * * *", prompt="old", agent_config={"model_id": "theirs"}
    )
    path = write(tmp_path, bundle())
    refused = cli(sandbox, "plan", path)
    assert refused.code == 1 and "adopt: true" in refused.err
    adopting = json.loads(bundle())
    adopting["schedules"][0]["adopt"] = True
    write(tmp_path, json.dumps(adopting))
    plan = plan_json(sandbox, path)
    assert plan["summary"]["adopt"] == 1 and plan["summary"]["create"] == 1
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0
    adopted = live(oz)["briefing"]
    assert adopted.prompt == "Morning briefing" and adopted.agent_config is not None
    assert adopted.agent_config.api_model_id == "theirs"  # not the bundle's to drop
    assert len(oz.agent.schedules.list().schedules) == 2


def test_two_bundles_never_touch_each_other(sandbox: Server, oz: OzAPI, tmp_path: Path) -> None:
    one = [{"name": "x", "agent": "default", "when": {"every": "1h"}, "input": {"message": "x"}}]
    other = [{"name": "y", "agent": "default", "when": {"every": "2h"}, "input": {"message": "y"}}]
    a = write(tmp_path, bundle("team-a", schedules=one), "a.yaml")
    b = write(tmp_path, bundle("team-b", schedules=other), "b.yaml")
    assert cli(sandbox, "apply", "--auto-approve", a, b).code == 0
    moved = [{"name": "z", "agent": "default", "when": {"every": "1h"}, "input": {"message": "z"}}]
    write(tmp_path, bundle("team-a", schedules=moved), "a.yaml")
    plan = plan_json(sandbox, a)
    assert sorted((x["action"], x["name"]) for x in plan["bundles"][0]["actions"]) == [
        ("archive", "x"),
        ("create", "z"),
    ]
    assert cli(sandbox, "apply", "--auto-approve", a).code == 0
    states = {name: s.enabled for name, s in live(oz).items()}
    assert states == {"x": False, "y": True, "z": True}


def test_stale_saved_plan_is_refused(sandbox: Server, oz: OzAPI, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    edited = json.loads(bundle())
    edited["schedules"][1]["input"]["message"] = "New digest"
    write(tmp_path, json.dumps(edited))
    saved = tmp_path / "plan.json"
    assert cli(sandbox, "plan", "--out", str(saved), path).code == 0
    oz.agent.schedules.pause(live(oz)["digest"].id)  # someone changes it meanwhile
    stale = cli(sandbox, "apply", "--auto-approve", "--plan", str(saved))
    assert stale.code == 1 and "stale" in stale.err
    assert live(oz)["digest"].prompt == "Digest"
    fresh = tmp_path / "fresh.json"
    assert cli(sandbox, "plan", "--out", str(fresh), path).code == 0
    assert cli(sandbox, "apply", "--auto-approve", "--plan", str(fresh)).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_repeated_apply_converges_under_faults(tmp_path: Path, seed: int) -> None:
    schedules = [
        {
            "name": f"s{i}",
            "agent": "default",
            "when": {"every": f"{i + 1}h" if 24 % (i + 1) == 0 else "1d"},
            "input": {"message": f"m{i}"},
        }
        for i in range(10)
    ]
    with running_sandbox("oz", "--workspace", TEAM, "--fault-rate", "0.3", "--seed", str(seed)) as faulty:
        path = write(tmp_path, bundle(schedules=schedules))
        codes = []
        for _ in range(12):
            codes.append(cli(faulty, "apply", "--auto-approve", "--parallelism", "4", path).code)
            if codes[-1] == 0 and cli(faulty, "plan", "--detailed-exitcode", path).code == 0:
                break
        assert codes[-1] == 0, codes
        faulty.admin("POST", "traffic", {"faultRate": 0})
        with OzAPI(api_key=API_KEY, base_url=faulty.url) as client:
            names = sorted(s.name for s in client.agent.schedules.list().schedules if s.enabled)
        assert names == sorted(s["name"] for s in schedules)  # none lost, none duplicated


def test_export_then_plan_shows_only_adoptions_then_nothing(
    sandbox: Server, oz: OzAPI, tmp_path: Path
) -> None:
    oz.agent.schedules.create(
        name="standup", cron_schedule="30 7 * * mon-fri", prompt="Standup", metadata={"team": "eng"}
    )
    oz.agent.schedules.create(
        name="hourly", cron_schedule="5 * * * *", prompt="Tick", agent_uid="agent_ops", mode="plan"
    )
    theirs = [{"name": "theirs", "agent": "default", "when": {"every": "1h"}, "input": {"message": "t"}}]
    owned_elsewhere = write(tmp_path, bundle("other", schedules=theirs), "other.yaml")
    assert cli(sandbox, "apply", "--auto-approve", owned_elsewhere).code == 0
    exported = tmp_path / "exported.yaml"
    result = cli(sandbox, "export", "--provider", "oz", "--bundle-key", "imported", "--out", str(exported))
    assert result.code == 0, result.err
    assert "owned by bundle 'other'" in result.err
    assert cli(sandbox, "validate", str(exported)).code == 0
    text = exported.read_text()
    assert "cron: 30 7 * * 1-5" in text and "cron: 5 * * * *" in text and "agent: agent_ops" in text
    plan = plan_json(sandbox, str(exported))
    assert plan["summary"]["adopt"] == 2
    assert sum(v for k, v in plan["summary"].items() if k not in ("adopt", "noop")) == 0
    assert cli(sandbox, "apply", "--auto-approve", str(exported)).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", str(exported)).code == 0
