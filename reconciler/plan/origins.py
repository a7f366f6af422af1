"""Drift or pending, and pauses made outside the bundle: what the record of the last apply tells the planner.

A difference between the bundle and the platform has two possible sources: someone changed the schedule on
the platform (drift), or the bundle changed and was not applied yet (pending). The ownership marker keeps a
record of what was last applied (`reconciler.plan.record`); comparing each side with it tells them apart, and
tells a pause an operator made from one the bundle asked for. Pure: the planner passes everything in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import Change
from reconciler.plan.normalise import DIGEST_PREFIX, applied_record, canonical_json
from reconciler.plan.record import GROUPS, AppliedRecord, group_digest
from reconciler.timing.durations import format_duration
from reconciler.timing.instants import read_instant
from reconciler.timing.spec import Timing

# How a `when` the platform reports is turned back into a Timing (the provider's capabilities decide): None
# when it cannot be. Needed only to leave a drifted `when` as it is under `drift: report`.
TimingOf = Callable[[Mapping[str, Any]], Timing | None]


def group_of(change: Change) -> str:
    return change.path.split(".", 1)[0]


def with_origins(
    changes: tuple[Change, ...],
    desired: DesiredSchedule,
    live: LiveSchedule,
    want: Mapping[str, Any],
    seen: Mapping[str, Any],
    digest_key: bytes,
) -> tuple[Change, ...]:
    """`changes`, each labelled drift, pending, both or unknown (see `Change.origin`)."""
    record = live.applied
    judged: dict[str, str] = {}

    def origin(group: str) -> str:
        if group not in judged:
            judged[group] = _origin(group, desired, live, want, seen, record, digest_key)
        return judged[group]

    return tuple(replace(change, origin=origin(group_of(change))) for change in changes)


def _origin(
    group: str,
    desired: DesiredSchedule,
    live: LiveSchedule,
    want: Mapping[str, Any],
    seen: Mapping[str, Any],
    record: AppliedRecord | None,
    digest_key: bytes,
) -> str:
    if record is None:
        return "unknown"
    if group == "state":
        bundle_moved, live_moved = desired.state != record.state, live.state != record.state
    elif group in GROUPS:
        recorded = record.digest(group)
        bundle_moved = (
            group_digest(group, canonical_json(want.get(group), digest_key), digest_key) != recorded
        )
        live_moved = group_digest(group, canonical_json(seen.get(group), digest_key), digest_key) != recorded
    else:
        return "pending"  # `protect` lives in the marker itself: only the bundle changes it
    if bundle_moved and live_moved:
        return "both"
    if live_moved:
        return "drift"
    if bundle_moved:
        return "pending"
    return (
        "unknown"  # the record agrees with both sides, yet they differ: a record this version did not write
    )


def leave_alone(
    bundle: Bundle,
    desired: DesiredSchedule,
    live: LiveSchedule,
    changes: tuple[Change, ...],
    now: datetime,
    digest_key: bytes,
    timing_of: TimingOf | None,
) -> tuple[DesiredSchedule, tuple[Change, ...], tuple[Change, ...], list[str]]:
    """What the step leaves as it is: a pause made outside the bundle (`pauses: respect`), drifted fields
    (`drift: report`). Returns the desired schedule to write, the changes to make, those kept, and why."""
    kept: list[Change] = []
    notes: list[str] = []
    held_why, held = held_pause(bundle, desired, live, now)
    if held_why:
        notes.append(held_why)
    if held:
        kept += [change for change in changes if change.path == "state"]
        changes = tuple(change for change in changes if change.path != "state")
        desired = keep_paused(desired, digest_key)
    if bundle.drift == "report":
        drifted = {group_of(c) for c in changes if c.origin == "drift"}
        if drifted:
            desired, restored = keep_drift(desired, live, drifted, digest_key, timing_of)
            left = drifted - restored
            kept += [change for change in changes if group_of(change) in left]
            changes = tuple(change for change in changes if group_of(change) not in left)
            if left:
                notes.append(f"drift left as it is (drift: report): {', '.join(sorted(left))}")
            if restored:
                notes.append(
                    f"drift restored although drift: report ({', '.join(sorted(restored))}): the platform "
                    "does not return it in a form that can be written back"
                )
    return desired, changes, tuple(kept), notes


def outside_pause(live: LiveSchedule) -> bool:
    """Paused on the platform while the record says the reconciler last set it active."""
    return live.state == "paused" and live.applied is not None and live.applied.state == "active"


def pause_note(live: LiveSchedule) -> str:
    """`since …, by …` as far as the platform says."""
    parts = [
        f"since {live.changed_at}" if live.changed_at else "",
        f"by {live.changed_by}" if live.changed_by else "",
    ]
    return ", ".join(part for part in parts if part)


def held_pause(
    bundle: Bundle, desired: DesiredSchedule, live: LiveSchedule, now: datetime
) -> tuple[str, bool]:
    """(why, keep): whether a pause made outside the bundle is kept, and the words the plan shows for it.
    `why` is "" when the schedule is not paused outside the bundle."""
    if desired.state != "active" or not outside_pause(live):
        return "", False
    note = pause_note(live)
    shown = f"paused outside the bundle ({note})" if note else "paused outside the bundle"
    if bundle.pauses == "heal":
        return f"{shown}: resumed (pauses: heal)", False
    if bundle.respect_for is not None and live.changed_at:
        since = read_instant(live.changed_at)
        if since is not None and now - since > timedelta(seconds=bundle.respect_for):
            return (
                f"{shown}: kept longer than respectFor {format_duration(bundle.respect_for)}, resumed",
                False,
            )
    return f"{shown}: kept paused (pauses: respect)", True


def keep_paused(desired: DesiredSchedule, digest_key: bytes) -> DesiredSchedule:
    """What to write so the schedule stays paused while the record still says the bundle wants it active."""
    return replace(desired, state="paused", record=_record(desired, digest_key))


def keep_drift(
    desired: DesiredSchedule,
    live: LiveSchedule,
    groups: set[str],
    digest_key: bytes,
    timing_of: TimingOf | None,
) -> tuple[DesiredSchedule, set[str]]:
    """`desired` with the drifted `groups` taken from the platform, so an update leaves them as they are; and
    the groups that could not be kept (a `when` the provider cannot read back into timing, an `input` the
    platform returns only as digests of secrets): those are restored, and the plan says so."""
    record = _record(desired, digest_key)
    merged = desired
    restored: set[str] = set()
    for group in sorted(groups):
        if group == "state" and live.state in ("active", "paused"):
            merged = replace(merged, state="active" if live.state == "active" else "paused")
        elif group == "labels":
            merged = replace(merged, labels=dict(live.labels))
        elif group == "options":
            merged = replace(merged, options=dict(live.options))
        elif group == "input" and not _has_digest(live.input):
            merged = replace(merged, input=dict(live.input))
        elif group == "when" and timing_of is not None and (timing := timing_of(live.when)) is not None:
            merged = replace(merged, when=dict(live.when), timing=timing)
        else:
            restored.add(group)
    return replace(merged, record=record), restored


def _record(desired: DesiredSchedule, digest_key: bytes) -> AppliedRecord:
    return desired.record if desired.record is not None else applied_record(desired, digest_key)


def _has_digest(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith(DIGEST_PREFIX)
    if isinstance(value, Mapping):
        return any(_has_digest(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_digest(v) for v in value)
    return False
