"""`status` verdicts: expected fires (the forecast engine) against what the platform's counters say."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from reconciler.plan.live import Activity, Skip
from reconciler.plan.normalise import applied_record
from reconciler.status.report import needs_attention, to_json, to_markdown, to_text
from reconciler.status.verdicts import Window, judge
from reconciler.timing.spec import Timing
from tests.plan.factories import bundle, desired, reported

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday
WINDOW = Window(NOW, timedelta(hours=24), timedelta(minutes=10))
HOURLY = desired(
    "sync", when={"cron": "0 * * * *"}, timing=Timing(cron=("0 * * * *",), timezone="UTC")
)  # due at 12:00 is inside the grace; 11:00 is the last one judged


def _live(activity: Activity | None, **fields):  # type: ignore[no-untyped-def]
    live = reported(HOURLY, "s1", applied=applied_record(HOURLY), **fields)
    return replace(live, activity=activity)


def _verdict(activity: Activity | None, **fields):  # type: ignore[no-untyped-def]
    return judge(bundle(HOURLY), HOURLY, _live(activity, **fields), WINDOW)


def test_a_schedule_that_fired_on_time_is_ok() -> None:
    status = _verdict(Activity(("info.lastFireAt",), last_fire="2026-11-23T11:00:04Z"))
    assert status.verdict == "ok" and status.expected == 24


def test_a_due_fire_not_seen_after_the_grace_is_late() -> None:
    status = _verdict(Activity(("info.lastFireAt",), last_fire="2026-11-23T09:00:00Z", total_fires=5))
    assert status.verdict == "late"
    assert "2026-11-23T11:00:00Z" in status.why


def test_a_skip_the_platform_reports_is_missed_with_its_reason() -> None:
    skip = Skip("2026-11-23T11:00:00Z", "overlap: the previous run was still running")
    status = _verdict(Activity(("info.lastSkippedAt",), last_fire="2026-11-23T10:00:00Z", skipped=(skip,)))
    assert status.verdict == "missed" and "overlap" in status.why


def test_never_fired_erroring_and_unknown() -> None:
    assert _verdict(Activity(("info.totalFires",), total_fires=0)).verdict == "never-fired"
    erroring = _verdict(Activity(("last_spawn_error",), last_error="skill not found"))
    assert erroring.verdict == "erroring" and "skill not found" in erroring.why
    unknown = _verdict(None)
    assert unknown.verdict == "unknown" and "no fire counters" in unknown.why


def test_a_counter_that_started_in_the_window_counts_what_was_observed() -> None:
    since = "2026-11-23T08:30:00Z"  # created then: 09, 10, 11 were due
    status = _verdict(
        Activity(("info.totalFires",), total_fires=2, counted_since=since, last_fire="2026-11-23T11:00:00Z")
    )
    assert (status.expected, status.observed) == (3, 2)
    assert status.verdict == "late"  # the last fire is there, one in between is not


def test_a_pause_made_outside_the_bundle_needs_attention_and_one_the_bundle_asked_for_does_not() -> None:
    outside = _verdict(Activity(()), state="paused", changed_at="2026-11-23T07:00:00Z")
    assert outside.verdict == "paused-outside-bundle" and "since 2026-11-23T07:00:00Z" in outside.why
    paused = replace(HOURLY, state="paused")
    live = replace(reported(paused, "s1", applied=applied_record(paused)), activity=Activity(()))
    assert judge(bundle(paused), paused, live, WINDOW).verdict == "ok"


def test_next_fire_disagreement_is_reported() -> None:
    status = _verdict(
        Activity(("info.nextFireAt",), last_fire="2026-11-23T11:00:00Z", next_fire="2026-11-23T13:30:00Z")
    )
    assert status.next_fire == "2026-11-23T13:00:00Z" and status.next_disagrees
    assert "next fire disagrees" in to_text([status], WINDOW)


def test_not_applied_yet_is_unknown() -> None:
    status = judge(bundle(HOURLY), HOURLY, None, WINDOW)
    assert status.verdict == "unknown" and "apply" in status.why


@pytest.mark.parametrize("render", [to_text, to_markdown])
def test_outputs_name_each_schedule_that_needs_attention(render) -> None:  # type: ignore[no-untyped-def]
    late = _verdict(Activity((), last_fire="2026-11-23T09:00:00Z", total_fires=1))
    ok = _verdict(Activity((), last_fire="2026-11-23T11:00:00Z"))
    text = render([late, ok], WINDOW)
    assert "support-digests/sync" in text and "late" in text
    assert needs_attention([late, ok]) and not needs_attention([ok])
    document = to_json([late, ok], WINDOW)
    assert document["summary"]["late"] == 1 and document["needs_attention"] is True


def test_a_fire_a_minute_over_a_week_is_judged_on_its_last_fires() -> None:
    every_minute = desired(
        "poll", when={"cron": "* * * * *"}, timing=Timing(cron=("* * * * *",), timezone="UTC")
    )
    live = replace(
        reported(every_minute, "s2", applied=applied_record(every_minute)),
        activity=Activity((), last_fire="2026-11-23T11:49:00Z"),
    )
    status = judge(
        bundle(every_minute), every_minute, live, Window(NOW, timedelta(days=8), timedelta(minutes=10))
    )
    assert status.verdict == "ok" and status.expected is None  # too many to count, the last one judged
    late = replace(live, activity=Activity((), last_fire="2026-11-23T09:00:00Z"))
    assert (
        judge(
            bundle(every_minute), every_minute, late, Window(NOW, timedelta(days=8), timedelta(minutes=10))
        ).verdict
        == "late"
    )
