"""TBD Agents wire translation: names as the marker (and the archived suffix), every in the largest exact
unit, both time spellings, a PATCH of only what changed, and when removing `end` needs a recreate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.validate import load_bundles
from reconciler.providers.tbd_agents import wire

START = "2026-12-01T00:00:00Z"


def desired(tmp_path: Path, **when: Any) -> DesiredSchedule:
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "team",
        "target": {"provider": "tbd-agents"},
        "schedules": [
            {"name": "s", "agent": "wf", "when": {"start": START, **when}, "input": {"message": "go"}}
        ],
    }
    path = tmp_path / "b.yaml"
    path.write_text(json.dumps(document))
    loaded = load_bundles([str(path)])
    assert not loaded.diagnostics, loaded.diagnostics
    return loaded.bundles[0].schedules[0]


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("team:s", ("team", "s", False)),
        ("team:s (archived)", ("team", "s", True)),
        ("team:a:b", (None, None, False)),  # not a bundle name after the first ':'
        ("s", (None, None, False)),
        ("Team:s", (None, None, False)),  # not a bundleKey
        ("team:has space", (None, None, False)),
    ],
)
def test_split(platform: str, expected: tuple[Any, ...]) -> None:
    assert wire.split(platform) == expected


@pytest.mark.parametrize(
    ("every", "interval"),
    [
        (60, (1, "minutes")),
        (5400, (90, "minutes")),
        (7200, (2, "hours")),
        (129600, (36, "hours")),
        (86400, (1, "days")),
        (604800, (7, "days")),
    ],
)
def test_every_in_the_largest_exact_unit(every: int, interval: tuple[int, str]) -> None:
    assert wire.interval_for(every) == interval


@pytest.mark.parametrize(
    "when", [{"every": "90m"}, {"every": "7d", "end": "2027-01-01T00:00:00Z"}, {"every": "1d"}]
)
def test_read_back_equals_the_bundle(tmp_path: Path, when: dict[str, Any]) -> None:
    schedule = desired(tmp_path, **when)
    item = {**wire.create_body("team", schedule), "id": "i", "enabled": True}
    live = wire.live_from_wire(item)
    assert live.when == {k: v for k, v in schedule.when.items() if k != "timezone"}
    assert (live.owner, live.name, live.agent, live.display_name) == ("team", "s", "wf", "team:s")


def test_mongo_read_backs_without_offset_mean_utc(tmp_path: Path) -> None:
    schedule = desired(tmp_path, every="1h", end="2027-01-01T00:00:00Z")
    item = {
        **wire.create_body("team", schedule),
        "start_at": "2026-12-01T00:00:00",
        "end_at": "2027-01-01T00:00:00",
    }
    assert wire.live_from_wire(item).when["start"] == START
    assert wire.patch_body("team", schedule, item) == {}


def test_patch_sends_only_what_changed(tmp_path: Path) -> None:
    schedule = desired(tmp_path, every="2h")
    item = {**wire.create_body("team", schedule), "prompt": "old", "name": "team:s (archived)"}
    assert wire.patch_body("team", schedule, item) == {"name": "team:s", "prompt": "go"}
    item = {**wire.create_body("team", schedule), "interval_value": 120, "interval_unit": "minutes"}
    assert wire.patch_body("team", schedule, item) == {"interval_value": 2, "interval_unit": "hours"}


def test_removing_end_needs_a_recreate(tmp_path: Path) -> None:
    endless = desired(tmp_path, every="1h")
    assert wire.needs_recreate(endless, {"end_at": "2027-01-01T00:00:00"})
    assert not wire.needs_recreate(endless, {"end_at": None})
    bounded = desired(tmp_path, every="1h", end="2027-01-01T00:00:00Z")
    assert not wire.needs_recreate(bounded, {"end_at": "2026-12-25T00:00:00"})


def test_state_and_the_end_of_a_window() -> None:
    base = {"id": "i", "name": "team:s", "workflow_id": "wf", "interval_value": 1, "interval_unit": "hours"}
    assert wire.live_from_wire({**base, "enabled": False}).state == "paused"
    assert wire.live_from_wire({**base, "name": "team:s (archived)", "enabled": False}).state == "archived"
    assert wire.live_from_wire({**base, "name": "team:s (archived)", "enabled": True}).state == "active"
    ended = {**base, "enabled": False, "end_at": "2027-01-01T00:00:00", "updated_at": "2027-01-01T01:00:00"}
    assert wire.ended(ended) and not wire.ended({**ended, "updated_at": "2026-12-31T00:00:00Z"})


def test_counters_and_last_change_are_read_in_either_time_spelling() -> None:
    base = {"id": "i", "name": "team:s", "workflow_id": "wf", "interval_value": 1, "interval_unit": "hours"}
    never = wire.live_from_wire({**base, "enabled": True, "last_run_at": None, "next_run_at": None})
    assert never.activity is not None and (never.activity.last_fire, never.activity.next_fire) == (None, None)
    ran = wire.live_from_wire(
        {
            **base,
            "enabled": True,
            "last_run_at": "2026-05-15T09:00:00",  # naive: read back from MongoDB
            "next_run_at": "2026-05-15T10:00:00Z",  # aware: set by this very request
            "updated_at": "2026-05-15T09:00:00.250",
        }
    )
    activity = ran.activity
    assert activity is not None
    assert activity.counters == ("last_run_at", "next_run_at")
    assert (activity.last_fire, activity.next_fire) == ("2026-05-15T09:00:00Z", "2026-05-15T10:00:00Z")
    # no count, no skips, no error on this platform: none is invented
    assert (activity.total_fires, activity.skipped, activity.missed, activity.last_error) == (
        None,
        (),
        None,
        None,
    )
    assert (ran.changed_at, ran.changed_by) == ("2026-05-15T09:00:00.250000Z", None)
    # the name is the whole marker: no record is ever read, and none is asked for
    assert ran.applied is None and ran.incomplete_marker == ""


def test_a_listed_schedule_keeps_only_what_its_writes_read(tmp_path: Path) -> None:
    """The list's item as the server sends it: a listed schedule keeps the fields a PATCH, a recreate or an
    end-of-window check reads, not the ids, counters and creation time it has no use for again; and the
    writes planned from what it keeps are those planned from the whole item."""
    item = {
        "id": "665f1c2e9b1e8a0012345678",
        "name": "team:s",
        "workflow_id": "wf",
        "prompt": "old",
        "interval_value": 120,
        "interval_unit": "minutes",
        "start_at": "2026-12-01T00:00:00",
        "end_at": "2027-01-01T00:00:00",
        "enabled": False,
        "created_at": "2026-11-30T10:00:00",
        "updated_at": "2027-01-01T01:00:00",
        "last_run_at": "2026-12-31T23:00:00",
        "next_run_at": None,
        "user_id": "u-1",
    }
    live = wire.live_from_wire(item)
    assert not live.raw.keys() & {"id", "workflow_id", "created_at", "last_run_at", "next_run_at", "user_id"}
    for schedule in (
        desired(tmp_path, every="2h"),
        desired(tmp_path, every="1h", end="2027-02-01T00:00:00Z"),
    ):
        assert wire.patch_body("team", schedule, live.raw) == wire.patch_body("team", schedule, item)
        assert wire.needs_recreate(schedule, live.raw) == wire.needs_recreate(schedule, item)
    assert wire.ended(live.raw) and wire.ended(item)
    assert (live.remote_id, live.agent, live.display_name) == ("665f1c2e9b1e8a0012345678", "wf", "team:s")
