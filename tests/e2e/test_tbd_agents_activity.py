"""Day two on TBD Agents, end to end: the real CLI applies against the sandbox server, then the provider
reads what `status` reads (`read_activity`) over real HTTP after the sandbox clock moved, with one request.

TBD Agents keeps no record of what was applied (the name is the only marker), so pauses read the same
whoever made them; its counters are `last_run_at` and `next_run_at`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.bundle.validate import load_bundles
from reconciler.providers.http import ApiClient
from reconciler.providers.tbd_agents.provider import TbdAgentsProvider
from tests.e2e.support import bundle_text, cli, requests_made, write
from tests.sandbox_server import API_KEY, Server, running_sandbox

LOGIN = "octocat"
WORKFLOWS = ("wf_docs", "wf_ops")
BASE = "/api/scheduled-agents"
T0 = "2026-12-01T08:00:00Z"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("tbd-agents", "--workspace", LOGIN, "--agents", ",".join(WORKFLOWS)) as srv:
        yield srv


@pytest.fixture
def http(sandbox: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        yield client


def bundle(state: str = "active") -> str:
    schedules: list[dict[str, Any]] = [
        {
            "name": "hourly",
            "agent": "wf_docs",
            "when": {"every": "1h", "start": T0},
            "input": {"message": "Hourly sweep"},
            "state": state,
        },
        {
            "name": "ending",
            "agent": "wf_ops",
            "when": {"every": "1h", "start": T0, "end": "2026-12-01T10:30:00Z"},
            "input": {"message": "Until half past ten"},
        },
    ]
    return bundle_text({"provider": "tbd-agents"}, schedules)


def provider(server: Server, path: str) -> TbdAgentsProvider:
    [loaded] = load_bundles([path], environ={}).bundles
    return TbdAgentsProvider(ApiClient(server.url, api_key=API_KEY), loaded, b"reconciler", environ={})


def test_read_activity_after_fires_and_an_overlap_skip_costs_one_request(
    sandbox: Server, tmp_path: Path
) -> None:
    sandbox.admin("POST", "clock", {"now": T0})
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0  # registered with Beat at 08:00
    sandbox.admin("POST", "runs", {"agent": "wf_docs", "duration": "5400s"})  # 1.5 h runs: every other tick
    sandbox.admin("POST", "clock", {"now": "2026-12-01T12:30:00Z"})
    before = requests_made(sandbox)
    found = {live.name: live for live in provider(sandbox, path).read_activity()}
    assert requests_made(sandbox) - before == 1  # the one list holds the counters
    hourly = found["hourly"].activity
    assert hourly is not None and hourly.counters == ("last_run_at", "next_run_at")
    # ran 09:00 and 11:00; 10:00 and 12:00 came while the previous run was active: skipped, unseen
    assert (hourly.last_fire, hourly.next_fire) == ("2026-12-01T11:00:00Z", "2026-12-01T12:00:00Z")
    assert (hourly.total_fires, hourly.skipped, hourly.missed) == (None, (), None)
    assert found["hourly"].changed_at == "2026-12-01T11:00:00Z"  # each run stamps updated_at too
    ending = found["ending"]  # 09:00 and 10:00 ran; the 11:00 tick found its window over and disabled it
    assert ending.activity is not None and ending.activity.last_fire == "2026-12-01T10:00:00Z"
    assert ending.changed_at == "2026-12-01T11:00:00Z"
    # disabled by the server at the end of its window: read in the state the bundle asks, never as a pause
    assert ending.state == "active" and ending.applied is None
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0


def test_no_record_is_kept_so_a_pause_reads_the_same_whoever_made_it(
    sandbox: Server, http: httpx.Client, tmp_path: Path
) -> None:
    path = write(tmp_path, bundle(state="paused"))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    ours = {live.name: live for live in provider(sandbox, path).list_live()}["hourly"]
    assert (ours.state, ours.applied, ours.incomplete_marker) == ("paused", None, "")
    assert provider(sandbox, path).records_applied is False

    write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    [made] = [s for s in http.get(BASE).json() if s["name"] == "team:hourly"]
    assert made["enabled"] is True
    http.patch(f"{BASE}/{made['id']}/disable")  # an operator's pause, in the platform's own words
    theirs = {live.name: live for live in provider(sandbox, path).list_live()}["hourly"]
    assert (theirs.state, theirs.applied) == (ours.state, ours.applied)  # nothing tells them apart
    assert theirs.changed_by is None  # the server does not say who
