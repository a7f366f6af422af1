"""plan/apply end to end on orq.ai's seed revision: the real CLI against the orq sandbox running as a server,
over real HTTP. Live state is also read and changed with the official `orq-ai-sdk` (4.12.22)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from orq_ai_sdk import Orq

from tests.e2e.support import bundle_text, cli, export, plan_json, requests_made, write
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


def test_applied_fields_as_the_sdk_reads_them(sandbox: Server, sdk: Orq, tmp_path: Path) -> None:
    """What the contract (tests/conformance) cannot see: orq's own fields, read with its SDK."""
    applied = cli(sandbox, "apply", "--auto-approve", write(tmp_path, bundle()))
    assert applied.code == 0, applied.err
    [briefing] = live(sdk, "digest")
    assert (briefing.type, briefing.expression, briefing.agent_tag) == ("cron", "0 0 9 * * 1-5", "v2")
    assert briefing.payload.input == "Morning briefing" and briefing.payload.variables == {"region": "EMEA"}
    metadata = briefing.payload.metadata
    assert metadata["run_source"] == "daily"
    assert (metadata["reconciler.dev/bundle"], metadata["reconciler.dev/name"]) == ("team", "briefing")
    [sweep] = live(sdk, "support_bot")
    assert (sweep.type, sweep.expression, sweep.is_active) == ("interval", "@every 6h", True)
    edited = json.loads(bundle())
    edited["schedules"][0]["when"]["cron"] = "0 10 * * 1-5"
    assert cli(sandbox, "apply", "--auto-approve", write(tmp_path, json.dumps(edited))).code == 0
    [after] = live(sdk, "digest")
    assert (after.id, after.expression, after.generation) == (briefing.id, "0 0 10 * * 1-5", 2)


def test_a_payload_only_edit_keeps_the_cadence(sandbox: Server, sdk: Orq, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    edited = json.loads(bundle())
    edited["schedules"][1]["input"]["message"] = "Sweep harder"
    write(tmp_path, json.dumps(edited))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    [sweep] = live(sdk, "support_bot")
    assert (sweep.payload.input, sweep.generation) == ("Sweep harder", 1)  # no expression resent


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


def test_export_writes_orq_expressions_as_bundle_timing(sandbox: Server, sdk: Orq, tmp_path: Path) -> None:
    sdk.schedules.create(
        agent_key="digest",
        type_="cron",
        expression="0 30 7 * * 1-5",
        payload={"input": "Standup notes", "variables": {"team": "eng"}, "metadata": {"source": "ui"}},
    )
    sdk.schedules.create(agent_key="support_bot", type_="interval", expression="@every 90m", payload={})
    theirs = bundle("other", schedules=[{"name": "theirs", "agent": "digest", "when": {"every": "1h"}}])
    assert cli(sandbox, "apply", "--auto-approve", write(tmp_path, theirs, "other.yaml")).code == 0
    _exported, text, said = export(sandbox, tmp_path, "--provider", "orq")
    assert "owned by bundle 'other'" in said
    assert "cron: 30 7 * * 1-5" in text and "every: 1h30m" in text and "source: ui" in text
    # the plan of it (adoptions only, then nothing): tests/conformance


def test_an_unknown_api_revision_is_a_clear_error(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle(target={"api": "v9"}))
    result = cli(sandbox, "plan", path)
    assert result.code == 1 and "orq has no API revision 'v9'" in result.err
