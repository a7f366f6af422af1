"""Fixtures for the orq sandbox tests: `reconciler sandbox serve --provider orq --port 0` as a real
subprocess for the session (one per API revision), reset before each test, and clients to talk to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from orq_ai_sdk import Orq

from tests.sandbox_server import API_KEY, Server, running_sandbox

AGENTS = ("digest", "support_bot")
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def schedules_path(agent: str = AGENTS[0]) -> str:
    return f"/v3/agents/{agent}/schedules"


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    with running_sandbox("orq", "--agents", ",".join(AGENTS)) as srv:
        srv.env["ORQ_API_KEY"] = API_KEY
        yield srv


@pytest.fixture(scope="session")
def http_session(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=AUTH) as client:
        yield client


@pytest.fixture(scope="session")
def sdk_session(server: Server) -> Iterator[Orq]:
    with Orq(api_key=API_KEY, server_url=server.url) as client:
        yield client


@pytest.fixture
def sandbox(server: Server, http_session: httpx.Client) -> Server:
    """The session's server, emptied: seeded agents only, real time, default traffic, zero stats."""
    http_session.post("/_sandbox/reset").raise_for_status()
    return server


@pytest.fixture
def sdk(sandbox: Server, sdk_session: Orq) -> Orq:
    return sdk_session


@pytest.fixture
def http(sandbox: Server, http_session: httpx.Client) -> httpx.Client:
    """Plain HTTP with the bearer token, no retries: what the wire does, unvarnished."""
    return http_session


def set_clock(http: httpx.Client, **body: Any) -> dict[str, Any]:
    response = http.post("/_sandbox/clock", json=body)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result
