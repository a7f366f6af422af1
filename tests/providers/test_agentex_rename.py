"""Renaming an Agentex schedule (issue 19), against the in-process sandbox.

Run schedules rename in place: `update(desired, live)` with a new name is one PATCH of `name`
(`<bundleKey>--<name>`) and the marker in `task_metadata`, so the row keeps its id and Temporal's action
count. Legacy schedules cannot be renamed (the name is the identity, and there is no update route):
`renames_in_place` is False, and the plan's create of the new name plus the archive of the old one works.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.validate import load_bundles
from reconciler.errors import ProviderError
from reconciler.plan.live import LiveSchedule
from reconciler.providers.agentex import runs
from reconciler.providers.agentex.provider import AgentexProvider
from reconciler.providers.http import ApiClient, RetryPolicy
from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport
from tests.providers import planning

API_KEY = "sandbox-key"
START = "2030-01-07T00:30:00Z"
HOURLY = {"cron": "0 * * * *"}
LEGACY_OPTIONS = {"workflow_name": "wf", "task_queue": "q"}


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


def make_app(api: str) -> Iterator[SandboxApp]:
    built = build_app(
        SandboxConfig(provider="agentex", api=api, agents=("agent-a", "agent-b"), api_keys=(API_KEY,))
    )
    yield built
    built.close()


@pytest.fixture
def app() -> Iterator[SandboxApp]:
    yield from make_app("run-schedules")


@pytest.fixture
def legacy_app() -> Iterator[SandboxApp]:
    yield from make_app("legacy")


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
) -> tuple[AgentexProvider, Recorder]:
    legacy = app.sandbox.api == "legacy"
    target: dict[str, Any] = {"provider": "agentex", **({} if legacy else {"api": "run-schedules"})}
    if legacy:
        schedule = {**schedule, "options": {**LEGACY_OPTIONS, **schedule.get("options", {})}}
    else:
        schedule = {"input": {"message": "digest please"}, **schedule}
    document = {"apiVersion": "reconciler/v1", "kind": "Bundle", "bundleKey": key, "target": target}
    path = tmp_path / f"{key}-{schedule['name']}.yaml"
    path.write_text(json.dumps({**document, "schedules": [{"agent": "agent-a", **schedule}]}))
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
    return AgentexProvider(client, loaded.bundles[0], b"reconciler"), recorder


def desired_of(provider: AgentexProvider) -> DesiredSchedule:
    return provider.normalise(provider.bundle.schedules[0])


def created(app: SandboxApp, tmp_path: Path, name: str = "old", key: str = "team") -> LiveSchedule:
    """A schedule created under `name` at START, which then fires twice (01:00 and 02:00)."""
    admin(app, "POST", "clock", {"now": START})
    provider, _ = open_provider(app, tmp_path, {"name": name, "when": HOURLY}, key=key)
    live = provider.create(desired_of(provider))
    admin(app, "POST", "clock", {"advance": "7200s"})
    return live


def steps(provider: AgentexProvider) -> list[tuple[str, str]]:
    """The plan for the provider's bundle against what is live: (kind, name) of each step."""
    return [(a.kind, a.name) for a in planning.plan(provider).actions if a.kind != "noop"]


def fires(provider: AgentexProvider, name: str) -> int | None:
    [live] = [s for s in provider.read_activity() if s.name == name]
    assert live.activity is not None
    return live.activity.total_fires


# -- run schedules: in place -------------------------------------------------------------------------
def test_a_rename_is_one_patch_that_keeps_the_id_and_the_fire_count(app: SandboxApp, tmp_path: Path) -> None:
    live = created(app, tmp_path)
    provider, recorder = open_provider(app, tmp_path, {"name": "new", "when": HOURLY})
    assert provider.renames_in_place is True
    before = requests_made(app)
    renamed = provider.update(desired_of(provider), live)

    assert requests_made(app) - before == 1
    [(route, body)] = recorder.writes()
    assert route == f"PATCH /agents/agent-a/schedules/{live.remote_id}"
    assert body["name"] == "team--new" and body["task_metadata"][runs.NAME_KEY] == "new"
    assert "cron_expression" not in body and "initial_input" not in body  # nothing else changed
    assert (renamed.remote_id, renamed.name, renamed.display_name) == (live.remote_id, "new", "team--new")
    assert renamed.applied is not None and renamed.applied.text() == provider.record_of(desired_of(provider))
    assert fires(provider, "new") == 2  # Temporal's action count, kept by the same row
    assert steps(provider) == []  # the marker is complete: nothing left to do


