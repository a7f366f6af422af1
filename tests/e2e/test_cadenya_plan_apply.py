"""plan/apply end to end: the real CLI against the Cadenya sandbox running as a server, over real HTTP.

Live state is also read and changed with the official `cadenya` SDK, as a person using the platform would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cadenya import Cadenya

from tests.e2e.support import bundle_text, cli, plan_json, write
from tests.sandbox_server import API_KEY, Server, running_sandbox

WS = "ws_e2e"
AGENTS = ("agent_a", "agent_b")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", WS, "--agents", ",".join(AGENTS)) as srv:
        yield srv


@pytest.fixture
def sdk(sandbox: Server) -> Iterator[Cadenya]:
    client = Cadenya(api_key=API_KEY, base_url=sandbox.url, workspace_id=WS)
    yield client
    client.close()


def bundle(key: str = "team", prune: str = "archive", **overrides: Any) -> str:
    schedules = overrides.get("schedules") or [
        {
            "name": "briefing",
            "agent": "agent_a",
            "when": {"cron": "0 9 * * mon-fri", "timezone": "Europe/Berlin"},
            "input": {"message": "Morning briefing"},
            "labels": {"team": "support"},
        },
        {
            "name": "digest",
            "agent": "agent_b",
            "when": {"every": "6h", "offset": "15m"},
            "input": {"message": "Digest", "data": {"region": "emea"}},
        },
    ]
    return bundle_text({"provider": "cadenya", "workspace": WS}, schedules, key, prune)


def live(sdk: Cadenya, agent: str) -> list[Any]:
    return list(sdk.agents.schedules.list(agent, limit=100))


def test_apply_then_plan_shows_no_changes(sandbox: Server, sdk: Cadenya, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    first = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert first.code == 2, first.err
    assert "Plan: 2 to create, 0 to update" in first.out
    applied = cli(sandbox, "apply", "--auto-approve", path)
    assert applied.code == 0, applied.err
    again = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert again.code == 0, again.out + again.err
    assert "No changes" in again.out
    [briefing] = live(sdk, "agent_a")
    assert briefing.metadata.name == "briefing" and briefing.state == "STATE_ACTIVE"


def test_edits_become_exactly_one_update_with_the_right_fields(sandbox: Server, tmp_path: Path) -> None:
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
    paths = {c["path"]: (c["before"], c["after"]) for c in changed[0]["changes"]}
    assert paths["when.cron"] == ("0 9 * * 1-5", "0 10 * * 1-5")
    assert paths["input.message"] == ("Morning briefing", "Later briefing")
    assert paths["labels.tier"] == (None, "gold")
    assert len(paths) == 3
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_pause_archive_restore_and_delete(sandbox: Server, sdk: Cadenya, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    paused = json.loads(bundle())
    paused["schedules"][0]["state"] = "paused"
    write(tmp_path, json.dumps(paused))
    plan = plan_json(sandbox, path)
    assert plan["summary"]["pause"] == 1
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert live(sdk, "agent_a")[0].state == "STATE_PAUSED"

    removed = json.loads(bundle())
    removed["schedules"] = removed["schedules"][1:]
    write(tmp_path, json.dumps(removed))
    assert plan_json(sandbox, path)["summary"]["archive"] == 1
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert live(sdk, "agent_a")[0].state == "STATE_ARCHIVED"

    write(tmp_path, bundle())  # re-added: restored, not duplicated
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    restored = live(sdk, "agent_a")
    assert len(restored) == 1 and restored[0].state == "STATE_ACTIVE"
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0

    deleting = json.loads(bundle(prune="delete"))
    deleting["schedules"] = deleting["schedules"][1:]
    write(tmp_path, json.dumps(deleting))
    refused = cli(sandbox, "apply", "--auto-approve", path)
    assert refused.code == 1 and "--allow-delete" in refused.err
    assert len(live(sdk, "agent_a")) == 1
    assert cli(sandbox, "apply", "--auto-approve", "--allow-delete", path).code == 0
    assert live(sdk, "agent_a") == []


def test_an_archived_schedule_re_added_as_paused_comes_back_paused(
    sandbox: Server, sdk: Cadenya, tmp_path: Path
) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    [made] = live(sdk, "agent_a")
    removed = json.loads(bundle())
    removed["schedules"] = removed["schedules"][1:]
    write(tmp_path, json.dumps(removed))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert live(sdk, "agent_a")[0].state == "STATE_ARCHIVED"
    paused = json.loads(bundle())
    paused["schedules"][0]["state"] = "paused"
    write(tmp_path, json.dumps(paused))
    summary = plan_json(sandbox, path)["summary"]
    assert (summary["pause"], summary["resume"]) == (1, 0)  # restored straight to paused, never run
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    [restored] = live(sdk, "agent_a")
    assert (restored.metadata.id, restored.state) == (made.metadata.id, "STATE_PAUSED")
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_drift_made_with_the_sdk_shows_in_the_plan(sandbox: Server, sdk: Cadenya, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    [schedule] = live(sdk, "agent_b")
    sdk.agents.schedules.update(
        "agent_b",
        schedule.metadata.id,
        spec={"schedule": {"intervals": [{"every": "3600s"}], "timezone": "UTC"}},
        update_mask="spec.schedule",
    )
    result = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert result.code == 2
    assert "digest" in result.out and "when.every" in result.out
    assert "Plan: 0 to create, 1 to update" in result.out


def test_foreign_schedules_are_never_touched(sandbox: Server, sdk: Cadenya, tmp_path: Path) -> None:
    foreign = sdk.agents.schedules.create(
        "agent_a",
        metadata={"name": "someone-elses"},
        spec={"schedule": {"intervals": [{"every": "3600s"}], "timezone": "UTC"}, "initialMessage": "hi"},
    )
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    write(tmp_path, bundle(schedules=[{"name": "only", "agent": "agent_b", "when": {"every": "1h"}}]))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    after = sdk.agents.schedules.retrieve("agent_a", foreign.metadata.id)
    assert after.state == "STATE_ACTIVE" and after.spec.schedule.intervals[0].every == "3600s"


def test_unowned_collision_is_an_error_unless_adopted(sandbox: Server, sdk: Cadenya, tmp_path: Path) -> None:
    sdk.agents.schedules.create(
        "agent_a",
        metadata={"name": "briefing"},
        spec={"schedule": {"intervals": [{"every": "3600s"}], "timezone": "UTC"}},
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
    assert len(live(sdk, "agent_a")) == 1


def test_two_bundles_never_touch_each_other(sandbox: Server, sdk: Cadenya, tmp_path: Path) -> None:
    a = write(
        tmp_path,
        bundle("team-a", schedules=[{"name": "x", "agent": "agent_a", "when": {"every": "1h"}}]),
        "a.yaml",
    )
    b = write(
        tmp_path,
        bundle("team-b", schedules=[{"name": "y", "agent": "agent_a", "when": {"every": "2h"}}]),
        "b.yaml",
    )
    assert cli(sandbox, "apply", "--auto-approve", a, b).code == 0
    write(
        tmp_path,
        bundle("team-a", schedules=[{"name": "z", "agent": "agent_b", "when": {"every": "1h"}}]),
        "a.yaml",
    )
    plan = plan_json(sandbox, a)
    assert sorted((x["action"], x["name"]) for x in plan["bundles"][0]["actions"]) == [
        ("archive", "x"),
        ("create", "z"),
    ]
    assert cli(sandbox, "apply", "--auto-approve", a).code == 0
    states = {s.metadata.name: s.state for s in live(sdk, "agent_a")}
    assert states == {"x": "STATE_ARCHIVED", "y": "STATE_ACTIVE"}


def test_emptied_bundle_is_refused_without_allow_empty(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    write(tmp_path, bundle(schedules=[]).replace('"schedules": []', '"schedules": []'))
    empty = json.loads(bundle())
    empty["schedules"] = []
    write(tmp_path, json.dumps(empty))
    refused = cli(sandbox, "apply", "--auto-approve", path)
    assert refused.code == 1 and "--allow-empty" in refused.err
    assert cli(sandbox, "apply", "--auto-approve", "--allow-empty", path).code == 0


def test_stale_saved_plan_is_refused(sandbox: Server, sdk: Cadenya, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    edited = json.loads(bundle())
    edited["schedules"][1]["input"]["message"] = "New digest"
    write(tmp_path, json.dumps(edited))
    saved = tmp_path / "plan.json"
    assert cli(sandbox, "plan", "--out", str(saved), path).code == 0
    [digest] = live(sdk, "agent_b")
    sdk.agents.schedules.pause("agent_b", digest.metadata.id)  # someone changes it in the UI meanwhile
    stale = cli(sandbox, "apply", "--auto-approve", "--plan", str(saved))
    assert stale.code == 1 and "stale" in stale.err
    assert live(sdk, "agent_b")[0].spec.first_user_message in (None, "Digest")  # nothing applied

    fresh = tmp_path / "fresh.json"
    assert cli(sandbox, "plan", "--out", str(fresh), path).code == 0
    assert cli(sandbox, "apply", "--auto-approve", "--plan", str(fresh)).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_apply_without_a_terminal_needs_auto_approve(sandbox: Server, sdk: Cadenya, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    refused = cli(sandbox, "apply", path)
    assert refused.code == 1 and "--auto-approve" in refused.err
    assert live(sdk, "agent_a") == []


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
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
        "cadenya", "--workspace", WS, "--agents", ",".join(AGENTS), "--fault-rate", "0.3", "--seed", str(seed)
    ) as faulty:
        path = write(tmp_path, bundle(schedules=schedules))
        codes = []
        for _ in range(12):
            codes.append(cli(faulty, "apply", "--auto-approve", "--parallelism", "4", path).code)
            if codes[-1] == 0 and cli(faulty, "plan", "--detailed-exitcode", path).code == 0:
                break
        assert codes[-1] == 0, codes
        faulty.admin("POST", "traffic", {"faultRate": 0})
        client = Cadenya(api_key=API_KEY, base_url=faulty.url, workspace_id=WS)
        names = sorted(
            s.metadata.name
            for agent in AGENTS
            for s in client.agents.schedules.list(agent, limit=100)
            if s.state != "STATE_ARCHIVED"
        )
        assert names == sorted(s["name"] for s in schedules)  # none lost, none duplicated


def test_export_then_plan_shows_only_adoptions_then_nothing(
    sandbox: Server, sdk: Cadenya, tmp_path: Path
) -> None:
    spec = {
        "schedule": {
            "calendars": [
                {"hour": [{"start": 7}], "minute": [{"start": 30}], "dayOfWeek": [{"start": 1, "end": 5}]}
            ],
            "timezone": "Europe/Paris",
        },
        "initialMessage": "Standup notes",
    }
    sdk.agents.schedules.create("agent_a", metadata={"name": "standup", "labels": {"team": "eng"}}, spec=spec)
    sdk.agents.schedules.create(
        "agent_b",
        metadata={"name": "hourly"},
        spec={"schedule": {"intervals": [{"every": "3600s", "offset": "300s"}], "timezone": "UTC"}},
    )
    owned_elsewhere = write(
        tmp_path,
        bundle("other", schedules=[{"name": "theirs", "agent": "agent_a", "when": {"every": "1h"}}]),
        "other.yaml",
    )
    assert cli(sandbox, "apply", "--auto-approve", owned_elsewhere).code == 0
    exported = tmp_path / "exported.yaml"
    result = cli(
        sandbox,
        "export",
        "--provider",
        "cadenya",
        "--workspace",
        WS,
        "--bundle-key",
        "imported",
        "--out",
        str(exported),
    )
    assert result.code == 0, result.err
    assert "owned by bundle 'other'" in result.err
    assert cli(sandbox, "validate", str(exported)).code == 0
    text = exported.read_text()
    assert "cron: 30 7 * * 1-5" in text and "every: 1h" in text and "offset: 5m" in text
    plan = plan_json(sandbox, str(exported))
    assert plan["summary"]["adopt"] == 2
    assert sum(v for k, v in plan["summary"].items() if k not in ("adopt", "noop")) == 0
    assert cli(sandbox, "apply", "--auto-approve", str(exported)).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", str(exported)).code == 0


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param({"options": {"overlapPolicy": "sometimes"}}, id="option-the-platform-refuses"),
        pytest.param({"input": {"message": "{{ missing_var }}"}}, id="template-error"),
        pytest.param({"agent": "agent_b", "name": "Briefing!"}, id="name-the-platform-refuses"),
    ],
)
def test_one_bad_bundle_among_several_means_nothing_is_sent(
    sandbox: Server, sdk: Cadenya, tmp_path: Path, broken: dict[str, Any]
) -> None:
    good = write(tmp_path, bundle("team-a"), "a.yaml")
    schedule = {"name": "late", "agent": "agent_a", "when": {"every": "1h"}, **broken}
    bad = write(tmp_path, bundle("team-b", schedules=[schedule]), "b.yaml")
    before = sandbox.admin("GET", "stats")["total"]
    applied = cli(sandbox, "apply", "--auto-approve", good, bad)
    assert applied.code == 1, applied.out + applied.err
    assert "b.yaml:" in applied.err and "Traceback" not in applied.err
    assert sandbox.admin("GET", "stats")["total"] == before  # not even a read: nothing was half-applied
    assert live(sdk, "agent_a") == [] and live(sdk, "agent_b") == []
