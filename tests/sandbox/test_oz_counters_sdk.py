"""The official `oz-agent-sdk` (0.15.0) decodes the Oz sandbox's run history (`history.last_ran`,
`history.next_run`) and `last_spawn_error` after fires, a failed spawn, and runs that overlap, with the
types it declares."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from oz_agent_sdk import OzAPI

from tests.sandbox_server import API_KEY, Server, running_sandbox


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("oz", "--workspace", "team_counters", "--agents", "agent_ops") as srv:
        yield srv


@pytest.fixture
def oz(server: Server) -> Iterator[OzAPI]:
    server.admin("POST", "reset")
    with OzAPI(api_key=API_KEY, base_url=server.url, max_retries=0) as client:
        yield client


def admin(server: Server, path: str, **body: object) -> None:
    server.admin("POST", path, body)


def hourly(oz: OzAPI) -> str:
    return oz.agent.schedules.create(
        name="hourly", cron_schedule="0 * * * *", prompt="tick", agent_uid="agent_ops"
    ).id


def test_the_sdk_reads_the_history_as_datetimes(server: Server, oz: OzAPI) -> None:
    admin(server, "clock", now="2030-01-07T00:30:00Z")
    sid = hourly(oz)
    fresh = oz.agent.schedules.retrieve(sid)
    assert fresh.history is not None and fresh.history.last_ran is None
    assert fresh.history.next_run == datetime(2030, 1, 7, 1, 0, tzinfo=UTC) and fresh.last_spawn_error is None
    admin(server, "clock", advance="10800s")
    [item] = oz.agent.schedules.list().schedules
    assert item.history is not None
    assert isinstance(item.history.last_ran, datetime)
    assert item.history.last_ran == datetime(2030, 1, 7, 3, 0, tzinfo=UTC)
    assert item.history.next_run == datetime(2030, 1, 7, 4, 0, tzinfo=UTC)


def test_the_sdk_reads_a_spawn_error_as_text(server: Server, oz: OzAPI) -> None:
    admin(server, "clock", now="2030-01-07T00:30:00Z")
    sid = hourly(oz)
    admin(server, "clock", advance="3600s")
    admin(server, "runs", agent="agent_ops", error="insufficient credits")
    admin(server, "clock", advance="3600s")
    item = oz.agent.schedules.retrieve(sid)
    assert isinstance(item.last_spawn_error, str) and item.last_spawn_error == "insufficient credits"
    assert item.history is not None and item.history.last_ran == datetime(2030, 1, 7, 1, 0, tzinfo=UTC)


def test_long_runs_overlap_and_nothing_is_skipped(server: Server, oz: OzAPI) -> None:
    admin(server, "clock", now="2030-01-07T00:30:00Z")
    sid = hourly(oz)
    admin(server, "runs", agent="agent_ops", duration="10800s")  # each run outlasts the next two fires
    admin(server, "clock", advance="10800s")
    item = oz.agent.schedules.retrieve(sid)
    assert item.history is not None and item.history.last_ran == datetime(2030, 1, 7, 3, 0, tzinfo=UTC)


def test_a_paused_schedule_has_no_next_run(server: Server, oz: OzAPI) -> None:
    admin(server, "clock", now="2030-01-07T00:30:00Z")
    sid = hourly(oz)
    paused = oz.agent.schedules.pause(sid)
    assert paused.history is not None and paused.history.next_run is None
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        raw = http.get(f"/agent/schedules/{sid}").json()
    assert raw["last_spawn_error"] is None and "next_run" not in raw["history"]
