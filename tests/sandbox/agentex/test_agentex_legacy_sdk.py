"""Conformance of the legacy (seed) revision: the official `agentex-client` 0.17.0 drives the sandbox over
real HTTP and decodes every answer; errors surface as the SDK's own exception types and the server's shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from agentex import Agentex, BadRequestError, ConflictError, NotFoundError, UnprocessableEntityError

from tests.sandbox.agentex.conftest import AGENTS
from tests.sandbox_server import API_KEY, Server

NOW = "2026-03-02T08:00:00Z"  # a Monday


def create(sdk: Agentex, name: str, agent: str = AGENTS[0], **fields: Any) -> Any:
    body: dict[str, Any] = {"workflow_name": "report-workflow", "task_queue": "reports", **fields}
    if "cron_expression" not in fields and "interval_seconds" not in fields:
        body["cron_expression"] = "0 9 * * 1-5"
    return sdk.agents.schedules.create(agent, name=name, **body)


def freeze(http: httpx.Client, when: str = NOW) -> Any:
    return http.post("/_sandbox/clock", json={"now": when}).json()


def test_create_returns_a_complete_schedule_response(sdk: Agentex, legacy: httpx.Client) -> None:
    freeze(legacy)
    s = create(sdk, "weekday-report", workflow_params={"region": "emea"}, execution_timeout_seconds=600)
    assert (s.schedule_id, s.name, s.agent_id, s.state) == (
        "agent-a--weekday-report",
        "weekday-report",
        "agent-a",
        "ACTIVE",
    )
    assert s.action.workflow_name == "report-workflow" and s.action.task_queue == "reports"
    assert s.action.workflow_id_prefix == "agent-a--weekday-report-run"
    assert s.action.workflow_params == [{"region": "emea"}]  # the Temporal args list: [params]
    assert s.spec.cron_expressions == ["0 9 * * 1-5"] and s.spec.intervals_seconds == []
    assert s.num_actions_taken == 0 and s.num_actions_missed == 0 and s.last_action_time is None
    assert s.created_at == datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert s.next_action_times is not None and len(s.next_action_times) == 10
    assert s.next_action_times[:2] == [
        datetime(2026, 3, 2, 9, tzinfo=UTC),
        datetime(2026, 3, 3, 9, tzinfo=UTC),
    ]


def test_get_returns_what_create_returned(sdk: Agentex, legacy: httpx.Client) -> None:
    freeze(legacy)
    made = create(sdk, "report", interval_seconds=3600, cron_expression=None)
    got = sdk.agents.schedules.retrieve("report", agent_id=AGENTS[0])
    assert got.model_dump() == made.model_dump()
    assert got.action.workflow_params is None and got.spec.intervals_seconds == [3600]


def test_list_items_and_total(sdk: Agentex) -> None:
    for name in ("a", "b", "c"):
        create(sdk, name)
    create(sdk, "elsewhere", agent=AGENTS[1])
    listed = sdk.agents.schedules.list(AGENTS[0])
    assert [s.name for s in listed.schedules] == ["a", "b", "c"] and listed.total == 3
    item = listed.schedules[0]
    assert (item.schedule_id, item.state, item.workflow_name) == ("agent-a--a", "ACTIVE", "report-workflow")
    assert item.next_action_time is not None


def test_page_size_caps_the_namespace_before_the_agent_filter(sdk: Agentex) -> None:
    for name in ("x1", "x2", "x3"):
        create(sdk, name, agent=AGENTS[1])
    create(sdk, "mine")
    assert sdk.agents.schedules.list(AGENTS[0], page_size=3).total == 0  # under-filled: the seed's caveat
    assert [s.name for s in sdk.agents.schedules.list(AGENTS[0], page_size=4).schedules] == ["mine"]


@pytest.mark.parametrize("size", ["0", "1001", "many"])
def test_page_size_out_of_range_is_a_422(legacy: httpx.Client, size: str) -> None:
    response = legacy.get(f"/agents/{AGENTS[0]}/schedules", params={"page_size": size})
    assert response.status_code == 422
    body = response.json()
    assert body["status_code"] == 10422 and body["data"] is None and "page_size" in body["message"]


def test_pause_unpause_with_notes_and_repeats(sdk: Agentex) -> None:
    create(sdk, "report")
    paused = sdk.agents.schedules.pause("report", agent_id=AGENTS[0], note="holiday")
    assert paused.state == "PAUSED" and paused.next_action_times == []
    again = sdk.agents.schedules.pause("report", agent_id=AGENTS[0])
    assert again.state == "PAUSED"
    [item] = sdk.agents.schedules.list(AGENTS[0]).schedules
    assert item.state == "PAUSED" and item.next_action_time is None
    resumed = sdk.agents.schedules.unpause("report", agent_id=AGENTS[0])
    assert resumed.state == "ACTIVE" and resumed.next_action_times


def test_created_paused(sdk: Agentex) -> None:
    assert create(sdk, "report", paused=True).state == "PAUSED"


def test_trigger_counts_an_action_even_when_paused(sdk: Agentex, legacy: httpx.Client) -> None:
    freeze(legacy)
    create(sdk, "report", paused=True)
    ran = sdk.agents.schedules.trigger("report", agent_id=AGENTS[0])
    assert ran.num_actions_taken == 1 and ran.last_action_time == datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert ran.state == "PAUSED"


def test_delete_then_not_found(sdk: Agentex, legacy: httpx.Client) -> None:
    create(sdk, "report")
    deleted = sdk.agents.schedules.delete("report", agent_id=AGENTS[0])
    assert (deleted.id, deleted.message) == ("agent-a--report", "Schedule 'report' deleted successfully")
    with pytest.raises(NotFoundError) as info:
        sdk.agents.schedules.retrieve("report", agent_id=AGENTS[0])
    assert info.value.body == {"message": "Schedule 'agent-a--report' not found", "code": 404, "data": None}
    for call in (
        lambda: sdk.agents.schedules.delete("report", agent_id=AGENTS[0]),
        lambda: sdk.agents.schedules.pause("report", agent_id=AGENTS[0]),
    ):
        with pytest.raises(NotFoundError):
            call()
    create(sdk, "report")  # the name is free again: an update is delete + create under the same name


def test_duplicate_is_a_409_that_stainless_retries(legacy_server: Server, legacy: httpx.Client) -> None:
    create_body = {"name": "report", "workflow_name": "w", "task_queue": "q", "interval_seconds": 60}
    with Agentex(api_key=API_KEY, base_url=legacy_server.url, max_retries=2) as retrying:
        retrying.agents.schedules.create(AGENTS[0], **create_body)
        with pytest.raises(ConflictError) as info:
            retrying.agents.schedules.create(AGENTS[0], **create_body)
    assert info.value.body == {
        "message": "Schedule with ID 'agent-a--report' already exists",
        "code": 409,
        "data": None,
    }
    assert "x-should-retry" not in info.value.response.headers  # as the real server: no opt-out
    stats = legacy.get("/_sandbox/stats").json()["routes"]["POST /agents/{agent_id}/schedules"]
    assert stats == {"200": 1, "409": 3}  # the SDK sent the duplicate three times


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"name": "x" * 65}, "name"),
        ({"name": "Bad_Name"}, "name"),
        ({"name": "-dash"}, "name"),
        ({"interval_seconds": 0, "cron_expression": None}, "interval_seconds"),
        ({"execution_timeout_seconds": 0}, "execution_timeout_seconds"),
        ({"workflow_params": [1, 2]}, "workflow_params"),
        ({"start_at": "yesterday"}, "start_at"),
    ],
)
def test_validation_errors_are_422_in_the_servers_shape(
    sdk: Agentex, fields: dict[str, Any], where: str
) -> None:
    name = fields.pop("name", "report")
    with pytest.raises(UnprocessableEntityError) as info:
        create(sdk, name, **fields)
    body = info.value.body
    assert isinstance(body, dict) and body["status_code"] == 10422 and body["data"] is None
    assert where in body["message"] and "detail" not in body


def test_missing_required_fields_and_bad_json_are_422(legacy: httpx.Client) -> None:
    path = f"/agents/{AGENTS[0]}/schedules"
    missing = legacy.post(path, json={"name": "x", "cron_expression": "0 * * * *"})
    assert missing.status_code == 422 and "workflow_name" in missing.json()["message"]
    broken = legacy.post(path, content=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["status_code"] == 10422
    assert legacy.post(path, json=[]).status_code == 422


def test_64_characters_is_the_limit(sdk: Agentex) -> None:
    assert create(sdk, "a" * 64).name == "a" * 64


def test_neither_cron_nor_interval_is_a_400(sdk: Agentex) -> None:
    with pytest.raises(BadRequestError) as info:
        create(sdk, "report", cron_expression=None)
    assert info.value.body == {
        "message": "Either cron_expression or interval_seconds must be provided",
        "code": 400,
        "data": None,
    }


@pytest.mark.parametrize("cron", ["0 9 L * *", "0 9 * * ?", "0 9 * *", "61 * * * *", "0 9 15W * *"])
def test_crons_temporal_refuses_are_a_400(sdk: Agentex, cron: str) -> None:
    with pytest.raises(BadRequestError):
        create(sdk, "report", cron_expression=cron)


def test_unknown_agent_is_a_404(sdk: Agentex) -> None:
    with pytest.raises(NotFoundError):
        create(sdk, "report", agent="agent-nobody")
    with pytest.raises(NotFoundError):
        sdk.agents.schedules.list("agent-nobody")


def test_day_of_month_and_day_of_week_are_anded_like_temporal(sdk: Agentex, legacy: httpx.Client) -> None:
    freeze(legacy)
    s = create(sdk, "first-monday", cron_expression="0 9 1 * 1")
    # Vixie cron would fire every Monday and every 1st; Temporal only on a Monday that is the 1st.
    assert s.next_action_times is not None
    assert all(t.day == 1 and t.isoweekday() == 1 for t in s.next_action_times)
    assert s.next_action_times[0] == datetime(2026, 6, 1, 9, tzinfo=UTC)


def test_hash_starts_a_comment_like_temporal(sdk: Agentex, legacy: httpx.Client) -> None:
    freeze(legacy)
    s = create(sdk, "third-friday", cron_expression="0 9 * * 5#3")
    assert s.spec.cron_expressions == ["0 9 * * 5#3"]  # stored as sent
    times = s.next_action_times or []
    assert [t.day for t in times[:3]] == [6, 13, 20]  # every Friday of March 2026, not only the third


def test_cron_tz_prefix_and_six_field_year(sdk: Agentex, legacy: httpx.Client) -> None:
    freeze(legacy)
    berlin = create(sdk, "berlin", cron_expression="CRON_TZ=Europe/Berlin 0 9 * * *")
    assert (berlin.next_action_times or [])[0] == datetime(
        2026, 3, 3, 8, tzinfo=UTC
    )  # 09:00 CET, the next day
    year = create(sdk, "in-2027", cron_expression="0 9 1 1 * 2027")  # the 6th field is the year
    assert year.next_action_times == [datetime(2027, 1, 1, 9, tzinfo=UTC)]


def test_interval_is_anchored_at_the_epoch_and_or_with_cron(sdk: Agentex, legacy: httpx.Client) -> None:
    freeze(legacy)
    s = create(sdk, "both", interval_seconds=5400, cron_expression="30 8 * * *")
    times = s.next_action_times or []
    assert times[:4] == [
        datetime(2026, 3, 2, 8, 30, tzinfo=UTC),  # the cron
        datetime(2026, 3, 2, 9, tzinfo=UTC),  # 1h30 cadence since 1970-01-01T00:00Z
        datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
        datetime(2026, 3, 2, 12, tzinfo=UTC),
    ]
    assert s.spec.intervals_seconds == [5400] and s.spec.cron_expressions == ["30 8 * * *"]


def test_clock_advance_counts_fires_within_the_window(sdk: Agentex, legacy: httpx.Client) -> None:
    freeze(legacy)
    create(sdk, "hourly", interval_seconds=3600, cron_expression=None, end_at="2026-03-02T12:00:00Z")
    create(sdk, "paused", interval_seconds=3600, cron_expression=None, paused=True)
    fired = legacy.post("/_sandbox/clock", json={"advance": "86400s"}).json()["fired"]
    assert fired == 4  # 09:00, 10:00, 11:00, 12:00 (end inclusive); the paused one never
    got = sdk.agents.schedules.retrieve("hourly", agent_id=AGENTS[0])
    assert got.num_actions_taken == 4 and got.last_action_time == datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert got.next_action_times == [] and got.spec.end_at == datetime(2026, 3, 2, 12, tzinfo=UTC)


def test_agents_are_a_bare_array_with_page_numbers(sdk: Agentex, legacy: httpx.Client) -> None:
    for i in range(3):
        legacy.post("/_sandbox/agents", json={"id": f"extra-{i}"}).raise_for_status()
    everyone = sdk.agents.list(limit=100)
    assert sorted(a.id for a in everyone) == sorted([*AGENTS, "extra-0", "extra-1", "extra-2"])
    pages = [
        sdk.agents.list(limit=2, page_number=n, order_by="name", order_direction="asc") for n in (1, 2, 3, 4)
    ]
    assert [[a.id for a in page] for page in pages] == [
        ["agent-a", "agent-b"],
        ["extra-0", "extra-1"],
        ["extra-2"],
        [],
    ]
    assert sdk.agents.retrieve("agent-a").name == "agent-a"
    assert sdk.agents.retrieve_by_name("extra-1").id == "extra-1"
    with pytest.raises(NotFoundError):
        sdk.agents.retrieve("nobody")


def test_missing_token_is_a_401_in_the_agentex_shape(legacy_server: Server, legacy: httpx.Client) -> None:
    response = httpx.get(f"{legacy_server.url}/agents/{AGENTS[0]}/schedules")
    assert response.status_code == 401
    assert set(response.json()) == {"message", "code", "data"} and response.json()["code"] == 401


def test_sdk_decodes_the_counters_after_an_overlap_skip(sdk: Agentex, legacy: httpx.Client) -> None:
    """Temporal's default overlap policy, SKIP: a fire while the workflow the schedule last started still
    runs is not taken. It is Temporal's `overlap_skipped`, which this API does not return: `num_actions_taken`
    and `last_action_time` do not move, and `num_actions_missed` (the catch-up window's count) stays 0."""
    freeze(legacy, "2026-03-02T00:00:00Z")
    create(sdk, "hourly", interval_seconds=3600)
    create(sdk, "capped", interval_seconds=3600, execution_timeout_seconds=1800)
    legacy.post("/_sandbox/clock", json={"advance": "7200s"})  # 01:00, 02:00: both taken
    legacy.post("/_sandbox/runs", json={"agent": AGENTS[0], "duration": "5400s"})  # runs last 90 minutes
    legacy.post("/_sandbox/clock", json={"advance": "10800s"})  # 03:00 taken, 04:00 skipped, 05:00 taken
    got = sdk.agents.schedules.retrieve("hourly", agent_id=AGENTS[0])
    assert isinstance(got.num_actions_taken, int) and isinstance(got.num_actions_missed, int)
    assert (got.num_actions_taken, got.num_actions_missed) == (4, 0)
    assert got.last_action_time == datetime(2026, 3, 2, 5, tzinfo=UTC)
    assert got.next_action_times and got.next_action_times[0] == datetime(2026, 3, 2, 6, tzinfo=UTC)
    # The workflow's execution timeout (30 min) ends each run before the next fire: nothing overlaps.
    capped = sdk.agents.schedules.retrieve("capped", agent_id=AGENTS[0])
    assert (capped.num_actions_taken, capped.num_actions_missed) == (5, 0)
    # A trigger follows the schedule's overlap policy too: skipped while the 05:00 run still runs.
    assert sdk.agents.schedules.trigger("hourly", agent_id=AGENTS[0]).num_actions_taken == 4
    freeze(legacy, "2026-03-02T06:40:00Z")  # 06:00 was skipped (05:00 runs to 06:30); now nothing runs
    ran = sdk.agents.schedules.trigger("hourly", agent_id=AGENTS[0])
    assert ran.num_actions_taken == 5 and ran.last_action_time == datetime(2026, 3, 2, 6, 40, tzinfo=UTC)
