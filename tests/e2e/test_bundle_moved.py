"""Issue 17, item 7: one bundleKey in two files, applied by separate runs, is refused, not a flip-flop.

Before, each apply archived the other file's schedules and restored its own, exit 0, forever. The marker
now records the file a schedule was applied from (its path from the repository root), and a plan refuses a
bundle whose key's schedules came from another file. A bundle that really moved says `movedFrom:`; its
schedules are then taken over and record the new file, and the old file is refused from then on.

Agentex's legacy API and TBD Agents have no room for the record (the name is the whole marker): there the
check cannot be made (docs/safety.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.apply_harness import env_for, owned
from tests.reliability.apply_process import cli
from tests.reliability.revision_profiles import PROFILE_IDS, PROFILES, WS, Profile, Variant
from tests.sandbox_server import Server, running_sandbox

NO_ROOM = {"agentex-legacy", "tbd-agents"}


@pytest.fixture(scope="module", params=PROFILES, ids=PROFILE_IDS)
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def server(profile: Profile) -> Iterator[Server]:
    with running_sandbox(profile.provider, *profile.serve_args) as srv:
        yield srv


def write(profile: Profile, path: Path, variants: list[Variant], moved_from: str | None = None) -> str:
    document = profile.bundle(variants)
    if moved_from is not None:
        document["movedFrom"] = moved_from
    path.write_text(json.dumps(document))
    return str(path)


def firing(profile: Profile, server: Server) -> dict[str, bool]:
    return {e.name or "": e.firing for e in owned(profile, server)}


def test_one_key_in_two_files_is_refused_and_movedfrom_hands_it_over(
    profile: Profile, server: Server, tmp_path: Path
) -> None:
    if profile.id in NO_ROOM:
        pytest.skip("the name is the whole marker: no room to record the file (docs/safety.md)")
    server.admin("POST", "reset")
    (tmp_path / ".git").mkdir()  # the repository root: the marker records `bundles/a.yaml`
    (tmp_path / "bundles").mkdir()
    env = env_for(profile, server, server.url)
    a = write(profile, tmp_path / "bundles" / "a.yaml", [Variant("a", 0)])
    b = write(profile, tmp_path / "bundles" / "b.yaml", [Variant("b", 1)])
    assert cli(env, "apply", "--auto-approve", a).code == 0

    refused = cli(env, "apply", "--auto-approve", b)
    assert refused.code == 1, refused.out + refused.err
    assert (
        "b.yaml:1:0: bundle 'rel': 1 live schedule(s) of this bundleKey ('a') were applied from another"
        in (refused.err)
    )
    assert "movedFrom" in refused.err
    assert firing(profile, server) == {"a": True}  # a not archived, b not created: nothing flips

    write(profile, tmp_path / "bundles" / "b.yaml", [Variant("a", 0), Variant("b", 1)], "bundles/a.yaml")
    moved = cli(env, "apply", "--auto-approve", b)
    assert moved.code == 0, moved.err
    assert "the bundle moved here (movedFrom)" in moved.out
    assert firing(profile, server) == {"a": True, "b": True}
    again = cli(env, "plan", "--detailed-exitcode", b)
    assert again.code == 0, again.out + again.err

    old = cli(env, "apply", "--auto-approve", a)  # the old file, still around: refused now, not applied
    assert old.code == 1 and "were applied from another file" in old.err, old.out + old.err
    assert firing(profile, server) == {"a": True, "b": True}

    # `export` writes a new file for them: it says where they came from, so planning it takes them over.
    target = ["--workspace", WS] if profile.provider == "cadenya" else []
    target += ["--api", profile.api] if profile.api else []
    exported = tmp_path / "bundles" / "exported.yaml"
    made = cli(
        env, "export", "--provider", profile.provider, "--bundle-key", "rel", *target, "--out", str(exported)
    )
    assert made.code == 0, made.err
    assert "movedFrom: " in exported.read_text()
    planned = cli(env, "plan", str(exported))
    assert planned.code == 0, planned.out + planned.err
    assert planned.out.count("# the bundle moved here (movedFrom)") == 2, planned.out
