"""The plan's per-schedule values (LiveSchedule, Action, Change) built by the quick `__init__` behave exactly as
frozen dataclasses: same fields and defaults, equal, hashable, copyable, and still read-only."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import Action, Change
from reconciler.plan.quick_init import quick_init


def live(**extra: Any) -> LiveSchedule:
    return LiveSchedule("sch_1", "agent", "daily", "team", "active", {"every": "1h"}, {}, {}, {}, **extra)


def test_fields_and_defaults_are_the_dataclass_ones() -> None:
    item = live(display_name="daily")
    assert (item.remote_id, item.agent, item.name, item.owner, item.state) == (
        "sch_1",
        "agent",
        "daily",
        "team",
        "active",
    )
    assert (
        item.protected is False
        and item.source is None
        and item.secret_paths is None
        and item.activity is None
    )
    assert item.written == {} and item.raw == {}
    assert live().written is not live().written  # a default_factory: each schedule its own dict
    assert type(item) is LiveSchedule


def test_values_stay_read_only_and_compare_as_before() -> None:
    item = live()
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.agent = "other"  # type: ignore[misc]
    assert item == live(raw={"metadata": {}})  # raw takes no part in equality
    assert item != live(protected=True)
    assert dataclasses.replace(item, agent="other").agent == "other"
    assert pickle.loads(pickle.dumps(item)) == item and copy.deepcopy(item) == item
    change = Change("when.every", "1h", "2h")
    assert hash(change) == hash(Change("when.every", "1h", "2h")) and change.origin == ""
    action = Action("noop", "daily", "agent", "sch_1", live=item)
    assert (
        action.changes == () and action.live is item and action == Action("noop", "daily", "agent", "sch_1")
    )


def test_a_subclass_keeps_its_own_class() -> None:
    class Marked(LiveSchedule):
        __slots__ = ()

    item = Marked("sch_1", "agent", "daily", "team", "active", {}, {}, {}, {})
    assert type(item) is Marked and item.written == {}


def test_only_frozen_slotted_dataclasses_are_accepted() -> None:
    @dataclasses.dataclass
    class Plain:
        value: int

    with pytest.raises(TypeError):
        quick_init(Plain)
