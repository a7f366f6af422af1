"""Issue 17, item 5: a bundle whose key changed never doubles its schedules.

Applied under `team-old`, then under `team-new`: every platform must refuse with "belongs to bundle
'team-old'", including those that keep the owner in the name (Agentex, TBD Agents), where `team-old--x` and
`team-new--x` are two names and the second apply used to create every schedule again beside the first
(both fired). The documented way to change a key (docs/safety.md) then works everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.apply_harness import env_for
from tests.reliability.apply_process import cli
from tests.reliability.revision_profiles import PROFILE_IDS, PROFILES, Profile, Variant, client_for
from tests.sandbox_server import Server, running_sandbox

SCHEDULES = [Variant("a", 0), Variant("b", 1)]


@pytest.fixture(scope="module", params=PROFILES, ids=PROFILE_IDS)
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def server(profile: Profile) -> Iterator[Server]:
    with running_sandbox(profile.provider, *profile.serve_args) as srv:
        yield srv


def write(profile: Profile, path: Path, key: str, variants: list[Variant], prune: str = "archive") -> str:
    document = profile.bundle(variants, prune)
    document["bundleKey"] = key
    path.write_text(json.dumps(document))
    return str(path)


def owners(profile: Profile, server: Server) -> list[tuple[str | None, str | None]]:
    with client_for(server.url) as client:
        return sorted((e.owner, e.name) for e in profile.live(client) if e.owner is not None)


def test_a_changed_bundle_key_is_refused_and_the_documented_way_works(
    profile: Profile, server: Server, tmp_path: Path
) -> None:
    server.admin("POST", "reset")
    env = env_for(profile, server, server.url)
    path = tmp_path / "bundle.yaml"
    assert cli(env, "apply", "--auto-approve", write(profile, path, "team-old", SCHEDULES)).code == 0

    write(profile, path, "team-new", SCHEDULES)
    planned = cli(env, "plan", str(path))
    applied = cli(env, "apply", "--auto-approve", str(path))
    for run in (planned, applied):
        assert run.code == 1, run.out + run.err
        for name in ("a", "b"):
            assert f"schedule '{name}': the live schedule '{name}' (" in run.err, run.err
        assert run.err.count("belongs to bundle 'team-old'") == 2, run.err
    assert owners(profile, server) == [("team-old", "a"), ("team-old", "b")]  # nothing doubled

    # docs/safety.md: delete them from the old key, then apply the new one.
    emptied = write(profile, path, "team-old", [], prune="delete")
    handed = cli(env, "apply", "--auto-approve", "--allow-empty", "--allow-delete", emptied)
    assert handed.code == 0, handed.err
    taken = cli(env, "apply", "--auto-approve", write(profile, path, "team-new", SCHEDULES))
    assert taken.code == 0, taken.err
    assert owners(profile, server) == [("team-new", "a"), ("team-new", "b")]