def test_a_rename_with_a_new_message_and_cadence_is_still_one_patch(app: SandboxApp, tmp_path: Path) -> None:
    live = created(app, tmp_path)
    changed = {"name": "new", "when": {"cron": "0 9 * * *"}, "input": {"message": "weekly digest"}}
    provider, recorder = open_provider(app, tmp_path, changed)
    before = requests_made(app)
    renamed = provider.update(desired_of(provider), live)

    assert requests_made(app) - before == 1
    [(_, body)] = recorder.writes()
    assert {"name", "cron_expression", "initial_input", "task_metadata"} <= set(body)
    assert renamed.remote_id == live.remote_id and renamed.name == "new"
    assert renamed.when["cron"] == "0 9 * * *" and renamed.input == {"message": "weekly digest"}
    assert fires(provider, "new") == 2  # an update keeps Temporal's count too
    assert steps(provider) == []


def test_a_move_between_bundles_hands_the_row_over(app: SandboxApp, tmp_path: Path) -> None:
    live = created(app, tmp_path, name="x", key="other")
    assert live.owner == "other"
    provider, recorder = open_provider(app, tmp_path, {"name": "y", "when": HOURLY}, key="team")
    moved = provider.update(desired_of(provider), live)

    assert len(recorder.writes()) == 1
    assert (moved.remote_id, moved.owner, moved.name, moved.display_name) == (
        live.remote_id,
        "team",
        "y",
        "team--y",
    )
    assert moved.source == provider.source and moved.source != live.source  # the new bundle's file
    assert fires(provider, "y") == 2
    assert steps(provider) == []
    # The old bundle, which no longer declares it, neither sees nor prunes it.
    old, _ = open_provider(app, tmp_path, {"name": "z", "when": HOURLY}, key="other")
    assert [s.name for s in old.list_live()] == []


def test_after_a_rename_whose_answer_was_lost_find_owned_finds_the_renamed_row(
    app: SandboxApp, tmp_path: Path
) -> None:
    live = created(app, tmp_path)
    provider, recorder = open_provider(app, tmp_path, {"name": "new", "when": HOURLY})
    recorder.lose = 99  # every PATCH is carried out, every answer lost (retries included)
    with pytest.raises(ProviderError):
        provider.update(desired_of(provider), live)
    found = provider.find_owned(desired_of(provider))
    assert found is not None and (found.remote_id, found.name) == (live.remote_id, "new")
    old, _ = open_provider(app, tmp_path, {"name": "old", "when": HOURLY})
    assert old.find_owned(desired_of(old)) is None  # no twin left under the old name


def test_a_rename_onto_a_taken_name_is_refused_and_changes_nothing(app: SandboxApp, tmp_path: Path) -> None:
    live = created(app, tmp_path)
    taken, _ = open_provider(app, tmp_path, {"name": "new", "when": {"cron": "0 9 * * *"}})
    taken.create(desired_of(taken))
    provider, _ = open_provider(app, tmp_path, {"name": "new", "when": HOURLY})
    with pytest.raises(ProviderError, match="already exists"):
        provider.update(desired_of(provider), live)
    old, _ = open_provider(app, tmp_path, {"name": "old", "when": HOURLY})
    kept = old.find_owned(desired_of(old))
    assert kept is not None and kept.remote_id == live.remote_id and kept.when == live.when


# -- legacy: create + archive, as before ---------------------------------------------------------------
def test_legacy_cannot_rename_and_plans_a_create_and_an_archive(
    legacy_app: SandboxApp, tmp_path: Path
) -> None:
    created(legacy_app, tmp_path)
    provider, _ = open_provider(legacy_app, tmp_path, {"name": "new", "when": HOURLY})
    assert provider.renames_in_place is False
    assert sorted(steps(provider)) == [("archive", "old"), ("create", "new")]

    report = planning.apply(provider)
    assert [o.error for o in report.outcomes] == [None, None]
    states = {s.display_name: s.state for s in provider.list_live()}
    assert states == {"team--new": "active", "team--old": "archived"}  # the old one paused, kept
    assert fires(provider, "new") == 0  # a new Temporal schedule: its count starts afresh
    assert steps(provider) == []
