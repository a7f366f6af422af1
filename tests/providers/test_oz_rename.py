"""Oz renames a schedule in place: the read-modify-write PUT every update makes carries the new `name`, the
marker (`reconciler.name`, `reconciler.bundle`, the record) and any other change, on the same id; the run
history stays. Through the provider against the in-process sandbox, which counts the requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import TransportError
from reconciler.plan.live import LiveSchedule
from reconciler.providers.base import Provider
from reconciler.providers.oz import wire
from reconciler.providers.oz.provider import OzProvider
from tests.providers.rename_support import Sandbox, sandbox


def schedule(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "agent": "default",
        "when": {"cron": "0 * * * *"},
        "input": {"message": "tick"},
        **extra,
    }


@pytest.fixture
def sb(tmp_path: Path) -> Iterator[Sandbox]:
    with sandbox(tmp_path, OzProvider, {"provider": "oz"}, workspace=None, agents=("agent_ops",)) as built:
        built.clock(now="2030-01-07T00:00:00Z")
        yield built


def created(sb: Sandbox) -> tuple[Provider, LiveSchedule]:
    """`hourly` of bundle `team`, created at midnight; the clock is then at 02:30 (it ran at 01:00 and 02:00)."""
    team = sb.provider(sb.bundle("team", [schedule("hourly")]))
    live = team.create(sb.desired(team, "hourly"))
    assert sb.clock(advance="9000s") == 2
    return team, live


def listed(provider: Provider, name: str) -> LiveSchedule:
    [live] = [item for item in provider.list_live() if item.name == name]
    return live


def history(provider: Provider, remote_id: str) -> tuple[str | None, str | None]:
    [live] = [item for item in provider.read_activity() if item.remote_id == remote_id]
    assert live.activity is not None
    return live.activity.last_fire, live.activity.next_fire


def test_oz_says_it_renames_in_place() -> None:
    assert OzProvider.renames_in_place is True


def test_a_rename_alone_is_one_put_on_the_same_id_and_the_history_stays(sb: Sandbox) -> None:
    team, live = created(sb)
    assert history(team, live.remote_id) == ("2030-01-07T02:00:00Z", "2030-01-07T03:00:00Z")
    renamed_bundle = sb.provider(sb.bundle("team", [schedule("nightly")]))
    desired = sb.desired(renamed_bundle, "nightly")

    sb.reset_stats()
    renamed = renamed_bundle.update(desired, listed(renamed_bundle, "hourly"))

    assert sb.writes() == ["PUT /agent/schedules/{schedule_id}"]  # one write (after the GET it modifies)
    assert (renamed.remote_id, renamed.name, renamed.display_name, renamed.owner) == (
        live.remote_id,
        "nightly",
        "nightly",
        "team",
    )
    metadata = sb.admin.get(f"/agent/schedules/{live.remote_id}").json()["metadata"]  # what Oz holds now
    assert (metadata[wire.NAME], metadata[wire.APPLIED]) == ("nightly", renamed_bundle.record_of(desired))
    assert history(renamed_bundle, live.remote_id) == ("2030-01-07T02:00:00Z", "2030-01-07T03:00:00Z")
    assert sb.clock(advance="1800s") == 1  # 03:00 fires, on the renamed schedule
    assert history(renamed_bundle, live.remote_id)[0] == "2030-01-07T03:00:00Z"
    assert [(item.name, item.remote_id) for item in renamed_bundle.list_live()] == [
        ("nightly", live.remote_id)
    ]


def test_a_rename_with_a_new_prompt_and_cron_is_still_one_put(sb: Sandbox) -> None:
    _, live = created(sb)
    renamed_bundle = sb.provider(
        sb.bundle("team", [schedule("nightly", when={"cron": "0 3 * * *"}, input={"message": "tock"})])
    )

    sb.reset_stats()
    renamed = renamed_bundle.update(sb.desired(renamed_bundle, "nightly"), listed(renamed_bundle, "hourly"))

    assert sb.writes() == ["PUT /agent/schedules/{schedule_id}"]
    assert (renamed.remote_id, renamed.name) == (live.remote_id, "nightly")
    assert (renamed.input["message"], renamed.when["cron"]) == ("tock", "0 3 * * *")
    assert history(renamed_bundle, live.remote_id)[0] == "2030-01-07T02:00:00Z"  # the last run stays


def test_a_rename_keeps_an_agent_config_set_outside_the_bundle(sb: Sandbox) -> None:
    _, live = created(sb)
    config = {"environment_id": "env_1", "model_id": "claude"}
    current = sb.admin.get(f"/agent/schedules/{live.remote_id}").json()
    edited = sb.admin.put(
        f"/agent/schedules/{live.remote_id}", json=wire.put_body(current, agent_config=config)
    )
    assert edited.status_code == 200, edited.text  # set in Oz, not by the bundle
    renamed_bundle = sb.provider(sb.bundle("team", [schedule("nightly")]))

    renamed = renamed_bundle.update(sb.desired(renamed_bundle, "nightly"), listed(renamed_bundle, "hourly"))

    assert renamed.name == "nightly"
    assert renamed.raw["agent_config"] == config


def test_a_move_to_another_bundle_hands_the_marker_over_on_the_same_id(sb: Sandbox) -> None:
    team, live = created(sb)
    moved_from = {"bundleKey": "team", "name": "hourly"}
    other = sb.provider(sb.bundle("other", [schedule("nightly", renamedFrom=moved_from)]))
    desired = sb.desired(other, "nightly")
    source = listed(other, "hourly")  # read by the receiving bundle because its renamedFrom names it
    assert (source.owner, source.remote_id) == ("team", live.remote_id)

    sb.reset_stats()
    moved = other.update(desired, source)

    assert sb.writes() == ["PUT /agent/schedules/{schedule_id}"]
    assert (moved.remote_id, moved.owner, moved.name, moved.display_name) == (
        live.remote_id,
        "other",
        "nightly",
        "nightly",
    )
    assert team.find_owned(sb.desired(team, "hourly")) is None
    assert team.list_live() == []  # the old owner no longer sees it as its own
    found = other.find_owned(desired)
    assert found is not None and found.remote_id == live.remote_id
    assert history(other, live.remote_id)[0] == "2030-01-07T02:00:00Z"


def test_a_schedule_of_another_bundle_that_no_renamedFrom_names_is_not_read(sb: Sandbox) -> None:
    created(sb)
    other = sb.provider(sb.bundle("other", [schedule("nightly")]))
    assert other.list_live() == []


def test_find_owned_recognises_a_rename_whose_answer_was_lost(sb: Sandbox) -> None:
    _, live = created(sb)
    bundle = sb.bundle("team", [schedule("nightly")])
    lossy = sb.provider(bundle, lose_writes=True)
    desired = sb.desired(lossy, "nightly")

    with pytest.raises(TransportError):
        lossy.update(desired, listed(lossy, "hourly"))

    found = sb.provider(bundle).find_owned(desired)
    assert found is not None
    assert (found.remote_id, found.name) == (live.remote_id, "nightly")


def test_create_of_the_new_name_and_archive_of_the_old_still_work(sb: Sandbox) -> None:
    team, live = created(sb)
    renamed_bundle = sb.provider(sb.bundle("team", [schedule("nightly")]))
    fresh = renamed_bundle.create(sb.desired(renamed_bundle, "nightly"))
    archived = renamed_bundle.archive(listed(renamed_bundle, "hourly"))
    assert fresh.remote_id != live.remote_id
    assert (archived.remote_id, archived.state) == (live.remote_id, "archived")
    assert team.find_owned(sb.desired(team, "hourly")) is None
    assert history(renamed_bundle, fresh.remote_id)[0] is None  # the new schedule has no run yet
