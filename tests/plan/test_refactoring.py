"""Issue 19 in the planner: renames in place (and moves between bundles), partial plans, `ignore:`."""

from __future__ import annotations

from dataclasses import replace

from reconciler.plan.explain import to_text
from reconciler.plan.model import Plan
from reconciler.plan.options import Scope
from reconciler.plan.planner import plan_bundle
from reconciler.plan.selection import selector
from reconciler.timing.spec import Timing
from tests.plan.factories import KEY, NOW, bundle, desired, reported


def _timing(when):  # type: ignore[no-untyped-def]
    return Timing(cron=(when["cron"],), timezone=when.get("timezone"))


def _plan(b, live, **scope):  # type: ignore[no-untyped-def]
    return plan_bundle(b, live, now=NOW, timing_of=_timing, scope=Scope(**scope))


def _steps(result):  # type: ignore[no-untyped-def]
    return [(a.kind, a.name, a.remote_id) for a in result.actions]


def test_a_rename_is_one_step_that_keeps_the_live_schedule() -> None:
    old = desired("nightly")
    new = replace(old, name="nightly-v2", renamed_from=(KEY, "nightly"))
    result = _plan(bundle(new), [reported(old, "sch_1")])
    assert _steps(result) == [("rename", "nightly-v2", "sch_1")]
    (step,) = result.actions
    assert [(c.path, c.before, c.after) for c in step.changes] == [("name", "nightly", "nightly-v2")]
    assert "→ rename  nightly → nightly-v2 (agent_x)" in to_text(Plan((result,)), color=False)


def test_a_rename_with_other_edits_is_one_step_with_both() -> None:
    old = desired("nightly")
    new = replace(desired("nightly-v2", input={"message": "new text"}), renamed_from=(KEY, "nightly"))
    (step,) = _plan(bundle(new), [reported(old, "sch_1")]).actions
    assert step.kind == "rename"
    assert [c.path for c in step.changes] == ["name", "input.message"]


def test_where_the_platform_cannot_rename_both_halves_are_planned() -> None:
    old = desired("nightly")
    new = replace(old, name="nightly-v2", renamed_from=(KEY, "nightly"))
    result = _plan(bundle(new), [reported(old, "sch_1")], renames_in_place=False)
    assert _steps(result) == [("create", "nightly-v2", None), ("archive", "nightly", "sch_1")]
    assert "recreate (the platform cannot rename)" in result.actions[0].reason


def test_a_move_from_another_bundle_hands_ownership_over() -> None:
    theirs = desired("digest")
    mine = replace(desired("digest"), renamed_from=("other-team", "digest"))
    result = _plan(bundle(mine), [reported(theirs, "sch_9", owner="other-team")])
    (step,) = result.actions
    assert (step.kind, step.remote_id) == ("rename", "sch_9")
    assert [(c.path, c.before, c.after) for c in step.changes][:2] == [
        ("name", "digest", "digest"),
        ("bundleKey", "other-team", KEY),
    ]
    # ... and the other bundle's own plan does not prune what this one takes
    other = replace(bundle(key="other-team"), schedules=())
    claimed = _plan(
        other, [reported(theirs, "sch_9", owner="other-team")], claimed=frozenset({("agent_x", "digest")})
    )
    assert [a.kind for a in claimed.actions] == []


def test_a_new_schedule_may_take_the_name_a_rename_leaves() -> None:
    old = desired("nightly")
    renamed = replace(old, name="nightly-old", renamed_from=(KEY, "nightly"))
    result = _plan(bundle(desired("nightly"), renamed), [reported(old, "sch_1")])
    assert _steps(result) == [("rename", "nightly-old", "sch_1"), ("create", "nightly", None)]


def test_a_partial_plan_never_prunes_outside_its_selection() -> None:
    a, b = desired("digest-emea"), desired("briefing")
    live = [reported(a, "s1"), reported(b, "s2"), reported(desired("gone"), "s3")]
    only_digests = selector(KEY, ["digest-*"], [])
    changed = replace(desired("briefing"), input={"message": "changed"})
    result = _plan(bundle(a, changed), live, selected=only_digests)
    assert _steps(result) == [("noop", "digest-emea", "s1")]  # briefing untouched, gone not archived
    everything_but = selector(KEY, [], [f"{KEY}/briefing"])
    result = _plan(bundle(a, changed), live, selected=everything_but)
    assert ("archive", "gone", "s3") in _steps(result) and all(n != "briefing" for _, n, _ in _steps(result))


def test_ignored_fields_are_neither_compared_nor_written_back() -> None:
    schedule = replace(desired("digest"), ignore=("input.message", "labels.owner"))
    live = reported(
        desired("digest", input={"message": "edited in the UI"}, labels={"team": "support", "owner": "kim"}),
        "s1",
    )
    (step,) = _plan(bundle(schedule), [live]).actions
    assert step.kind == "noop" and {c.path for c in step.ignored} == {"input.message", "labels.owner"}
    text = to_text(Plan((_plan(bundle(schedule), [live]),)), color=False)
    assert "2 difference(s) ignored" in text
    # another change is still applied, and writes the platform's values of the ignored fields
    changed = replace(
        schedule,
        when={"cron": "0 10 * * 1-5", "timezone": "Europe/Berlin"},
        timing=Timing(cron=("0 10 * * 1-5",), timezone="Europe/Berlin"),
    )
    (step,) = _plan(bundle(changed), [live]).actions
    assert step.kind == "update" and [c.path for c in step.changes] == ["when.cron"]
    assert step.desired is not None and step.desired.input["message"] == "edited in the UI"
    assert step.desired.labels == {"team": "support", "owner": "kim"}
