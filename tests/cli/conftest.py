"""One Cadenya sandbox per module, emptied before each test; a test that needs a slow platform sets the
latency of every request (`slow`), and it is cleared afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.support import bundle_text, write
from tests.sandbox_server import Server, running_sandbox

WS = "ws_cli"
AGENT = "agent_cli"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", WS, "--agents", AGENT) as srv:
        yield srv


@pytest.fixture
def sandbox(server: Server) -> Iterator[Server]:
    server.admin("POST", "reset")
    yield server
    server.admin("POST", "traffic", {"latency": None})


def slow(server: Server, milliseconds: int) -> None:
    """Every request to the platform takes this long from now on (the admin surface never waits)."""
    server.admin("POST", "traffic", {"latency": str(milliseconds)})


def many_schedules(tmp_path: Path, count: int, name: str = "bundle.yaml") -> str:
    """A bundle of `count` daily schedules `s-0000`, `s-0001`, ...: `count` creates on a fresh sandbox."""
    schedules = [
        {"name": f"s-{i:04d}", "agent": AGENT, "when": {"cron": "0 9 * * *"}, "input": {"message": f"m{i}"}}
        for i in range(count)
    ]
    return write(tmp_path, bundle_text({"provider": "cadenya", "workspace": WS}, schedules, key="many"), name)
