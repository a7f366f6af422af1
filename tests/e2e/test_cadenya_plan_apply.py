"""plan/apply end to end: the real CLI against the Cadenya sandbox running as a server, over real HTTP.

Live state is also read and changed with the official `cadenya` SDK, as a person using the platform would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cadenya import Cadenya

from tests.e2e.support import bundle_text, cli, export, write, writes_made
from tests.sandbox_server import API_KEY, Server, running_sandbox

WS = "ws_e2e"
AGENTS = ("agent_a", "agent_b")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", WS, "--agents", ",".join(AGENTS)) as srv:
        yield srv


@pytest.fixture
def sdk(sandbox: Server) -> Iterator[Cadenya]:
    client = Cadenya(api_key=API_KEY, base_url=sandbox.url, workspace_id=WS)
    yield client
    client.close()


def bundle(key: str = "team", prune: str = "archive", **overrides: Any) -> str:
    schedules = overrides.get("schedules") or [
        {
            "name": "briefing",
            "agent": "agent_a",
            "when": {"cron": "0 9 * * mon-fri", "timezone": "Europe/Berlin"},
            "input": {"message": "Morning briefing"},
            "labels": {"team": "support"},
        },
        {
            "name": "digest",
            "agent": "agent_b",
            "when": {"every": "6h", "offset": "15m"},
            "input": {"message": "Digest", "data": {"region": "emea"}},
        },
    ]
    return bundle_text({"provider": "cadenya", "workspace": WS}, schedules, key, prune)


def live(sdk: Cadenya, agent: str) -> list[Any]:
    return list(sdk.agents.schedules.list(agent, limit=100))


def test_archived_is_cadenyas_own_state_and_restoring_keeps_the_schedule(
    sandbox: Server, sdk: Cadenya, tmp_path: Path
) -> None:
    """The contract (tests/conformance) sees an archived schedule not firing; the SDK sees Cadenya's own
    STATE_ARCHIVED (not a pause), and the restored one active again under the same id."""
    path = write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    [made] = live(sdk, "agent_a")
    removed = json.loads(bundle())
    removed["schedules"] = removed["schedules"][1:]
    write(tmp_path, json.dumps(removed))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    assert live(sdk, "agent_a")[0].state == "STATE_ARCHIVED"
    write(tmp_path, bundle())
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    [restored] = live(sdk, "agent_a")
    assert (restored.metadata.id, restored.state) == (made.metadata.id, "STATE_ACTIVE")


def test_apply_without_a_terminal_needs_auto_approve(sandbox: Server, sdk: Cadenya, tmp_path: Path) -> None:
    path = write(tmp_path, bundle())
    refused = cli(sandbox, "apply", path)
    assert refused.code == 1 and "--auto-approve" in refused.err
    assert live(sdk, "agent_a") == []


def test_export_writes_calendars_and_intervals_as_bundle_timing(
    sandbox: Server, sdk: Cadenya, tmp_path: Path
) -> None:
    spec = {
        "schedule": {
            "calendars": [
                {"hour": [{"start": 7}], "minute": [{"start": 30}], "dayOfWeek": [{"start": 1, "end": 5}]}
            ],
            "timezone": "Europe/Paris",
        },
        "initialMessage": "Standup notes",
    }
    sdk.agents.schedules.create("agent_a", metadata={"name": "standup", "labels": {"team": "eng"}}, spec=spec)
    sdk.agents.schedules.create(
        "agent_b",
        metadata={"name": "hourly"},
        spec={"schedule": {"intervals": [{"every": "3600s", "offset": "300s"}], "timezone": "UTC"}},
    )
    owned_elsewhere = write(
        tmp_path,
        bundle("other", schedules=[{"name": "theirs", "agent": "agent_a", "when": {"every": "1h"}}]),
        "other.yaml",
    )
    assert cli(sandbox, "apply", "--auto-approve", owned_elsewhere).code == 0
    _exported, text, said = export(sandbox, tmp_path, "--provider", "cadenya", "--workspace", WS)
    assert "owned by bundle 'other'" in said
    assert "cron: 30 7 * * 1-5" in text and "every: 1h" in text and "offset: 5m" in text
    assert "team: eng" in text  # the plan of it (adoptions only, then nothing): tests/conformance


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param({"options": {"overlapPolicy": "sometimes"}}, id="option-the-platform-refuses"),
        pytest.param({"input": {"message": "{{ missing_var }}"}}, id="template-error"),
        pytest.param({"agent": "agent_b", "name": "Briefing!"}, id="name-the-platform-refuses"),
    ],
)
def test_one_bad_bundle_among_several_means_nothing_is_sent(
    sandbox: Server, sdk: Cadenya, tmp_path: Path, broken: dict[str, Any]
) -> None:
    good = write(tmp_path, bundle("team-a"), "a.yaml")
    schedule = {"name": "late", "agent": "agent_a", "when": {"every": "1h"}, **broken}
    bad = write(tmp_path, bundle("team-b", schedules=[schedule]), "b.yaml")
    before = writes_made(sandbox)
    applied = cli(sandbox, "apply", "--auto-approve", good, bad)
    assert applied.code == 1, applied.out + applied.err
    assert "b.yaml:" in applied.err and "Traceback" not in applied.err
    # a.yaml's live state may have been read while b.yaml was checked; nothing was written, or half-applied
    assert writes_made(sandbox) == before
    assert live(sdk, "agent_a") == [] and live(sdk, "agent_b") == []
