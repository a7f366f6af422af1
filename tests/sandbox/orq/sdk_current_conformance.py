"""Run by test_orq_current_sdk.py inside a virtualenv holding the current orq-ai-sdk (4.17.13): drives the
sandbox serving `--api display-name` (ORQ_SERVER_URL, ORQ_API_KEY) and prints OK when every answer decodes
as that SDK expects. Standalone on purpose: it must not import the project or its test helpers."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import httpx
from orq_ai_sdk import Orq, models

AGENT = "digest"


def main() -> None:
    url, key = os.environ["ORQ_SERVER_URL"], os.environ["ORQ_API_KEY"]
    admin = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {key}"}
    )  # the sandbox's test-only routes
    admin.post("/_sandbox/clock", json={"now": "2030-01-07T08:00:00Z"}).raise_for_status()  # a Monday
    with Orq(api_key=key, server_url=url) as sdk:
        agents = sdk.agents.list(limit=200)  # sent as limit=200.0
        assert AGENT in [a.key for a in agents.data] and agents.has_more is False
        made = sdk.schedules.create(
            agent_key=AGENT,
            display_name="Weekly briefing",
            type_="cron",
            expression="0 0 9 * * 1",
            payload={
                "input": "Brief",
                "metadata": {"run_source": "weekly"},
                "variables": {"token": {"secret": True, "value": "sk-never-shown"}},
            },
        )
        assert made.display_name == "Weekly briefing" and made.generation == 1 and made.is_active
        assert made.payload.variables == {"token": {"secret": True}}
        listed = sdk.schedules.list(agent_key=AGENT).schedules or []
        assert [s.id for s in listed] == [made.id]
        got = sdk.schedules.retrieve(agent_key=AGENT, schedule_id=made.id)
        assert got.display_name == "Weekly briefing" and got.updated_by_id
        renamed = sdk.schedules.update(
            agent_key=AGENT, schedule_id=made.id, display_name="Daily", expression="0 0 9 * * *"
        )
        assert (renamed.display_name, renamed.expression, renamed.generation) == ("Daily", "0 0 9 * * *", 2)
        # Counters after fires, runs lasting longer than the cadence included (orq skips none of them)
        admin.post("/_sandbox/runs", json={"agent": AGENT, "duration": "172800s"}).raise_for_status()
        assert admin.post("/_sandbox/clock", json={"advance": "172800s"}).json()["fired"] == 2
        [fired] = sdk.schedules.list(agent_key=AGENT).schedules or []
        assert isinstance(fired.trigger_count, int) and fired.trigger_count == 2
        assert fired.last_triggered_at == datetime(2030, 1, 8, 9, tzinfo=UTC)
        assert isinstance(fired.updated, datetime) and isinstance(fired.updated_by_id, str)
        triggered = sdk.schedules.trigger(agent_key=AGENT, schedule_id=made.id)
        assert triggered.status == "triggered"
        paused = sdk.schedules.update(agent_key=AGENT, schedule_id=made.id, is_active=False)
        assert paused.is_active is False

        def refused(call: object, kind: type[Exception], code: str) -> None:
            try:
                call()  # type: ignore[operator]
            except kind as exc:
                error = exc.data.error  # type: ignore[attr-defined]
                assert error.code == code, (error.code, code)
                return
            raise AssertionError(f"expected {kind.__name__}")

        refused(
            lambda: sdk.schedules.create(
                agent_key=AGENT, display_name="x", type_="cron", expression="0 0 9 * * 1-5", payload={}
            ),
            models.CreateAgentScheduleSchedulesResponseBody,
            "invalid_expression",
        )
        refused(
            lambda: sdk.schedules.create(
                agent_key="nobody", display_name="x", type_="cron", expression="0 0 9 * * *", payload={}
            ),
            models.CreateAgentScheduleSchedulesResponseResponseBody,
            "agent_not_found",
        )
        refused(
            lambda: sdk.schedules.trigger(agent_key=AGENT, schedule_id=made.id),
            models.TriggerAgentScheduleSchedulesResponseBody,
            "schedule_inactive",
        )
        refused(
            lambda: sdk.schedules.retrieve(agent_key=AGENT, schedule_id="01J00000000000000000000000"),
            models.RetrieveAgentScheduleSchedulesResponseBody,
            "schedule_not_found",
        )
        try:
            sdk.schedules.list(agent_key="nobody")
        except models.APIErrorResponse as exc:  # needs `param` and `type`
            assert (exc.data.error.code, exc.data.error.param, exc.data.error.type) == (
                "agent_not_found",
                "agent_key",
                "not_found_error",
            )
        else:
            raise AssertionError("expected APIErrorResponse")
        sdk.schedules.delete(agent_key=AGENT, schedule_id=made.id)
        assert (sdk.schedules.list(agent_key=AGENT).schedules or []) == []
    with Orq(api_key="wrong", server_url=url) as stranger:
        try:
            stranger.schedules.list(agent_key=AGENT)
        except models.ErrorResponse as exc:
            assert exc.data.code == 401 and exc.data.message
        else:
            raise AssertionError("expected ErrorResponse")
    print("OK")


if __name__ == "__main__":
    main()
