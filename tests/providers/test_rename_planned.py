"""`renamedFrom` through the planner and the executor, on Agentex and orq (every revision), in process.

What `list_live` must show for a rename to be planned: the old name of this bundle in the state it has
(not `archived` because the bundle no longer declares it), and another bundle's schedule a
`renamedFrom: {bundleKey, name}` takes over, as that bundle's. Then the plan is one `rename` step where
the platform renames in place (same id afterwards, one write), and a create plus an archive where it
cannot (Agentex legacy).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apply.executor import execute
from reconciler.bundle.desired import Bundle
from reconciler.bundle.validate import load_bundles
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import BundlePlan
from reconciler.plan.options import Scope
from reconciler.plan.planner import plan_bundle
from reconciler.providers.agentex.provider import AgentexProvider
from reconciler.providers.base import Provider
from reconciler.providers.http import ApiClient, RetryPolicy
from reconciler.providers.orq.provider import OrqProvider
from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport

API_KEY = "rename-key"
AGENT = {"agentex": "agent-a", "orq": "digest"}
REVISIONS = [("agentex", "legacy"), ("agentex", "run-schedules"), ("orq", "v3"), ("orq", "display-name")]


class Writes(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.log: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            self.log.append(request.method)
        return self.inner.handle_request(request)


@pytest.fixture(params=REVISIONS, ids=["-".join(r) for r in REVISIONS])
def app(request: pytest.FixtureRequest) -> Iterator[SandboxApp]:
    platform, api = request.param
    config = SandboxConfig(provider=platform, api=api, agents=(AGENT[platform],), api_keys=(API_KEY,))
    built = build_app(config)
    yield built
    built.close()


def platform_of(app: SandboxApp) -> str:
    return "orq" if app.sandbox.api in ("v3", "display-name") else "agentex"


def open_provider(
    app: SandboxApp, tmp_path: Path, schedule: dict[str, Any], key: str = "team"
) -> tuple[Provider, Writes]:
    platform, api = platform_of(app), app.sandbox.api
    target: dict[str, Any] = {"provider": platform}
    if api not in ("legacy", "v3"):
        target["api"] = api
    schedule = {"agent": AGENT[platform], "when": {"cron": "0 9 * * *"}, **schedule}
    if api == "legacy":
        schedule["options"] = {"workflow_name": "wf", "task_queue": "q"}
    else:
        schedule["input"] = {"message": "digest please"}
    document = {"apiVersion": "reconciler/v1", "kind": "Bundle", "bundleKey": key, "target": target}
    path = tmp_path / f"{key}-{schedule['name']}.yaml"
    path.write_text(json.dumps({**document, "schedules": [schedule]}))
    loaded = load_bundles([str(path)], environ={})
    assert not loaded.diagnostics, loaded.diagnostics
    writes = Writes(in_process_transport(app))
    retry = RetryPolicy(base_delay=0, jitter=False)
    client = ApiClient("http://sandbox", api_key=API_KEY, transport=writes, retry=retry, sleep=lambda _: None)
    kind = OrqProvider if platform == "orq" else AgentexProvider
    return kind(client, loaded.bundles[0], b"k"), writes


def create(
    app: SandboxApp, tmp_path: Path, name: str, key: str = "team", state: str = "active"
) -> LiveSchedule:
    provider, _ = open_provider(app, tmp_path, {"name": name, "state": state}, key=key)
    return provider.create(provider.normalise(provider.bundle.schedules[0]))


def plan(provider: Provider) -> BundlePlan:
    bundle = provider.bundle
    normalised = Bundle(
        bundle.key,
        bundle.provider,
        bundle.target,
        bundle.prune,
        tuple(map(provider.normalise, bundle.schedules)),
    )
    scope = Scope(renames_in_place=provider.renames_in_place)
    live = provider.list_live()
    return plan_bundle(
        normalised,
        live,
        display_name=provider.display_name,
        update_reason=provider.update_reason,
        scope=scope,
        now=datetime.now(UTC),
    )


def steps(provider: Provider) -> list[tuple[str, str]]:
    return sorted((a.kind, a.name) for a in plan(provider).actions if a.kind != "noop")


def apply(provider: Provider) -> list[str | None]:
    return [
        o.error for o in execute(plan(provider), provider, parallelism=2).outcomes if o.action.kind != "noop"
    ]


def ids(provider: Provider) -> dict[str, str]:
    return {s.name or "": s.remote_id for s in provider.list_live() if s.owner == provider.bundle.key}


def test_a_rename_in_the_bundle_is_one_rename_step_that_keeps_the_id(app: SandboxApp, tmp_path: Path) -> None:
    old = create(app, tmp_path, "old")
    provider, writes = open_provider(app, tmp_path, {"name": "new", "renamedFrom": "old"})
    if not provider.renames_in_place:  # Agentex legacy: the name is the identity
        assert steps(provider) == [("archive", "old"), ("create", "new")]
        assert apply(provider) == [None, None]
        assert set(ids(provider)) == {"new", "old"}  # the old one archived (paused), kept
        assert steps(provider) == []  # done: the old name is not archived again on every apply
        return
    assert steps(provider) == [("rename", "new")]
    assert apply(provider) == [None] and writes.log == ["PATCH"]
    assert ids(provider) == {"new": old.remote_id}
    assert steps(provider) == []


def test_a_paused_schedule_renamed_reads_paused_not_archived(app: SandboxApp, tmp_path: Path) -> None:
    old = create(app, tmp_path, "old", state="paused")
    provider, writes = open_provider(app, tmp_path, {"name": "new", "renamedFrom": "old", "state": "paused"})
    [seen] = provider.list_live()
    if not provider.renames_in_place:  # recreated; the old one stays behind, archived
        assert (seen.name, seen.state) == ("old", "archived")
        assert steps(provider) == [("archive", "old"), ("create", "new")]
        assert apply(provider) == [None, None]
        assert steps(provider) == []
        return
    assert (seen.name, seen.state) == ("old", "paused")
    [step] = [a for a in plan(provider).actions if a.kind != "noop"]
    assert step.kind == "rename" and [c.path for c in step.changes] == ["name"]  # no state change
    assert apply(provider) == [None] and writes.log == ["PATCH"]
    [renamed] = provider.list_live()
    assert (renamed.remote_id, renamed.name, renamed.state) == (old.remote_id, "new", "paused")


def test_a_schedule_taken_over_from_another_bundle_is_listed_and_moved(
    app: SandboxApp, tmp_path: Path
) -> None:
    theirs = create(app, tmp_path, "x", key="other")
    moved_from = {"bundleKey": "other", "name": "x"}
    provider, writes = open_provider(app, tmp_path, {"name": "y", "renamedFrom": moved_from})
    [seen] = [s for s in provider.list_live() if s.remote_id == theirs.remote_id]
    assert (seen.owner, seen.name) == ("other", "x")  # shown as the other bundle's
    if not provider.renames_in_place:
        assert steps(provider) == [("archive", "x"), ("create", "y")]
        assert apply(provider) == [None, None]
        assert set(ids(provider)) == {"y"}
        assert steps(provider) == []
        return
    assert steps(provider) == [("rename", "y")]
    assert apply(provider) == [None] and writes.log == ["PATCH"]
    assert ids(provider) == {"y": theirs.remote_id}
    assert steps(provider) == []
