"""Conformance: the official `orq-ai-sdk` (4.12.22, the seed's revision) drives the orq sandbox over real
HTTP and decodes every answer; refusals surface as the SDK's own exception types with orq's error codes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from orq_ai_sdk import Orq, models

from tests.sandbox.orq.conftest import AGENTS, schedules_path, set_clock

T0 = "2030-01-07T08:00:00Z"  # a Monday
PAYLOAD: Any = {
    "input": "Generate the morning briefing for {{region}}",
    "memory_entity_id": "mem_entity_123",
    "metadata": {"run_source": "daily-briefing"},
    "variables": {"region": "EMEA", "warehouse_token": {"secret": True, "value": "sk-secret-123"}},
}


def create(sdk: Orq, kind: str = "cron", expression: str = "0 0 9 * * mon-fri", **extra: Any) -> Any:
    return sdk.schedules.create(
        agent_key=AGENTS[0], type_=kind, expression=expression, payload=extra.pop("payload", PAYLOAD), **extra
    )


def error_of(exc: BaseException) -> Any:
    return exc.data.error  # type: ignore[attr-defined]


def test_agents_list_accepts_the_sdks_float_limit_and_pages_by_starting_after(
    sdk: Orq, http: httpx.Client
) -> None:
    for key in ("a3", "a4", "a5"):
        assert http.post("/_sandbox/agents", json={"id": key}).status_code == 201
    everything = sdk.agents.list()  # no limit: every agent, newest first
    assert [a.key for a in everything.data] == ["a5", "a4", "a3", *reversed(AGENTS)]
    assert everything.has_more is False
    first = sdk.agents.list(limit=2)  # sent as limit=2.0
    assert [a.key for a in first.data] == ["a5", "a4"] and first.has_more
    rest = sdk.agents.list(limit=200, starting_after=first.data[-1].id)
    assert [a.key for a in rest.data] == ["a3", *reversed(AGENTS)] and rest.has_more is False
    back = sdk.agents.list(limit=1, ending_before=rest.data[0].id)
    assert [a.key for a in back.data] == ["a4"] and back.has_more
    assert http.get("/v2/agents", params={"limit": "201"}).status_code == 400
    assert http.get("/v2/agents", params={"limit": "2.5"}).status_code == 400


def test_create_returns_201_and_a_complete_schedule(sdk: Orq, http: httpx.Client) -> None:
    set_clock(http, now=T0)
    s = create(sdk, agent_tag="v2")
    assert len(s.id) == 26 and s.agent_key == AGENTS[0]
    assert (s.type, s.expression, s.is_active, s.generation, s.trigger_count) == (
        "cron",
        "0 0 9 * * mon-fri",
        True,
        1,
        0,
    )
    assert s.agent_tag == "v2" and s.last_triggered_at is None and s.created_by_id
    assert s.payload.input == PAYLOAD["input"] and s.payload.memory_entity_id == "mem_entity_123"
    assert s.payload.metadata == {"run_source": "daily-briefing"}
    # Secret values are write-only: read back as {"secret": true}, never the value.
    assert s.payload.variables == {"region": "EMEA", "warehouse_token": {"secret": True}}
    raw = http.post(
        schedules_path(), json={"type": "interval", "expression": "@every 1h", "payload": PAYLOAD}
    )
    assert raw.status_code == 201 and "sk-secret-123" not in raw.text
    assert set(raw.json()) == {
        "_id", "agent_key", "type", "expression", "is_active", "generation", "payload", "created_by_id",
        "created", "updated", "trigger_count",
    }  # fmt: skip


def test_list_is_most_recent_first_and_get_matches(sdk: Orq) -> None:
    made = [create(sdk, "interval", f"@every {h}h") for h in (1, 2, 3)]
    listed = sdk.schedules.list(agent_key=AGENTS[0]).schedules
    assert listed is not None and [s.id for s in listed] == [m.id for m in reversed(made)]
    assert sdk.schedules.list(agent_key=AGENTS[1]).schedules == []
    got = sdk.schedules.retrieve(agent_key=AGENTS[0], schedule_id=made[0].id)
    assert got.id == made[0].id and got.expression == "@every 1h"


def test_every_seed_expression_form_is_accepted(sdk: Orq, http: httpx.Client) -> None:
    set_clock(http, now=T0)
    for kind, expression in (
        ("cron", "0 30 9 * * *"),
        ("cron", "0 0 */2 * * *"),
        ("cron", "@daily"),
        ("cron", "CRON_TZ=UTC 0 0 9 * * 1"),
        ("interval", "@every 1h"),
        ("interval", "@every 90m"),
        ("interval", "@every 1h30m"),
        ("once", "@at 2030-01-07T09:00:00Z"),
    ):
        assert create(sdk, kind, expression).expression == expression


@pytest.mark.parametrize(
    ("kind", "expression", "message"),
    [
        ("interval", "@every 5m", "interval duration must be at least 1h0m0s, got: 5m"),
        ("interval", "@every 30m", "interval duration must be at least 1h0m0s, got: 30m"),
        ("cron", "*/5 * * * * *", "fires more than once per hour"),
        ("cron", "0 */30 * * * *", "fires more than once per hour"),
        ("cron", "0 9 * * *", "6 fields"),
        ("cron", "CRON_TZ=Europe/Berlin 0 0 9 * * *", "must be in UTC"),
        ("cron", "@every 1h", "6-field cron"),
        ("once", "@at 2030-01-07T09:00:00+02:00", "must be in UTC"),
        ("once", "@at 2020-01-01T00:00:00Z", "in the future"),
        ("interval", "@every soon", "invalid duration"),
    ],
)
def test_bad_expressions_are_400_invalid_expression(
    sdk: Orq, http: httpx.Client, kind: str, expression: str, message: str
) -> None:
    set_clock(http, now=T0)
    with pytest.raises(models.CreateAgentScheduleSchedulesResponseBody) as caught:
        create(sdk, kind, expression)
    assert caught.value.raw_response.status_code == 400
    assert error_of(caught.value).code == "invalid_expression"
    assert message in error_of(caught.value).message


def test_bodies_are_checked_like_the_openapi_document(http: httpx.Client) -> None:
    good = {"type": "cron", "expression": "0 0 9 * * *", "payload": {"input": "x"}}
    for body, fragment in (
        ({**good, "name": "x"}, "unknown field(s) name"),
        ({**good, "payload": {"input": "x", "extra": 1}}, "unknown field(s) extra"),
        ({"type": "cron", "expression": "0 0 9 * * *"}, "payload is required"),
        ({**good, "type": "weekly"}, "invalid schedule type"),
        ({**good, "payload": {"variables": {"t": {"secret": True}}}}, "needs a value"),
        ({**good, "expression": 5}, "expression must be a string"),
    ):
        response = http.post(schedules_path(), json=body)
        assert response.status_code == 400, body
        assert set(response.json()) == {"error"} and fragment in response.json()["error"]["message"]
    assert (
        http.post(
            schedules_path(), content=b"{not json", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_not_found_errors_carry_orqs_codes(sdk: Orq, http: httpx.Client) -> None:
    with pytest.raises(models.CreateAgentScheduleSchedulesResponseResponseBody) as caught:
        sdk.schedules.create(agent_key="nobody", type_="cron", expression="0 0 9 * * *", payload={})
    assert error_of(caught.value).code == "agent_not_found"
    assert error_of(caught.value).message == "agent not found: nobody"
    listed = http.get(schedules_path("nobody"))  # newer SDKs require `param` and `type` in this one
    assert listed.status_code == 404
    assert listed.json() == {
        "error": {
            "code": "agent_not_found",
            "message": "agent not found: nobody",
            "param": "agent_key",
            "type": "not_found_error",
        }
    }
    s = create(sdk, "interval", "@every 2h")
    with pytest.raises(models.RetrieveAgentScheduleSchedulesResponseBody) as missing:
        sdk.schedules.retrieve(agent_key=AGENTS[1], schedule_id=s.id)  # another agent's schedule
    assert error_of(missing.value).code == "schedule_not_found"
    for method in ("GET", "PATCH", "DELETE"):
        response = http.request(method, f"{schedules_path()}/01J00000000000000000000000", json={})
        assert response.status_code == 404 and response.json()["error"]["code"] == "schedule_not_found"


def test_generation_moves_only_when_the_cadence_is_republished(sdk: Orq, http: httpx.Client) -> None:
    set_clock(http, now=T0)
    s = create(sdk, "cron", "0 0 * * * *")
    set_clock(http, advance="7200s")
    s = sdk.schedules.retrieve(agent_key=AGENTS[0], schedule_id=s.id)
    assert (s.generation, s.trigger_count) == (1, 2)
    update = sdk.schedules.update
    s = update(agent_key=AGENTS[0], schedule_id=s.id, payload={"input": "new words"})
    assert (s.generation, s.trigger_count, s.payload.input) == (1, 2, "new words")
    s = update(agent_key=AGENTS[0], schedule_id=s.id, agent_tag="v3")
    assert (s.generation, s.agent_tag) == (1, "v3")
    s = update(agent_key=AGENTS[0], schedule_id=s.id, is_active=False)
    assert (s.generation, s.is_active, s.trigger_count) == (1, False, 2)
    set_clock(http, advance="7200s")  # paused: nothing fires
    s = update(agent_key=AGENTS[0], schedule_id=s.id, is_active=True)
    assert (s.generation, s.is_active, s.trigger_count) == (2, True, 2)  # reactivation keeps the count
    s = update(agent_key=AGENTS[0], schedule_id=s.id, expression="0 0 0 * * *")
    assert (s.generation, s.trigger_count) == (3, 0)
    s = update(agent_key=AGENTS[0], schedule_id=s.id, expression="0 0 0 * * *")  # same value: no change
    assert s.generation == 3
    s = update(agent_key=AGENTS[0], schedule_id=s.id, type_="interval", expression="@every 6h")
    assert (s.generation, s.type) == (4, "interval")
    with pytest.raises(models.UpdateAgentScheduleSchedulesResponseBody) as caught:
        update(agent_key=AGENTS[0], schedule_id=s.id, expression="@every 10m")
    assert error_of(caught.value).code == "invalid_expression"


def test_a_once_schedule_fires_then_deactivates_itself(sdk: Orq, http: httpx.Client) -> None:
    set_clock(http, now=T0)
    s = create(sdk, "once", "@at 2030-01-07T09:00:00Z")
    assert set_clock(http, advance="3599s")["fired"] == 0
    assert set_clock(http, advance="1s")["fired"] == 1
    s = sdk.schedules.retrieve(agent_key=AGENTS[0], schedule_id=s.id)
    assert (s.is_active, s.trigger_count, s.generation) == (False, 1, 1)
    assert s.last_triggered_at is not None and s.last_triggered_at.isoformat().startswith(
        "2030-01-07T09:00:00"
    )
    assert set_clock(http, advance="86400s")["fired"] == 0
    with pytest.raises(models.UpdateAgentScheduleSchedulesResponseBody) as caught:
        sdk.schedules.update(agent_key=AGENTS[0], schedule_id=s.id, is_active=True)  # its time has passed
    assert "in the future" in error_of(caught.value).message
    s = sdk.schedules.update(
        agent_key=AGENTS[0], schedule_id=s.id, expression="@at 2030-01-09T09:00:00Z", is_active=True
    )
    assert (s.is_active, s.trigger_count, s.generation) == (True, 0, 2)


def test_fires_follow_the_sandbox_clock(sdk: Orq, http: httpx.Client) -> None:
    set_clock(http, now=T0)
    hourly = create(sdk, "cron", "0 0 * * * *")
    weekdays = create(sdk, "cron", "0 0 9 * * mon-fri")
    every = create(sdk, "interval", "@every 2h")  # counts from creation (08:00)
    assert set_clock(http, advance=f"{5 * 86400}s")["fired"] == 120 + 5 + 60
    get = sdk.schedules.retrieve
    assert get(agent_key=AGENTS[0], schedule_id=hourly.id).trigger_count == 120
    assert get(agent_key=AGENTS[0], schedule_id=weekdays.id).trigger_count == 5
    last = get(agent_key=AGENTS[0], schedule_id=every.id)
    assert last.trigger_count == 60 and last.last_triggered_at is not None
    assert last.last_triggered_at.isoformat().startswith("2030-01-12T08:00:00")


def test_the_sdk_decodes_the_counters_after_fires_and_overlapping_runs(sdk: Orq, http: httpx.Client) -> None:
    """`trigger_count` (int) and `last_triggered_at` (datetime) as the SDK types them; orq documents no
    overlap policy, so runs longer than the cadence skip nothing: every fire counts. The record the
    reconciler keeps in `payload.metadata` comes back as a plain string value."""
    set_clock(http, now=T0)
    record = "active.0123456789.0123456789.0123456789.0123456789"
    payload = {**PAYLOAD, "metadata": {"reconciler.dev/applied": record}}
    s = create(sdk, "cron", "0 0 * * * *", payload=payload)
    assert (s.trigger_count, s.last_triggered_at) == (0, None)
    assert http.post("/_sandbox/runs", json={"agent": AGENTS[0], "duration": "10800s"}).status_code == 200
    assert set_clock(http, advance="18000s")["fired"] == 5  # 09:00 .. 13:00, each while a run still runs
    [got] = sdk.schedules.list(agent_key=AGENTS[0]).schedules or []
    assert isinstance(got.trigger_count, int) and got.trigger_count == 5
    assert isinstance(got.last_triggered_at, datetime)
    assert got.last_triggered_at == datetime(2030, 1, 7, 13, tzinfo=UTC)
    assert isinstance(got.updated, datetime) and got.updated == datetime(2030, 1, 7, 8, tzinfo=UTC)
    assert got.payload.metadata == {"reconciler.dev/applied": record}
    paused = sdk.schedules.update(
        agent_key=AGENTS[0],
        schedule_id=s.id,
        is_active=False,
        payload={**payload, "metadata": {"reconciler.dev/applied": "paused" + record[6:]}},
    )  # the state and the record in one PATCH
    assert paused.is_active is False and paused.payload.metadata["reconciler.dev/applied"].startswith(
        "paused"
    )
    assert (paused.trigger_count, paused.generation) == (5, 1)  # a pause keeps the count
    assert set_clock(http, advance="7200s")["fired"] == 0


def test_run_now_is_202_fires_ten_seconds_later_and_refuses_inactive(sdk: Orq, http: httpx.Client) -> None:
    set_clock(http, now=T0)
    s = create(sdk, "cron", "0 0 9 * * *")
    answer = sdk.schedules.trigger(agent_key=AGENTS[0], schedule_id=s.id)
    assert (answer.schedule_id, answer.status) == (s.id, "triggered")
    assert set_clock(http, advance="9s")["fired"] == 0
    assert set_clock(http, advance="1s")["fired"] == 1
    s = sdk.schedules.retrieve(agent_key=AGENTS[0], schedule_id=s.id)
    assert s.trigger_count == 1 and s.is_active and s.generation == 1
    sdk.schedules.update(agent_key=AGENTS[0], schedule_id=s.id, is_active=False)
    with pytest.raises(models.TriggerAgentScheduleSchedulesResponseBody) as caught:
        sdk.schedules.trigger(agent_key=AGENTS[0], schedule_id=s.id)
    assert caught.value.raw_response.status_code == 400
    assert error_of(caught.value).code == "schedule_inactive"


def test_delete_is_204_and_final(sdk: Orq, http: httpx.Client) -> None:
    s = create(sdk, "interval", "@every 1h")
    response = http.delete(f"{schedules_path()}/{s.id}")
    assert response.status_code == 204 and response.content == b""
    assert sdk.schedules.list(agent_key=AGENTS[0]).schedules == []
    with pytest.raises(models.DeleteAgentScheduleResponseBody):
        sdk.schedules.delete(agent_key=AGENTS[0], schedule_id=s.id)


def test_secret_variables_are_kept_when_echoed_and_never_returned(sdk: Orq, http: httpx.Client) -> None:
    s = create(sdk, "interval", "@every 1h")
    echoed = {**PAYLOAD, "input": "changed", "variables": s.payload.variables}  # as read: no value
    s = sdk.schedules.update(agent_key=AGENTS[0], schedule_id=s.id, payload=echoed)
    assert s.payload.variables == {"region": "EMEA", "warehouse_token": {"secret": True}}
    fresh = {**PAYLOAD, "variables": {"other": {"secret": True}}}  # a new secret needs its value
    with pytest.raises(models.UpdateAgentScheduleSchedulesResponseBody):
        sdk.schedules.update(agent_key=AGENTS[0], schedule_id=s.id, payload=fresh)
    everything = http.get(schedules_path()).text + http.get(f"{schedules_path()}/{s.id}").text
    assert "sk-secret-123" not in everything


def test_a_wrong_key_gets_401_in_the_gateways_shape(sandbox: Any) -> None:
    response = httpx.get(f"{sandbox.url}{schedules_path()}", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert set(response.json()) >= {"message"} and response.json()["code"] == 401
