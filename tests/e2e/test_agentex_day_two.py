"""Day two on Agentex, both API revisions, end to end: the real CLI applies against `reconciler sandbox serve
--provider agentex`, and the provider reads back (over real HTTP) the applied record run schedules keep in
`task_metadata` and the counters `status` reads. Schedules are changed behind the reconciler's back with
plain HTTP, as a person using the platform would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.bundle.validate import load_bundles
from reconciler.plan.live import LiveSchedule, Skip
from reconciler.providers.agentex import runs
from reconciler.providers.agentex.provider import AgentexProvider
from reconciler.providers.http import ApiClient
from reconciler.timing.instants import utc_text as utc
from tests.e2e.support import bundle_text, cli, plan_json, write
from tests.sandbox_server import API_KEY, Server, running_sandbox

AGENTS = ("agent-a", "agent-b")
HEADERS = {"Authorization": f"Bearer {API_KEY}"}
RUNS_LIST = "GET /agents/{agent_id}/schedules"
RUNS_PATCH = "PATCH /agents/{agent_id}/schedules/{schedule_id}"


@pytest.fixture(scope="module", params=["legacy", "run-schedules"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    with running_sandbox("agentex", "--api", request.param, "--agents", ",".join(AGENTS)) as srv:
        srv.env["API_REVISION"] = request.param
        yield srv


def legacy(server: Server) -> bool:
    return server.env["API_REVISION"] == "legacy"


def bundle(server: Server, state: str = "active", every: str = "1h") -> str:
    schedule: dict[str, Any] = {
        "name": "hourly",
        "agent": "agent-a",
        "when": {"every": every},
        "state": state,
    }
    if legacy(server):
        schedule["options"] = {"workflow_name": "wf", "task_queue": "q"}
        return bundle_text({"provider": "agentex"}, [schedule])
    schedule["input"] = {"message": "Hourly check"}
    return bundle_text({"provider": "agentex", "api": "run-schedules"}, [schedule])


def reader(server: Server, path: str) -> AgentexProvider:
    [loaded] = load_bundles([path], environ={}).bundles
    return AgentexProvider(ApiClient(server.url, api_key=API_KEY), loaded, b"reconciler", environ={})


def hourly(lives: list[LiveSchedule]) -> LiveSchedule:
    [found] = [live for live in lives if live.name == "hourly"]
    return found


def raw(server: Server, method: str, path: str, body: Any = None) -> dict[str, Any]:
    response = httpx.request(method, f"{server.url}{path}", json=body, headers=HEADERS)
    assert response.status_code < 300, response.text
    return dict(response.json()) if response.content else {}


def routes(server: Server) -> dict[str, int]:
    stats = server.admin("GET", "stats")["routes"]
    return {route: sum(outcomes.values()) for route, outcomes in stats.items()}


def test_apply_records_the_state_it_set_paused_then_active(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle(sandbox))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    first = hourly(reader(sandbox, path).list_live())
    if legacy(sandbox):  # no field for a record: the name is the only marker
        assert first.applied is None and not reader(sandbox, path).records_applied
        return
    assert first.applied is not None and first.applied.state == "active" and first.incomplete_marker == ""
    row = raw(sandbox, "GET", f"/agents/agent-a/schedules/{first.remote_id}")
    assert first.changed_at == utc(row["updated_at"]) and first.changed_by is None

    write(tmp_path, bundle(sandbox, state="paused"))
    assert plan_json(sandbox, path)["summary"]["pause"] == 1
    before = routes(sandbox)
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    after = routes(sandbox)
    # The state and its record in ONE request: a PATCH, and no /pause beside it.
    assert after.get(RUNS_PATCH, 0) - before.get(RUNS_PATCH, 0) == 1
    assert not [r for r in after if r.endswith("/pause") or r.endswith("/resume")]
    paused = hourly(reader(sandbox, path).list_live())
    assert paused.state == "paused" and paused.applied is not None and paused.applied.state == "paused"
    assert paused.raw["task_metadata"][runs.RECORD_KEY].startswith("paused.")

    write(tmp_path, bundle(sandbox))
    assert plan_json(sandbox, path)["summary"]["resume"] == 1
    before = routes(sandbox)
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert routes(sandbox).get(RUNS_PATCH, 0) - before.get(RUNS_PATCH, 0) == 1
    active = hourly(reader(sandbox, path).list_live())
    assert active.state == "active" and active.applied is not None and active.applied.state == "active"
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_an_old_marker_without_a_record_is_completed_by_one_update(sandbox: Server, tmp_path: Path) -> None:
    if legacy(sandbox):
        pytest.skip("legacy schedules have no field for a record: nothing to complete")
    path = write(tmp_path, bundle(sandbox))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    listed = hourly(reader(sandbox, path).list_live())
    metadata = {k: v for k, v in listed.raw["task_metadata"].items() if k != runs.RECORD_KEY}
    raw(sandbox, "PATCH", f"/agents/agent-a/schedules/{listed.remote_id}", {"task_metadata": metadata})
    old = hourly(reader(sandbox, path).list_live())
    assert old.applied is None and "record what was applied" in old.incomplete_marker

    plan = plan_json(sandbox, path)
    changed = [a for a in plan["bundles"][0]["actions"] if a["action"] != "noop"]
    assert [a["action"] for a in changed] == ["update"]
    assert "record what was applied in the ownership marker" in changed[0]["reason"]
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    done = hourly(reader(sandbox, path).list_live())
    assert done.applied is not None and done.applied.state == "active" and done.incomplete_marker == ""
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_a_pause_made_on_the_platform_leaves_the_record_saying_active(
    sandbox: Server, tmp_path: Path
) -> None:
    """What the planner reads as a pause made outside the bundle: live paused, record active (run schedules);
    on legacy nothing tells it from the reconciler's own pause (README)."""
    path = write(tmp_path, bundle(sandbox))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    name = "team--hourly"
    if legacy(sandbox):
        raw(sandbox, "POST", f"/agents/agent-a/schedules/{name}/pause", {"note": "incident"})
        live = hourly(reader(sandbox, path).list_live())
        assert live.state == "paused" and live.applied is None
        return
    raw(sandbox, "POST", f"/agents/agent-a/schedules/name/{name}/pause", {"note": "incident"})
    live = hourly(reader(sandbox, path).list_live())
    assert live.state == "paused" and live.applied is not None and live.applied.state == "active"
    row = raw(sandbox, "GET", f"/agents/agent-a/schedules/{live.remote_id}")
    assert live.changed_at == utc(row["updated_at"]) and live.changed_by is None


