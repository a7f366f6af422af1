"""Issue 17, item 13: a plan sees what apply would hit.

A schedule whose agent does not exist can only fail at apply (the platform answers 404). Where the API
lists agents (Cadenya, orq, Agentex: the plan lists each named agent's schedules anyway; TBD Agents: the
caller's workflows), `plan` refuses it at the schedule's line and nothing is sent. Where it cannot (Oz's
agent identities), apply fails with the platform's refusal and never says "run apply again to retry":
the same request fails the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.apply_harness import env_for, owned
from tests.reliability.apply_process import cli
from tests.reliability.revision_profiles import PROFILE_IDS, PROFILES, Profile, Variant
from tests.sandbox_server import Server, running_sandbox

TYPO = "agent-with-a-typo"
NOT_CHECKED = {"oz"}  # Oz lists agent identities only per factory: the create's own 404 tells


@pytest.fixture(scope="module", params=PROFILES, ids=PROFILE_IDS)
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def server(profile: Profile) -> Iterator[Server]:
    with running_sandbox(profile.provider, *profile.serve_args) as srv:
        yield srv


def test_a_schedule_for_an_agent_that_does_not_exist(
    profile: Profile, server: Server, tmp_path: Path
) -> None:
    server.admin("POST", "reset")
    document = profile.bundle([Variant("good", 0), Variant("typo", 1)])
    document["schedules"][1] = profile.schedule(Variant("typo", 1), TYPO)
    path = tmp_path / "bundle.yaml"
    path.write_text(json.dumps(document))
    env = env_for(profile, server, server.url)

    planned = cli(env, "plan", str(path))
    applied = cli(env, "apply", "--auto-approve", str(path))

    if profile.id in NOT_CHECKED:
        assert planned.code == 0, planned.err
        assert applied.code == 1, applied.out + applied.err
        assert f"create typo (agent {TYPO})" in applied.err and "404" in applied.err
        assert "The platform refused 1 step(s) as written (create typo)" in applied.err
        assert "again to retry" not in applied.err
        assert [e.name for e in owned(profile, server)] == ["good"]
        as_json = cli(env, "apply", "--auto-approve", "--format", "json", str(path))
        assert as_json.code == 1
        error = json.loads(as_json.out)["error"]["message"]
        assert "refused 1 step(s) as written" in error and "retry" not in error, error
        return
    for run in (planned, applied):
        assert run.code == 1, run.out + run.err
        assert f"bundle.yaml:1:0: schedule 'typo': {profile.provider} has no agent '{TYPO}'" in run.err
        assert "Traceback" not in run.err
    assert owned(profile, server) == []  # refused while planning: not even the good one was created
