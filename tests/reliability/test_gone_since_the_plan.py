"""Issue 17, item 14: a schedule removed between an apply's plan and its write is no failure.

Of two racing applies, one may remove what the other planned to change: a twin it deletes, the delete half
of a delete + create update. The slower one then meets a 404. For a removal (archive, delete) that is
what it wanted: it succeeds, "already gone". An update, pause or resume reads the schedule again by its
ownership marker and creates it when nothing is left, since the bundle still declares it.

Made deterministic for every provider revision: the real CLI applies through a proxy that holds its first
write; while it is held the test deletes the three schedules the plan is about to update, pause and
archive (plain HTTP, straight to the sandbox), then lets the apply go on. It must exit 0, and the platform
must hold exactly the bundle.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.apply_harness import env_for, owned, plan_in_process
from tests.reliability.apply_process import cli, start_apply
from tests.reliability.interrupting_proxy import HoldWrites, InterruptingProxy
from tests.reliability.revision_profiles import PROFILE_IDS, PROFILES, WS, Entry, Profile, Variant, client_for
from tests.sandbox_server import Server, running_sandbox

V = Variant
FIRST = [V("x", 0), V("y", 0), V("z", 1)]
SECOND = [V("y", 0, version=2), V("z", 1, paused=True)]  # x archived, y updated, z paused


@pytest.fixture(scope="module", params=PROFILES, ids=PROFILE_IDS)
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def server(profile: Profile) -> Iterator[Server]:
    with running_sandbox(profile.provider, *profile.serve_args) as srv:
        yield srv


def delete_path(profile: Profile, entry: Entry) -> str:
    agent, rid = entry.agent, entry.platform_id
    return {
        "cadenya": f"/v1/workspaces/{WS}/agents/{agent}/schedules/{rid}",
        "agentex-legacy": f"/agents/{agent}/schedules/{rid}",
        "agentex-run-schedules": f"/agents/{agent}/schedules/{rid}",
        "orq": f"/v3/agents/{agent}/schedules/{rid}",
        "orq-display-name": f"/v3/agents/{agent}/schedules/{rid}",
        "oz": f"/agent/schedules/{rid}",
        "tbd-agents": f"/api/scheduled-agents/{rid}",
    }[profile.id]


def test_what_another_run_removed_meanwhile_is_already_gone_or_made_again(
    profile: Profile, server: Server, tmp_path: Path
) -> None:
    server.admin("POST", "reset")
    path = profile.write(tmp_path / "bundle.yaml", FIRST)
    env = env_for(profile, server, server.url)
    first = cli(env, "apply", "--auto-approve", path)
    assert first.code == 0, first.err
    doomed = owned(profile, server)
    assert sorted(e.name or "" for e in doomed) == ["x", "y", "z"]

    profile.write(tmp_path / "bundle.yaml", SECOND)
    gate = HoldWrites()
    proxy = InterruptingProxy(server.url, gate)
    try:
        running = start_apply(env_for(profile, server, proxy.url), path, launcher="exec")
        assert gate.reached.wait(60), "the apply never got to its first write"
        with client_for(server.url) as client:  # another run removes them, after this one planned
            for entry in doomed:
                client.delete(delete_path(profile, entry)).raise_for_status()
        gate.go()
        run = running.finish()
    finally:
        proxy.close()

    assert run.code == 0, run.out + run.err
    live = {(e.name, e.firing) for e in owned(profile, server)}
    assert live == {("y", True), ("z", False)}, live  # x stays gone; y and z made again, as declared
    plan = plan_in_process(env, path)
    assert not plan.has_changes, plan
