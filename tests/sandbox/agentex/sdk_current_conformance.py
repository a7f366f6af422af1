"""Run inside a virtualenv with the *current* `agentex-client` (0.28.4): drive the run-schedules sandbox
through every schedule method of the SDK and decode every answer. Exit 0 and print OK, or fail loudly.

Not a pytest module (the test environment pins 0.17.0): `test_agentex_runs_sdk.py` builds the virtualenv
and runs this file in it against `reconciler sandbox serve --provider agentex --api run-schedules`.
Reads AGENTEX_BASE_URL and AGENTEX_SDK_API_KEY, as the SDK itself does.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import agentex
import httpx
from agentex import Agentex, BadRequestError, NotFoundError, UnprocessableEntityError

AGENT = "agent-a"


def main() -> None:
    assert agentex.__version__.startswith("0.28"), agentex.__version__
    sdk = Agentex(max_retries=0)
    schedules = sdk.agents.schedules
    made = schedules.create(
        AGENT,
        name="team--standup",
        initial_input={"content": "Standup", "author": "agent"},
        cron_expression="30 8 * * 1-5",
        timezone="Europe/Berlin",
        description="daily",
        task_params={"channel": "#standup"},
        task_metadata={"reconciler.dev/protect": True},
    )
    assert made.initial_input.author == "agent" and made.initial_input_method == "event/send"
    assert made.state == "ACTIVE" and made.next_action_times and made.creator_principal is not None
    assert schedules.retrieve(made.id, agent_id=AGENT).model_dump() == made.model_dump()
    assert schedules.retrieve_by_name("team--standup", agent_id=AGENT).id == made.id

    listed = schedules.list(AGENT, limit=1000)
    assert listed.total == 1 and listed.run_schedules[0].state is None  # live fields only when asked for
    assert schedules.list(AGENT, include_live=True).run_schedules[0].live_data_available is True

    moved = schedules.update(made.id, agent_id=AGENT, interval_seconds=3600, description=None)
    assert moved.interval_seconds == 3600 and moved.cron_expression is None and moved.description is None
    renamed = schedules.update_by_name("team--standup", agent_id=AGENT, body_name="team--renamed")
    assert renamed.name == "team--renamed" and renamed.id == made.id

    assert schedules.pause(made.id, agent_id=AGENT, note="holiday").paused is True
    assert schedules.resume_by_name("team--renamed", agent_id=AGENT).state == "ACTIVE"
    assert schedules.pause_by_name("team--renamed", agent_id=AGENT).state == "PAUSED"
    assert schedules.resume(made.id, agent_id=AGENT).paused is False
    # A manual run is started outside the Temporal schedule: the schedule's action count does not move.
    assert schedules.trigger(made.id, agent_id=AGENT).num_actions_taken == 0
    assert schedules.trigger_by_name("team--renamed", agent_id=AGENT).num_actions_taken == 0
    first = schedules.retrieve(made.id, agent_id=AGENT).next_action_times[0]
    skipped = schedules.skip(made.id, agent_id=AGENT, scheduled_time=first)
    assert skipped.skipped_action_times == [first]
    assert schedules.unskip(made.id, agent_id=AGENT, scheduled_time=first).skipped_action_times == []

    try:
        schedules.create(AGENT, name="team--renamed", initial_input={"content": "x"}, interval_seconds=60)
        raise AssertionError("a duplicate name was accepted")
    except BadRequestError as exc:
        assert exc.status_code == 400 and exc.body["code"] == 400
    try:
        schedules.create(AGENT, name="Bad Name", initial_input={"content": "x"}, interval_seconds=60)
        raise AssertionError("a bad name was accepted")
    except UnprocessableEntityError as exc:
        assert exc.body["status_code"] == 10422

    deleted = schedules.delete(made.id, agent_id=AGENT)
    assert deleted.id == made.id
    other = schedules.create(AGENT, name="team--other", initial_input={"content": "x"}, interval_seconds=60)
    assert schedules.delete_by_name("team--other", agent_id=AGENT).id == other.id
    try:
        schedules.retrieve(made.id, agent_id=AGENT)
        raise AssertionError("a deleted schedule was found")
    except NotFoundError as exc:
        assert exc.body == {"message": f"Run schedule '{made.id}' not found", "code": 404, "data": None}

    agents = sdk.agents.list(limit=100)
    assert AGENT in [a.id for a in agents]
    counters(sdk)
    print("OK")


def counters(sdk: Agentex) -> None:
    """The live counters decode with their types after fires, a skip on request and an overlap skip (a sync
    agent's `message/send` keeps the launching workflow running as long as the run: SKIP policy)."""
    admin = httpx.Client(
        base_url=os.environ["AGENTEX_BASE_URL"],
        headers={"Authorization": f"Bearer {os.environ['AGENTEX_SDK_API_KEY']}"},
    )
    admin.post(
        "/_sandbox/agents", json={"id": "agent-sync", "labels": {"acp_type": "sync"}}
    ).raise_for_status()
    admin.post("/_sandbox/clock", json={"now": "2026-03-02T00:00:00Z"}).raise_for_status()
    schedules = sdk.agents.schedules
    made = schedules.create(
        "agent-sync", name="team--hourly", initial_input={"content": "x"}, interval_seconds=3600
    )
    skip_at = datetime(2026, 3, 2, 5, tzinfo=UTC)
    schedules.skip(made.id, agent_id="agent-sync", scheduled_time=skip_at)
    admin.post(
        "/_sandbox/clock", json={"advance": "21600s"}
    ).raise_for_status()  # 01:00 … 06:00; 05:00 skipped
    got = schedules.list("agent-sync", include_live=True).run_schedules[0]
    assert got.num_actions_taken == 5 and isinstance(got.num_actions_taken, int)
    assert got.last_action_time == datetime(2026, 3, 2, 6, tzinfo=UTC)
    assert got.next_action_times and got.next_action_times[0] == datetime(2026, 3, 2, 7, tzinfo=UTC)
    assert got.skipped_action_times == [skip_at] and got.live_data_available is True
    # Runs now last 90 s (a sync agent's reply, within the launch's 120 s timeout): a schedule firing every
    # minute takes 06:01, skips 06:02 (the 06:01 run still runs), takes 06:03, skips 06:04.
    admin.post("/_sandbox/runs", json={"agent": "agent-sync", "duration": "90s"}).raise_for_status()
    minutely = schedules.create(
        "agent-sync", name="team--minutely", initial_input={"content": "x"}, interval_seconds=60
    )
    admin.post("/_sandbox/clock", json={"advance": "240s"}).raise_for_status()
    after = schedules.retrieve(minutely.id, agent_id="agent-sync")
    assert after.num_actions_taken == 2 and after.last_action_time == datetime(2026, 3, 2, 6, 3, tzinfo=UTC)
    assert after.skipped_action_times == []  # an overlap skip is not a skip on request: not listed
    admin.close()


if __name__ == "__main__":
    main()
