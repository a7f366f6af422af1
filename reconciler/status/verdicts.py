"""Did each schedule fire as its bundle declares? Expected fires (the forecast engine, with the platform's
semantics) against the platform's own counters, judged into one verdict per schedule.

Pure: the caller reads the platform (`Provider.read_activity`) and passes "now". Verdicts, worst first:
`erroring`, `paused-outside-bundle`, `missed`, `late`, `never-fired`, `unknown`, `ok` (docs/status.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.forecast.semantics import semantics_for
from reconciler.plan.live import Activity, LiveSchedule
from reconciler.plan.origins import outside_pause, pause_note
from reconciler.timing import next_fire_times
from reconciler.timing.instants import read_instant

Verdict = Literal["ok", "late", "missed", "erroring", "never-fired", "paused-outside-bundle", "unknown"]
VERDICTS: tuple[Verdict, ...] = (
    "erroring",
    "paused-outside-bundle",
    "missed",
    "late",
    "never-fired",
    "unknown",
    "ok",
)
ATTENTION = frozenset(VERDICTS) - {"ok"}
# Two times closer than this are one fire (platforms stamp a fire when the run starts, not on the second).
SAME_FIRE = timedelta(minutes=1)
# Expected fires computed per schedule and window (a fire a minute for a week is 10,080). Beyond it, only the
# last day before "now" is computed, and the expected count is not given.
FIRE_LIMIT = 10_000


@dataclass(frozen=True)
class ScheduleStatus:
    bundle_key: str
    provider: str
    name: str
    agent: str
    remote_id: str | None
    verdict: Verdict = "unknown"
    why: str = ""  # one sentence: what was expected and what the platform says
    expected: int | None = None  # fires due in the window (judged: before now - grace); None when not known
    observed: int | None = None  # fires the platform counted in the window; None when its counter cannot say
    last_fire: str | None = None
    next_fire: str | None = None  # ours, from the bundle
    platform_next_fire: str | None = None
    next_disagrees: bool = False  # ours and the platform's next fire differ by more than a minute
    skipped: tuple[
        tuple[str | None, str], ...
    ] = ()  # (when, why) the platform says it skipped, in the window
    last_error: str | None = None
    counters: tuple[str, ...] = ()  # the platform's fields read
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Window:
    now: datetime
    since: timedelta
    grace: timedelta

    @property
    def start(self) -> datetime:
        return self.now - self.since


def judge(
    bundle: Bundle, desired: DesiredSchedule, live: LiveSchedule | None, window: Window
) -> ScheduleStatus:
    """The verdict on one declared schedule."""
    base = ScheduleStatus(
        bundle.key,
        bundle.provider,
        desired.name,
        desired.agent,
        None if live is None else live.remote_id,
        file=desired.file,
        line=desired.line,
    )
    if live is None:
        return replace(
            base, why="not on the platform: the bundle was not applied yet (run `reconciler apply`)"
        )
    activity = live.activity
    counters = activity.counters if activity is not None else ()
    base = replace(base, counters=counters)
    if live.state == "archived":
        return replace(base, why="archived on the platform while the bundle declares it: apply restores it")
    if outside_pause(live) or (live.state == "paused" and desired.state == "active" and live.applied is None):
        note = pause_note(live)
        known = (
            "paused outside the bundle"
            if outside_pause(live)
            else (
                "paused on the platform while the bundle says active (the platform keeps no record of who paused "
                "it: outside the bundle, or an apply not made yet)"
            )
        )
        return replace(base, verdict="paused-outside-bundle", why=f"{known}{f' ({note})' if note else ''}")
    if desired.state == "paused":
        return replace(base, verdict="ok", why="paused as the bundle says: no fire expected")
    if live.state == "paused":
        return replace(base, why="paused by an earlier apply; the bundle now says active: apply resumes it")
    if activity is None or not activity.available:
        why = (
            f"{bundle.provider} gave no live data for this schedule this time"
            if activity is not None
            else f"{bundle.provider} reports no fire counters"
        )
        return replace(base, why=why)
    return _judge_active(base, bundle, desired, activity, window)


def _judge_active(
    base: ScheduleStatus, bundle: Bundle, desired: DesiredSchedule, activity: Activity, window: Window
) -> ScheduleStatus:
    semantics = semantics_for(bundle.provider, bundle.target, desired)
    counted_since = read_instant(activity.counted_since)
    last = read_instant(activity.last_fire)
    anchor = semantics.anchor
    if not semantics.exact and desired.timing.every is not None:
        # The platform counts the interval from a moment the bundle cannot know: its own last fire (or the
        # counter's start) fixes the phase.
        anchor = last or counted_since or anchor
    start = max(window.start, counted_since) if counted_since is not None else window.start
    timing = desired.timing
    # Up to "now" only: the window's fires (a fire at exactly "now" included), never the future's.
    until = replace(timing, end=min(timing.end, window.now) if timing.end is not None else window.now)

    def fires_from(since: datetime) -> list[datetime]:
        after = since - timedelta(microseconds=1)
        return next_fire_times(until, after, FIRE_LIMIT, provider=semantics.provider, anchor=anchor)

    expected = fires_from(start)
    counted = len(expected) < FIRE_LIMIT
    if not counted:
        start = max(start, window.now - window.grace - timedelta(days=1))
        expected = fires_from(start)
    due = [fire for fire in expected if fire <= window.now - window.grace]
    later = next_fire_times(timing, window.now, 1, provider=semantics.provider, anchor=anchor)
    ours_next = later[0] if later else None
    platform_next = read_instant(activity.next_fire)
    disagrees = (
        ours_next is not None and platform_next is not None and abs(ours_next - platform_next) > SAME_FIRE
    )
    observed = None
    if (
        counted
        and activity.total_fires is not None
        and counted_since is not None
        and counted_since >= window.start
    ):
        observed = activity.total_fires
    skipped = tuple(
        (skip.at, skip.reason)
        for skip in activity.skipped
        if skip.at is None or (read_instant(skip.at) or window.now) >= window.start
    )
    status = replace(
        base,
        expected=len(due) if counted else None,
        observed=observed,
        last_fire=activity.last_fire,
        next_fire=_text(ours_next),
        platform_next_fire=activity.next_fire,
        next_disagrees=disagrees,
        skipped=skipped,
        last_error=activity.last_error,
    )
    if activity.last_error:
        return replace(
            status,
            verdict="erroring",
            why=f"the platform's last attempt to start a run failed: {activity.last_error}",
        )
    if not due:
        return replace(status, verdict="ok", why="no fire was due in the window")
    latest = due[-1]
    # A skip the platform reports for a due fire of the window; a bare count of missed fires only when its
    # counter started in the window (a count since creation says nothing about this window).
    judged_skips = [
        (at, reason)
        for at, reason in skipped
        if at is None or (start <= (read_instant(at) or start) <= window.now)
    ]
    missed_count = (
        activity.missed
        if activity.missed and counted_since is not None and counted_since >= window.start
        else 0
    )
    if judged_skips or missed_count:
        reasons = sorted({reason for _, reason in judged_skips}) or [
            f"{missed_count} missed (the platform's count)"
        ]
        return replace(
            status, verdict="missed", why=f"the platform skipped or missed a due fire: {'; '.join(reasons)}"
        )
    if last is not None and last >= latest - SAME_FIRE and (observed is None or observed >= len(due)):
        return replace(status, verdict="ok", why=f"fired as expected (last at {_text(last)})")
    if last is None and not activity.total_fires:
        return replace(
            status,
            verdict="never-fired",
            why=f"{len(due)} fire(s) were due since {_text(start)}; the platform has none",
        )
    if observed is not None and observed < len(due):
        why = f"the platform counted {observed} of the {len(due)} fires due in the window, and says nothing of the rest"
    else:
        seen = f"last fire {_text(last)}" if last is not None else "no fire time"
        why = f"a fire was due at {_text(latest)} and is not seen after a grace of {_minutes(window.grace)} ({seen})"
    return replace(status, verdict="late", why=why)


def worst(statuses: list[ScheduleStatus]) -> Verdict | None:
    found = {status.verdict for status in statuses}
    return next((verdict for verdict in VERDICTS if verdict in found), None)


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min"
