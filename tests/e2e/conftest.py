"""Each module starts its provider's sandbox once (its `server` fixture); every test starts from an empty one."""

from __future__ import annotations

import pytest

from tests.sandbox_server import Server


@pytest.fixture
def sandbox(server: Server) -> Server:
    server.admin("POST", "reset")
    return server
