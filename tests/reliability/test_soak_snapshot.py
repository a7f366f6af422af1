"""The soak's check that another bundle's schedules were left alone: a schedule firing on its own (the
sandboxes fire in real time, so a history crossing a full hour sees an hourly one fire) is not a change
anyone made; a change of what it does is."""

from __future__ import annotations

from tests.reliability.soak_platform import snapshot

BEFORE = {
    "name": "other--theirs",
    "spec": {"intervals_seconds": [3600]},
    "action": {"workflow_params": [{"message": "first message"}]},
    "num_actions_taken": 0,
    "last_action_time": None,
    "next_action_times": ["2026-12-07T21:00:00Z"],
}


def test_a_schedule_that_fired_on_its_own_is_unchanged() -> None:
    fired = {
        **BEFORE,
        "num_actions_taken": 1,
        "last_action_time": "2026-12-07T21:00:00Z",
        "next_action_times": ["2026-12-07T22:00:00Z"],
    }
    assert snapshot(fired) == snapshot(BEFORE)
    orq_fired = {"display_name": "theirs", "trigger_count": 1, "last_triggered_at": "2026-12-07T21:00:00Z"}
    assert snapshot(orq_fired) == snapshot({"display_name": "theirs", "trigger_count": 0})


def test_a_schedule_whose_work_changed_is_changed() -> None:
    edited = {**BEFORE, "action": {"workflow_params": [{"message": "another message"}]}}
    assert snapshot(edited) != snapshot(BEFORE)
    assert snapshot({**BEFORE, "spec": {"intervals_seconds": [7200]}}) != snapshot(BEFORE)
