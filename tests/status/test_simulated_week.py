"""Issue 18: `reconciler status` through a simulated week on the Cadenya sandbox, whose clock a test drives
(`POST /_sandbox/clock`): a nightly agent at 02:30 Europe/Berlin across the end of summer time (2026-10-25:
02:30 happens twice, and Temporal's rule, which the sandbox and the forecast share, fires at both), and an
hourly agent whose runs last 90 minutes, so the platform skips every other fire (overlap policy SKIP). The
official Cadenya SDK reads the counters back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cadenya import Cadenya

from tests.conftest import run_cli
from tests.sandbox_server import API_KEY, Server, running_sandbox

WS = "ws_week"
START = "2026-10-21T12:00:00Z"
DAY = 86_400


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", WS, "--agents", "agent_nightly,agent_hourly") as srv:
        yield srv


def bundle(path: Path) -> str:
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "week",
        "target": {"provider": "cadenya", "workspace": WS},
        "schedules": [
            {
                "name": "nightly",
                "agent": "agent_nightly",
                "when": {"cron": "30 2 * * *", "timezone": "Europe/Berlin"},
                "input": {"message": "nightly report"},
            },
            {
                "name": "hourly",
                "agent": "agent_hourly",
                "when": {"cron": "0 * * * *", "timezone": "UTC"},
                "input": {"message": "sync"},
            },
        ],
    }
    path.write_text(json.dumps(document))
    return str(path)


def status(server: Server, path: str, now: str, since: str = "24h") -> dict[str, Any]:
    run = run_cli("status", "--format", "json", "--now", now, "--since", since, path, env=server.env)
    assert run.code in (0, 2), run.err
    document: dict[str, Any] = json.loads(run.out)
    assert run.code == (2 if document["needs_attention"] else 0)
    return {s["name"]: s for s in document["schedules"]}


def test_a_week_with_a_dst_change_and_overlap_skips(server: Server, tmp_path: Path) -> None:
    server.admin("POST", "reset")
    server.admin("POST", "clock", {"now": START})
    server.admin("POST", "runs", {"agent": "agent_hourly", "duration": "5400s"})
    path = bundle(tmp_path / "week.yaml")
    assert run_cli("apply", "--auto-approve", path, env=server.env).code == 0

    nightly_fires = 0
    for _day in range(7):
        now = server.admin("POST", "clock", {"advance": f"{DAY}s"})["now"]
        found = status(server, path, now)
        nightly, hourly = found["nightly"], found["hourly"]
        expected_tonight = 2 if now.startswith("2026-10-25") else 1  # 02:30 twice as summer time ends
        nightly_fires += expected_tonight
        assert nightly["verdict"] == "ok", nightly
        assert nightly["expected"] == expected_tonight, (now, nightly)
        assert nightly["next_fire"] == nightly["platform_next_fire"]  # ours and Cadenya's agree
        # Every other hourly fire is skipped while the previous 90-minute run still runs.
        assert hourly["verdict"] == "missed", json.dumps(hourly, indent=1)
        assert hourly["skipped"] and all(s["reason"] for s in hourly["skipped"])

    week = status(server, path, now, since="7d")
    assert week["nightly"]["expected"] == 8 and week["nightly"]["observed"] == 8  # created inside the window

    sdk = Cadenya(api_key=API_KEY, base_url=server.url, workspace_id=WS)
    (listed,) = list(sdk.agents.schedules.list("agent_nightly", include_info=True))
    assert listed.info.total_fires == nightly_fires == 8
    assert listed.info.last_fire_at is not None and listed.info.last_fire_at.isoformat().startswith(
        "2026-10-28T01:30"
    )
    (hourly_live,) = list(sdk.agents.schedules.list("agent_hourly", include_info=True))
    assert hourly_live.info.last_skipped_at is not None and hourly_live.info.last_skip_reason
    assert 0 < hourly_live.info.total_fires < 7 * 24  # fewer fires than declared: the skips
