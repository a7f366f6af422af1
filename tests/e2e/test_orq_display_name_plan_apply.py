"""plan/apply end to end on orq.ai's current revision (`target.api: display-name`): the real CLI against
`reconciler sandbox serve --provider orq --api display-name`, over real HTTP. Here a schedule's identity on
the platform is its `display_name`, so an unowned look-alike is a collision that needs `adopt: true`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import run_cli
from tests.e2e.support import bundle_text, cli, export, plan_json, requests_made, write
from tests.sandbox_server import API_KEY, Server, running_sandbox

AGENTS = ("digest", "support_bot")
HEADERS = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("orq", "--api", "display-name", "--agents", ",".join(AGENTS)) as srv:
        yield srv


def bundle(key: str = "team", prune: str = "archive", schedules: list[dict[str, Any]] | None = None) -> str:
    schedules = schedules or [
        {
            "name": "briefing",
            "agent": "digest",
            "when": {"cron": "0 9 * * 1"},
            "input": {"message": "Weekly briefing", "data": {"region": "EMEA"}},
            "labels": {"team": "support"},
            "options": {"metadata": {"run_source": "weekly"}},
        },
        {
            "name": "sweep",
            "agent": "support_bot",
            "when": {"cron": "@hourly"},
            "input": {"message": "Sweep"},
        },
    ]
    return bundle_text({"provider": "orq", "api": "display-name"}, schedules, key, prune)


def live(server: Server, agent: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.url}/v3/agents/{agent}/schedules", headers=HEADERS)
    return list(response.json()["schedules"])


def raw(server: Server, method: str, path: str, body: Any = None) -> dict[str, Any]:
    response = httpx.request(method, f"{server.url}{path}", json=body, headers=HEADERS)
    assert response.status_code < 300, response.text
    return dict(response.json()) if response.content else {}


def test_apply_then_plan_shows_no_changes_and_names_every_schedule(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    again = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert again.code == 0, again.out + again.err
    [briefing] = live(sandbox, "digest")
    assert (briefing["display_name"], briefing["type"], briefing["expression"]) == (
        "briefing",
        "cron",
        "0 0 9 * * 1",
    )
    assert briefing["payload"]["metadata"]["reconciler.dev/name"] == "briefing"
    [sweep] = live(sandbox, "support_bot")
    assert sweep["expression"] == "0 0 * * * *"


def test_an_edit_and_a_pause_are_one_update(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    edited = json.loads(bundle())
    edited["schedules"][0]["when"]["cron"] = "0 10 * * *"
    edited["schedules"][0]["state"] = "paused"
    write(tmp_path, json.dumps(edited))
    plan = plan_json(sandbox, path)
    [update] = [a for a in plan["bundles"][0]["actions"] if a["action"] != "noop"]
    assert update["action"] == "update"
    assert {c["path"] for c in update["changes"]} == {"when.cron", "state"}
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    [briefing] = live(sandbox, "digest")
    assert (briefing["expression"], briefing["is_active"]) == ("0 0 10 * * *", False)
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_adopting_by_display_name_takes_that_one_and_leaves_the_other(
    sandbox: Server, tmp_path: Path
) -> None:
    body = {
        "display_name": "briefing",
        "type": "cron",
        "expression": "0 0 8 * * *",
        "payload": {"input": "hi"},
    }
    theirs = raw(sandbox, "POST", "/v3/agents/digest/schedules", body)
    raw(sandbox, "POST", "/v3/agents/digest/schedules", {**body, "display_name": "unrelated"})
    adopting = json.loads(bundle())  # refused without `adopt: true`: the contract's (tests/conformance)
    adopting["schedules"][0]["adopt"] = True
    assert cli(sandbox, "apply", "--auto-approve", write(tmp_path, json.dumps(adopting))).code == 0
    adopted = raw(sandbox, "GET", f"/v3/agents/digest/schedules/{theirs['_id']}")
    assert (
        adopted["expression"] == "0 0 9 * * 1"
        and adopted["payload"]["metadata"]["reconciler.dev/bundle"] == "team"
    )
    assert {s["display_name"] for s in live(sandbox, "digest")} == {
        "briefing",
        "unrelated",
    }  # the other untouched


def test_shapes_orq_refuses_fail_validate_with_no_request(sandbox: Server, tmp_path: Path) -> None:
    bad = [
        {"name": "weekdays", "agent": "digest", "when": {"cron": "0 9 * * 1-5"}},
        {"name": "half-hour", "agent": "digest", "when": {"cron": "30 9 * * *"}},
        {"name": "fast", "agent": "digest", "when": {"cron": "*/30 * * * *"}},
        {"name": "interval", "agent": "digest", "when": {"every": "2h"}},
    ]
    path = write(tmp_path, bundle(schedules=bad))
    checked = cli(sandbox, "validate", path)
    assert checked.code == 1
    output = checked.out + checked.err
    assert output.count("is not a shape orq accepts") == 2 and "fires more often than orq allows" in output
    assert "cannot express 'every'" in output
    assert cli(sandbox, "plan", path).code == 1
    assert requests_made(sandbox) == 0


def test_a_changed_secret_is_an_update_that_shows_only_sensitive(sandbox: Server, tmp_path: Path) -> None:
    schedules = [
        {
            "name": "sync",
            "agent": "digest",
            "when": {"cron": "0 3 * * *"},
            "input": {"message": "Sync", "secrets": {"token": "{{ secret('WAREHOUSE_TOKEN') }}"}},
        }
    ]
    path = write(tmp_path, bundle(schedules=schedules))
    assert cli(sandbox, "apply", "--auto-approve", path, env={"WAREHOUSE_TOKEN": "sk-one-111"}).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", path, env={"WAREHOUSE_TOKEN": "sk-one-111"}).code == 0
    plan = plan_json(sandbox, path, env={"WAREHOUSE_TOKEN": "sk-two-222"})
    [update] = [a for a in plan["bundles"][0]["actions"] if a["action"] != "noop"]
    assert [(c["path"], c["before"], c["after"]) for c in update["changes"]] == [
        ("input.secrets.token", "(sensitive)", "(sensitive)")
    ]
    assert "sk-" not in json.dumps(plan)


def test_export_names_the_revision_and_the_display_name(sandbox: Server, tmp_path: Path) -> None:
    body = {
        "display_name": "nightly",
        "type": "cron",
        "expression": "0 0 2 * * *",
        "payload": {"input": "Nightly"},
    }
    raw(sandbox, "POST", "/v3/agents/digest/schedules", body)
    _exported, text, _said = export(sandbox, tmp_path, "--provider", "orq", "--api", "display-name")
    assert "api: display-name" in text and "name: nightly" in text and "cron: 0 2 * * *" in text


def test_the_embedded_sandbox_serves_the_bundles_revision(tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    env = {"RECONCILER_SANDBOX": "1"}
    first = run_cli("apply", "--auto-approve", path, env=env, cwd=tmp_path)  # state in tmp_path/.reconciler
    assert first.code == 0, first.err
    again = run_cli("plan", "--detailed-exitcode", path, env=env, cwd=tmp_path)
    assert again.code == 0, again.out + again.err
    weekdays = json.loads(bundle())
    weekdays["schedules"][0]["when"]["cron"] = "0 9 * * 1-5"  # fine on the seed revision, not here
    write(tmp_path, json.dumps(weekdays))
    assert run_cli("plan", path, env=env, cwd=tmp_path).code == 1
