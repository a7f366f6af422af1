"""plan/apply end to end on orq.ai's seed revision: the real CLI against the orq sandbox running as a server,
over real HTTP. Live state is also read and changed with the official `orq-ai-sdk` (4.12.22)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from orq_ai_sdk import Orq

from tests.e2e.support import bundle_text, cli, plan_json, requests_made, write
from tests.sandbox_server import API_KEY, Server, running_sandbox

AGENTS = ("digest", "support_bot")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("orq", "--agents", ",".join(AGENTS)) as srv:
        yield srv


@pytest.fixture
def sdk(sandbox: Server) -> Iterator[Orq]:
    with Orq(api_key=API_KEY, server_url=sandbox.url) as client:
        yield client


def bundle(key: str = "team", prune: str = "archive", **overrides: Any) -> str:
    schedules = overrides.get("schedules") or [
        {
            "name": "briefing",
            "agent": "digest",
            "when": {"cron": "0 9 * * mon-fri"},
            "input": {"message": "Morning briefing", "data": {"region": "EMEA"}},
            "labels": {"team": "support"},
            "options": {"agent_tag": "v2", "metadata": {"run_source": "daily"}},
        },
        {
            "name": "sweep",
            "agent": "support_bot",
            "when": {"every": "6h"},
            "input": {"message": "Sweep the queue"},
        },
    ]
    return bundle_text({"provider": "orq", **overrides.get("target", {})}, schedules, key, prune)


def live(sdk: Orq, agent: str) -> list[Any]:
    return list(sdk.schedules.list(agent_key=agent).schedules or [])


def test_apply_then_plan_shows_no_changes(sandbox: Server, sdk: Orq, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    first = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert first.code == 2, first.err
    assert "Plan: 2 to create, 0 to update" in first.out
    applied = cli(sandbox, "apply", "--auto-approve", path)
    assert applied.code == 0, applied.err
    again = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert again.code == 0, again.out + again.err
    assert "No changes" in again.out
    [briefing] = live(sdk, "digest")
    assert (briefing.type, briefing.expression, briefing.agent_tag) == ("cron", "0 0 9 * * 1-5", "v2")
    assert briefing.payload.input == "Morning briefing" and briefing.payload.variables == {"region": "EMEA"}
    metadata = briefing.payload.metadata
    assert metadata["run_source"] == "daily"
    assert (metadata["reconciler.dev/bundle"], metadata["reconciler.dev/name"]) == ("team", "briefing")
    [sweep] = live(sdk, "support_bot")
    assert (sweep.type, sweep.expression, sweep.is_active) == ("interval", "@every 6h", True)


def test_edits_become_exactly_one_update_with_the_right_fields(
    sandbox: Server, sdk: Orq, tmp_path: Path
) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    [before] = live(sdk, "digest")
    edited = json.loads(bundle())
    edited["schedules"][0]["when"]["cron"] = "0 10 * * 1-5"
    edited["schedules"][0]["input"]["message"] = "Later briefing"
    edited["schedules"][0]["labels"]["tier"] = "gold"
    write(tmp_path, json.dumps(edited))
    plan = plan_json(sandbox, path)
    changed = [a for a in plan["bundles"][0]["actions"] if a["action"] != "noop"]
    assert [(a["action"], a["name"]) for a in changed] == [("update", "briefing")]
    paths = {c["path"]: (c["before"], c["after"]) for c in changed[0]["changes"]}
    assert paths["when.cron"] == ("0 9 * * 1-5", "0 10 * * 1-5")
    assert paths["input.message"] == ("Morning briefing", "Later briefing")
    assert paths["labels.tier"] == (None, "gold")
    assert len(paths) == 3
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0
    [after] = live(sdk, "digest")
    assert after.id == before.id and after.expression == "0 0 10 * * 1-5" and after.generation == 2


def test_a_payload_only_edit_keeps_the_cadence(sandbox: Server, sdk: Orq, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    edited = json.loads(bundle())
    edited["schedules"][1]["input"]["message"] = "Sweep harder"
    write(tmp_path, json.dumps(edited))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    [sweep] = live(sdk, "support_bot")
    assert (sweep.payload.input, sweep.generation) == ("Sweep harder", 1)  # no expression resent


def test_pause_archive_restore_and_delete(sandbox: Server, sdk: Orq, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    paused = json.loads(bundle())
    paused["schedules"][0]["state"] = "paused"
    write(tmp_path, json.dumps(paused))
    assert plan_json(sandbox, path)["summary"]["pause"] == 1
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert live(sdk, "digest")[0].is_active is False
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0

    removed = json.loads(bundle())
    removed["schedules"] = removed["schedules"][:1]
    removed["schedules"][0]["state"] = "paused"
    write(tmp_path, json.dumps(removed))
    assert plan_json(sandbox, path)["summary"]["archive"] == 1
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    [archived] = live(sdk, "support_bot")
    assert archived.is_active is False and archived.payload.metadata["reconciler.dev/bundle"] == "team"
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0  # archived: nothing more to do

    write(tmp_path, bundle())  # re-added: restored, not duplicated
    plan = plan_json(sandbox, path)
    assert plan["summary"]["resume"] == 2 and plan["summary"]["create"] == 0
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert [s.is_active for s in live(sdk, "support_bot")] == [True]
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0

    deleting = json.loads(bundle(prune="delete"))
    deleting["schedules"] = deleting["schedules"][:1]
    write(tmp_path, json.dumps(deleting))
    refused = cli(sandbox, "apply", "--auto-approve", path)
    assert refused.code == 1 and "--allow-delete" in refused.err
    assert cli(sandbox, "apply", "--auto-approve", "--allow-delete", path).code == 0
    assert live(sdk, "support_bot") == []


def test_drift_made_with_the_sdk_shows_in_the_plan(sandbox: Server, sdk: Orq, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    [sweep] = live(sdk, "support_bot")
    sdk.schedules.update(agent_key="support_bot", schedule_id=sweep.id, expression="@every 2h")
    result = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert result.code == 2
    assert "sweep" in result.out and "when.every" in result.out
    assert "Plan: 0 to create, 1 to update" in result.out
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert live(sdk, "support_bot")[0].expression == "@every 6h"


def test_foreign_schedules_are_never_touched(sandbox: Server, sdk: Orq, tmp_path: Path) -> None:
    foreign = sdk.schedules.create(
        agent_key="digest", type_="interval", expression="@every 1h", payload={"input": "hi"}
    )
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    write(tmp_path, bundle(schedules=[{"name": "only", "agent": "support_bot", "when": {"every": "1h"}}]))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    after = sdk.schedules.retrieve(agent_key="digest", schedule_id=foreign.id)
    assert after.is_active and after.expression == "@every 1h" and after.payload.metadata is None


def test_two_bundles_never_touch_each_other(sandbox: Server, sdk: Orq, tmp_path: Path) -> None:
    a = write(
        tmp_path,
        bundle("team-a", schedules=[{"name": "x", "agent": "digest", "when": {"every": "1h"}}]),
        "a.yaml",
    )
    b = write(
        tmp_path,
        bundle("team-b", schedules=[{"name": "y", "agent": "digest", "when": {"every": "2h"}}]),
        "b.yaml",
    )
    assert cli(sandbox, "apply", "--auto-approve", a, b).code == 0
    write(
        tmp_path,
        bundle("team-a", schedules=[{"name": "z", "agent": "support_bot", "when": {"every": "1h"}}]),
        "a.yaml",
    )
    plan = plan_json(sandbox, a)
    assert sorted((x["action"], x["name"]) for x in plan["bundles"][0]["actions"]) == [
        ("archive", "x"),
        ("create", "z"),
    ]
    assert cli(sandbox, "apply", "--auto-approve", a).code == 0
    states = {s.payload.metadata["reconciler.dev/name"]: s.is_active for s in live(sdk, "digest")}
    assert states == {"x": False, "y": True}
    assert cli(sandbox, "plan", "--detailed-exitcode", a, b).code == 0


def test_emptied_bundle_is_refused_without_allow_empty(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    empty = json.loads(bundle())
    empty["schedules"] = []
    write(tmp_path, json.dumps(empty))
    refused = cli(sandbox, "apply", "--auto-approve", path)
    assert refused.code == 1 and "--allow-empty" in refused.err
    assert cli(sandbox, "apply", "--auto-approve", "--allow-empty", path).code == 0


def test_stale_saved_plan_is_refused(sandbox: Server, sdk: Orq, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    edited = json.loads(bundle())
    edited["schedules"][1]["input"]["message"] = "New sweep"
    write(tmp_path, json.dumps(edited))
    saved = tmp_path / "plan.json"
    assert cli(sandbox, "plan", "--out", str(saved), path).code == 0
    [sweep] = live(sdk, "support_bot")
    sdk.schedules.update(agent_key="support_bot", schedule_id=sweep.id, is_active=False)  # someone, meanwhile
    stale = cli(sandbox, "apply", "--auto-approve", "--plan", str(saved))
    assert stale.code == 1 and "stale" in stale.err
    assert live(sdk, "support_bot")[0].payload.input == "Sweep the queue"  # nothing applied
    fresh = tmp_path / "fresh.json"
    assert cli(sandbox, "plan", "--out", str(fresh), path).code == 0
    assert cli(sandbox, "apply", "--auto-approve", "--plan", str(fresh)).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_sub_hour_cadence_is_refused_by_validate_and_plan_before_any_request(
    sandbox: Server, tmp_path: Path
) -> None:
    fast = [
        {"name": "every-30m", "agent": "digest", "when": {"every": "30m"}},
        {"name": "cron-30m", "agent": "digest", "when": {"cron": "*/30 * * * *"}},
    ]
    path = write(tmp_path, bundle(schedules=fast))
    checked = cli(sandbox, "validate", path)
    assert checked.code == 1
    assert "orq allows at most one fire every 1h; got every 30m" in checked.out + checked.err
    assert "fires more often than orq allows (at most once every 1h)" in checked.out + checked.err
    planned = cli(sandbox, "plan", path)
    assert planned.code == 1 and "at most" in planned.err
    assert requests_made(sandbox) == 0


def test_a_one_off_that_fired_plans_as_done_not_drift(sandbox: Server, sdk: Orq, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    sandbox.admin("POST", "clock", {"now": now.isoformat()})
    at = (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    schedules = [{"name": "launch", "agent": "digest", "when": {"at": at}, "input": {"message": "Go"}}]
    path = write(tmp_path, bundle(schedules=schedules))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert sandbox.admin("POST", "clock", {"advance": "10800s"})["fired"] == 1
    [launch] = live(sdk, "digest")
    assert (launch.is_active, launch.trigger_count) == (False, 1)
    done = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert done.code == 0, done.out + done.err  # not "resume": it did what it was for
    later = (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    write(tmp_path, bundle(schedules=[{**schedules[0], "when": {"at": later}}]))
    plan = plan_json(sandbox, path)
    assert [(a["action"], [c["path"] for c in a["changes"]]) for a in plan["bundles"][0]["actions"]] == [
        ("update", ["when.at"])
    ]
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    [rearmed] = live(sdk, "digest")
    assert rearmed.is_active and rearmed.expression == f"@at {later}"
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0
    write(tmp_path, bundle(schedules=[{"name": "other", "agent": "digest", "when": {"every": "1h"}}]))
    sandbox.admin("POST", "clock", {"advance": "172800s"})  # fires again, then leaves the bundle
    assert [a["action"] for a in plan_json(sandbox, path)["bundles"][0]["actions"]] == [
        "create"
    ]  # no archive of a done one-off


def test_a_changed_secret_is_an_update_that_shows_only_sensitive(
    sandbox: Server, sdk: Orq, tmp_path: Path
) -> None:
    schedules = [
        {
            "name": "sync",
            "agent": "digest",
            "when": {"cron": "0 3 * * *"},
            "input": {
                "message": "Sync the table",
                "data": {"table": "orders"},
                "secrets": {"token": "{{ secret('WAREHOUSE_TOKEN') }}"},
            },
        }
    ]
    path = write(tmp_path, bundle(schedules=schedules))
    first = {"WAREHOUSE_TOKEN": "sk-first-value-123"}
    applied = cli(sandbox, "apply", "--auto-approve", path, env=first)
    assert applied.code == 0, applied.err
    [sync] = live(sdk, "digest")
    assert sync.payload.variables == {"table": "orders", "token": {"secret": True}}
    assert "sk-first" not in json.dumps(sync.payload.metadata)
    assert cli(sandbox, "plan", "--detailed-exitcode", path, env=first).code == 0
    second = {"WAREHOUSE_TOKEN": "sk-second-value-456"}
    text = cli(sandbox, "plan", "--detailed-exitcode", path, env=second)
    assert text.code == 2 and "Plan: 0 to create, 1 to update" in text.out
    assert "sk-first" not in text.out + text.err and "sk-second" not in text.out + text.err
    plan = plan_json(sandbox, path, env=second)
    [update] = [a for a in plan["bundles"][0]["actions"] if a["action"] != "noop"]
    assert update["action"] == "update"
    assert update["changes"] == [  # a new secret value in the environment is the bundle's change: pending
        {
            "path": "input.secrets.token",
            "before": "(sensitive)",
            "after": "(sensitive)",
            "sensitive": True,
            "origin": "pending",
        }
    ]
    assert cli(sandbox, "apply", "--auto-approve", path, env=second).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", path, env=second).code == 0


def test_export_then_plan_shows_only_adoptions_then_nothing(
    sandbox: Server, sdk: Orq, tmp_path: Path
) -> None:
    sdk.schedules.create(
        agent_key="digest",
        type_="cron",
        expression="0 30 7 * * 1-5",
        payload={"input": "Standup notes", "variables": {"team": "eng"}, "metadata": {"source": "ui"}},
    )
    sdk.schedules.create(agent_key="support_bot", type_="interval", expression="@every 90m", payload={})
    theirs = bundle("other", schedules=[{"name": "theirs", "agent": "digest", "when": {"every": "1h"}}])
    assert cli(sandbox, "apply", "--auto-approve", write(tmp_path, theirs, "other.yaml")).code == 0
    exported = tmp_path / "exported.yaml"
    result = cli(sandbox, "export", "--provider", "orq", "--bundle-key", "imported", "--out", str(exported))
    assert result.code == 0, result.err
    assert "owned by bundle 'other'" in result.err
    assert cli(sandbox, "validate", str(exported)).code == 0
    text = exported.read_text()
    assert "cron: 30 7 * * 1-5" in text and "every: 1h30m" in text and "source: ui" in text
    plan = plan_json(sandbox, str(exported))
    assert plan["summary"]["adopt"] == 2
    assert sum(v for k, v in plan["summary"].items() if k not in ("adopt", "noop")) == 0
    assert cli(sandbox, "apply", "--auto-approve", str(exported)).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", str(exported)).code == 0
    assert len(live(sdk, "digest")) == 2 and len(live(sdk, "support_bot")) == 1


def test_an_unknown_api_revision_is_a_clear_error(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle(target={"api": "v9"}))
    result = cli(sandbox, "plan", path)
    assert result.code == 1 and "orq has no API revision 'v9'" in result.err


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_repeated_apply_converges_under_faults(tmp_path: Path, seed: int) -> None:
    schedules = [
        {
            "name": f"s{i}",
            "agent": AGENTS[i % 2],
            "when": {"every": f"{i + 1}h"},
            "input": {"message": f"m{i}"},
        }
        for i in range(12)
    ]
    with running_sandbox(
        "orq", "--agents", ",".join(AGENTS), "--fault-rate", "0.3", "--seed", str(seed)
    ) as faulty:
        path = write(tmp_path, bundle(schedules=schedules))
        codes = []
        for _ in range(12):
            codes.append(cli(faulty, "apply", "--auto-approve", "--parallelism", "4", path).code)
            if codes[-1] == 0 and cli(faulty, "plan", "--detailed-exitcode", path).code == 0:
                break
        assert codes[-1] == 0, codes
        faulty.admin("POST", "traffic", {"faultRate": 0})
        headers = {"Authorization": f"Bearer {API_KEY}"}
        names = sorted(
            s["payload"]["metadata"]["reconciler.dev/name"]
            for agent in AGENTS
            for s in httpx.get(f"{faulty.url}/v3/agents/{agent}/schedules", headers=headers).json()[
                "schedules"
            ]
            if s["is_active"]
        )
        assert names == sorted(s["name"] for s in schedules)  # none lost, none duplicated
