"""orq keeps the applied record in `payload.metadata` and changes it in the same PATCH as `is_active`: a pause
or a resume is one request, so no crash can split the state from its record. Against the in-process sandbox
(both API revisions), every request recorded; plus `read_activity`'s counters and their request count."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.bundle.validate import load_bundles
from reconciler.plan.live import LiveSchedule
from reconciler.providers.http import ApiClient
from reconciler.providers.orq import wire
from reconciler.providers.orq.provider import OrqProvider
from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport

API_KEY = "orq-record-key"
AGENTS = ("digest", "support_bot")


@dataclass
class Recorder(httpx.BaseTransport):
    inner: httpx.BaseTransport
    log: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (method and path, JSON body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        self.log.append((f"{request.method} {request.url.path}", body))
        return self.inner.handle_request(request)

    def records(self) -> list[tuple[str, Any, str]]:
        """(method, is_active sent, record sent) of every write."""
        return [
            (
                route.split()[0],
                body.get("is_active"),
                ((body.get("payload") or {}).get("metadata") or {}).get(wire.RECORD_KEY, "").split(".")[0],
            )
            for route, body in self.log
            if not route.startswith("GET")
        ]


@pytest.fixture(params=[wire.SEED, wire.DISPLAY_NAME])
def app(request: pytest.FixtureRequest) -> Iterator[SandboxApp]:
    config = SandboxConfig(provider="orq", api=request.param, agents=AGENTS, api_keys=(API_KEY,))
    built = build_app(config)
    yield built
    built.close()


@pytest.fixture
def admin(app: SandboxApp) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(transport=in_process_transport(app), base_url="http://sandbox", headers=headers) as c:
        yield c


def make(app: SandboxApp, tmp_path: Path, **extra: Any) -> tuple[OrqProvider, Recorder]:
    schedule = {"name": "hourly", "agent": "digest", "when": {"cron": "@hourly"}, "input": {"message": "go"}}
    target = {"provider": "orq", **({"api": app.sandbox.api} if app.sandbox.api != wire.SEED else {})}
    document = {"apiVersion": "reconciler/v1", "kind": "Bundle", "bundleKey": "team", "target": target}
    path = tmp_path / "bundle.yaml"
    path.write_text(json.dumps({**document, "schedules": [{**schedule, **extra}]}))
    [bundle] = load_bundles([str(path)], environ={}).bundles
    recorder = Recorder(in_process_transport(app))
    provider = OrqProvider(ApiClient("http://sandbox", api_key=API_KEY, transport=recorder), bundle, b"k")
    return provider, recorder


def one(provider: OrqProvider) -> LiveSchedule:
    [live] = provider.list_live()
    return live


def test_a_pause_and_a_resume_are_each_one_patch_carrying_the_state_and_its_record(
    app: SandboxApp, tmp_path: Path
) -> None:
    provider, recorder = make(app, tmp_path)
    desired = provider.normalise(provider.bundle.schedules[0])
    live = provider.create(desired)
    assert live.applied is not None and live.applied.text() == provider.record_of(desired)
    recorder.log.clear()
    paused = provider.update(replace(desired, state="paused"), live)
    assert recorder.records() == [("PATCH", False, "paused")]
    assert paused.state == "paused" and paused.applied is not None and paused.applied.state == "paused"

    recorder.log.clear()
    resumed = provider.update(desired, paused)
    assert recorder.records() == [("PATCH", True, "active")]
    assert resumed.state == "active" and resumed.applied is not None and resumed.applied.state == "active"
    assert one(provider).applied == resumed.applied


def test_a_schedule_created_paused_records_paused_before_it_is_paused(
    app: SandboxApp, tmp_path: Path
) -> None:
    provider, recorder = make(app, tmp_path, state="paused")
    created = provider.create(provider.normalise(provider.bundle.schedules[0]))
    writes = recorder.records()
    # The create takes no is_active: created active, paused by the next PATCH; the record says paused from
    # the first request on, so a crash in between never leaves record=active on a paused schedule.
    assert writes[0] == ("POST", None, "paused") and writes[-1][:2] == ("PATCH", False)
    assert all(record == "paused" for _, _, record in writes if record)
    assert created.state == "paused" and created.applied is not None and created.applied.state == "paused"


def test_an_archive_records_paused_in_the_same_patch_so_a_re_add_is_a_restore(
    app: SandboxApp, tmp_path: Path
) -> None:
    provider, recorder = make(app, tmp_path)
    live = provider.create(provider.normalise(provider.bundle.schedules[0]))
    recorder.log.clear()
    archived = provider.archive(live)
    assert recorder.records() == [("PATCH", False, "paused")]
    assert archived.applied is not None and archived.applied.state == "paused"
    assert archived.applied.digests == (live.applied.digests if live.applied else ())


def test_a_listed_schedule_keeps_only_what_its_writes_read_and_an_archive_still_resends_the_whole_payload(
    app: SandboxApp, admin: httpx.Client, tmp_path: Path
) -> None:
    """A listed schedule keeps of the wire item only what a later write reads: not the counters, times and
    ids the LiveSchedule holds already; but the whole payload, since an archive resends it (orq replaces a
    payload whole) with metadata and a variable set in orq, which the bundle does not own."""
    provider, recorder = make(app, tmp_path, input={"message": "go", "data": {"region": "eu"}})
    created = provider.create(provider.normalise(provider.bundle.schedules[0]))
    payload = json.loads(json.dumps(created.raw["payload"]))
    payload["metadata"]["cost_center"] = "ops"  # set in orq, outside the bundle
    payload["variables"]["tenant"] = "acme"
    path = f"/v3/agents/digest/schedules/{created.remote_id}"
    assert admin.patch(path, json={"payload": payload}).status_code == 200
    listed = one(provider)
    assert set(listed.raw) <= set(wire.KEPT)
    assert not listed.raw.keys() & {"agent_key", "trigger_count", "created", "updated", "generation"}
    recorder.log.clear()
    provider.archive(listed)
    [(route, body)] = recorder.log
    assert route.startswith("PATCH") and body["is_active"] is False
    sent = body["payload"]
    assert sent["metadata"]["cost_center"] == "ops" and sent["variables"]["tenant"] == "acme"
    assert sent["variables"]["region"] == "eu" and sent["input"] == "go"
    assert sent["metadata"][wire.RECORD_KEY].startswith("paused.")


def test_an_archive_never_resends_a_secret_it_cannot_read(app: SandboxApp, tmp_path: Path) -> None:
    secret = {"input": {"message": "go", "secrets": {"token": "sk-123456"}}}
    provider, recorder = make(app, tmp_path, **secret)
    live = provider.create(provider.normalise(provider.bundle.schedules[0]))
    recorder.log.clear()
    provider.archive(live)
    [(route, body)] = recorder.log
    assert route.startswith("PATCH") and body == {"is_active": False}


def test_a_marker_without_a_record_asks_for_it(app: SandboxApp, admin: httpx.Client, tmp_path: Path) -> None:
    provider, _ = make(app, tmp_path)
    live = provider.create(provider.normalise(provider.bundle.schedules[0]))
    payload = dict(live.raw["payload"])
    payload["metadata"] = {k: v for k, v in payload["metadata"].items() if k != wire.RECORD_KEY}
    path = f"/v3/agents/digest/schedules/{live.remote_id}"
    assert admin.patch(path, json={"payload": payload}).status_code == 200
    old = one(provider)
    assert old.applied is None and old.owner == "team"
    assert wire.NO_RECORD in old.incomplete_marker


def test_read_activity_reads_the_counters_from_the_lists_alone(
    app: SandboxApp, admin: httpx.Client, tmp_path: Path
) -> None:
    assert admin.post("/_sandbox/clock", json={"now": "2030-01-07T00:30:00Z"}).status_code == 200
    provider, _ = make(app, tmp_path)
    provider.create(provider.normalise(provider.bundle.schedules[0]))
    # orq documents no overlap policy and the sandbox skips nothing: 90-minute runs change no count.
    assert admin.post("/_sandbox/runs", json={"agent": "digest", "duration": "5400s"}).status_code == 200
    assert admin.post("/_sandbox/clock", json={"advance": "21600s"}).json()["fired"] == 6  # to 06:30

    app.sandbox.stats.clear()
    [live] = provider.read_activity()
    assert app.sandbox.stats.snapshot()["total"] == 1 + len(AGENTS)  # the agents page, one list per agent
    activity = live.activity
    assert activity is not None and activity.counters == ("trigger_count", "last_triggered_at")
    assert (activity.total_fires, activity.last_fire) == (6, "2030-01-07T06:00:00Z")
    assert activity.counted_since == "2030-01-07T00:30:00Z"  # generation 1: counting since creation
    assert (activity.next_fire, activity.skipped, activity.missed, activity.last_error) == (
        None,
        (),
        None,
        None,
    )
    if app.sandbox.api == wire.DISPLAY_NAME:
        assert live.changed_by and live.changed_by.startswith("apk")  # updated_by_id
    else:
        assert live.changed_by is None  # the original API does not say who
    assert live.changed_at == "2030-01-07T00:30:00Z"  # fires do not move `updated`


def test_a_new_cadence_restarts_the_count_from_an_unknown_moment(
    app: SandboxApp, admin: httpx.Client, tmp_path: Path
) -> None:
    admin.post("/_sandbox/clock", json={"now": "2030-01-07T00:30:00Z"})
    provider, _ = make(app, tmp_path)
    desired = provider.normalise(provider.bundle.schedules[0])
    live = provider.create(desired)
    admin.post("/_sandbox/clock", json={"advance": "7200s"})
    daily = provider.normalise(replace(desired, timing=replace(desired.timing, cron=("0 9 * * *",))))
    provider.update(daily, live)
    admin.post("/_sandbox/clock", json={"advance": "86400s"})
    [after] = provider.read_activity()
    assert after.activity is not None
    assert (after.activity.total_fires, after.activity.last_fire) == (1, "2030-01-07T09:00:00Z")
    assert after.activity.counted_since is None  # generation 2: orq does not say when the count restarted
    assert after.changed_at == "2030-01-07T02:30:00Z"
