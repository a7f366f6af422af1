"""Which messages a sequence of snapshots calls for: one per new condition, one on recovery, none while a
condition stays; at most one per condition per interval (a flapping bundle does not spam) and a global cap
a minute. Pure: the snapshots and the clock are made up here."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from reconciler.controller.conditions import GLOBAL_PER_MINUTE, Announcer, Message, conditions
from reconciler.controller.snapshot import BundleStatus, Snapshot

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
OK = BundleStatus("ops", "ops.yaml", "temporal", result="ok", commit="a" * 40, schedules=3)


def snap(*bundles: BundleStatus, commit: str = "c" * 40) -> Snapshot:
    return Snapshot("https://git.example/repo.git", "main", commit, T0, True, bundles)


def drifted(*names: str, bundle: BundleStatus = OK) -> BundleStatus:
    return replace(bundle, result="drift", policy="report", drifted=names)


def said(messages: list[Message]) -> list[tuple[str, str, str]]:
    return [(m.event, m.state, m.text) for m in messages]


def test_each_kind_of_condition_is_found_with_its_details() -> None:
    broken = replace(
        OK,
        key="billing",
        path="billing.yaml",
        result="invalid",
        invalid="billing.yaml:12: schedules[0].cron: 'every tuesday' is not a cron expression",
    )
    failing = replace(OK, key="support", result="failed", failures=("nightly: HTTP 503 from the platform",))
    judged = replace(OK, key="ops", drifted=("weekly",), verdicts={"weekly": "missed", "daily": "ok"})
    found = conditions(snap(broken, failing, judged))
    assert set(found) == {
        ("validation_failed", "billing", ""),
        ("apply_failed", "support", ""),
        ("drift", "ops", ""),
        ("verdict_changed", "ops", "weekly"),  # "ok" needs no attention
    }
    assert found[("validation_failed", "billing", "")].details == (broken.invalid,)
    assert found[("drift", "ops", "")].schedules == ("weekly",)


def test_one_message_per_new_condition_one_on_recovery_none_while_it_stays() -> None:
    announcer = Announcer(min_interval=timedelta(minutes=1))
    assert announcer.step(snap(OK), T0) == []
    first = announcer.step(snap(drifted("nightly", "weekly")), T0 + timedelta(minutes=5))
    assert said(first) == [
        (
            "drift",
            "firing",
            "ops: drift found in 2 schedule(s): nightly, weekly — reported, not changed (policy report)",
        )
    ]
    assert first[0].schedules == ("nightly", "weekly") and first[0].commit == "c" * 40
    # still drifted, even with another schedule: the same condition, nothing to say
    assert announcer.step(snap(drifted("nightly")), T0 + timedelta(minutes=10)) == []
    assert announcer.step(snap(drifted("nightly", "daily")), T0 + timedelta(minutes=15)) == []
    recovered = announcer.step(snap(OK), T0 + timedelta(minutes=20))
    assert said(recovered) == [("drift", "resolved", "ops: no drift any more")]
    assert announcer.step(snap(OK), T0 + timedelta(minutes=25)) == []


def test_a_verdict_change_says_old_and_new_only_into_and_out_of_attention() -> None:
    announcer = Announcer()
    judged = replace(OK, verdicts={"nightly": "ok"})
    assert announcer.step(snap(judged), T0) == []
    late = announcer.step(snap(replace(OK, verdicts={"nightly": "late"})), T0 + timedelta(minutes=5))
    assert said(late) == [("verdict_changed", "firing", "ops/nightly: ok → late")]
    assert late[0].details == ("ok → late",)
    # late → missed: still needing attention, the same condition
    assert announcer.step(snap(replace(OK, verdicts={"nightly": "missed"})), T0 + timedelta(minutes=10)) == []
    back = announcer.step(snap(judged), T0 + timedelta(minutes=15))
    assert said(back) == [("verdict_changed", "resolved", "ops/nightly: missed → ok")]  # the latest verdict
    announcer.step(snap(replace(OK, verdicts={"nightly": "erroring"})), T0 + timedelta(minutes=20))
    gone = announcer.step(snap(), T0 + timedelta(minutes=25))
    assert said(gone) == [("verdict_changed", "resolved", "ops/nightly: erroring → gone")]


def test_a_flapping_condition_sends_at_most_one_message_per_interval() -> None:
    announcer = Announcer(min_interval=timedelta(minutes=10))
    sent = []
    for minute in range(0, 30):  # drifted on even minutes, healed on odd ones, for half an hour
        status = drifted("nightly") if minute % 2 == 0 else OK
        sent += announcer.step(snap(status), T0 + timedelta(minutes=minute))
    times = [m.time for m in sent]
    assert len(sent) == 3 and all(b - a >= timedelta(minutes=10) for a, b in pairwise(times))
    # it settles: the last state is told once the interval allows, and only once
    settled = [announcer.step(snap(OK), T0 + timedelta(minutes=m)) for m in range(30, 60)]
    tail = [m for batch in settled for m in batch]
    assert [m.state for m in sent + tail] == ["firing", "resolved", "firing", "resolved"]


def test_a_change_that_flips_back_before_it_is_due_is_never_sent() -> None:
    announcer = Announcer(min_interval=timedelta(minutes=10))
    assert len(announcer.step(snap(drifted("nightly")), T0)) == 1
    assert announcer.step(snap(OK), T0 + timedelta(minutes=2)) == []  # too soon: waits
    assert announcer.step(snap(drifted("nightly")), T0 + timedelta(minutes=4)) == []  # flipped back
    assert announcer.step(snap(drifted("nightly")), T0 + timedelta(minutes=20)) == []  # nothing stale


def test_the_global_cap_holds_and_the_rest_follow_later_oldest_first() -> None:
    many = [replace(OK, key=f"b{n:03d}", path=f"b{n:03d}.yaml") for n in range(GLOBAL_PER_MINUTE + 15)]
    announcer = Announcer(min_interval=timedelta(minutes=1))
    assert announcer.step(snap(*many), T0) == []
    failing = [replace(b, result="failed", failures=("HTTP 500",)) for b in many]
    first = announcer.step(snap(*failing), T0 + timedelta(seconds=1))
    assert len(first) == GLOBAL_PER_MINUTE
    assert announcer.step(snap(*failing), T0 + timedelta(seconds=30)) == []  # the minute is not over
    second = announcer.step(snap(*failing), T0 + timedelta(seconds=62))
    assert len(second) == 15
    assert {m.bundle for m in first + second} == {b.key for b in many}  # every one, once


def test_validation_and_apply_failures_say_where_and_what() -> None:
    announcer = Announcer()
    announcer.step(snap(OK), T0)
    error = "ops.yaml:7: schedules[1].timezone: 'Mars/Olympus' is not an IANA timezone"
    bad = replace(OK, result="invalid", invalid=error)
    assert said(announcer.step(snap(bad), T0 + timedelta(minutes=2))) == [
        (
            "validation_failed",
            "firing",
            f"ops: the watched ref fails validation: {error} (the last good version stays applied)",
        )
    ]
    failed = replace(OK, result="failed", failures=tuple(f"s{n}: HTTP 500" for n in range(7)))
    messages = announcer.step(snap(failed), T0 + timedelta(minutes=4))
    assert said(messages) == [
        ("validation_failed", "resolved", "ops: the watched ref validates again"),
        (
            "apply_failed",
            "firing",
            "ops: apply failed: s0: HTTP 500; s1: HTTP 500; s2: HTTP 500; s3: HTTP 500; s4: HTTP 500 (+2 more)",
        ),
    ]
    assert said(announcer.step(snap(), T0 + timedelta(minutes=6))) == [
        ("apply_failed", "resolved", "ops: the bundle is no longer watched")
    ]
