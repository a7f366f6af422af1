"""Day two on orq.ai, both API revisions, end to end: the real CLI applies against the sandbox server, and
the provider reads back (over real HTTP) the applied record kept in `payload.metadata` and the counters
`status` reads. Live schedules are changed behind the reconciler's back with plain HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.bundle.validate import load_bundles
from reconciler.plan.live import LiveSchedule
from reconciler.providers.http import ApiClient
from reconciler.providers.orq import wire
from reconciler.providers.orq.provider import OrqProvider
from tests.e2e.support import bundle_text, cli, plan_json, requests_made, write
from tests.sandbox_server import API_KEY, Server, running_sandbox

AGENTS = ("digest", "support_bot")
HEADERS = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("orq", "--agents", ",".join(AGENTS)) as srv:
        yield srv


@pytest.fixture(scope="module")
def current() -> Iterator[Server]:
    with running_sandbox("orq", "--api", "display-name", "--agents", ",".join(AGENTS)) as srv:
        yield srv


@dataclass(frozen=True)
class Orq:
    server: Server
    api: str


@pytest.fixture(params=[wire.SEED, wire.DISPLAY_NAME])
def sandboxes(request: pytest.FixtureRequest, server: Server) -> Orq:
    """Either revision's sandbox, emptied."""
    chosen = server if request.param == wire.SEED else request.getfixturevalue("current")
    chosen.admin("POST", "reset")
    return Orq(chosen, request.param)


def patches(server: Server) -> int:
    routes = server.admin("GET", "stats")["routes"]
    return sum(routes.get("PATCH /v3/agents/{agent_key}/schedules/{schedule_id}", {}).values())


def bundle(api: str, state: str = "active") -> str:
    schedules: list[dict[str, Any]] = [
        {
            "name": "briefing",
            "agent": "digest",
            "when": {"cron": "@hourly"},
            "input": {"message": "Hourly briefing", "data": {"region": "EMEA"}},
            "state": state,
        },
        {
            "name": "sweep",
            "agent": "support_bot",
            "when": {"cron": "0 9 * * *"},
            "input": {"message": "Sweep"},
        },
    ]
    target = {"provider": "orq", **({"api": api} if api != wire.SEED else {})}
    return bundle_text(target, schedules)


def reader(server: Server, path: str) -> OrqProvider:
    [loaded] = load_bundles([path], environ={}).bundles
    return OrqProvider(ApiClient(server.url, api_key=API_KEY), loaded, b"reconciler", environ={})


def by_name(server: Server, path: str) -> dict[str, LiveSchedule]:
    return {live.name or "": live for live in reader(server, path).list_live()}


def raw(server: Server, method: str, path: str, body: Any = None) -> dict[str, Any]:
    response = httpx.request(method, f"{server.url}{path}", json=body, headers=HEADERS)
    assert response.status_code < 300, response.text
    return dict(response.json()) if response.content else {}


def test_apply_records_the_state_it_set_paused_then_active(sandboxes: Orq, tmp_path: Path) -> None:
    orq, api = sandboxes.server, sandboxes.api
    path = write(tmp_path, bundle(api))
    assert cli(orq, "apply", "--auto-approve", path).code == 0
    for live in by_name(orq, path).values():
        assert live.applied is not None and live.applied.state == "active" and live.state == "active"
        assert live.incomplete_marker == ""

    write(tmp_path, bundle(api, state="paused"))
    assert plan_json(orq, path)["summary"]["pause"] == 1
    before = patches(orq)
    assert cli(orq, "apply", "--auto-approve", path).code == 0
    assert patches(orq) - before == 1  # the state and its record: one request
    briefing = by_name(orq, path)["briefing"]
    assert briefing.state == "paused" and briefing.applied is not None and briefing.applied.state == "paused"
    assert briefing.raw["is_active"] is False
    assert cli(orq, "plan", "--detailed-exitcode", path).code == 0

    write(tmp_path, bundle(api))
    before = patches(orq)
    assert cli(orq, "apply", "--auto-approve", path).code == 0
    assert patches(orq) - before == 1
    briefing = by_name(orq, path)["briefing"]
    assert briefing.state == "active" and briefing.applied is not None and briefing.applied.state == "active"
    assert cli(orq, "plan", "--detailed-exitcode", path).code == 0


