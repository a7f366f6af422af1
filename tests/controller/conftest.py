"""One Cadenya sandbox server for the module; every test starts from an empty one and a new git repository."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.controller.support import AGENTS, WS, Platform, Repo
from tests.sandbox_server import Server, running_sandbox


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", WS, "--agents", ",".join(AGENTS)) as srv:
        yield srv


@pytest.fixture
def sandbox(server: Server) -> Server:
    server.admin("POST", "reset")
    return server


@pytest.fixture
def platform(sandbox: Server) -> Iterator[Platform]:
    client = Platform(sandbox.url, sandbox.api_key)
    yield client
    client.http.close()


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")
