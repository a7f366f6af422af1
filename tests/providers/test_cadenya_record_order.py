"""Cadenya's record and state writes happen in a crash-safe order, and `read_activity` reads the fire counters
with one list per agent; against the in-process sandbox, every request recorded in order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.bundle.validate import load_bundles
from reconciler.plan.live import LiveSchedule, Skip
from reconciler.providers.cadenya.provider import CadenyaProvider
from reconciler.providers.http import ApiClient
from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport

WS = "ws_order"
API_KEY = "order-key"
APPLIED = "reconciler.dev/applied"


class Crash(Exception):
    """The process dies while a request is on its way: nothing after it runs."""


@dataclass
class Recorder(httpx.BaseTransport):
    inner: httpx.BaseTransport
    log: list[tuple[str, str]] = field(default_factory=list)  # (method and path, the record the body writes)
    queries: list[str] = field(default_factory=list)
    crash_on: str = ""  # a path suffix: that request is never answered

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        record = ((body.get("metadata") or {}).get("labels") or {}).get(APPLIED, "")
        self.log.append((f"{request.method} {request.url.path.rsplit('/', 1)[-1]}", record.split(".")[0]))
        self.queries.append(request.url.query.decode())
        if self.crash_on and request.url.path.endswith(self.crash_on):
            raise Crash(request.url.path)
        return self.inner.handle_request(request)


@pytest.fixture
def app() -> Iterator[SandboxApp]:
    built = build_app(
        SandboxConfig(provider="cadenya", workspace=WS, agents=("agent_a", "agent_b"), api_keys=(API_KEY,))
    )
    yield built
    built.close()


@pytest.fixture
def admin(app: SandboxApp) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(transport=in_process_transport(app), base_url="http://sandbox", headers=headers) as c:
        yield c


def make(app: SandboxApp, tmp_path: Path, **extra: Any) -> tuple[CadenyaProvider, Recorder]:
    schedules = [
        {
            "name": "hourly",
            "agent": "agent_a",
            "when": {"every": "1h", "timezone": "UTC"},
            "input": {"message": "tick"},
            **extra,
        }
    ]
    document = {"apiVersion": "reconciler/v1", "kind": "Bundle", "bundleKey": "team"}
    path = tmp_path / "bundle.yaml"
    path.write_text(
        json.dumps({**document, "target": {"provider": "cadenya", "workspace": WS}, "schedules": schedules})
    )
    [bundle] = load_bundles([str(path)], environ={}).bundles
    recorder = Recorder(in_process_transport(app))
    client = ApiClient("http://sandbox", api_key=API_KEY, transport=recorder)
    provider = CadenyaProvider(client, bundle, b"k", environ={})
    return provider, recorder


def one(provider: CadenyaProvider) -> LiveSchedule:
    [live] = provider.list_live()
    return live


def test_a_pause_writes_the_record_first_and_a_resume_writes_it_last(app: SandboxApp, tmp_path: Path) -> None:
    provider, recorder = make(app, tmp_path)
    desired = provider.normalise(provider.bundle.schedules[0])
    live = provider.create(desired)
    recorder.log.clear()
    paused = provider.update(replace(desired, state="paused"), live)
    assert recorder.log == [("PATCH " + live.remote_id, "paused"), (f"POST {live.remote_id}:pause", "")]
    assert paused.state == "paused" and paused.applied is not None and paused.applied.state == "paused"

    recorder.log.clear()
    resumed = provider.update(desired, paused)
    assert recorder.log == [(f"POST {live.remote_id}:resume", ""), ("PATCH " + live.remote_id, "active")]
    assert resumed.state == "active" and resumed.applied is not None and resumed.applied.state == "active"


@pytest.mark.parametrize(("to", "crash_on"), [("paused", ":pause"), ("active", "")])
def test_a_crash_between_the_two_writes_never_looks_like_an_operators_pause(
    app: SandboxApp, tmp_path: Path, to: str, crash_on: str
) -> None:
    """Cut short anywhere, a pause or a resume never leaves a paused schedule whose record says active."""
    provider, recorder = make(app, tmp_path)
    desired = provider.normalise(provider.bundle.schedules[0])
    live = provider.create(desired)
    if to == "active":
        live = provider.update(replace(desired, state="paused"), live)
    recorder.crash_on = crash_on or live.remote_id  # a resume: the PATCH after `:resume` never arrives
    with pytest.raises(Crash):
        provider.update(replace(desired, state=to), live)
    recorder.crash_on = ""
    after = one(provider)
    assert after.applied is not None
    assert (after.state, after.applied.state) != ("paused", "active")
    assert (after.state, after.applied.state) == ("active", "paused")  # the next plan finishes the job


def test_read_activity_reads_the_counters_and_an_overlap_skip_in_one_list_per_agent(
    app: SandboxApp, admin: httpx.Client, tmp_path: Path
) -> None:
    assert admin.post("/_sandbox/clock", json={"now": "2030-01-07T00:30:00Z"}).status_code == 200
    provider, recorder = make(app, tmp_path)
    provider.create(provider.normalise(provider.bundle.schedules[0]))
    # Runs of agent_a last 90 minutes: every other hourly fire comes while the previous run still runs.
    assert admin.post("/_sandbox/runs", json={"agent": "agent_a", "duration": "5400s"}).status_code == 200
    assert admin.post("/_sandbox/clock", json={"advance": "21600s"}).json()["fired"] == 3  # to 06:30

    app.sandbox.stats.clear()
    recorder.queries.clear()
    [live] = provider.read_activity()
    # One page of agents, then one list per agent (agent_a unfiltered, agent_b by the ownership label).
    assert app.sandbox.stats.snapshot()["total"] == 3
    assert sum("includeInfo=true" in q for q in recorder.queries) == 2
    activity = live.activity
    assert activity is not None
    assert activity.total_fires == 3  # 01:00, 03:00, 05:00; 02:00, 04:00 and 06:00 were skipped
    assert activity.last_fire == "2030-01-07T05:00:00Z"
    assert activity.next_fire == "2030-01-07T07:00:00Z"
    assert activity.counted_since == "2030-01-07T00:30:00Z"
    [skip] = activity.skipped
    assert skip.at == "2030-01-07T06:00:00Z" and "overlap" in skip.reason
    assert activity.last_error is None and activity.missed is None
    assert "info.lastSkipReason" in activity.counters

    recorder.queries.clear()
    provider.list_live()  # the plan's read: no counters asked for (they cost more against the rate limit)
    assert recorder.queries and not any("includeInfo" in q for q in recorder.queries)


def test_overlap_allow_never_skips(app: SandboxApp, admin: httpx.Client, tmp_path: Path) -> None:
    admin.post("/_sandbox/clock", json={"now": "2030-01-07T00:30:00Z"})
    provider, _ = make(app, tmp_path, options={"overlapPolicy": "OVERLAP_POLICY_ALLOW"})
    provider.create(provider.normalise(provider.bundle.schedules[0]))
    admin.post("/_sandbox/runs", json={"agent": "agent_a", "duration": "5400s"})
    admin.post("/_sandbox/clock", json={"advance": "21600s"})
    [live] = provider.read_activity()
    assert live.activity is not None
    assert (live.activity.total_fires, live.activity.skipped) == (6, ())


def test_a_failing_start_is_a_fire_and_leaves_no_run_to_overlap(
    app: SandboxApp, admin: httpx.Client, tmp_path: Path
) -> None:
    admin.post("/_sandbox/clock", json={"now": "2030-01-07T00:30:00Z"})
    provider, _ = make(app, tmp_path)
    provider.create(provider.normalise(provider.bundle.schedules[0]))
    admin.post(
        "/_sandbox/runs", json={"agent": "agent_a", "duration": "5400s", "error": "agent has no model"}
    )
    admin.post("/_sandbox/clock", json={"advance": "21600s"})
    [live] = provider.read_activity()
    assert live.activity is not None
    assert live.activity.total_fires == 6 and live.activity.skipped == ()
    assert live.activity.last_error is None  # Cadenya has no field that could say so


def test_a_skip_is_kept_after_later_fires_run(app: SandboxApp, admin: httpx.Client, tmp_path: Path) -> None:
    admin.post("/_sandbox/clock", json={"now": "2030-01-07T00:30:00Z"})
    provider, _ = make(app, tmp_path)
    provider.create(provider.normalise(provider.bundle.schedules[0]))
    admin.post("/_sandbox/runs", json={"agent": "agent_a", "duration": "5400s"})
    admin.post("/_sandbox/clock", json={"advance": "7200s"})  # 01:00 fires, 02:00 is skipped
    admin.post("/_sandbox/runs", json={"agent": "agent_a", "duration": "0s"})
    admin.post("/_sandbox/clock", json={"advance": "7200s"})  # 03:00 and 04:00 fire
    [live] = provider.read_activity()
    assert live.activity is not None
    assert (live.activity.total_fires, live.activity.last_fire) == (3, "2030-01-07T04:00:00Z")
    assert live.activity.skipped == (Skip("2030-01-07T02:00:00Z", live.activity.skipped[0].reason),)
