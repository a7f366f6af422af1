"""A request that got no answer may still run on the platform, later: the client records it, and legacy
Agentex checks, once an apply's steps are done, that no DELETE of that kind removed a schedule it had just
created again under the same name (see also tests/reliability/test_late_delete.py, end to end over sockets).

The late DELETE is played by a transport: the first DELETE of a schedule times out without reaching the
in-process sandbox, and is carried out right after the next create has been answered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from reconciler.apply.executor import ApplyReport
from reconciler.bundle.desired import Bundle
from reconciler.bundle.validate import load_bundles
from reconciler.providers.agentex import provider as agentex_provider
from reconciler.providers.agentex.provider import AgentexProvider
from reconciler.providers.http import ApiClient, RetryPolicy
from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport
from tests.providers.planning import apply

OPTIONS = {"workflow_name": "wf", "task_queue": "q"}
CREATE = "POST /agents/agent-a/schedules"


class LateDelete(httpx.BaseTransport):
    """The first DELETE times out and is carried out after the next create's answer; `refuse` creates after
    that are answered 503 without being carried out."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.armed = False
        self.held: httpx.Request | None = None
        self.refuse = 0
        self.landed = False
        self.log: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        line = f"{request.method} {request.url.path}"
        self.log.append(line)
        if self.armed and request.method == "DELETE" and self.held is None:
            self.held = request
            raise httpx.ReadTimeout("timed out")
        if self.landed and line == CREATE and self.refuse:
            self.refuse -= 1
            return httpx.Response(503, json={"message": "unavailable", "code": 503, "data": None})
        response = self.inner.handle_request(request)
        if self.held is not None and line == CREATE:
            late, self.held = self.held, None
            self.armed, self.landed = False, True
            self.inner.handle_request(late).read()  # the first DELETE lands, after the create
            self.log.append(f"late DELETE {late.url.path}")
        return response


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agentex_provider.time, "sleep", lambda _: None)


@pytest.fixture
def app() -> Iterator[SandboxApp]:
    built = build_app(SandboxConfig(provider="agentex", api="legacy", agents=("agent-a",)))
    yield built
    built.close()


def bundle_of(tmp_path: Path, every: str) -> Bundle:
    schedule = {"name": "bravo", "agent": "agent-a", "when": {"every": every}, "options": OPTIONS}
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "team",
        "target": {"provider": "agentex"},
        "schedules": [schedule],
    }
    path = tmp_path / "team.yaml"
    path.write_text(json.dumps(document))
    loaded = load_bundles([str(path)])
    assert not loaded.diagnostics, loaded.diagnostics
    return loaded.bundles[0]


def open_provider(bundle: Bundle, transport: httpx.BaseTransport, waits: list[float]) -> AgentexProvider:
    client = ApiClient(
        "http://sandbox",
        api_key="sandbox-key",
        transport=transport,
        retry=RetryPolicy(base_delay=0, jitter=False),
        sleep=waits.append,
        timeout=2.0,
    )
    return AgentexProvider(client, bundle, b"reconciler")


def updated(tmp_path: Path, app: SandboxApp, transport: LateDelete, waits: list[float]) -> ApplyReport:
    """`bravo` created every hour, then changed to every two (a delete + create) with the late DELETE."""
    assert not apply(open_provider(bundle_of(tmp_path, "1h"), transport, waits)).failures
    transport.armed = True
    transport.log.clear()
    provider = open_provider(bundle_of(tmp_path, "2h"), transport, waits)
    return apply(provider)


def test_a_schedule_a_late_delete_removed_is_created_again(tmp_path: Path, app: SandboxApp) -> None:
    transport, waits = LateDelete(in_process_transport(app)), []
    report = updated(tmp_path, app, transport, waits)
    path = "/agents/agent-a/schedules/team--bravo"
    late = [CREATE, f"late DELETE {path}", f"GET {path}", CREATE, f"GET {path}"]  # gone, created, read back
    assert transport.log[-5:] == late, transport.log
    [outcome] = report.outcomes
    assert outcome.ok and "created again" in outcome.note and "ran on the platform after" in outcome.note
    assert waits and max(waits) <= 2.0  # it gave the late DELETE the client's timeout to land, no more
    provider = open_provider(bundle_of(tmp_path, "2h"), transport, waits)
    [live] = provider.list_live()
    assert live.when["every"] == "2h"
    assert not apply(provider).outcomes  # exactly the bundle: nothing left to do


