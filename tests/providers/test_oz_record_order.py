"""Oz writes a pause or a resume and its record in ONE request (a PUT carrying `enabled` and the record), and
`read_activity` is the one list; against the in-process sandbox, every request recorded in order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pytest

from reconciler.bundle.validate import load_bundles
from reconciler.providers.http import ApiClient
from reconciler.providers.oz.provider import OzProvider
from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport

API_KEY = "order-key"
APPLIED = "reconciler.applied"


@dataclass
class Recorder(httpx.BaseTransport):
    inner: httpx.BaseTransport
    log: list[tuple[str, object, str]] = field(default_factory=list)  # (request, enabled sent, record sent)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        record = str((body.get("metadata") or {}).get(APPLIED, "")).split(".")[0]
        tail = request.url.path.rsplit("/", 1)[-1]
        self.log.append((f"{request.method} {tail}", body.get("enabled"), record))
        return self.inner.handle_request(request)


@pytest.fixture
def app() -> Iterator[SandboxApp]:
    built = build_app(SandboxConfig(provider="oz", agents=("agent_ops",), api_keys=(API_KEY,)))
    yield built
    built.close()


@pytest.fixture
def admin(app: SandboxApp) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(transport=in_process_transport(app), base_url="http://sandbox", headers=headers) as c:
        yield c


def make(app: SandboxApp, tmp_path: Path, agent: str = "default") -> tuple[OzProvider, Recorder]:
    schedule = {"name": "hourly", "agent": agent, "when": {"cron": "0 * * * *"}, "input": {"message": "tick"}}
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "team",
        "target": {"provider": "oz"},
    }
    path = tmp_path / "bundle.yaml"
    path.write_text(json.dumps({**document, "schedules": [schedule]}))
    [bundle] = load_bundles([str(path)], environ={}).bundles
    recorder = Recorder(in_process_transport(app))
    provider = OzProvider(
        ApiClient("http://sandbox", api_key=API_KEY, transport=recorder), bundle, b"k", environ={}
    )
    return provider, recorder


def test_a_pause_and_a_resume_are_each_one_write_with_their_record(app: SandboxApp, tmp_path: Path) -> None:
    provider, recorder = make(app, tmp_path)
    desired = provider.normalise(provider.bundle.schedules[0])
    live = provider.create(desired)
    assert recorder.log[-1] == ("POST schedules", True, "active")

    recorder.log.clear()
    paused = provider.update(replace(desired, state="paused"), live)
    writes = [entry for entry in recorder.log if not entry[0].startswith("GET")]
    assert writes == [
        (f"PUT {live.remote_id}", False, "paused")
    ]  # one request: atomic, no order to get wrong
    assert paused.state == "paused" and paused.applied is not None and paused.applied.state == "paused"

    recorder.log.clear()
    resumed = provider.update(desired, paused)
    writes = [entry for entry in recorder.log if not entry[0].startswith("GET")]
    assert writes == [(f"PUT {live.remote_id}", True, "active")]
    assert resumed.state == "active" and resumed.applied is not None and resumed.applied.state == "active"


def test_read_activity_is_the_one_list_with_the_history_counters(
    app: SandboxApp, admin: httpx.Client, tmp_path: Path
) -> None:
    assert admin.post("/_sandbox/clock", json={"now": "2030-01-07T00:30:00Z"}).status_code == 200
    provider, _ = make(app, tmp_path)
    provider.create(provider.normalise(provider.bundle.schedules[0]))
    # Runs last 90 minutes: Oz documents no overlap policy, so runs go side by side and nothing is skipped.
    admin.post("/_sandbox/runs", json={"agent": "default", "duration": "5400s"}).raise_for_status()
    assert admin.post("/_sandbox/clock", json={"advance": "21600s"}).json()["fired"] == 6

    app.sandbox.stats.clear()
    [live] = provider.read_activity()
    assert app.sandbox.stats.snapshot()["total"] == 1  # GET /agent/schedules, nothing per schedule
    activity = live.activity
    assert activity is not None
    assert activity.last_fire == "2030-01-07T06:00:00Z"
    assert activity.next_fire == "2030-01-07T07:00:00Z"
    assert (activity.total_fires, activity.skipped, activity.last_error) == (None, (), None)
    assert activity.counters == ("history.last_ran", "history.next_run", "last_spawn_error")


def test_a_failing_spawn_sets_the_error_and_leaves_last_ran(
    app: SandboxApp, admin: httpx.Client, tmp_path: Path
) -> None:
    admin.post("/_sandbox/clock", json={"now": "2030-01-07T00:30:00Z"})
    provider, _ = make(app, tmp_path, agent="agent_ops")
    provider.create(provider.normalise(provider.bundle.schedules[0]))
    admin.post("/_sandbox/clock", json={"advance": "3600s"})  # 01:00 runs
    error = "environment setup failed: no such repository"
    admin.post("/_sandbox/runs", json={"agent": "agent_ops", "error": error}).raise_for_status()
    admin.post("/_sandbox/clock", json={"advance": "7200s"})  # 02:00 and 03:00 fail to spawn
    [live] = provider.read_activity()
    assert live.activity is not None
    assert live.activity.last_error == error
    assert live.activity.last_fire == "2030-01-07T01:00:00Z"  # "the last successful run"
    assert live.activity.next_fire == "2030-01-07T04:00:00Z"

    admin.post("/_sandbox/runs", json={"agent": "agent_ops", "error": None})
    admin.post("/_sandbox/clock", json={"advance": "3600s"})  # 04:00 spawns fine again
    [live] = provider.read_activity()
    assert live.activity is not None
    assert (live.activity.last_error, live.activity.last_fire) == (None, "2030-01-07T04:00:00Z")
