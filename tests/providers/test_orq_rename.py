"""Renaming an orq schedule (issue 19), both API revisions, against the in-process sandbox.

A rename is one PATCH: the marker in `payload.metadata` (name, bundle key, record, source), plus
`display_name` on the display-name revision. The expression is sent only when it changed, because orq
restarts `trigger_count` (and an interval's phase) when it is sent changed: a rename alone keeps the id,
the count and the phase.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.validate import load_bundles
from reconciler.errors import ProviderError
from reconciler.plan.live import LiveSchedule
from reconciler.plan.planner import plan_bundle
from reconciler.providers.http import ApiClient, RetryPolicy
from reconciler.providers.orq import wire
from reconciler.providers.orq.provider import OrqProvider
from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport

API_KEY = "orq-rename-key"
START = "2030-01-07T00:30:00Z"
HOURLY = {"cron": "@hourly"}


class Recorder(httpx.BaseTransport):
    """Every request's method, path and JSON body; `lose` executes that many PATCHes and drops their answer."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.log: list[tuple[str, dict[str, Any]]] = []
        self.lose = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        self.log.append((f"{request.method} {request.url.path}", body))
        if request.method == "PATCH" and self.lose:
            self.lose -= 1
            self.inner.handle_request(request).read()
            raise httpx.RemoteProtocolError("connection closed before the response")
        return self.inner.handle_request(request)

    def writes(self) -> list[tuple[str, dict[str, Any]]]:
        return [(route, body) for route, body in self.log if not route.startswith("GET")]


@pytest.fixture(params=[wire.SEED, wire.DISPLAY_NAME])
def app(request: pytest.FixtureRequest) -> Iterator[SandboxApp]:
    config = SandboxConfig(provider="orq", api=request.param, agents=("digest",), api_keys=(API_KEY,))
    built = build_app(config)
    yield built
    built.close()