def test_read_activity_after_fires_and_an_overlap_skip(sandbox: Server, tmp_path: Path) -> None:
    sandbox.admin("POST", "clock", {"now": "2026-03-02T00:00:00Z"})
    path = write(tmp_path, bundle(sandbox))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    if not legacy(sandbox):  # a skip on request, through the API's own route
        listed = hourly(reader(sandbox, path).list_live())
        raw(
            sandbox,
            "POST",
            f"/agents/agent-a/schedules/{listed.remote_id}/skip",
            {"scheduled_time": "2026-03-02T03:00:00Z"},
        )
    sandbox.admin("POST", "clock", {"advance": "14400s"})  # 01:00 … 04:00
    provider = reader(sandbox, path)
    before = sandbox.admin("GET", "stats")["total"]
    activity = hourly(provider.read_activity()).activity
    made = sandbox.admin("GET", "stats")["total"] - before
    assert activity is not None and activity.available
    assert activity.last_fire == "2026-03-02T04:00:00Z" and activity.next_fire == "2026-03-02T05:00:00Z"
    assert activity.counted_since == "2026-03-02T00:00:00Z" and activity.last_error is None
    if legacy(sandbox):
        # GET /agents, a list per agent, and one read by name for the owned schedule (the list items carry
        # no counters): the same requests `list_live` makes.
        assert made == 1 + len(AGENTS) + 1
        assert activity.total_fires == 4 and activity.missed == 0 and activity.skipped == ()
        assert activity.counters == (
            "num_actions_taken",
            "num_actions_missed",
            "last_action_time",
            "next_action_times",
        )
    else:
        assert made == 1 + len(AGENTS)  # GET /agents and one list per agent, `include_live=true`
        assert activity.total_fires == 3 and activity.missed is None  # 03:00 was skipped on request
        assert activity.skipped == (Skip("2026-03-02T03:00:00Z", "skipped on request"),)
        assert hourly(provider.list_live()).activity is None  # list_live does not ask for live data

    # Overlap: a run that outlasts the interval makes the next fire a skip (Temporal's SKIP policy).
    agent = "agent-a"
    if legacy(sandbox):
        sandbox.admin("POST", "runs", {"agent": agent, "duration": "5400s"})  # 90 min
        sandbox.admin("POST", "clock", {"advance": "10800s"})  # 05:00 taken, 06:00 skipped, 07:00 taken
        after = hourly(reader(sandbox, path).read_activity()).activity
        assert after is not None and after.total_fires == 6 and after.last_fire == "2026-03-02T07:00:00Z"
        # Temporal counts the overlap as `overlap_skipped`, which Agentex does not return: not "missed".
        assert after.missed == 0 and after.skipped == ()
    else:
        # Run schedules only launch the run; an async agent's launch returns at once: nothing overlaps.
        sandbox.admin("POST", "runs", {"agent": agent, "duration": "5400s"})
        sandbox.admin("POST", "clock", {"advance": "10800s"})
        after = hourly(reader(sandbox, path).read_activity()).activity
        assert after is not None and after.total_fires == 6 and after.last_fire == "2026-03-02T07:00:00Z"


def test_run_schedule_rows_past_200_report_no_live_data(sandbox: Server, tmp_path: Path) -> None:
    if legacy(sandbox):
        pytest.skip("the legacy read by name always carries the counters")
    path = write(tmp_path, bundle(sandbox))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    for n in range(200):  # newer rows come first: ours falls past the enrichment cap
        raw(
            sandbox,
            "POST",
            "/agents/agent-a/schedules",
            {"name": f"other-{n}", "initial_input": {"content": "x"}, "interval_seconds": 3600},
        )
    activity = hourly(reader(sandbox, path).read_activity()).activity
    assert activity is not None and activity.available is False and activity.total_fires is None
