"""Issue 17, item 1: nothing is pruned while a step of its bundle failed.

A rename is a create of the new name and a removal of the old one. When the platform refuses the create
(here a label value Cadenya does not accept), the removal must not run: the job would run nowhere, or,
with `prune: delete`, be gone for good. The real CLI against the Cadenya sandbox; live state read with the
official `cadenya` SDK.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cadenya import Cadenya

from tests.e2e.support import bundle_text, cli, write
from tests.sandbox_server import API_KEY, Server, running_sandbox

WS = "ws_prune"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", WS, "--agents", "agent_a,agent_b") as srv:
        yield srv


@pytest.fixture
def sdk(sandbox: Server) -> Iterator[Cadenya]:
    client = Cadenya(api_key=API_KEY, base_url=sandbox.url, workspace_id=WS)
    yield client
    client.close()


def nightly(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "agent": "agent_a",
        "when": {"cron": "0 2 * * *"},
        "input": {"message": "n"},
        **extra,
    }


def states(sdk: Cadenya) -> dict[str, str]:
    return {s.metadata.name: s.state for s in sdk.agents.schedules.list("agent_a", limit=100)}


@pytest.mark.parametrize("prune", ["archive", "delete"])
def test_a_rename_whose_create_fails_prunes_nothing(
    sandbox: Server, sdk: Cadenya, tmp_path: Path, prune: str
) -> None:
    target = {"provider": "cadenya", "workspace": WS}
    path = write(tmp_path, bundle_text(target, [nightly("nightly")], prune=prune))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    refused = nightly("nightly-v2", labels={"team": "not a valid value!"})  # Cadenya answers 400
    write(tmp_path, bundle_text(target, [refused], prune=prune))

    applied = cli(sandbox, "apply", "--auto-approve", "--allow-delete", path)

    assert applied.code == 1, applied.out + applied.err
    assert "create nightly-v2" in applied.err and "400" in applied.err
    kind = "archive" if prune == "archive" else "delete"
    skipped = next(line for line in applied.err.splitlines() if line.startswith(f"  - {kind} nightly "))
    assert "skipped: not pruned because 1 other step(s) of this bundle failed (create nightly-v2)" in skipped
    assert "1 action(s) failed, 1 skipped, 0 succeeded" in applied.err
    assert states(sdk) == {"nightly": "STATE_ACTIVE"}  # the job still runs somewhere

    as_json = cli(sandbox, "apply", "--auto-approve", "--allow-delete", "--format", "json", path)
    assert as_json.code == 1
    document = json.loads(as_json.out)
    assert [(f["action"], f["skipped"]) for f in document["failures"]] == [("create", False), (kind, True)]
    assert states(sdk) == {"nightly": "STATE_ACTIVE"}

    write(tmp_path, bundle_text(target, [nightly("nightly-v2", labels={"team": "fixed"})], prune=prune))
    fixed = cli(sandbox, "apply", "--auto-approve", "--allow-delete", path)
    assert fixed.code == 0, fixed.err
    expected = {"nightly-v2": "STATE_ACTIVE"} | ({"nightly": "STATE_ARCHIVED"} if prune == "archive" else {})
    assert states(sdk) == expected
