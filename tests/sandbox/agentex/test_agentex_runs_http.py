"""The run-schedules revision over real HTTP, request by request: status codes, bodies and error shapes
(WIRE-PROTOCOLS §1B). The current SDK (0.28.4) drives the same server in `test_agentex_runs_sdk.py`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.agentex.conftest import AGENTS

BASE = f"/agents/{AGENTS[0]}/schedules"


def create(http: httpx.Client, name: str, agent: str = AGENTS[0], **fields: Any) -> dict[str, Any]:
    body = {"name": name, "initial_input": {"content": "Standup"}, "cron_expression": "0 9 * * 1-5", **fields}
    response = http.post(f"/agents/{agent}/schedules", json=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_create_answers_a_complete_run_schedule(runs: httpx.Client) -> None:
    runs.post("/_sandbox/clock", json={"now": "2026-03-02T08:00:00Z"})
    s = create(runs, "standup", timezone="Europe/Berlin", task_params={"a": 1}, description="d")
    assert len(s["id"]) == 36 and s["agent_id"] == AGENTS[0] and s["name"] == "standup"
    assert s["initial_input"] == {"content": "Standup", "author": "user", "type": "text"}
    assert s["initial_input_method"] == "event/send"  # sandbox agents are async unless labelled sync
    assert (s["timezone"], s["paused"], s["state"], s["live_data_available"]) == (
        "Europe/Berlin",
        False,
        "ACTIVE",
        True,
    )
    assert s["next_action_times"][0] == "2026-03-03T08:00:00Z"  # 09:00 in Berlin, the next weekday morning
    assert s["interval_seconds"] is None and s["task_params"] == {"a": 1}
    assert set(s["creator_principal"]) == {"principal_type", "user_id", "service_account_id", "account_id"}


def test_sync_agents_get_message_send(runs: httpx.Client) -> None:
    runs.post("/_sandbox/agents", json={"id": "sync-agent", "labels": {"acp_type": "sync"}})
    assert create(runs, "s", agent="sync-agent")["initial_input_method"] == "message/send"


def test_cron_xor_interval(runs: httpx.Client) -> None:
    both = runs.post(
        BASE,
        json={
            "name": "x",
            "initial_input": {"content": "c"},
            "cron_expression": "0 * * * *",
            "interval_seconds": 60,
        },
    )
    neither = runs.post(BASE, json={"name": "x", "initial_input": {"content": "c"}})
    for response in (both, neither):
        assert response.status_code == 422
        assert response.json()["status_code"] == 10422 and response.json()["data"] is None


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "Bad"},
        {"name": "x" * 65},
        {"timezone": "Mars/Olympus"},
        {"initial_input": {"content": "c", "author": "robot"}},
        {"initial_input": {}},
        {"interval_seconds": 0, "cron_expression": None},
    ],
)
def test_validation_errors_are_422(runs: httpx.Client, fields: dict[str, Any]) -> None:
    body = {"name": "ok", "initial_input": {"content": "c"}, "cron_expression": "0 * * * *", **fields}
    response = runs.post(BASE, json=body)
    assert response.status_code == 422 and response.json()["status_code"] == 10422


def test_duplicate_name_is_a_400_not_a_409(runs: httpx.Client) -> None:
    create(runs, "standup")
    response = runs.post(
        BASE, json={"name": "standup", "initial_input": {"content": "c"}, "interval_seconds": 60}
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": f"Run schedule 'standup' already exists for agent '{AGENTS[0]}'",
        "code": 400,
        "data": None,
    }
    assert create(runs, "standup", agent=AGENTS[1])["name"] == "standup"  # unique per agent only


def test_temporal_refusals_and_tz_prefixes_are_400(runs: httpx.Client) -> None:
    for cron in ("0 9 L * *", "CRON_TZ=Europe/Berlin 0 9 * * *"):
        response = runs.post(
            BASE, json={"name": "x", "initial_input": {"content": "c"}, "cron_expression": cron}
        )
        assert response.status_code == 400, cron


def test_get_by_id_and_by_name(runs: httpx.Client) -> None:
    s = create(runs, "standup")
    assert runs.get(f"{BASE}/{s['id']}").json()["id"] == s["id"]
    assert runs.get(f"{BASE}/name/standup").json()["id"] == s["id"]
    assert runs.get(f"/agents/{AGENTS[1]}/schedules/{s['id']}").status_code == 404  # another agent's row
    missing = runs.get(f"{BASE}/name/nothing")
    assert missing.status_code == 404 and missing.json()["code"] == 404


def test_list_is_newest_first_capped_without_cursor_and_live_only_on_request(runs: httpx.Client) -> None:
    for name in ("a", "b", "c"):
        create(runs, name)
    plain = runs.get(BASE).json()
    assert [s["name"] for s in plain["run_schedules"]] == ["c", "b", "a"] and plain["total"] == 3
    assert all(s["state"] is None and s["live_data_available"] is None for s in plain["run_schedules"])
    capped = runs.get(BASE, params={"limit": 2, "include_live": "true"}).json()
    assert [s["name"] for s in capped["run_schedules"]] == ["c", "b"] and capped["total"] == 2
    assert all(s["state"] == "ACTIVE" and s["live_data_available"] for s in capped["run_schedules"])
    for limit in ("0", "1001"):
        assert runs.get(BASE, params={"limit": limit}).status_code == 422


def test_patch_applies_only_present_keys_and_null_clears(runs: httpx.Client) -> None:
    s = create(runs, "standup", description="old", end_at="2027-01-01T00:00:00Z")
    patched = runs.patch(f"{BASE}/{s['id']}", json={"description": None, "interval_seconds": 600}).json()
    assert patched["description"] is None and patched["interval_seconds"] == 600
    assert patched["cron_expression"] is None  # setting one cadence clears the other
    assert patched["end_at"] == "2027-01-01T00:00:00Z" and patched["name"] == "standup"
    renamed = runs.patch(f"{BASE}/name/standup", json={"name": "renamed", "paused": True}).json()
    assert renamed["name"] == "renamed" and renamed["paused"] is True and renamed["state"] == "PAUSED"
    assert (
        runs.patch(
            f"{BASE}/{s['id']}", json={"cron_expression": "0 * * * *", "interval_seconds": 5}
        ).status_code
        == 422
    )
    assert runs.patch(f"{BASE}/{s['id']}", json={"interval_seconds": None}).status_code == 400  # neither left
    assert runs.patch(f"{BASE}/{s['id']}", json={"name": None}).status_code == 422
    create(runs, "taken")
    assert runs.patch(f"{BASE}/{s['id']}", json={"name": "taken"}).status_code == 400


def test_pause_resume_trigger_by_id_and_name(runs: httpx.Client) -> None:
    s = create(runs, "standup")
    assert runs.post(f"{BASE}/{s['id']}/pause", json={"note": "holiday"}).json()["paused"] is True
    assert runs.post(f"{BASE}/name/standup/pause").json()["state"] == "PAUSED"  # again: a no-op
    assert runs.post(f"{BASE}/name/standup/resume").json()["next_action_times"]
    # The server starts a manual run's workflow itself, not through the Temporal schedule: no action taken.
    ran = runs.post(f"{BASE}/{s['id']}/trigger").json()
    assert (ran["num_actions_taken"], ran["last_action_time"]) == (0, None)
    assert runs.post(f"{BASE}/name/standup/trigger").json()["num_actions_taken"] == 0


def test_skip_and_unskip_one_fire(runs: httpx.Client) -> None:
    runs.post("/_sandbox/clock", json={"now": "2026-03-02T08:00:00Z"})
    s = create(runs, "standup")
    first = s["next_action_times"][0]
    skipped = runs.post(f"{BASE}/{s['id']}/skip", json={"scheduled_time": first}).json()
    assert skipped["skipped_action_times"] == [first] and first not in skipped["next_action_times"]
    assert (
        runs.post(f"{BASE}/{s['id']}/skip", json={"scheduled_time": "2026-03-02T09:00:00"}).status_code == 422
    )
    back = runs.post(f"{BASE}/{s['id']}/unskip", json={"scheduled_time": first}).json()
    assert back["skipped_action_times"] == [] and back["next_action_times"][0] == first
    fired = runs.post("/_sandbox/clock", json={"advance": "3600s"}).json()["fired"]
    assert fired == 1


def test_a_sync_agents_long_reply_makes_the_next_fire_an_overlap_skip(runs: httpx.Client) -> None:
    """Each fire's workflow only launches the run: an async agent's `event/send` returns at once, a sync
    agent's `message/send` waits for the reply. SKIP policy: a fire while that workflow runs is not taken,
    and nothing in the answer lists it (`skipped_action_times` holds the skips asked for through /skip)."""
    runs.post(
        "/_sandbox/agents", json={"id": "agent-sync", "labels": {"acp_type": "sync"}}
    ).raise_for_status()
    runs.post("/_sandbox/clock", json={"now": "2026-03-02T08:00:00Z"})
    for agent in (AGENTS[0], "agent-sync"):
        runs.post("/_sandbox/runs", json={"agent": agent, "duration": "90s"}).raise_for_status()
    fast = create(runs, "fast", interval_seconds=60, cron_expression=None)
    slow = create(runs, "slow", agent="agent-sync", interval_seconds=60, cron_expression=None)
    runs.post("/_sandbox/clock", json={"advance": "240s"})  # 08:01 … 08:04
    listed = runs.get(BASE, params={"include_live": "true"}).json()["run_schedules"]
    assert [(s["name"], s["num_actions_taken"]) for s in listed] == [("fast", 4)]
    got = runs.get(f"/agents/agent-sync/schedules/{slow['id']}").json()
    assert (got["num_actions_taken"], got["last_action_time"]) == (
        2,
        "2026-03-02T08:03:00Z",
    )  # 08:02, 08:04 skipped
    assert got["skipped_action_times"] == [] and fast["id"] != slow["id"]


def test_delete_is_soft_and_frees_the_name(runs: httpx.Client) -> None:
    s = create(runs, "standup")
    deleted = runs.delete(f"{BASE}/name/standup")
    assert deleted.json() == {"id": s["id"], "message": "Run schedule 'standup' deleted successfully"}
    assert runs.get(f"{BASE}/{s['id']}").status_code == 404
    assert runs.delete(f"{BASE}/{s['id']}").status_code == 404
    assert runs.get(BASE).json()["total"] == 0
    assert create(runs, "standup")["id"] != s["id"]


def test_dst_in_the_schedules_zone(runs: httpx.Client) -> None:
    runs.post("/_sandbox/clock", json={"now": "2026-03-28T12:00:00Z"})
    s = create(runs, "early", cron_expression="30 2 * * *", timezone="Europe/Berlin")
    # 02:30 does not exist in Berlin on 2026-03-29 (clocks jump from 02:00 to 03:00): Temporal skips it.
    assert s["next_action_times"][:2] == ["2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"]
