"""plan/apply end to end for both Agentex revisions: the real CLI against `reconciler sandbox serve --provider
agentex [--api run-schedules]` over real HTTP.

The legacy platform is also read and changed with the official `agentex-client` 0.17.0, as a person would;
the run-schedules platform with plain HTTP (its SDK, 0.28.x, has a test job of its own: see the README).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from agentex import Agentex

from tests.e2e.support import bundle_text, cli, export, plan_json, write
from tests.sandbox_server import API_KEY, Server, running_sandbox

AGENTS = ("agent-a", "agent-b")
REVISIONS = ("legacy", "run-schedules")


def serve(api: str, *extra: str) -> Any:
    return running_sandbox("agentex", "--api", api, "--agents", ",".join(AGENTS), *extra)


@pytest.fixture(scope="module", params=REVISIONS)
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    with serve(request.param) as srv:
        srv.env["API_REVISION"] = request.param
        yield srv


def api(server: Server) -> str:
    return server.env["API_REVISION"]


def http(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"})


def bundle(server: Server, key: str = "team", prune: str = "archive", **overrides: Any) -> str:
    legacy = api(server) == "legacy"
    schedules = overrides.get("schedules") or [
        {
            "name": "briefing",
            "agent": "agent-a",
            "when": {"cron": "0 9 * * mon-fri"} | ({} if legacy else {"timezone": "Europe/Berlin"}),
            **({} if legacy else {"input": {"message": "Morning briefing"}}),
            "options": {"workflow_name": "briefing-wf", "task_queue": "agent-a"}
            if legacy
            else {"description": "weekday briefing"},
        },
        {
            "name": "digest",
            "agent": "agent-b",
            "when": {"every": "6h"},
            **({} if legacy else {"input": {"message": "Digest"}}),
            "options": {
                "workflow_name": "digest-wf",
                "task_queue": "agent-b",
                "workflow_params": {"region": "emea"},
            }
            if legacy
            else {"task_params": {"region": "emea"}},
        },
    ]
    target = {"provider": "agentex"} | ({} if legacy else {"api": "run-schedules"})
    return bundle_text(target, schedules, key, prune)


def simple(server: Server, name: str, agent: str, every: str) -> dict[str, Any]:
    """A minimal valid schedule for either revision."""
    if api(server) == "legacy":
        return {
            "name": name,
            "agent": agent,
            "when": {"every": every},
            "options": {"workflow_name": "w", "task_queue": "q"},
        }
    return {"name": name, "agent": agent, "when": {"every": every}, "input": {"message": name}}


def live(server: Server, agent: str) -> dict[str, dict[str, Any]]:
    """The agent's schedules by platform name: {"state", "cron", "interval", "params"/"message", "id"}."""
    with http(server) as client:
        if api(server) == "legacy":
            items = client.get(f"/agents/{agent}/schedules", params={"page_size": 1000}).json()["schedules"]
            full = [client.get(f"/agents/{agent}/schedules/{i['name']}").json() for i in items]
            return {
                s["name"]: {
                    "state": s["state"],
                    "cron": (s["spec"]["cron_expressions"] or [None])[0],
                    "interval": (s["spec"]["intervals_seconds"] or [None])[0],
                    "params": s["action"]["workflow_params"],
                    "created_at": s["created_at"],
                }
                for s in full
            }
        rows = client.get(f"/agents/{agent}/schedules", params={"limit": 1000}).json()["run_schedules"]
        return {
            s["name"]: {
                "state": "PAUSED" if s["paused"] else "ACTIVE",
                "cron": s["cron_expression"],
                "interval": s["interval_seconds"],
                "message": s["initial_input"]["content"],
                "id": s["id"],
            }
            for s in rows
        }


def foreign(server: Server, agent: str, name: str, **fields: Any) -> None:
    """Create a schedule as someone using the platform directly would."""
    if api(server) == "legacy":
        with Agentex(api_key=API_KEY, base_url=server.url, max_retries=0) as sdk:
            body: Any = {"workflow_name": "w", "task_queue": "q", "interval_seconds": 3600, **fields}
            sdk.agents.schedules.create(agent, name=name, **body)
        return
    with http(server) as client:
        body = {"name": name, "initial_input": {"content": "hi"}, "interval_seconds": 3600, **fields}
        client.post(f"/agents/{agent}/schedules", json=body).raise_for_status()


def test_applied_timing_as_the_platform_reads_it(sandbox: Server, tmp_path: Path) -> None:
    """What the contract (tests/conformance) cannot see: the cron and interval Agentex stores."""
    applied = cli(sandbox, "apply", "--auto-approve", write(tmp_path, bundle(sandbox)))
    assert applied.code == 0, applied.err
    assert live(sandbox, "agent-a")["team--briefing"]["cron"] == "0 9 * * 1-5"
    assert live(sandbox, "agent-b")["team--digest"]["interval"] == 21600


