"""Issue 17, item 1: nothing is pruned while a step of its bundle failed.

A rename is a create of the new name and a removal of the old one. When the create fails, the removal
must not run: the job would run nowhere, or, with `prune: delete`, be gone for good. The real CLI against
the Cadenya sandbox; live state read and changed with the official `cadenya` SDK.

The create fails for a reason no plan can foresee: between the apply's plan and its first write (held by
a proxy), someone else creates a schedule of that name in the platform, so Cadenya refuses the create
(409) and the applier's lookup finds no schedule of ours under it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cadenya import Cadenya

from tests.e2e.support import bundle_text, cli, write
from tests.reliability.apply_process import start_apply
from tests.reliability.interrupting_proxy import HoldWrites, InterruptingProxy
from tests.sandbox_server import API_KEY, Server, running_sandbox

WS = "ws_prune"
TARGET = {"provider": "cadenya", "workspace": WS}


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


def apply_while_a_stranger_takes_the_name(sandbox: Server, sdk: Cadenya, *args: str) -> Any:
    gate = HoldWrites()
    proxy = InterruptingProxy(sandbox.url, gate)
    env = {"CADENYA_BASE_URL": proxy.url}
    try:
        running = start_apply({**sandbox.env, **env}, *args, launcher="exec")
        assert gate.reached.wait(60), "the apply never got to its first write"
        spec = {"schedule": {"intervals": [{"every": "3600s"}], "timezone": "UTC"}}
        sdk.agents.schedules.create("agent_a", metadata={"name": "nightly-v2"}, spec=spec)
        gate.go()
        return running.finish()
    finally:
        proxy.close()


@pytest.mark.parametrize(("prune", "fmt"), [("archive", "text"), ("delete", "json")])
def test_a_rename_whose_create_fails_prunes_nothing(
    sandbox: Server, sdk: Cadenya, tmp_path: Path, prune: str, fmt: str
) -> None:
    path = write(tmp_path, bundle_text(TARGET, [nightly("nightly")], prune=prune))
    assert cli(sandbox, "apply", "--auto-approve", path).code == 0
    write(tmp_path, bundle_text(TARGET, [nightly("nightly-v2")], prune=prune))

    applied = apply_while_a_stranger_takes_the_name(sandbox, sdk, "--allow-delete", "--format", fmt, path)

    assert applied.code == 1, applied.out + applied.err
    kind = "archive" if prune == "archive" else "delete"
    if fmt == "json":
        document = json.loads(applied.out)
        failures = [(f["action"], f["name"], f["skipped"]) for f in document["failures"]]
        assert failures == [("create", "nightly-v2", False), (kind, "nightly", True)]
        assert "409" in document["failures"][0]["error"]
        assert document["failures"][1]["error"].startswith("skipped: not pruned because")
    else:
        assert "create nightly-v2 (agent agent_a)" in applied.err and "409" in applied.err
        held = next(line for line in applied.err.splitlines() if line.startswith(f"  - {kind} nightly "))
        assert "skipped: not pruned because 1 other step(s) of this bundle failed (create nightly-v2)" in held
        assert "1 action(s) failed, 1 skipped, 0 succeeded" in applied.err
    # The job still runs; the stranger's schedule is untouched.
    assert states(sdk) == {"nightly": "STATE_ACTIVE", "nightly-v2": "STATE_ACTIVE"}

    write(tmp_path, bundle_text(TARGET, [nightly("nightly-v2", adopt=True)], prune=prune))
    fixed = cli(sandbox, "apply", "--auto-approve", "--allow-delete", path)
    assert fixed.code == 0, fixed.err
    expected = {"nightly-v2": "STATE_ACTIVE"} | ({"nightly": "STATE_ARCHIVED"} if prune == "archive" else {})
    assert states(sdk) == expected
