"""Issue 19 through the real CLI on all seven provider revisions: a rename keeps the live schedule (its id)
where the platform can rename and is a create plus an archive where it cannot; a move between bundles hands
a schedule over with no gap; `--only`/`--exclude` plan and apply part of a bundle, and a saved partial plan
applies exactly that part; `ignore:` leaves a field edited on the platform alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.day_two import operator_edit_message
from tests.reliability.apply_harness import env_for
from tests.reliability.apply_process import cli
from tests.reliability.revision_profiles import PROFILE_IDS, PROFILES, Entry, Profile, Variant, client_for
from tests.sandbox_server import Server, running_sandbox

IN_PLACE = frozenset(p.id for p in PROFILES) - {"agentex-legacy"}


@pytest.fixture(scope="module", params=PROFILES, ids=PROFILE_IDS)
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def server(profile: Profile) -> Iterator[Server]:
    with running_sandbox(profile.provider, *profile.serve_args) as srv:
        yield srv


def document(profile: Profile, variants: list[Variant], key: str = "rel", **extra: Any) -> dict[str, Any]:
    doc = profile.bundle(variants)
    doc["bundleKey"] = key
    for schedule in doc["schedules"]:
        schedule.update(extra.get(schedule["name"], {}))
    return doc


def write(path: Path, doc: dict[str, Any]) -> str:
    path.write_text(json.dumps(doc))
    return str(path)


def live(profile: Profile, server: Server) -> dict[tuple[str | None, str | None], Entry]:
    with client_for(server.url) as client:
        return {(e.owner, e.name): e for e in profile.live(client) if e.owner is not None}


def test_a_rename_keeps_the_schedule_where_the_platform_can(
    profile: Profile, server: Server, tmp_path: Path
) -> None:
    server.admin("POST", "reset")
    env = env_for(profile, server, server.url)
    path = tmp_path / "bundle.yaml"
    assert cli(env, "apply", "--auto-approve", write(path, document(profile, [Variant("a", 0)]))).code == 0
    before = live(profile, server)[("rel", "a")]

    renamed = document(profile, [Variant("a", 0)])
    renamed["schedules"][0].update(name="a-renamed", renamedFrom="a")
    write(path, renamed)
    saved = tmp_path / "rename.plan.json"
    planned = cli(env, "plan", "--out", str(saved), str(path))
    applied = cli(env, "apply", str(saved))  # the reviewed plan, applied as saved
    assert applied.code == 0, applied.err
    after = live(profile, server)
    if profile.id in IN_PLACE:
        assert "→ rename  a → a-renamed" in planned.out, planned.out
        assert after[("rel", "a-renamed")].platform_id == before.platform_id  # the same live schedule
        assert ("rel", "a") not in after
    else:
        assert (
            "recreate (the platform cannot rename)" in planned.out and "renamed to a-renamed" in planned.out
        )
        assert after[("rel", "a-renamed")].firing and not after[("rel", "a")].firing  # the old one archived
    assert cli(env, "plan", "--detailed-exitcode", str(path)).code == 0  # converged; renamedFrom is inert now


def test_a_move_between_bundles_hands_the_schedule_over(
    profile: Profile, server: Server, tmp_path: Path
) -> None:
    server.admin("POST", "reset")
    env = env_for(profile, server, server.url)
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    write(old, document(profile, [Variant("a", 0), Variant("b", 1)], key="rel"))
    assert cli(env, "apply", "--auto-approve", str(old)).code == 0
    before = live(profile, server)[("rel", "b")]

    write(old, document(profile, [Variant("a", 0)], key="rel"))
    moved = document(profile, [Variant("b", 1)], key="ops")
    moved["schedules"][0]["renamedFrom"] = {"bundleKey": "rel", "name": "b"}
    write(new, moved)
    applied = cli(env, "apply", "--auto-approve", str(old), str(new))
    assert applied.code == 0, applied.err
    after = live(profile, server)
    assert ("rel", "b") not in after or not after[("rel", "b")].firing
    assert after[("ops", "b")].firing
    if profile.id in IN_PLACE:
        assert after[("ops", "b")].platform_id == before.platform_id  # handed over, never recreated
    assert cli(env, "plan", "--detailed-exitcode", str(old), str(new)).code == 0


def test_a_partial_plan_touches_only_its_selection(profile: Profile, server: Server, tmp_path: Path) -> None:
    server.admin("POST", "reset")
    env = env_for(profile, server, server.url)
    path = tmp_path / "bundle.yaml"
    assert (
        cli(
            env, "apply", "--auto-approve", write(path, document(profile, [Variant("a", 0), Variant("b", 1)]))
        ).code
        == 0
    )
    # the next commit changes a, removes b and adds c; only a and c are applied now
    write(path, document(profile, [Variant("a", 0, version=2), Variant("c", 1)]))
    saved = tmp_path / "plan.json"
    planned = cli(env, "plan", "--out", str(saved), "--exclude", "rel/b", str(path))
    assert planned.code == 0 and "Partial plan (--exclude rel/b)" in planned.out, planned.out
    assert json.loads(saved.read_text())["selection"] == {"only": [], "exclude": ["rel/b"]}
    assert cli(env, "apply", str(saved)).code == 0
    after = live(profile, server)
    assert after[("rel", "b")].firing  # outside the selection: not archived although it left the bundle
    assert after[("rel", "c")].firing
    only = cli(env, "plan", "--detailed-exitcode", "--only", "a", "--only", "c", str(path))
    assert only.code == 0, only.out  # a and c are done
    assert cli(env, "plan", "--detailed-exitcode", str(path)).code == 2  # b is still to archive


def test_ignored_fields_are_left_to_the_platform(profile: Profile, server: Server, tmp_path: Path) -> None:
    server.admin("POST", "reset")
    env = env_for(profile, server, server.url)
    path = tmp_path / "bundle.yaml"
    field = "options.workflow_params" if profile.id == "agentex-legacy" else "input.message"
    ignoring = document(profile, [Variant("a", 0)], a={"ignore": [field]})
    assert cli(env, "apply", "--auto-approve", write(path, ignoring)).code == 0
    with client_for(server.url) as client:
        operator_edit_message(profile, client, live(profile, server)[("rel", "a")], "edited on the platform")
    planned = cli(env, "plan", "--detailed-exitcode", str(path))
    assert planned.code == 0 and "difference(s) ignored (ignore:" in planned.out, planned.out + planned.err
    shown = cli(env, "plan", "--show-ignored", str(path))
    assert f"    {field}" in shown.out and "ignored  a" in shown.out
    without = document(profile, [Variant("a", 0)])
    assert cli(env, "plan", "--detailed-exitcode", write(path, without)).code == 2  # not ignored: a change
