"""TBD Agents renames a schedule in place: one PATCH of `name` (`<bundleKey>:<name>`, the whole marker) with
whatever else changed, on the same id. A PATCH that names no timing field leaves the Beat entry alone, so the
cadence keeps its phase (TBD counts `every` from registration). Through the provider against the in-process
sandbox, which counts the requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import TransportError
from reconciler.plan.live import LiveSchedule
from reconciler.providers.base import Provider
from reconciler.providers.tbd_agents.provider import TbdAgentsProvider
from tests.providers.rename_support import Sandbox, sandbox

LOGIN = "octocat"
WORKFLOW = "wf_docs"
START = "2026-12-01T00:00:00Z"
PATCH = "PATCH /api/scheduled-agents/{sa_id}"


def schedule(name: str, **extra: Any) -> dict[str, Any]:
    when = {"every": "1h", "start": START}
    return {"name": name, "agent": WORKFLOW, "when": when, "input": {"message": "tick"}, **extra}


@pytest.fixture
def sb(tmp_path: Path) -> Iterator[Sandbox]:
    target = {"provider": "tbd-agents"}
    with sandbox(tmp_path, TbdAgentsProvider, target, workspace=LOGIN, agents=(WORKFLOW, "wf_ops")) as built:
        built.clock(now="2030-01-07T00:00:00Z")
        yield built


def created(sb: Sandbox) -> tuple[Provider, LiveSchedule]:
    """`hourly` of bundle `team`, registered at midnight; the clock is then at 02:30 (ticks at 01:00, 02:00)."""
    team = sb.provider(sb.bundle("team", [schedule("hourly")]))
    live = team.create(sb.desired(team, "hourly"))
    assert sb.clock(advance="9000s") == 2
    return team, live


def listed(provider: Provider, name: str) -> LiveSchedule:
    [live] = [item for item in provider.list_live() if item.name == name]
    return live


def runs(provider: Provider, remote_id: str) -> tuple[str | None, str | None]:
    [live] = [item for item in provider.read_activity() if item.remote_id == remote_id]
    assert live.activity is not None
    return live.activity.last_fire, live.activity.next_fire


def test_tbd_agents_says_it_renames_in_place() -> None:
    assert TbdAgentsProvider.renames_in_place is True


def test_a_rename_alone_is_one_patch_of_the_name_and_the_cadence_keeps_its_phase(sb: Sandbox) -> None:
    team, live = created(sb)
    assert runs(team, live.remote_id) == ("2030-01-07T02:00:00Z", "2030-01-07T03:00:00Z")
    renamed_bundle = sb.provider(sb.bundle("team", [schedule("nightly")]))
    desired = sb.desired(renamed_bundle, "nightly")
    assert renamed_bundle.update_reason(desired, listed(renamed_bundle, "hourly")) == ""  # no re-registration

    sb.reset_stats()
    renamed = renamed_bundle.update(desired, listed(renamed_bundle, "hourly"))

    assert sb.writes() == [PATCH]
    assert (renamed.remote_id, renamed.name, renamed.owner) == (live.remote_id, "nightly", "team")
    assert renamed.raw["name"] == "team:nightly"
    assert runs(renamed_bundle, live.remote_id) == ("2030-01-07T02:00:00Z", "2030-01-07T03:00:00Z")
    # Registered at midnight, the entry still ticks on the hour: re-registered at 02:30, it would tick at 03:30.
    assert sb.clock(advance="1800s") == 1
    assert runs(renamed_bundle, live.remote_id) == ("2030-01-07T03:00:00Z", "2030-01-07T04:00:00Z")
    assert [(item.name, item.remote_id) for item in renamed_bundle.list_live()] == [
        ("nightly", live.remote_id)
    ]


def test_a_rename_with_a_new_prompt_is_one_patch_and_keeps_the_phase(sb: Sandbox) -> None:
    _, live = created(sb)
    renamed_bundle = sb.provider(sb.bundle("team", [schedule("nightly", input={"message": "tock"})]))

    sb.reset_stats()
    renamed = renamed_bundle.update(sb.desired(renamed_bundle, "nightly"), listed(renamed_bundle, "hourly"))

    assert sb.writes() == [PATCH]
    assert (renamed.remote_id, renamed.name, renamed.input["message"]) == (live.remote_id, "nightly", "tock")
    assert sb.clock(advance="1800s") == 1  # 03:00, as before the rename


def test_a_rename_with_a_new_interval_is_one_patch_that_restarts_the_cadence(sb: Sandbox) -> None:
    _, live = created(sb)
    renamed_bundle = sb.provider(
        sb.bundle("team", [schedule("nightly", when={"every": "2h", "start": START})])
    )
    desired = sb.desired(renamed_bundle, "nightly")
    assert "re-registers it with Beat" in renamed_bundle.update_reason(
        desired, listed(renamed_bundle, "hourly")
    )

    sb.reset_stats()
    renamed = renamed_bundle.update(desired, listed(renamed_bundle, "hourly"))

    assert sb.writes() == [PATCH]  # the name and the interval together
    assert (renamed.remote_id, renamed.name, renamed.when["every"]) == (live.remote_id, "nightly", "2h")
    assert sb.clock(advance="5400s") == 0  # 04:00: registered again at 02:30, the first tick is 04:30
    assert sb.clock(advance="1800s") == 1


def test_a_paused_schedule_is_renamed_without_enabling_it(sb: Sandbox) -> None:
    team, live = created(sb)
    team.pause(live)
    renamed_bundle = sb.provider(sb.bundle("team", [schedule("nightly", state="paused")]))

    sb.reset_stats()
    renamed = renamed_bundle.update(sb.desired(renamed_bundle, "nightly"), listed(renamed_bundle, "hourly"))

    assert sb.writes() == [PATCH]  # no /enable, no /disable
    assert (renamed.remote_id, renamed.name, renamed.state) == (live.remote_id, "nightly", "paused")


def test_a_move_to_another_bundle_renames_it_under_the_new_key_on_the_same_id(sb: Sandbox) -> None:
    team, live = created(sb)
    moved_from = {"bundleKey": "team", "name": "hourly"}
    other = sb.provider(sb.bundle("other", [schedule("nightly", renamedFrom=moved_from)]))
    desired = sb.desired(other, "nightly")
    source = listed(other, "hourly")  # read by the receiving bundle because its renamedFrom names it
    assert (source.owner, source.remote_id) == ("team", live.remote_id)

    sb.reset_stats()
    moved = other.update(desired, source)

    assert sb.writes() == [PATCH]
    assert (moved.remote_id, moved.owner, moved.name) == (live.remote_id, "other", "nightly")
    assert moved.raw["name"] == "other:nightly"
    assert team.find_owned(sb.desired(team, "hourly")) is None
    assert team.list_live() == []
    found = other.find_owned(desired)
    assert found is not None and found.remote_id == live.remote_id
    assert sb.clock(advance="1800s") == 1  # the phase survives the move too


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
    assert (archived.remote_id, archived.state, archived.raw["name"]) == (
        live.remote_id,
        "archived",
        "team:hourly (archived)",
    )
    assert team.find_owned(sb.desired(team, "hourly")) is None
    assert runs(renamed_bundle, fresh.remote_id) == (None, None)  # registered now: no tick yet