def test_an_edit_is_exactly_one_update_and_keeps_the_name(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle(sandbox))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    before = live(sandbox, "agent-a")["team--briefing"]
    edited = json.loads(bundle(sandbox))
    edited["schedules"][0]["when"]["cron"] = "0 10 * * 1-5"
    write(tmp_path, json.dumps(edited))
    plan = plan_json(sandbox, path)
    changed = [a for a in plan["bundles"][0]["actions"] if a["action"] != "noop"]
    assert [(a["action"], a["name"]) for a in changed] == [("update", "briefing")]
    assert {c["path"]: (c["before"], c["after"]) for c in changed[0]["changes"]} == {
        "when.cron": ("0 9 * * 1-5", "0 10 * * 1-5")
    }
    text = cli(sandbox, "plan", path).out
    if api(sandbox) == "legacy":
        assert "delete and create" in text
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    after = live(sandbox, "agent-a")
    assert list(after) == ["team--briefing"] and after["team--briefing"]["cron"] == "0 10 * * 1-5"
    if api(sandbox) == "run-schedules":
        assert after["team--briefing"]["id"] == before["id"]  # PATCHed in place
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_a_paused_schedule_stays_paused_through_an_update(sandbox: Server, tmp_path: Path) -> None:
    paused = json.loads(bundle(sandbox))
    paused["schedules"][1]["state"] = "paused"
    path = write(tmp_path, json.dumps(paused))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert live(sandbox, "agent-b")["team--digest"]["state"] == "PAUSED"
    paused["schedules"][1]["when"]["every"] = "8h"
    write(tmp_path, json.dumps(paused))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    digest = live(sandbox, "agent-b")["team--digest"]
    assert digest["state"] == "PAUSED" and digest["interval"] == 28800
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_a_cron_written_by_hand_is_read_with_temporals_meaning(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle(sandbox))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    with http(sandbox) as client:  # Temporal: the 1st of the month AND a weekday, not either
        if api(sandbox) == "legacy":
            client.delete("/agents/agent-a/schedules/team--briefing").raise_for_status()
            foreign(
                sandbox,
                "agent-a",
                "team--briefing",
                workflow_name="briefing-wf",
                task_queue="agent-a",
                interval_seconds=None,
                cron_expression="0 9 1 * 1-5",
            )
        else:
            client.patch(
                "/agents/agent-a/schedules/name/team--briefing", json={"cron_expression": "0 9 1 * 1-5"}
            )
    changes = next(a for a in plan_json(sandbox, path)["bundles"][0]["actions"] if a["action"] == "update")[
        "changes"
    ]
    shown = [{k: c[k] for k in ("path", "before", "after")} for c in changes]
    assert {"path": "when.cron", "before": "0 9 */31 * 1-5", "after": "0 9 * * 1-5"} in shown


def test_adopt_renames_an_unowned_schedule_into_the_bundle(sandbox: Server, tmp_path: Path) -> None:
    foreign(sandbox, "agent-b", "digest")
    adopting = json.loads(bundle(sandbox))
    adopting["schedules"][1]["adopt"] = True
    path = write(tmp_path, json.dumps(adopting))
    plan = plan_json(sandbox, path)
    assert plan["summary"]["adopt"] == 1 and plan["summary"]["create"] == 1
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert list(live(sandbox, "agent-b")) == ["team--digest"]
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_validate_explains_what_agentex_cannot_express(sandbox: Server, tmp_path: Path) -> None:
    bad = json.loads(bundle(sandbox))
    bad["schedules"][0]["when"]["cron"] = "0 9 1 * mon"
    bad["schedules"][1]["when"]["offset"] = "15m"
    path = write(tmp_path, json.dumps(bad))
    result = cli(sandbox, "validate", path)
    assert result.code == 1
    assert "fires only when BOTH match" in result.out + result.err
    assert "no interval offset" in result.out + result.err


def test_export_writes_timing_and_pauses_and_adoption_renames(sandbox: Server, tmp_path: Path) -> None:
    legacy = api(sandbox) == "legacy"
    extra = (
        {"workflow_params": {"team": "eng"}}
        if legacy
        else {"timezone": "Europe/Paris", "description": "standup notes"}
    )
    foreign(sandbox, "agent-a", "standup", interval_seconds=None, cron_expression="30 7 * * 1-5", **extra)
    foreign(sandbox, "agent-b", "hourly", paused=True)
    other = write(
        tmp_path, bundle(sandbox, "other", schedules=[simple(sandbox, "theirs", "agent-a", "1h")]), "o.yaml"
    )
    assert cli(sandbox, "apply", "--auto-approve", other).code == 0
    revision = [] if api(sandbox) == "legacy" else ["--api", "run-schedules"]
    exported, text, said = export(sandbox, tmp_path, "--provider", "agentex", *revision)
    assert "owned by bundle 'other'" in said
    assert "cron: 30 7 * * 1-5" in text and "every: 1h" in text and "state: paused" in text
    assert cli(sandbox, "apply", "--auto-approve", exported).code == 0  # the plan: tests/conformance
    assert sorted(live(sandbox, "agent-a")) == ["imported--standup", "other--theirs"]  # renamed on adoption
    assert live(sandbox, "agent-b")["imported--hourly"]["state"] == "PAUSED"
