"""Fixtures for the sandbox tests: one Cadenya sandbox started as a real subprocess for the session
(`reconciler sandbox serve --port 0`), reset before each test, and clients to talk to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cadenya import Cadenya

from tests.sandbox_server import API_KEY, Server, running_sandbox

WS = "ws_conformance"
AGENTS = ("agent_a", "agent_b")
BASE = f"/v1/workspaces/{WS}/agents"


def schedule_body(name: str, **spec: Any) -> dict[str, Any]:
    """A valid create body: hourly at :15 in UTC unless `spec` says otherwise."""
    return {
        "metadata": {"name": name},
        "spec": {
            "schedule": {"intervals": [{"every": "3600s", "offset": "900s"}], "timezone": "UTC"},
            **spec,
        },
    }


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", WS, "--agents", ",".join(AGENTS)) as srv:
        yield srv


# Clients live for the session: building an httpx.Client costs ~0.1 s (its TLS context), per test that adds up.
@pytest.fixture(scope="session")
def http_session(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        yield client


@pytest.fixture(scope="session")
def sdk_session(server: Server) -> Iterator[Cadenya]:
    with Cadenya(api_key=API_KEY, base_url=server.url, workspace_id=WS) as client:
        yield client


@pytest.fixture
def sandbox(server: Server, http_session: httpx.Client) -> Server:
    """The session's server, emptied: seeded agents only, real time, default traffic, zero stats."""
    http_session.post("/_sandbox/reset").raise_for_status()
    return server


@pytest.fixture
def sdk(sandbox: Server, sdk_session: Cadenya) -> Cadenya:
    return sdk_session


@pytest.fixture
def http(sandbox: Server, http_session: httpx.Client) -> httpx.Client:
    """Plain HTTP with the bearer token, no retries: what the wire does, unvarnished."""
    return http_session