def test_an_old_marker_without_a_record_is_completed_by_one_update(sandboxes: Orq, tmp_path: Path) -> None:
    orq = sandboxes.server
    path = write(tmp_path, bundle(sandboxes.api))
    assert cli(orq, "apply", "--auto-approve", path).code == 0
    [item] = raw(orq, "GET", "/v3/agents/digest/schedules")["schedules"]
    payload = item["payload"]
    payload["metadata"] = {k: v for k, v in payload["metadata"].items() if k != wire.RECORD_KEY}
    raw(orq, "PATCH", f"/v3/agents/digest/schedules/{item['_id']}", {"payload": payload})  # as 0.x wrote it

    plan = plan_json(orq, path)
    steps = [a for a in plan["bundles"][0]["actions"] if a["action"] != "noop"]
    assert [(a["action"], a["name"]) for a in steps] == [("update", "briefing")]
    assert "record what was applied in the ownership marker" in steps[0]["reason"]
    assert cli(orq, "apply", "--auto-approve", path).code == 0
    assert by_name(orq, path)["briefing"].applied is not None
    assert cli(orq, "plan", "--detailed-exitcode", path).code == 0


def test_an_operators_pause_reads_as_one_and_says_when_and_who(sandboxes: Orq, tmp_path: Path) -> None:
    orq, api = sandboxes.server, sandboxes.api
    path = write(tmp_path, bundle(api))
    assert cli(orq, "apply", "--auto-approve", path).code == 0
    orq.admin("POST", "clock", {"advance": "600s"})
    [item] = raw(orq, "GET", "/v3/agents/digest/schedules")["schedules"]
    paused = raw(orq, "PATCH", f"/v3/agents/digest/schedules/{item['_id']}", {"is_active": False})
    briefing = by_name(orq, path)["briefing"]
    # paused on the platform, while the record says the reconciler last set it active: an outside pause
    assert briefing.state == "paused" and briefing.applied is not None and briefing.applied.state == "active"
    assert briefing.changed_at is not None and briefing.changed_at[:19] == paused["updated"][:19]
    assert briefing.changed_by == (paused.get("updated_by_id") if api == wire.DISPLAY_NAME else None)
    plan = plan_json(orq, path)  # kept (pauses: respect, the default), and shown with when and who
    [step] = [a for a in plan["bundles"][0]["actions"] if a["name"] == "briefing"]
    assert step["action"] != "resume" and "paused outside the bundle" in step["reason"]


def test_read_activity_after_fires_costs_the_lists_alone(sandboxes: Orq, tmp_path: Path) -> None:
    orq = sandboxes.server
    orq.admin("POST", "clock", {"now": "2030-01-07T00:30:00Z"})
    path = write(tmp_path, bundle(sandboxes.api))
    assert cli(orq, "apply", "--auto-approve", path).code == 0
    orq.admin("POST", "runs", {"agent": "digest", "duration": "7200s"})  # orq skips no overlapping fire
    assert orq.admin("POST", "clock", {"now": "2030-01-07T10:30:00Z"})["fired"] == 10 + 1
    before = requests_made(orq)
    found = {live.name: live for live in reader(orq, path).read_activity()}
    assert requests_made(orq) - before == 1 + len(AGENTS)  # one page of agents, one list per agent
    briefing, sweep = found["briefing"].activity, found["sweep"].activity
    assert briefing is not None and sweep is not None
    assert (briefing.total_fires, briefing.last_fire) == (10, "2030-01-07T10:00:00Z")
    assert (sweep.total_fires, sweep.last_fire) == (1, "2030-01-07T09:00:00Z")
    assert briefing.counted_since == "2030-01-07T00:30:00Z" and briefing.next_fire is None
    assert briefing.skipped == () and briefing.missed is None and briefing.last_error is None


def test_a_fired_one_off_is_done_not_paused_outside_the_bundle(server: Server, tmp_path: Path) -> None:
    server.admin("POST", "reset")
    now = datetime.now(UTC).replace(microsecond=0)
    server.admin("POST", "clock", {"now": now.isoformat()})
    at = (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    schedule = {"name": "launch", "agent": "digest", "when": {"at": at}, "input": {"message": "Go"}}
    path = write(tmp_path, bundle_text({"provider": "orq"}, [schedule]))
    assert cli(server, "apply", "--auto-approve", path).code == 0
    assert server.admin("POST", "clock", {"advance": "10800s"})["fired"] == 1
    [launch] = reader(server, path).read_activity()
    assert launch.raw["is_active"] is False and wire.is_done(launch.raw)  # orq turned it off itself
    assert launch.state == "active"  # read in the state the bundle asks: it did what it was for
    assert launch.applied is not None and launch.applied.state == "active"
    assert launch.activity is not None and launch.activity.last_fire == at
    assert cli(server, "plan", "--detailed-exitcode", path).code == 0
    assert json.loads(cli(server, "plan", "--format", "json", path).out)["summary"]["resume"] == 0
