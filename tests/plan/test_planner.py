"""The planner's ownership rules, one by one, on real bundles and live schedules: what is ours, collisions and
adoption, pruning, duplicates, step order, the live fingerprint and several bundles at once."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from reconciler.plan.combined import plan_all
from reconciler.plan.errors import EmptyBundleError, PlanError
from reconciler.plan.live import LiveSchedule
from tests.plan.factories import KEY, NOW, bundle, desired, reported
from tests.plan.planning import changed, plan, steps

# ---- ownership ----------------------------------------------------------------------------------------------


def test_schedules_owned_by_others_or_nobody_never_appear_unless_they_collide() -> None:
    mine = desired("a")
    others = [
        reported(desired("x"), "sch_2", owner="other-bundle"),
        reported(desired("y"), "sch_3", owner=None),
        reported(desired("a", agent="agent_other"), "sch_4", owner=None),  # same name, other agent
    ]
    result = plan(bundle(mine, prune="delete"), [reported(mine, "sch_1"), *others])
    assert steps(result) == [("noop", "a", "sch_1")]


def test_a_copied_marker_does_not_make_a_schedule_ours() -> None:
    # Someone copied the marker of "a" onto the schedule shown as "copy": same bundleKey, other identity.
    copied = reported(desired("a"), "sch_9", display_name="copy")
    result = plan(bundle(desired("b"), prune="delete"), [copied])
    assert steps(result) == [("create", "b", None)]


def test_a_desired_schedule_colliding_with_a_copied_marker_is_an_error() -> None:
    copied = reported(desired("a"), "sch_9", display_name="b")
    with pytest.raises(PlanError, match=r"ownership marker for 'a'.*copied by hand"):
        plan(bundle(desired("b")), [copied])


def test_display_names_with_a_provider_prefix() -> None:
    schedule = desired("a")
    live = reported(schedule, "sch_1", display_name=f"{KEY}--a")
    prefixed = plan(bundle(schedule), [live], display_name=lambda name: f"{KEY}--{name}")
    assert steps(prefixed) == [("noop", "a", "sch_1")]
    # Without the provider's rule the same schedule is not ours, and the desired one is created.
    assert steps(plan(bundle(schedule), [live])) == [("create", "a", None)]


# ---- collisions and adoption --------------------------------------------------------------------------------


def test_an_unowned_look_alike_is_adopted_with_adopt_true() -> None:
    schedule = desired("a", adopt=True)
    live = reported(desired("a", input={"message": "by hand"}), "sch_7", owner=None)
    [action] = plan(bundle(schedule), [live]).actions
    assert (action.kind, action.remote_id) == ("adopt", "sch_7")
    assert changed(action) == {"input.message": ("by hand", "Run a")}
    assert action.live is live and action.desired is schedule


def test_an_unowned_look_alike_without_adopt_is_an_error_listing_every_collision() -> None:
    first = desired("a", line=12)
    second = desired("b", line=20)
    live = [reported(first, "sch_1", owner=None), reported(second, "sch_2", owner=None)]
    with pytest.raises(PlanError) as caught:
        plan(bundle(first, second), live)
    diagnostics = caught.value.diagnostics
    assert [(d.file, d.line) for d in diagnostics] == [
        ("bundles/support.yaml", 12),
        ("bundles/support.yaml", 20),
    ]
    assert all("adopt: true" in d.message and "no owner" in d.message for d in diagnostics)
    assert "bundles/support.yaml:12:0: schedule 'a'" in str(caught.value)


def test_a_look_alike_owned_by_another_bundle_is_an_error_even_with_adopt() -> None:
    schedule = desired("a", adopt=True)
    with pytest.raises(PlanError, match="belongs to bundle 'billing'"):
        plan(bundle(schedule), [reported(schedule, "sch_1", owner="billing")])


def test_adopt_refuses_to_choose_between_several_unowned_look_alikes() -> None:
    schedule = desired("a", adopt=True)
    live = [reported(schedule, "sch_1", owner=None), reported(schedule, "sch_2", owner=None)]
    with pytest.raises(PlanError, match=r"2 live schedules .* takes over exactly one"):
        plan(bundle(schedule), live)


# ---- pruning ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prune", "expected"), [("archive", "archive"), ("delete", "delete"), ("none", "noop")]
)
def test_an_owned_schedule_that_left_the_bundle_is_pruned_by_policy(prune: Any, expected: str) -> None:
    kept, gone = desired("a"), desired("b")
    result = plan(bundle(kept, prune=prune), [reported(kept, "sch_1"), reported(gone, "sch_2")])
    action = next(a for a in result.actions if a.name == "b")
    assert (action.kind, action.remote_id, action.agent) == (expected, "sch_2", "agent_x")
    assert action.live is not None and action.desired is None


def test_archive_skips_schedules_already_archived_and_delete_removes_them() -> None:
    gone = reported(desired("b"), "sch_2", state="archived")
    assert steps(plan(bundle(desired("a"), prune="archive"), [gone])) == [("create", "a", None)]
    assert steps(plan(bundle(desired("a"), prune="none"), [gone])) == [("create", "a", None)]
    assert steps(plan(bundle(desired("a"), prune="delete"), [gone])) == [
        ("create", "a", None),
        ("delete", "b", "sch_2"),
    ]


@pytest.mark.parametrize("prune", ["archive", "delete"])
def test_a_protected_schedule_is_never_pruned(prune: Any) -> None:
    gone = reported(desired("b", protect=True), "sch_2")
    [action] = plan(bundle(desired("a"), prune=prune), [gone]).actions[1:]
    assert (action.kind, action.reason) == ("noop", "not in the bundle; protected")


def test_setting_protect_is_an_update_so_the_flag_reaches_the_marker() -> None:
    [action] = plan(bundle(desired("a", protect=True)), [reported(desired("a"), "sch_1")]).actions
    assert (action.kind, changed(action)) == ("update", {"protect": (None, True)})


def test_an_emptied_bundle_must_not_prune_everything() -> None:
    live = [reported(desired("a"), "sch_1"), reported(desired("b"), "sch_2")]
    with pytest.raises(EmptyBundleError, match="--allow-empty") as caught:
        plan(bundle(), live)
    assert "2 live schedule(s)" in str(caught.value) and "archive" in str(caught.value)
    assert steps(plan(bundle(), live, allow_empty=True)) == [
        ("archive", "a", "sch_1"),
        ("archive", "b", "sch_2"),
    ]


def test_an_empty_bundle_that_would_prune_nothing_needs_no_confirmation() -> None:
    archived = reported(desired("a"), "sch_1", state="archived")
    assert steps(plan(bundle(), [archived])) == []
    assert steps(plan(bundle(prune="none"), [reported(desired("b"), "sch_2")])) == [("noop", "b", "sch_2")]
    assert steps(plan(bundle(), [reported(desired("c"), "sch_3", owner=None)])) == []


def test_a_schedule_moved_to_another_agent_is_created_there_and_pruned_here() -> None:
    moved = desired("a", agent="agent_new")
    result = plan(bundle(moved), [reported(desired("a"), "sch_1")])
    assert [(a.kind, a.agent) for a in result.actions] == [("create", "agent_new"), ("archive", "agent_x")]


# ---- duplicates ---------------------------------------------------------------------------------------------


def test_duplicates_keep_the_oldest_and_remove_the_others() -> None:
    schedule = desired("a")
    live = [reported(schedule, "sch_3"), reported(schedule, "sch_1"), reported(schedule, "sch_2")]
    result = plan(bundle(schedule), live)
    assert steps(result) == [("archive", "a", "sch_2"), ("archive", "a", "sch_3"), ("noop", "a", "sch_1")]
    assert {a.reason for a in result.actions if a.kind == "archive"} == {"duplicate"}


def test_duplicates_are_deleted_under_prune_delete_and_ids_sort_as_numbers() -> None:
    schedule = desired("a")
    result = plan(bundle(schedule, prune="delete"), [reported(schedule, "10"), reported(schedule, "9")])
    assert steps(result) == [("delete", "a", "10"), ("noop", "a", "9")]


def test_duplicates_prefer_a_live_copy_and_leave_archived_ones_alone() -> None:
    schedule = desired("a")
    live = [
        reported(schedule, "sch_1", state="archived"),
        reported(schedule, "sch_2"),
        reported(schedule, "sch_0", state="archived"),
    ]
    assert steps(plan(bundle(schedule, prune="delete"), live)) == [("noop", "a", "sch_2")]


def test_duplicates_under_prune_none_are_still_archived() -> None:
    schedule = desired("a")
    result = plan(bundle(schedule, prune="none"), [reported(schedule, "sch_1"), reported(schedule, "sch_2")])
    assert steps(result) == [("archive", "a", "sch_2"), ("noop", "a", "sch_1")]


# ---- order, fingerprint, several bundles --------------------------------------------------------------------


def test_steps_are_ordered_creates_adopts_updates_then_state_then_prunes() -> None:
    schedules = [
        desired("z-create"),
        desired("y-adopt", adopt=True),
        desired("x-update", input={"message": "new"}),
        desired("w-pause", state="paused"),
        desired("v-resume"),
        desired("u-same"),
        desired("b-create"),
    ]
    live = [
        reported(desired("y-adopt"), "r1", owner=None),
        reported(desired("x-update"), "r2"),
        reported(desired("w-pause"), "r3"),
        reported(desired("v-resume", state="paused"), "r4"),
        reported(desired("u-same"), "r5"),
        reported(desired("t-gone"), "r6"),
        reported(desired("a-gone"), "r7"),
    ]
    result = plan(bundle(*schedules), live)
    assert [(a.kind, a.name) for a in result.actions] == [
        ("create", "b-create"),
        ("create", "z-create"),
        ("adopt", "y-adopt"),
        ("update", "x-update"),
        ("pause", "w-pause"),
        ("resume", "v-resume"),
        ("archive", "a-gone"),
        ("archive", "t-gone"),
        ("noop", "u-same"),
    ]


def test_the_fingerprint_follows_the_live_schedules_the_plan_depends_on() -> None:
    schedule = desired("a")
    live = [reported(schedule, "sch_1"), reported(desired("b"), "sch_2")]
    unrelated = reported(desired("zz"), "sch_3", owner="other")
    base = plan(bundle(schedule), live).live_fingerprint
    assert base.startswith("sha256:") and len(base) == len("sha256:") + 64
    assert plan(bundle(schedule), list(reversed(live))).live_fingerprint == base  # order of listing
    assert plan(bundle(schedule), [*live, unrelated]).live_fingerprint == base
    assert plan(bundle(desired("a", labels={})), live).live_fingerprint == base  # depends on live only
    changed_live = [replace(live[0], labels={"team": "ops"}), live[1]]
    assert plan(bundle(schedule), changed_live).live_fingerprint != base
    assert plan(bundle(schedule), [*live, reported(desired("c"), "sch_4")]).live_fingerprint != base
    assert plan(bundle(schedule), [replace(live[0], state="paused"), live[1]]).live_fingerprint != base


def test_the_fingerprint_of_schedules_sharing_one_id_does_not_depend_on_their_listing_order() -> None:
    """Two listings of one platform may return two schedules with one id (a read racing a write) in either
    order: a plan made from one must not be stale against the other, and a change to either is seen."""
    schedule = desired("a")
    first = reported(schedule, "sch_1")
    twin = replace(reported(desired("b"), "sch_1"), labels={"team": "ops"})
    base = plan(bundle(schedule, desired("b")), [first, twin]).live_fingerprint
    assert plan(bundle(schedule, desired("b")), [twin, first]).live_fingerprint == base
    changed_twin = replace(twin, labels={"team": "sales"})
    assert plan(bundle(schedule, desired("b")), [changed_twin, first]).live_fingerprint != base


def test_the_fingerprint_covers_colliding_schedules() -> None:
    schedule = desired("a", adopt=True)
    look_alike = reported(desired("a"), "sch_1", owner=None)
    base = plan(bundle(schedule), [look_alike]).live_fingerprint
    assert plan(bundle(schedule), [replace(look_alike, labels={})]).live_fingerprint != base


def test_created_at_is_utc_with_z() -> None:
    assert plan(bundle(), []).created_at == "2026-11-22T10:00:00Z"


def test_plan_all_keeps_bundle_order_and_reports_every_bundles_problems() -> None:
    first = bundle(desired("a"), key="first")
    second = bundle(desired("b"), key="second")
    result = plan_all([(first, []), (second, [])], now=NOW)
    assert [b.bundle_key for b in result.bundles] == ["first", "second"]
    assert result.summary["create"] == 2 and result.has_changes

    clash: list[LiveSchedule] = [reported(desired("a"), "sch_1", owner=None)]
    emptied = bundle(key="third")
    with pytest.raises(PlanError) as caught:
        plan_all([(first, clash), (emptied, [reported(desired("z"), "sch_2", owner="third")])], now=NOW)
    assert not isinstance(caught.value, EmptyBundleError)  # a real problem outranks "confirm"
    assert len(caught.value.diagnostics) == 2


def test_plan_all_uses_each_providers_display_names() -> None:
    schedule = desired("a")
    live = [reported(schedule, "sch_1", display_name="p--a")]
    result = plan_all(
        [(bundle(schedule), live)], now=NOW, display_name_for=lambda b: lambda name: f"p--{name}"
    )
    assert [a.kind for a in result.bundles[0].actions] == ["noop"]
