"""Cadenya's read-back of a wire schedule is remembered per timing: each schedule still gets its own `when`,
equal to what reading it afresh gives, whatever shape the wire sends."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reconciler.providers.cadenya import wire

SHAPES: list[dict[str, Any]] = [
    {"timezone": "UTC", "intervals": [{"every": "3600s"}]},
    {"timezone": "Europe/Berlin", "intervals": [{"every": "5400s", "offset": "600s"}]},
    {"intervals": [{"every": "86400s", "offset": ""}]},
    {"timezone": "", "intervals": [{"every": "60s"}]},
    {"timezone": "UTC", "intervals": [{"every": "60s"}, {"every": "90s"}]},
    {
        "timezone": "UTC",
        "calendars": [{"second": [{"start": 0}], "minute": [{"start": 30}], "hour": [{"start": 9}]}],
    },
    {
        "timezone": "America/New_York",
        "calendars": [
            {
                "second": [{"start": 0}],
                "minute": [{"start": 0}],
                "hour": [{"start": 8}],
                "comment": "cron: 0 8 * * *",
            },
            {
                "second": [{"start": 0}],
                "minute": [{"start": 0}],
                "hour": [{"start": 17}],
                "comment": "cron: 0 17 * * *",
            },
        ],
    },
    {
        "timezone": "UTC",
        "calendars": [{"second": [{"start": 0}], "minute": [{"start": 0}], "hour": [{"start": 9}]}],
        "intervals": [{"offset": "0s", "every": "3600s"}],
    },
    {"timezone": "UTC"},
    {},
]


@pytest.mark.parametrize("schedule", SHAPES)
def test_each_read_back_equals_a_fresh_one_and_is_its_own(schedule: dict[str, Any]) -> None:
    fresh = wire._when_from_wire(copy.deepcopy(schedule))
    first = wire.when_from_wire(copy.deepcopy(schedule))
    second = wire.when_from_wire(copy.deepcopy(schedule))
    assert first == fresh and second == fresh
    assert list(first) == list(fresh)  # the same key order: plans print `when` as read
    for value in first.values():  # editing one schedule's `when` must not edit another's
        if isinstance(value, list):
            value.append("edited")
    first["timezone"] = "edited"
    assert wire.when_from_wire(copy.deepcopy(schedule)) == fresh


def test_a_timing_shown_whole_keeps_the_wires_own_key_order() -> None:
    schedule = {"timezone": "UTC", "intervals": [{"offset": "60s", "every": "3600s"}, {"every": "7200s"}]}
    when = wire.when_from_wire(schedule)
    assert [list(interval) for interval in when["intervals"]] == [["offset", "every"], ["every"]]


def test_an_unreadable_timing_still_fails_every_time() -> None:
    schedule = {"timezone": "UTC", "intervals": [{"every": "soon"}]}
    for _ in range(2):
        with pytest.raises(ValueError):
            wire.when_from_wire(schedule)