def test_a_schedule_that_cannot_be_created_again_fails_the_apply_and_says_why(
    tmp_path: Path, app: SandboxApp
) -> None:
    transport, waits = LateDelete(in_process_transport(app)), []
    transport.refuse = 99
    report = updated(tmp_path, app, transport, waits)
    [failure] = report.failures
    error = failure.error or ""
    assert "schedule 'bravo' (agent agent-a) is missing" in error
    assert (
        "a DELETE of 'team--bravo' sent earlier in this apply got no answer and ran on the platform" in error
    )
    assert "Run `reconciler apply` again to recreate it" in error
    transport.refuse = 0
    assert not apply(open_provider(bundle_of(tmp_path, "2h"), transport, waits)).failures


def test_nothing_is_read_again_when_every_delete_was_answered(tmp_path: Path, app: SandboxApp) -> None:
    transport, waits = LateDelete(in_process_transport(app)), []
    assert not apply(open_provider(bundle_of(tmp_path, "1h"), transport, waits)).failures
    transport.log.clear()
    report = apply(open_provider(bundle_of(tmp_path, "2h"), transport, waits))
    assert [o.ok for o in report.outcomes] == [True]
    assert transport.log[-2:] == ["DELETE /agents/agent-a/schedules/team--bravo", CREATE]
    assert waits == []


# -- the record in the HTTP client ------------------------------------------------------------------------
def client_for(router: respx.MockRouter, waits: list[float]) -> ApiClient:
    return ApiClient(
        "https://api.example.com",
        transport=httpx.MockTransport(router.handler),
        retry=RetryPolicy(base_delay=0, jitter=False),
        sleep=waits.append,
        timeout=3.0,
    )


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("Server disconnected")]
)
def test_an_attempt_sent_without_an_answer_is_recorded_under_its_path(failure: Exception) -> None:
    router, waits = respx.MockRouter(base_url="https://api.example.com"), []
    router.delete("/s/x").mock(side_effect=[failure, httpx.Response(204)])
    client = client_for(router, waits)
    client.request("DELETE", "/s/x")
    [late] = client.unanswered.of("DELETE", "/s/x")
    assert (late.method, late.path) == ("DELETE", "/s/x")
    assert client.unanswered.of("DELETE", "/s/y") == [] and client.unanswered.of("GET", "/s/x") == []
    assert client.wait_for_late("DELETE", "/s/x")
    assert waits[-1] <= 3.0  # no longer than the client's own timeout


@pytest.mark.parametrize(
    "first",
    [httpx.ConnectError("refused"), httpx.Response(503), httpx.Response(429, headers={"Retry-After": "0"})],
)
def test_what_never_left_or_was_answered_is_not_recorded(first: Any) -> None:
    router, waits = respx.MockRouter(base_url="https://api.example.com"), []
    router.delete("/s/x").mock(side_effect=[first, httpx.Response(204)])
    client = client_for(router, waits)
    client.request("DELETE", "/s/x")
    assert len(client.unanswered) == 0
    before = list(waits)
    assert not client.wait_for_late("DELETE", "/s/x") and waits == before


def test_an_apply_ends_once_every_unanswered_write_had_time_to_land() -> None:
    """A late write must not land on the next apply's writes (a late pause after its resume): the client waits
    for writes that went unanswered, never for reads."""
    router, waits = respx.MockRouter(base_url="https://api.example.com"), []
    router.get("/s").mock(side_effect=[httpx.ReadTimeout("t"), httpx.Response(200, json=[])])
    router.patch("/s/x").mock(side_effect=[httpx.ReadTimeout("t"), httpx.Response(200, json={})])
    client = client_for(router, waits)
    client.request("GET", "/s")
    retries = list(waits)  # the backoffs before each repeat
    client.wait_for_late_writes()
    assert waits == retries  # a late read changes nothing
    client.request("PATCH", "/s/x", json={"paused": True}, idempotent=True)
    retries = list(waits)
    client.wait_for_late_writes()
    assert len(waits) == len(retries) + 1 and 0 < waits[-1] <= 3.0
