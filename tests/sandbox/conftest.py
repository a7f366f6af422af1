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


@pytest.fixture
def sandbox(server: Server) -> Server:
    """The session's server, emptied: seeded agents only, real time, default traffic, zero stats."""
    server.admin("POST", "reset")
    return server


@pytest.fixture
def sdk(sandbox: Server) -> Iterator[Cadenya]:
    client = Cadenya(api_key=API_KEY, base_url=sandbox.url, workspace_id=WS)
    yield client
    client.close()


@pytest.fixture
def http(sandbox: Server) -> Iterator[httpx.Client]:
    """Plain HTTP with the bearer token, no retries: what the wire does, unvarnished."""
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        yield client
