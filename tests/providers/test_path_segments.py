"""No value can choose an API route: a workspace, an agent or a schedule id holding `/`, `..`, `%2F`, `?` or
`#` stays in its own URL path segment, for every provider revision, as the sandbox's route log shows."""

from __future__ import annotations

import contextlib
import importlib
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from reconciler.bundle.desired import Bundle
from reconciler.bundle.validate import load_bundles
from reconciler.errors import ProviderError
from reconciler.providers.base import Provider
from reconciler.providers.http import ApiClient, segment
from reconciler.providers.registry import IMPLEMENTATIONS
from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport
from tests.sandbox.conftest import schedule_body
from tests.sandbox_server import running_sandbox

HOSTILE = ["..", ".", "../../x", "a/b", "%2F", "a%2Fb", "a?b=c", "a#b", "%2E%2E", "x/../y"]
BENIGN = "nothing-here"  # an id that exists nowhere: the hostile values must take exactly its route
REVISIONS = [
    ("cadenya", None),
    ("agentex", None),
    ("agentex", "run-schedules"),
    ("orq", None),
    ("orq", "display-name"),
    ("oz", None),
    ("tbd-agents", None),
]
_OPTIONS = {"agentex": {"workflow_name": "w", "task_queue": "q"}}


@pytest.mark.parametrize("value", [*HOSTILE, "agent_a", "ünïcode", "a b", "%", "-"])
def test_segment_keeps_any_value_in_one_segment(value: str) -> None:
    encoded = segment(value)
    assert not {"/", "?", "#"} & set(encoded)
    assert encoded not in (".", "..")
    assert unquote(encoded) == value
    url = httpx.URL(f"http://h/base/{encoded}/tail")
    assert url.raw_path.decode().split("/") == ["", "base", encoded, "tail"]  # httpx normalises nothing away


def test_a_path_with_a_dot_segment_is_a_bug_and_is_never_sent() -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200, json={}))
    client = ApiClient("http://127.0.0.1:1", api_key="k", transport=transport)
    with pytest.raises(ValueError, match="segment"):
        client.request("GET", "/v1/agents/../schedules")
    client.request("GET", f"/v1/agents/{segment('..')}/schedules")
    assert [r.url.raw_path for r in sent] == [b"/v1/agents/%2E%2E/schedules"]


class _Recorder(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.paths: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append((request.method, request.url.raw_path.decode("ascii")))
        return self.inner.handle_request(request)


def _bundle(tmp_path: Path, provider: str, api: str | None) -> Bundle:
    target: dict[str, Any] = {
        "provider": provider,
        **({"workspace": "ws_sandbox"} if provider == "cadenya" else {}),
    }
    if api:
        target["api"] = api
    schedule: dict[str, Any] = {
        "name": "digest",
        "agent": "agent_a",
        "when": {"every": "1h", "start": "2026-01-01T00:00:00Z"}
        if provider == "tbd-agents"
        else {"cron": "0 9 * * *"},
        "options": {} if api else _OPTIONS.get(provider, {}),
    }
    if provider not in ("agentex",) or api:
        schedule["input"] = {"message": "hello"}
    document = {"apiVersion": "reconciler/v1", "kind": "Bundle", "bundleKey": "team", "target": target}
    path = tmp_path / f"{provider}-{api}.yaml"
    path.write_text(json.dumps({**document, "schedules": [schedule]}))
    loaded = load_bundles([str(path)], environ={})
    assert not loaded.diagnostics, loaded.diagnostics
    return loaded.bundles[0]


@pytest.fixture(params=REVISIONS, ids=[f"{p}-{a or 'default'}" for p, a in REVISIONS])
def sandbox(request: pytest.FixtureRequest) -> Iterator[tuple[str, str | None, SandboxApp]]:
    provider, api = request.param
    app = build_app(SandboxConfig(provider=provider, api=api, agents=("agent_a",), workspace="ws_sandbox"))
    yield provider, api, app
    app.close()


def _traffic(app: SandboxApp, bundle: Bundle, value: str) -> tuple[list[tuple[str, list[str]]], set[str]]:
    """Every request a provider sends for one schedule whose agent, workspace and id are `value`: its path
    with `value`'s segments marked, and the routes the sandbox matched."""
    app.sandbox.stats.clear()
    recorder = _Recorder(in_process_transport(app))
    client = ApiClient("http://sandbox", api_key="sandbox-key", transport=recorder)
    hostile_bundle = replace(bundle, target={**bundle.target, "workspace": value})
    module, _, name = IMPLEMENTATIONS[bundle.provider].partition(":")
    cls: type[Provider] = getattr(importlib.import_module(module), name)
    provider = cls(client, hostile_bundle, b"k", environ={})
    desired = replace(bundle.schedules[0], agent=value)
    live = replace(provider.as_live(desired), remote_id=value, agent=value)
    for action in (
        lambda: provider.create(desired),
        lambda: provider.pause(live),
        lambda: provider.resume(live),
        lambda: provider.archive(live),
        lambda: provider.delete(live),
    ):
        with contextlib.suppress(ProviderError):  # nothing is there to change: what matters is the route
            action()
    marked = [(method, [_mark(part, value) for part in path.split("/")]) for method, path in recorder.paths]
    routes = set(app.sandbox.stats.snapshot()["routes"])
    return marked, routes


def _mark(part: str, value: str) -> str:
    head, colon, verb = part.rpartition(":")  # Cadenya's custom methods: `{id}:pause`
    if colon and unquote(head) == value:
        return f"<value>:{verb}"
    return "<value>" if unquote(part) == value else part


def test_no_value_changes_the_route(tmp_path: Path, sandbox: tuple[str, str | None, SandboxApp]) -> None:
    provider, api, app = sandbox
    bundle = _bundle(tmp_path, provider, api)
    expected, expected_routes = _traffic(app, bundle, BENIGN)
    assert expected and all("(no route)" not in route for route in expected_routes), expected_routes
    for value in HOSTILE:
        paths, routes = _traffic(app, bundle, value)
        assert paths == expected, value
        assert routes == expected_routes, value


def test_a_real_server_routes_an_encoded_slash_inside_its_segment() -> None:
    """uvicorn hands the app the whole path decoded (`/agents/a/b/schedules`); the sandbox routes on the
    segments as sent, like the platforms' servers, so `a%2Fb` is one (unknown) agent on the create route."""
    with running_sandbox("cadenya", "--agents", "agent_a") as server:
        headers = {"Authorization": f"Bearer {server.env['CADENYA_API_KEY']}"}
        base = f"{server.url}/v1/workspaces/ws_sandbox/agents"
        for agent in ("a/b", "agent_a/schedules/x", ".."):
            body = schedule_body("x")
            answer = httpx.post(f"{base}/{segment(agent)}/schedules", json=body, headers=headers)
            assert answer.status_code == 404, answer.text
        stats = server.admin("GET", "stats")["routes"]
    assert set(stats) == {"POST /v1/workspaces/{workspace_id}/agents/{agent_id}/schedules"}, stats
