"""plan/apply end to end: the real CLI against the TBD Agents sandbox running as a server, over real HTTP.

Live state is read and changed with plain HTTP, as TBD Agents has no SDK.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import run_cli
from tests.e2e.support import bundle_text, cli, export, plan_json, write
from tests.sandbox_server import API_KEY, Server, running_sandbox

LOGIN = "octocat"
WORKFLOWS = ("wf_docs", "wf_ops")
BASE = "/api/scheduled-agents"
START = "2026-12-01T00:00:00Z"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("tbd-agents", "--workspace", LOGIN, "--agents", ",".join(WORKFLOWS)) as srv:
        yield srv


@pytest.fixture
def http(sandbox: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        yield client


def bundle(key: str = "team", prune: str = "archive", **overrides: Any) -> str:
    schedules = overrides.get("schedules") or [
        {
            "name": "briefing",
            "agent": "wf_docs",
            "when": {"every": "1d", "start": START},
            "input": {"message": "Morning briefing"},
        },
        {
            "name": "digest",
            "agent": "wf_ops",
            "when": {"every": "90m", "start": START, "end": "2027-06-01T00:00:00Z"},
            "input": {"message": "Digest"},
        },
    ]
    return bundle_text({"provider": "tbd-agents"}, schedules, key, prune)


def changed(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in plan["bundles"][0]["actions"] if a["action"] != "noop"]


def live(http: httpx.Client) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in http.get(BASE).json()}


def new_schedule(http: httpx.Client, name: str, **fields: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "workflow_id": "wf_docs",
        "prompt": "theirs",
        "interval_value": 2,
        "interval_unit": "hours",
        "start_at": START,
        **fields,
    }
    response = http.post(BASE, json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_apply_then_plan_shows_no_changes(sandbox: Server, http: httpx.Client, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    first = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert first.code == 2, first.err
    assert "Plan: 2 to create, 0 to update" in first.out
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    again = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert again.code == 0, again.out + again.err
    schedules = live(http)
    assert set(schedules) == {"team:briefing", "team:digest"}
    digest = schedules["team:digest"]
    assert (digest["interval_value"], digest["interval_unit"], digest["workflow_id"]) == (
        90,
        "minutes",
        "wf_ops",
    )
    assert (digest["start_at"], digest["end_at"]) == ("2026-12-01T00:00:00", "2027-06-01T00:00:00")
    assert (schedules["team:briefing"]["interval_value"], schedules["team:briefing"]["interval_unit"]) == (
        1,
        "days",
    )


@pytest.mark.parametrize(
    ("when", "extra", "fragment"),
    [
        ({"every": "90s", "start": START}, {}, "whole minutes, hours or days"),
        ({"every": "1h", "offset": "15m", "start": START}, {}, "no interval offset"),
        ({"every": "1h"}, {}, "needs a 'start'"),
        ({"cron": "0 9 * * *", "start": START}, {}, "cannot express 'cron'"),
        ({"every": "1h", "start": START}, {"labels": {"team": "x"}}, "no labels"),
        ({"every": "1h", "start": START}, {"protect": True}, "protect"),
        ({"every": "1h", "start": START, "timezone": "Europe/Paris"}, {}, "UTC only"),
    ],
)
def test_what_tbd_agents_cannot_express_fails_validation(
    tmp_path: Path, when: dict[str, Any], extra: dict[str, Any], fragment: str
) -> None:
    schedule = {"name": "s", "agent": "wf_docs", "when": when, **extra}
    result = run_cli("validate", write(tmp_path, bundle(schedules=[schedule])))
    assert result.code == 1 and fragment in result.out + result.err, result.out + result.err


def test_a_week_is_seven_days(sandbox: Server, http: httpx.Client, tmp_path: Path) -> None:
    weekly = [{"name": "weekly", "agent": "wf_docs", "when": {"every": "7d", "start": START}}]
    path = write(tmp_path, bundle(schedules=weekly))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    made = live(http)["team:weekly"]
    assert (made["interval_value"], made["interval_unit"]) == (7, "days")
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_edits_become_exactly_one_update(sandbox: Server, http: httpx.Client, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    edited = json.loads(bundle())
    edited["schedules"][0]["input"]["message"] = "Later briefing"
    edited["schedules"][1]["when"]["every"] = "2h"
    write(tmp_path, json.dumps(edited))
    steps = {a["name"]: a for a in changed(plan_json(sandbox, path))}
    assert {name: a["action"] for name, a in steps.items()} == {"briefing": "update", "digest": "update"}
    assert "reason" not in steps["briefing"]  # a prompt change leaves the cadence alone
    assert "re-registers it with Beat" in steps["digest"]["reason"]
    assert [c["path"] for c in steps["digest"]["changes"]] == ["when.every"]
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    schedules = live(http)
    assert schedules["team:briefing"]["prompt"] == "Later briefing"
    assert (schedules["team:digest"]["interval_value"], schedules["team:digest"]["interval_unit"]) == (
        2,
        "hours",
    )
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_removing_end_is_planned_and_done_as_a_recreate(
    sandbox: Server, http: httpx.Client, tmp_path: Path
) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    before = live(http)["team:digest"]["id"]
    endless = json.loads(bundle())
    del endless["schedules"][1]["when"]["end"]
    write(tmp_path, json.dumps(endless))
    [step] = changed(plan_json(sandbox, path))
    assert (step["action"], step["name"]) == ("update", "digest")
    assert step["reason"].startswith("recreate: tbd-agents cannot clear `end`")
    assert cli(sandbox, "plan", path).out.count("recreate") == 1  # the text plan says so too
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    after = live(http)["team:digest"]
    assert after["id"] != before and after["end_at"] is None and len(live(http)) == 2
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_archive_is_a_name_suffix_that_a_restore_removes(
    sandbox: Server, http: httpx.Client, tmp_path: Path
) -> None:
    """The contract sees an archived schedule not firing; on TBD Agents it is disabled and renamed
    `(archived)`, and gets its name back (same id) once the bundle adds it back."""
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    made = live(http)["team:briefing"]["id"]
    removed = json.loads(bundle())
    removed["schedules"] = removed["schedules"][1:]
    write(tmp_path, json.dumps(removed))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert live(http)["team:briefing (archived)"]["enabled"] is False
    write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    restored = live(http)["team:briefing"]
    assert (restored["id"], restored["enabled"]) == (made, True)


def test_duplicates_keep_the_oldest_and_archive_the_rest(
    sandbox: Server, http: httpx.Client, tmp_path: Path
) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    original = live(http)["team:briefing"]["id"]
    sandbox.admin("POST", "clock", {"advance": "5s"})
    twin = new_schedule(
        http, "team:briefing", prompt="Morning briefing", interval_value=1, interval_unit="days"
    )
    steps = changed(plan_json(sandbox, path))
    assert [(a["action"], a["remote_id"], a["reason"]) for a in steps] == [
        ("archive", twin["id"], "duplicate")
    ]
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    schedules = live(http)
    assert schedules["team:briefing"]["id"] == original and schedules["team:briefing"]["enabled"] is True
    assert schedules["team:briefing (archived)"]["id"] == twin["id"]
    assert schedules["team:briefing (archived)"]["enabled"] is False
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_a_window_that_ended_is_no_drift(sandbox: Server, http: httpx.Client, tmp_path: Path) -> None:
    sandbox.admin("POST", "clock", {"now": "2027-05-31T23:00:00Z"})
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    sandbox.admin("POST", "clock", {"now": "2027-06-02T00:00:00Z"})  # past digest's end
    assert live(http)["team:digest"]["enabled"] is False  # Beat disabled it
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_foreign_schedules_are_never_touched_and_adopt_renames(
    sandbox: Server, http: httpx.Client, tmp_path: Path
) -> None:
    foreign = new_schedule(http, "someone-elses")
    lookalike = new_schedule(http, "briefing")
    path = write(tmp_path, bundle())
    assert plan_json(sandbox, path)["summary"]["create"] == 2  # "briefing" is not "team:briefing"
    adopting = json.loads(bundle())
    adopting["schedules"][0]["adopt"] = True
    write(tmp_path, json.dumps(adopting))
    plan = plan_json(sandbox, path)
    assert (plan["summary"]["adopt"], plan["summary"]["create"]) == (1, 1)
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    schedules = live(http)
    assert schedules["team:briefing"]["id"] == lookalike["id"]
    assert schedules["team:briefing"]["prompt"] == "Morning briefing"
    assert http.get(f"{BASE}/{foreign['id']}").json()["prompt"] == "theirs"
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_export_writes_intervals_and_skips_names_a_bundle_cannot_hold(
    sandbox: Server, http: httpx.Client, tmp_path: Path
) -> None:
    new_schedule(http, "nightly-sweep", interval_value=36, interval_unit="hours")
    new_schedule(http, "not a bundle name")
    theirs = [{"name": "theirs", "agent": "wf_docs", "when": {"every": "1h", "start": START}}]
    assert (
        cli(
            sandbox, "apply", "--auto-approve", write(tmp_path, bundle("other", schedules=theirs), "o.yaml")
        ).code
        == 0
    )
    _exported, text, said = export(sandbox, tmp_path, "--provider", "tbd-agents")
    assert "owned by bundle 'other'" in said and "not a valid bundle name" in said
    assert "every: 1d12h" in text and "agent: wf_docs" in text and "start: '2026-12-01T00:00:00Z'" in text
    # the plan of it (adoptions only, then nothing): tests/conformance