def admin(app: SandboxApp, method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(transport=in_process_transport(app), base_url="http://sandbox", headers=headers) as c:
        response = c.request(method, f"/_sandbox/{path}", json=body)
        assert response.status_code == 200, response.text
        return response.json()


def requests_made(app: SandboxApp) -> int:
    return int(admin(app, "GET", "stats")["total"])


def open_provider(
    app: SandboxApp, tmp_path: Path, schedule: dict[str, Any], key: str = "team"
) -> tuple[OrqProvider, Recorder]:
    api = app.sandbox.api
    target = {"provider": "orq", **({"api": api} if api != wire.SEED else {})}
    document = {"apiVersion": "reconciler/v1", "kind": "Bundle", "bundleKey": key, "target": target}
    schedule = {"agent": "digest", "input": {"message": "digest please"}, **schedule}
    path = tmp_path / f"{key}-{schedule['name']}.yaml"
    path.write_text(json.dumps({**document, "schedules": [schedule]}))
    loaded = load_bundles([str(path)], environ={})
    assert not loaded.diagnostics, loaded.diagnostics
    recorder = Recorder(in_process_transport(app))
    client = ApiClient(
        "http://sandbox",
        api_key=API_KEY,
        transport=recorder,
        retry=RetryPolicy(base_delay=0, jitter=False),
        sleep=lambda _: None,
    )
    return OrqProvider(client, loaded.bundles[0], b"k"), recorder


def desired_of(provider: OrqProvider) -> DesiredSchedule:
    return provider.normalise(provider.bundle.schedules[0])


def created(
    app: SandboxApp, tmp_path: Path, name: str = "old", key: str = "team", when: dict[str, Any] | None = None
) -> LiveSchedule:
    """A schedule created under `name` at START; the clock then moves two hours on (two hourly fires)."""
    admin(app, "POST", "clock", {"now": START})
    provider, _ = open_provider(app, tmp_path, {"name": name, "when": when or HOURLY}, key=key)
    live = provider.create(desired_of(provider))
    admin(app, "POST", "clock", {"advance": "7200s"})
    [live] = [s for s in provider.list_live() if s.remote_id == live.remote_id]  # as a plan would read it
    return live


def fires(provider: OrqProvider, remote_id: str) -> int | None:
    [live] = [s for s in provider.read_activity() if s.remote_id == remote_id]
    assert live.activity is not None
    return live.activity.total_fires


def steps(provider: OrqProvider) -> list[tuple[str, str]]:
    """The plan for the provider's bundle against what is live: (kind, name) of each step that does something."""
    bundle = provider.bundle
    normalised = Bundle(
        bundle.key,
        bundle.provider,
        bundle.target,
        bundle.prune,
        tuple(map(provider.normalise, bundle.schedules)),
    )
    plan = plan_bundle(
        normalised, provider.list_live(), display_name=provider.display_name, now=datetime.now(UTC)
    )
    return [(a.kind, a.name) for a in plan.actions if a.kind != "noop"]


def test_a_rename_is_one_patch_that_keeps_the_id_and_trigger_count(app: SandboxApp, tmp_path: Path) -> None:
    live = created(app, tmp_path)
    provider, recorder = open_provider(app, tmp_path, {"name": "new", "when": HOURLY})
    assert provider.renames_in_place is True
    before = requests_made(app)
    renamed = provider.update(desired_of(provider), live)

    assert requests_made(app) - before == 1
    [(route, body)] = recorder.writes()
    assert route == f"PATCH /v3/agents/digest/schedules/{live.remote_id}"
    assert "expression" not in body and "type" not in body  # sent changed or not, it would reset the count
    marker = body["payload"]["metadata"]
    assert (marker[wire.NAME_KEY], marker[wire.BUNDLE_KEY]) == ("new", "team")
    assert marker[wire.RECORD_KEY] == provider.record_of(desired_of(provider))
    if app.sandbox.api == wire.DISPLAY_NAME:
        assert body["display_name"] == "new"
    else:
        assert "display_name" not in body and marker[wire.ID_KEY] == live.remote_id
    assert (renamed.remote_id, renamed.name, renamed.display_name) == (live.remote_id, "new", "new")
    assert fires(provider, live.remote_id) == 2
    assert steps(provider) == []


def test_a_rename_keeps_an_intervals_phase(app: SandboxApp, tmp_path: Path) -> None:
    if app.sandbox.api != wire.SEED:
        pytest.skip("the display-name revision takes cron only")
    live = created(app, tmp_path, when={"every": "2h"})  # fires at 02:30, 04:30...; now 02:30
    admin(app, "POST", "clock", {"advance": "3600s"})  # 03:30: a re-anchored cadence would fire next at 05:30
    provider, _ = open_provider(app, tmp_path, {"name": "new", "when": {"every": "2h"}})
    provider.update(desired_of(provider), live)
    admin(app, "POST", "clock", {"advance": "3600s"})  # 04:30
    assert fires(provider, live.remote_id) == 2


def test_a_rename_with_a_new_message_keeps_the_count_and_is_one_patch(
    app: SandboxApp, tmp_path: Path
) -> None:
    live = created(app, tmp_path)
    changed = {"name": "new", "when": HOURLY, "input": {"message": "weekly digest"}}
    provider, recorder = open_provider(app, tmp_path, changed)
    renamed = provider.update(desired_of(provider), live)

    [(_, body)] = recorder.writes()
    assert body["payload"]["input"] == "weekly digest" and "expression" not in body
    assert renamed.remote_id == live.remote_id and renamed.input["message"] == "weekly digest"
    assert fires(provider, live.remote_id) == 2
    assert steps(provider) == []


def test_a_rename_with_a_new_cadence_is_one_patch(app: SandboxApp, tmp_path: Path) -> None:
    live = created(app, tmp_path)
    changed = {"name": "new", "when": {"cron": "0 9 * * *"}, "input": {"message": "daily digest"}}
    provider, recorder = open_provider(app, tmp_path, changed)
    renamed = provider.update(desired_of(provider), live)

    [(_, body)] = recorder.writes()
    assert body["expression"] == "0 0 9 * * *" and body["payload"]["metadata"][wire.NAME_KEY] == "new"
    assert (renamed.remote_id, renamed.name) == (live.remote_id, "new")
    assert renamed.when["cron"] == "0 9 * * *" and renamed.input["message"] == "daily digest"
    assert steps(provider) == []


def test_a_move_between_bundles_hands_the_schedule_over(app: SandboxApp, tmp_path: Path) -> None:
    live = created(app, tmp_path, name="x", key="other")
    assert live.owner == "other"
    provider, recorder = open_provider(app, tmp_path, {"name": "y", "when": HOURLY}, key="team")
    moved = provider.update(desired_of(provider), live)

    assert len(recorder.writes()) == 1
    assert (moved.remote_id, moved.owner, moved.name, moved.display_name) == (
        live.remote_id,
        "team",
        "y",
        "y",
    )
    assert moved.source == provider.source and moved.source != live.source
    assert fires(provider, live.remote_id) == 2
    assert steps(provider) == []
    # The old bundle, which now declares another schedule on the agent, leaves the moved one alone.
    old, _ = open_provider(app, tmp_path, {"name": "z", "when": HOURLY}, key="other")
    assert steps(old) == [("create", "z")]


def test_after_a_rename_whose_answer_was_lost_find_owned_finds_it(app: SandboxApp, tmp_path: Path) -> None:
    live = created(app, tmp_path)
    provider, recorder = open_provider(app, tmp_path, {"name": "new", "when": HOURLY})
    recorder.lose = 99  # every PATCH is carried out, every answer lost (retries included)
    with pytest.raises(ProviderError):
        provider.update(desired_of(provider), live)
    found = provider.find_owned(desired_of(provider))
    assert found is not None and (found.remote_id, found.name) == (live.remote_id, "new")
    old, _ = open_provider(app, tmp_path, {"name": "old", "when": HOURLY})
    assert old.find_owned(desired_of(old)) is None
