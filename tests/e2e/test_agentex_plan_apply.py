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

from tests.e2e.support import bundle_text, cli, plan_json, write
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


def test_apply_then_plan_shows_no_changes(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle(sandbox))
    first = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert first.code == 2, first.err
    assert "Plan: 2 to create, 0 to update" in first.out
    applied = cli(sandbox, "apply", "--auto-approve", path)
    assert applied.code == 0, applied.err
    again = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert again.code == 0, again.out + again.err
    assert "No changes" in again.out
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


def test_pause_archive_by_pause_readd_and_delete(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle(sandbox))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    paused = json.loads(bundle(sandbox))
    paused["schedules"][0]["state"] = "paused"
    write(tmp_path, json.dumps(paused))
    assert plan_json(sandbox, path)["summary"]["pause"] == 1
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert live(sandbox, "agent-a")["team--briefing"]["state"] == "PAUSED"

    write(tmp_path, bundle(sandbox))
    assert plan_json(sandbox, path)["summary"]["resume"] == 1
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0

    removed = json.loads(bundle(sandbox))
    removed["schedules"] = removed["schedules"][1:]
    write(tmp_path, json.dumps(removed))
    assert plan_json(sandbox, path)["summary"]["archive"] == 1
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert live(sandbox, "agent-a")["team--briefing"]["state"] == "PAUSED"  # archived = paused, kept
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0  # archived stays archived

    write(tmp_path, bundle(sandbox))  # re-added: resumed, not duplicated
    assert plan_json(sandbox, path)["summary"] == {
        "create": 0,
        "update": 0,
        "pause": 0,
        "resume": 1,
        "archive": 0,
        "delete": 0,
        "adopt": 0,
        "rename": 0,
        "noop": 1,
    }
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    restored = live(sandbox, "agent-a")
    assert list(restored) == ["team--briefing"] and restored["team--briefing"]["state"] == "ACTIVE"
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0

    deleting = json.loads(bundle(sandbox, prune="delete"))
    deleting["schedules"] = deleting["schedules"][1:]
    write(tmp_path, json.dumps(deleting))
    refused = cli(sandbox, "apply", "--auto-approve", path)
    assert refused.code == 1 and "--allow-delete" in refused.err
    assert cli(sandbox, "apply", "--auto-approve", "--allow-delete", path).code == 0
    assert live(sandbox, "agent-a") == {}


def test_drift_made_on_the_platform_shows_in_the_plan(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle(sandbox))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    with http(sandbox) as client:
        if api(sandbox) == "legacy":  # no update route: someone deletes and recreates it by hand
            client.delete("/agents/agent-b/schedules/team--digest").raise_for_status()
            foreign(
                sandbox,
                "agent-b",
                "team--digest",
                workflow_name="digest-wf",
                task_queue="agent-b",
                workflow_params={"region": "emea"},
            )
        else:
            client.patch("/agents/agent-b/schedules/name/team--digest", json={"interval_seconds": 3600})
    result = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert result.code == 2
    assert "digest" in result.out and "when.every" in result.out
    assert "Plan: 0 to create, 1 to update" in result.out
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert live(sandbox, "agent-b")["team--digest"]["interval"] == 21600


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


def test_foreign_and_other_bundles_schedules_are_never_touched(sandbox: Server, tmp_path: Path) -> None:
    foreign(sandbox, "agent-a", "someone-elses")
    other = write(
        tmp_path, bundle(sandbox, "other", schedules=[simple(sandbox, "theirs", "agent-a", "2h")]), "o.yaml"
    )
    assert cli(sandbox, "apply", "--auto-approve", other).code == 0
    path = write(tmp_path, bundle(sandbox))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    write(tmp_path, bundle(sandbox, schedules=[simple(sandbox, "only", "agent-b", "1h")]))
    plan = plan_json(sandbox, path)
    assert sorted((a["action"], a["name"]) for a in plan["bundles"][0]["actions"]) == [
        ("archive", "briefing"),
        ("archive", "digest"),
        ("create", "only"),
    ]
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    a = live(sandbox, "agent-a")
    assert a["someone-elses"]["state"] == "ACTIVE" and a["other--theirs"]["state"] == "ACTIVE"
    assert a["team--briefing"]["state"] == "PAUSED"


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


