"""Fixtures for the Agentex sandbox tests: one `reconciler sandbox serve --provider agentex` subprocess per
revision for the session, reset before each test, with the official SDK (0.17.0 speaks the legacy API)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from agentex import Agentex

from tests.sandbox_server import API_KEY, Server, running_sandbox

AGENTS = ("agent-a", "agent-b")


def _serve(api: str) -> Iterator[Server]:
    with running_sandbox("agentex", "--api", api, "--agents", ",".join(AGENTS)) as srv:
        srv.env["AGENTEX_SDK_API_KEY"] = API_KEY
        yield srv


@pytest.fixture(scope="session")
def legacy_server() -> Iterator[Server]:
    yield from _serve("legacy")


@pytest.fixture(scope="session")
def runs_server() -> Iterator[Server]:
    yield from _serve("run-schedules")


@pytest.fixture(scope="session")
def _legacy_http(legacy_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=legacy_server.url, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        yield client


@pytest.fixture(scope="session")
def _runs_http(runs_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=runs_server.url, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        yield client


@pytest.fixture(scope="session")
def _sdk(legacy_server: Server) -> Iterator[Agentex]:
    # No retries: a test sees each answer as the server gave it (the 409 retry test makes its own client).
    with Agentex(api_key=API_KEY, base_url=legacy_server.url, max_retries=0) as client:
        yield client


@pytest.fixture
def legacy(legacy_server: Server, _legacy_http: httpx.Client) -> httpx.Client:
    """Plain HTTP to the legacy sandbox, emptied: seeded agents only, real time, zero stats."""
    _legacy_http.post("/_sandbox/reset").raise_for_status()
    return _legacy_http


@pytest.fixture
def sdk(legacy: httpx.Client, _sdk: Agentex) -> Agentex:
    return _sdk


@pytest.fixture
def runs(runs_server: Server, _runs_http: httpx.Client) -> httpx.Client:
    """Plain HTTP to the run-schedules sandbox, emptied."""
    _runs_http.post("/_sandbox/reset").raise_for_status()
    return _runs_http
