"""The bundles of one apply run side by side under the one `--parallelism` cap, and still nothing is written
before every bundle of the run is validated, read and planned: the real CLI, two Cadenya bundles, a proxy in
front of the sandbox that holds each request a while and counts the writes in flight at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from reconciler.testing.proxy import InterruptingProxy, is_write
from tests.e2e.support import bundle_text, cli, write
from tests.sandbox_server import Server, running_sandbox

WS = "ws_side_by_side"
AGENTS = ("agent_a", "agent_b", "agent_slow")
SCHEDULES_OF_SLOW = f"/v1/workspaces/{WS}/agents/agent_slow/schedules"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", WS, "--agents", ",".join(AGENTS)) as srv:
        yield srv


class WritesInFlight(InterruptingProxy):
    """Holds every write `hold` seconds and counts the most in flight at once; a listing of `refuse_path`
    waits `refuse_after` seconds, then is refused (403) without reaching the sandbox."""

    def __init__(self, upstream: str, hold: float = 0.3) -> None:
        super().__init__(upstream)
        self.hold = hold
        self.refuse_path = ""
        self.refuse_after = 0.0
        self._count = threading.Lock()
        self.writes = self.writes_in_flight = self.peak_writes = 0

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0]
        if handler.command == "GET" and self.refuse_path and path == self.refuse_path:
            time.sleep(self.refuse_after)
            body = json.dumps({"code": 7, "message": "permission denied"}).encode()
            return self._answer(handler, 403, {"Content-Type": "application/json"}, body)
        if not is_write(handler.command, path):
            return super().handle(handler)
        with self._count:
            self.writes += 1
            self.writes_in_flight += 1
            self.peak_writes = max(self.peak_writes, self.writes_in_flight)
        try:
            time.sleep(self.hold)
            return super().handle(handler)
        finally:
            with self._count:
                self.writes_in_flight -= 1


@pytest.fixture
def proxy(sandbox: Server) -> Iterator[WritesInFlight]:
    counting = WritesInFlight(sandbox.url)
    try:
        yield counting
    finally:
        counting.close()


def two_bundles(tmp_path: Path, per_bundle: int, second_agent: str = "agent_b") -> list[str]:
    """`one` creates `per_bundle` schedules on agent_a, `two` as many on `second_agent`."""
    paths = []
    for key, agent in (("one", "agent_a"), ("two", second_agent)):
        schedules = [
            {"name": f"{key}-{n}", "agent": agent, "when": {"every": "6h"}, "input": {"message": key}}
            for n in range(per_bundle)
        ]
        target = {"provider": "cadenya", "workspace": WS}
        paths.append(write(tmp_path, bundle_text(target, schedules, key), f"{key}.yaml"))
    return paths


def live_count(sandbox: Server, proxy: WritesInFlight, *paths: str) -> int:
    planned = cli(sandbox, "plan", "--format", "json", *paths, env={sandbox.url_env: proxy.url})
    assert planned.code == 0, planned.err
    actions = [a for b in json.loads(planned.out)["bundles"] for a in b["actions"]]
    return sum(1 for a in actions if a["action"] == "noop")


def test_two_bundles_write_at_the_same_time(sandbox: Server, proxy: WritesInFlight, tmp_path: Path) -> None:
    """Two bundles of 3 creates each, 8 slots: applied one after the other, at most 3 writes were ever in
    flight; side by side, all 6 are."""
    paths = two_bundles(tmp_path, 3)
    applied = cli(sandbox, "apply", "--auto-approve", *paths, env={sandbox.url_env: proxy.url})
    assert applied.code == 0, applied.err
    assert "Apply complete: 6 action(s) done." in applied.out
    assert proxy.writes == 6
    assert proxy.peak_writes == 6
    assert live_count(sandbox, proxy, *paths) == 6


def test_side_by_side_bundles_still_share_one_cap(
    sandbox: Server, proxy: WritesInFlight, tmp_path: Path
) -> None:
    paths = two_bundles(tmp_path, 4)
    applied = cli(
        sandbox, "apply", "--auto-approve", "--parallelism", "3", *paths, env={sandbox.url_env: proxy.url}
    )
    assert applied.code == 0, applied.err
    assert proxy.writes == 8
    assert proxy.peak_writes == 3


@pytest.mark.parametrize("output", ["text", "json"])
def test_a_bundle_that_cannot_be_read_means_no_write_anywhere(
    sandbox: Server, proxy: WritesInFlight, tmp_path: Path, output: str
) -> None:
    """Bundle `one` is planned at once; `two`'s listing is refused a second later. Nothing is created, not
    even `one`'s schedules, whose plan was ready long before."""
    paths = two_bundles(tmp_path, 3, second_agent="agent_slow")
    proxy.refuse_path, proxy.refuse_after = SCHEDULES_OF_SLOW, 1.0
    applied = cli(
        sandbox, "apply", "--auto-approve", "--format", output, *paths, env={sandbox.url_env: proxy.url}
    )
    assert applied.code == 1
    assert "403" in applied.err or "403" in applied.out
    assert proxy.writes == 0
    proxy.refuse_path = ""
    assert live_count(sandbox, proxy, *paths) == 0