@pytest.mark.parametrize("revision", REVISIONS)
@pytest.mark.parametrize("seed", [1, 2])
def test_repeated_apply_converges_under_faults_with_updates(tmp_path: Path, revision: str, seed: int) -> None:
    with serve(revision, "--fault-rate", "0.3", "--seed", str(seed)) as faulty:
        faulty.env["API_REVISION"] = revision
        schedules = [simple(faulty, f"s{i}", AGENTS[i % 2], f"{i + 1}h") for i in range(8)]
        path = write(tmp_path, bundle(faulty, schedules=schedules))
        for round_ in range(2):  # create everything, then change everything (legacy: delete + create each)
            if round_:
                for s in schedules:
                    s["when"]["every"] = s["when"]["every"].replace("h", "m")
                write(tmp_path, bundle(faulty, schedules=schedules))
            codes = []
            for _ in range(12):
                codes.append(cli(faulty, "apply", "--auto-approve", "--parallelism", "4", path).code)
                if codes[-1] == 0 and cli(faulty, "plan", "--detailed-exitcode", path).code == 0:
                    break
            assert codes[-1] == 0, codes
        faulty.admin("POST", "traffic", {"faultRate": 0})
        found = {name: s for agent in AGENTS for name, s in live(faulty, agent).items()}
        assert sorted(found) == sorted(f"team--s{i}" for i in range(8))  # none lost, none duplicated
        assert {s["interval"] for s in found.values()} == {60 * (i + 1) for i in range(8)}


def test_export_then_plan_shows_only_adoptions_then_nothing(sandbox: Server, tmp_path: Path) -> None:
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
    exported = tmp_path / "exported.yaml"
    revision = [] if api(sandbox) == "legacy" else ["--api", "run-schedules"]
    result = cli(
        sandbox,
        "export",
        "--provider",
        "agentex",
        *revision,
        "--bundle-key",
        "imported",
        "--out",
        str(exported),
    )
    assert result.code == 0, result.err
    assert "owned by bundle 'other'" in result.err
    assert cli(sandbox, "validate", str(exported)).code == 0, exported.read_text()
    text = exported.read_text()
    assert "cron: 30 7 * * 1-5" in text and "every: 1h" in text and "state: paused" in text
    plan = plan_json(sandbox, str(exported))
    assert plan["summary"]["adopt"] == 2
    assert sum(v for k, v in plan["summary"].items() if k not in ("adopt", "noop")) == 0
    assert cli(sandbox, "apply", "--auto-approve", str(exported)).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", str(exported)).code == 0
    assert sorted(live(sandbox, "agent-a")) == ["imported--standup", "other--theirs"]
    assert live(sandbox, "agent-b")["imported--hourly"]["state"] == "PAUSED"


def test_stale_saved_plan_is_refused(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle(sandbox))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    edited = json.loads(bundle(sandbox))
    edited["schedules"][1]["when"]["every"] = "12h"
    write(tmp_path, json.dumps(edited))
    saved = tmp_path / "plan.json"
    assert cli(sandbox, "plan", "--out", str(saved), path).code == 0
    with http(sandbox) as client:  # someone pauses it on the platform meanwhile
        verb = "team--digest/pause" if api(sandbox) == "legacy" else "name/team--digest/pause"
        client.post(f"/agents/agent-b/schedules/{verb}").raise_for_status()
    stale = cli(sandbox, "apply", "--auto-approve", "--plan", str(saved))
    assert stale.code == 1 and "stale" in stale.err
    assert live(sandbox, "agent-b")["team--digest"]["interval"] == 21600  # nothing applied
    fresh = tmp_path / "fresh.json"
    assert cli(sandbox, "plan", "--out", str(fresh), path).code == 0
    assert cli(sandbox, "apply", "--auto-approve", "--plan", str(fresh)).code == 0
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0
