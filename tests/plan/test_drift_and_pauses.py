"""Drift or pending, and pauses made outside the bundle: what the record of the last apply lets a plan say.

Issue 18: a change made on the platform (drift) is told from a bundle change not applied yet (pending); a
pause an operator made is kept under `pauses: respect`, resumed under `heal` or after `respectFor`; under
`drift: report` drifted fields are left as they are and listed, while pending changes are applied.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from reconciler.plan.explain import to_text
from reconciler.plan.model import Action, Plan
from reconciler.plan.normalise import applied_record
from reconciler.plan.planner import plan_bundle
from reconciler.timing.spec import Timing
from tests.plan.factories import NOW, bundle, desired, reported


def _plan(schedule, live, **policies):  # type: ignore[no-untyped-def]
    return plan_bundle(replace(bundle(schedule), **policies), [live], now=NOW, timing_of=_timing)


def _timing(when):  # type: ignore[no-untyped-def]
    return Timing(cron=(when["cron"],), timezone=when.get("timezone"))


def _step(schedule, live, **policies) -> Action:  # type: ignore[no-untyped-def]
    (action,) = _plan(schedule, live, **policies).actions
    return action


def _applied(schedule):  # type: ignore[no-untyped-def]
    """The live schedule right after `schedule` was applied, with the record this version writes."""
    return reported(schedule, "s1", applied=applied_record(schedule))


def test_a_change_made_on_the_platform_is_drift_and_a_bundle_change_is_pending() -> None:
    before = desired("digest")
    live = replace(_applied(before), labels={"team": "sales"})  # someone relabelled it on the platform
    action = _step(before, live)
    assert action.kind == "update"
    assert [(c.path, c.origin) for c in action.changes] == [("labels.team", "drift")]

    after = desired("digest", when={"cron": "0 10 * * 1-5", "timezone": "Europe/Berlin"})
    action = _step(after, _applied(before))
    assert [(c.path, c.origin) for c in action.changes] == [("when.cron", "pending")]

    action = _step(after, replace(_applied(before), when={"cron": "0 7 * * *", "timezone": "Europe/Berlin"}))
    assert {c.origin for c in action.changes} == {"both"}


def test_without_a_record_the_origin_is_unknown() -> None:
    before = desired("digest")
    live = reported(before, "s1", labels={"team": "sales"})  # an older version's marker: no record
    assert {c.origin for c in _step(before, live).changes} == {"unknown"}


def test_a_pause_made_outside_the_bundle_is_kept_and_shown() -> None:
    schedule = desired("digest")
    live = replace(_applied(schedule), state="paused", changed_at="2026-11-22T08:00:00Z", changed_by="ops@x")
    action = _step(schedule, live)
    assert action.kind == "noop"  # never resumed
    assert [c.path for c in action.kept] == ["state"]
    assert "paused outside the bundle (since 2026-11-22T08:00:00Z, by ops@x)" in action.reason
    text = to_text(Plan((_plan(schedule, live),)), color=False)
    assert "‖ paused  digest" in text
    assert "1 paused outside the bundle, kept paused" in text


def test_a_kept_pause_with_other_changes_updates_and_stays_paused() -> None:
    before = desired("digest")
    live = replace(_applied(before), state="paused")
    after = desired("digest", when={"cron": "0 10 * * 1-5", "timezone": "Europe/Berlin"})
    action = _step(after, live)
    assert action.kind == "update"
    assert [c.path for c in action.changes] == ["when.cron"]
    assert action.desired is not None and action.desired.state == "paused"  # what the update writes
    # ... while the marker still records that the bundle wants it active: the next plan keeps it paused too
    assert action.desired.record is not None and action.desired.record.state == "active"


def test_heal_resumes_and_respect_for_expires() -> None:
    schedule = desired("digest")
    live = replace(_applied(schedule), state="paused", changed_at="2026-11-18T10:00:00Z")
    assert _step(schedule, live, pauses="heal").kind == "resume"
    assert _step(schedule, live, respect_for=int(timedelta(days=3).total_seconds())).kind == "resume"
    assert _step(schedule, live, respect_for=int(timedelta(days=5).total_seconds())).kind == "noop"


def test_a_pause_the_bundle_asked_for_is_resumed_when_the_bundle_says_active() -> None:
    paused = desired("digest", state="paused")
    live = _applied(paused)  # the reconciler paused it: the record says paused
    assert _step(desired("digest"), live).kind == "resume"


def test_drift_report_leaves_drift_and_applies_pending() -> None:
    before = desired("digest")
    after = desired("digest", when={"cron": "0 10 * * 1-5", "timezone": "Europe/Berlin"})
    live = replace(_applied(before), labels={"team": "sales"})
    action = _step(after, live, drift="report")
    assert action.kind == "update"
    assert [c.path for c in action.changes] == ["when.cron"]
    assert [c.path for c in action.kept] == ["labels.team"]
    assert action.desired is not None and action.desired.labels == {"team": "sales"}  # written back unchanged
    # the record keeps the bundle's labels, so the next plan still reports the drift
    assert action.desired.record == applied_record(after)

    only_drift = _step(before, live, drift="report")
    assert only_drift.kind == "noop" and [c.path for c in only_drift.kept] == ["labels.team"]
    assert "drift left as it is" in only_drift.reason


def test_an_apply_cut_short_between_resume_and_record_is_completed() -> None:
    schedule = desired("digest")
    live = replace(_applied(schedule), applied=applied_record(schedule).with_state("paused"))
    action = _step(schedule, live)  # live active, as the bundle says, but the record still says paused
    assert action.kind == "update" and "record the schedule's state" in action.reason
