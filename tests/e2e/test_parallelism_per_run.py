"""`--parallelism` is per run, and bundles on one target read it once: the real CLI, three Cadenya bundles.

The sandbox counts the requests it answers (`/_sandbox/stats`); a proxy in front of it counts the requests in
flight at once (each held a few milliseconds, so that requests sent together overlap there).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from reconciler.testing.proxy import InterruptingProxy
from tests.e2e.support import bundle_text, cli, plan_json, write
from tests.sandbox_server import Server, running_sandbox

WS = "ws_shared"
AGENTS = tuple(f"agent_{n}" for n in range(6))
KEYS = ("alpha", "beta", "gamma")
AGENTS_ROUTE = "GET /v1/workspaces/{workspace_id}/agents"
SCHEDULES_ROUTE = "GET /v1/workspaces/{workspace_id}/agents/{agent_id}/schedules"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", WS, "--agents", ",".join(AGENTS)) as srv:
        yield srv


class CountingProxy(InterruptingProxy):
    """Forwards everything, each request held `hold` seconds; `peak` is the most in flight at once."""

    def __init__(self, upstream: str, hold: float = 0.02) -> None:
        super().__init__(upstream)
        self.hold = hold
        self._count_lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._count_lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(self.hold)
            super().handle(handler)
        finally:
            with self._count_lock:
                self.in_flight -= 1


def bundles(tmp_path: Path, keys: tuple[str, ...] = KEYS) -> list[str]:
    """One file per bundle key, each with a schedule on every agent of the workspace (same target)."""
    paths = []
    for key in keys:
        schedules = [
            {"name": f"{key}-{agent}", "agent": agent, "when": {"every": "6h"}, "input": {"message": key}}
            for agent in AGENTS
        ]
        paths.append(
            write(
                tmp_path, bundle_text({"provider": "cadenya", "workspace": WS}, schedules, key), f"{key}.yaml"
            )
        )
    return paths


def reads(server: Server) -> dict[str, Any]:
    routes: dict[str, dict[str, int]] = server.admin("GET", "stats")["routes"]
    return {route: outcomes for route, outcomes in routes.items() if route.startswith("GET ")}


def test_one_bundle_reads_the_agents_once_and_each_agents_schedules_once(
    sandbox: Server, tmp_path: Path
) -> None:
    """What a single bundle sends is what it always sent: the API's minimum."""
    [path] = bundles(tmp_path, KEYS[:1])
    sandbox.admin("POST", "reset")
    plan_json(sandbox, path)
    assert reads(sandbox) == {AGENTS_ROUTE: {"200": 1}, SCHEDULES_ROUTE: {"200": len(AGENTS)}}


def test_three_bundles_on_one_target_list_it_once_and_each_plans_its_own(
    sandbox: Server, tmp_path: Path
) -> None:
    paths = bundles(tmp_path)
    applied = cli(sandbox, "apply", "--auto-approve", *paths)
    assert applied.code == 0, applied.err
    before = reads(sandbox)
    plan = plan_json(sandbox, *paths)
    after = reads(sandbox)
    listed = {route: after[route]["200"] - before.get(route, {}).get("200", 0) for route in after}
    assert listed == {AGENTS_ROUTE: 1, SCHEDULES_ROUTE: len(AGENTS)}  # one bundle's reads, not three
    # Each bundle got the others' schedules in the same listings, and still plans only its own: no change.
    assert [b["bundle_key"] for b in plan["bundles"]] == list(KEYS)
    kinds = {(b["bundle_key"], a["name"]): a["action"] for b in plan["bundles"] for a in b["actions"]}
    assert kinds == {(key, f"{key}-{agent}"): "noop" for key in KEYS for agent in AGENTS}


def test_parallelism_caps_requests_in_flight_across_all_bundles(sandbox: Server, tmp_path: Path) -> None:
    paths = bundles(tmp_path)
    proxy = CountingProxy(sandbox.url)
    try:
        env = {sandbox.url_env: proxy.url}
        applied = cli(sandbox, "apply", "--auto-approve", "--parallelism", "2", *paths, env=env)
        assert applied.code == 0, applied.err
        planned = cli(sandbox, "plan", "--parallelism", "2", *paths, env=env)
        assert planned.code == 0, planned.err
    finally:
        proxy.close()
    assert proxy.peak <= 2  # three bundles, 18 creates and their reads: never more than 2 at once
