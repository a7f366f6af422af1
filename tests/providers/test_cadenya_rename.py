"""Cadenya renames a schedule in place: one PATCH carries `metadata.name`, the marker labels (name, bundle,
record) and any other change, on the same id, and `info.totalFires` goes on counting on it. Through the
provider against the in-process sandbox, which counts the requests (`GET /_sandbox/stats`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import TransportError
from reconciler.plan.live import LiveSchedule
from reconciler.providers.base import Provider
from reconciler.providers.cadenya import wire
from reconciler.providers.cadenya.provider import CadenyaProvider
from tests.providers.rename_support import Sandbox, sandbox

WS = "ws_rename"
AGENT = "agent_a"


def schedule(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "agent": AGENT,
        "when": {"every": "1h", "timezone": "UTC"},
        "input": {"message": "tick"},
        **extra,
    }


@pytest.fixture
def sb(tmp_path: Path) -> Iterator[Sandbox]:
    target = {"provider": "cadenya", "workspace": WS}
    with sandbox(tmp_path, CadenyaProvider, target, workspace=WS, agents=(AGENT, "agent_b")) as built:
        built.clock(now="2030-01-07T00:00:00Z")
        yield built


def created(sb: Sandbox, **extra: Any) -> tuple[Provider, LiveSchedule]:
    """`hourly` of bundle `team`, created, then two hours (two fires, unless it was created paused)."""
    team = sb.provider(sb.bundle("team", [schedule("hourly", **extra)]))
    live = team.create(sb.desired(team, "hourly"))
    assert sb.clock(advance="7200s") == (0 if extra.get("state") == "paused" else 2)
    return team, live


def listed(provider: Provider, name: str) -> LiveSchedule:
    [live] = [item for item in provider.list_live() if item.name == name]
    return live


def fires(provider: Provider, remote_id: str) -> int | None:
    [live] = [item for item in provider.read_activity() if item.remote_id == remote_id]
    assert live.activity is not None
    return live.activity.total_fires


def test_cadenya_says_it_renames_in_place() -> None:
    assert CadenyaProvider.renames_in_place is True


def test_a_rename_alone_is_one_patch_on_the_same_id_and_the_fire_count_goes_on(sb: Sandbox) -> None:
    team, live = created(sb)
    assert fires(team, live.remote_id) == 2
    renamed_bundle = sb.provider(sb.bundle("team", [schedule("nightly")]))
    desired = sb.desired(renamed_bundle, "nightly")
    old = listed(renamed_bundle, "hourly")  # the new bundle's provider still reads it under its old name

    sb.reset_stats()
    renamed = renamed_bundle.update(desired, old)

    assert [w.split(" ")[0] for w in sb.writes()] == ["PATCH"]  # the rename and the marker: one request
    assert (renamed.remote_id, renamed.name, renamed.display_name, renamed.owner) == (
        live.remote_id,
        "nightly",
        "nightly",
        "team",
    )
    labels = renamed.raw["metadata"]["labels"]
    assert labels[wire.NAME_LABEL] == "nightly"
    assert labels[wire.APPLIED_LABEL] == renamed_bundle.record_of(desired)
    assert fires(renamed_bundle, live.remote_id) == 2  # the history stays on the renamed schedule
    assert sb.clock(advance="3600s") == 1
    assert fires(renamed_bundle, live.remote_id) == 3
    assert [(item.name, item.remote_id) for item in renamed_bundle.list_live()] == [
        ("nightly", live.remote_id)
    ]


def test_a_rename_with_a_new_message_and_timing_is_still_one_patch(sb: Sandbox) -> None:
    _, live = created(sb)
    renamed_bundle = sb.provider(
        sb.bundle(
            "team", [schedule("nightly", when={"every": "2h", "timezone": "UTC"}, input={"message": "tock"})]
        )
    )
    desired = sb.desired(renamed_bundle, "nightly")

    sb.reset_stats()
    renamed = renamed_bundle.update(desired, listed(renamed_bundle, "hourly"))

    assert [w.split(" ")[0] for w in sb.writes()] == ["PATCH"]
    assert renamed.remote_id == live.remote_id
    assert (renamed.name, renamed.input["message"], renamed.when["every"]) == ("nightly", "tock", "2h")
    assert fires(renamed_bundle, live.remote_id) == 2


def test_a_paused_schedule_is_renamed_paused_in_one_patch(sb: Sandbox) -> None:
    _, live = created(sb, state="paused")
    renamed_bundle = sb.provider(sb.bundle("team", [schedule("nightly", state="paused")]))

    sb.reset_stats()
    renamed = renamed_bundle.update(sb.desired(renamed_bundle, "nightly"), listed(renamed_bundle, "hourly"))

    assert [w.split(" ")[0] for w in sb.writes()] == ["PATCH"]  # no :pause, no :resume
    assert (renamed.remote_id, renamed.name, renamed.state) == (live.remote_id, "nightly", "paused")
    assert renamed.applied is not None and renamed.applied.state == "paused"


def test_a_move_to_another_bundle_hands_the_marker_over_on_the_same_id(sb: Sandbox) -> None:
    team, live = created(sb)
    moved_from = {"bundleKey": "team", "name": "hourly"}
    other = sb.provider(sb.bundle("other", [schedule("nightly", renamedFrom=moved_from)]))
    desired = sb.desired(other, "nightly")
    source = listed(other, "hourly")  # the receiving bundle's read shows the schedule it takes over
    assert (source.owner, source.remote_id) == ("team", live.remote_id)

    sb.reset_stats()
    moved = other.update(desired, source)

    assert [w.split(" ")[0] for w in sb.writes()] == ["PATCH"]
    assert (moved.remote_id, moved.owner, moved.name) == (live.remote_id, "other", "nightly")
    assert moved.raw["metadata"]["labels"][wire.BUNDLE_LABEL] == "other"
    assert moved.raw["metadata"]["bundleKey"] == "other"
    assert team.find_owned(sb.desired(team, "hourly")) is None  # the old owner no longer claims it
    assert [item.owner for item in team.list_live() if item.remote_id == live.remote_id] == ["other"]
    found = other.find_owned(desired)
    assert found is not None and found.remote_id == live.remote_id
    assert fires(other, live.remote_id) == 2


def test_find_owned_recognises_a_rename_whose_answer_was_lost(sb: Sandbox) -> None:
    _, live = created(sb)
    bundle = sb.bundle("team", [schedule("nightly")])
    lossy = sb.provider(bundle, lose_writes=True)
    desired = sb.desired(lossy, "nightly")

    with pytest.raises(TransportError):
        lossy.update(desired, listed(lossy, "hourly"))

    found = sb.provider(bundle).find_owned(desired)
    assert found is not None
    assert (found.remote_id, found.name) == (live.remote_id, "nightly")  # no second create follows


def test_create_of_the_new_name_and_archive_of_the_old_still_work(sb: Sandbox) -> None:
    """What a planner may still choose (a rename refused, or the agent changed): both halves, two ids."""
    team, live = created(sb)
    renamed_bundle = sb.provider(sb.bundle("team", [schedule("nightly")]))
    fresh = renamed_bundle.create(sb.desired(renamed_bundle, "nightly"))
    archived = renamed_bundle.archive(listed(renamed_bundle, "hourly"))
    assert fresh.remote_id != live.remote_id
    assert (archived.remote_id, archived.state) == (live.remote_id, "archived")
    assert team.find_owned(sb.desired(team, "hourly")) is None
    assert fires(renamed_bundle, fresh.remote_id) == 0  # the new schedule starts its count afresh
