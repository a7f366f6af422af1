"""Issue 18 on all seven provider revisions, through the real CLI against the sandboxes: a pause made on
the platform is kept (and reported by `plan`, `apply`, `--drift-only` and `status`); `pauses: heal` resumes
it; a message edited on the platform is drift, a bundle change is pending, and `--drift-only` tells them
apart; `drift: report` leaves the edit in place while applying the bundle's own change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.day_two import RECORDS, operator_edit_message, operator_pause
from tests.reliability.apply_harness import env_for
from tests.reliability.apply_process import cli
from tests.reliability.revision_profiles import PROFILE_IDS, PROFILES, Entry, Profile, Variant, client_for
from tests.sandbox_server import Server, running_sandbox

SCHEDULES = [Variant("a", 0), Variant("b", 1)]


@pytest.fixture(scope="module", params=PROFILES, ids=PROFILE_IDS)
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def server(profile: Profile) -> Iterator[Server]:
    with running_sandbox(profile.provider, *profile.serve_args) as srv:
        yield srv


def write(profile: Profile, path: Path, variants: list[Variant], **policies: Any) -> str:
    path.write_text(json.dumps({**profile.bundle(variants), **policies}))
    return str(path)


def entry(profile: Profile, server: Server, name: str) -> Entry:
    with client_for(server.url) as client:
        return next(e for e in profile.live(client) if e.name == name and e.owner == "rel")


def test_a_pause_made_on_the_platform_is_kept_and_reported(
    profile: Profile, server: Server, tmp_path: Path
) -> None:
    server.admin("POST", "reset")
    env = env_for(profile, server, server.url)
    path = tmp_path / "bundle.yaml"
    assert cli(env, "apply", "--auto-approve", write(profile, path, SCHEDULES)).code == 0
    with client_for(server.url) as client:
        operator_pause(profile, client, entry(profile, server, "a"))

    status = cli(env, "status", "--format", "json", str(path))
    assert status.code == 2, status.out + status.err
    verdicts = {s["name"]: s["verdict"] for s in json.loads(status.out)["schedules"]}
    assert verdicts["a"] == "paused-outside-bundle"

    drift = cli(env, "plan", "--drift-only", str(path))
    assert drift.code == 2 and "/a (" in drift.out, drift.out + drift.err

    planned = cli(env, "plan", str(path))
    applied = cli(env, "apply", "--auto-approve", str(path))
    assert applied.code == 0, applied.err
    if profile.id in RECORDS:
        assert "paused outside the bundle" in planned.out and "▶ resume" not in planned.out, planned.out
        assert "kept paused" in applied.out
        assert entry(profile, server, "a").firing is False  # the operator's pause survived the apply
        assert cli(env, "plan", "--detailed-exitcode", str(path)).code == 0  # and the plan stays quiet
        # `pauses: heal` resumes it
        healed = cli(env, "apply", "--auto-approve", write(profile, path, SCHEDULES, pauses="heal"))
        assert healed.code == 0 and "resumed (pauses: heal)" in healed.out, healed.out
        assert entry(profile, server, "a").firing is True
    else:  # no room for a record: the platform cannot tell whose pause it was (docs/day-two.md)
        assert "▶ resume" in planned.out
        assert entry(profile, server, "a").firing is True
    assert entry(profile, server, "b").firing is True


def test_drift_is_told_from_pending(profile: Profile, server: Server, tmp_path: Path) -> None:
    server.admin("POST", "reset")
    env = env_for(profile, server, server.url)
    path = tmp_path / "bundle.yaml"
    assert cli(env, "apply", "--auto-approve", write(profile, path, SCHEDULES)).code == 0
    assert cli(env, "plan", "--drift-only", str(path)).code == 0  # nothing drifted yet

    # A merged change not applied yet is pending, never drift.
    changed = [Variant("a", 0), Variant("b", 1, version=2)]
    write(profile, path, changed)
    quiet = cli(env, "plan", "--drift-only", "--format", "json", str(path))
    if profile.id in RECORDS:
        assert quiet.code == 0, quiet.out
    else:
        assert quiet.code == 2 and json.loads(quiet.out)["summary"]["unknown"] == 1
    write(profile, path, SCHEDULES)

    with client_for(server.url) as client:
        operator_edit_message(profile, client, entry(profile, server, "a"), "edited by hand")
    found = cli(env, "plan", "--drift-only", "--format", "json", str(path))
    assert found.code == 2, found.out + found.err
    (drifted,) = json.loads(found.out)["schedules"]
    assert drifted["name"] == "a"
    origin = "drift" if profile.id in RECORDS else "unknown"
    assert {c["origin"] for c in drifted["changes"]} == {origin}

    if profile.id in RECORDS:
        # drift: report applies b's pending change and leaves a's edit where it is
        reported = cli(env, "apply", "--auto-approve", write(profile, path, changed, drift="report"))
        assert reported.code == 0 and "drift left as it is" in reported.out, reported.out
        again = cli(env, "plan", "--drift-only", "--format", "json", str(path))
        assert again.code == 2 and [s["name"] for s in json.loads(again.out)["schedules"]] == ["a"]
        # heal (the default) restores it
        assert cli(env, "apply", "--auto-approve", write(profile, path, changed)).code == 0
        assert cli(env, "plan", "--drift-only", str(path)).code == 0


def test_status_reads_every_platforms_counters(profile: Profile, server: Server, tmp_path: Path) -> None:
    """Three days on the sandbox's clock after an apply: `status` judges each revision's schedule from that
    platform's own counters (a last fire seen, the verdict ok), and says which counters it read."""
    server.admin("POST", "reset")
    server.admin("POST", "clock", {"now": "2026-12-07T00:00:00Z"})  # a Monday
    env = env_for(profile, server, server.url)
    path = tmp_path / "bundle.yaml"
    assert cli(env, "apply", "--auto-approve", write(profile, path, SCHEDULES)).code == 0
    now = server.admin("POST", "clock", {"advance": f"{3 * 86_400}s"})["now"]
    status = cli(env, "status", "--format", "json", "--now", now, "--since", "3d", str(path))
    assert status.code == 0, status.out + status.err
    schedules = {s["name"]: s for s in json.loads(status.out)["schedules"]}
    for name in ("a", "b"):
        found = schedules[name]
        assert found["verdict"] == "ok", found
        assert found["counters"], found  # the platform's own fields were read
        assert found["last_fire"] is not None and found["last_fire"] <= now, found
    server.admin("POST", "reset")
