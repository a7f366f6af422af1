"""What the ownership marker must say, beyond the owner: the checks the planner makes on it.

A marker that says less than this version records (the schedule's name, its id, the bundle's file, the state
last set) is completed by an update; one bundleKey applied from two files is refused. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from reconciler.bundle.desired import Bundle
from reconciler.errors import Diagnostic
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import Action


def completing_marker(bundle: Bundle, action: Action, live: LiveSchedule) -> Action:
    """`action`, made an update where the live marker lacks what this version records (its name, its
    id, its source, the state last set) or names the file the bundle moved from: a marker that says less than
    it should is how a copy would pass for ours, or how one bundleKey could be applied from two files
    unnoticed."""
    why = [live.incomplete_marker] if live.incomplete_marker else []
    desired = action.desired
    recorded = live.applied
    # An apply cut short between the state and the record leaves a record that no longer says which
    # state the reconciler set: written again, before an operator's pause could be mistaken for ours.
    if (
        recorded is not None
        and desired is not None
        and not action.kept
        and live.state == desired.state
        and recorded.state != desired.state
    ):
        why.append("record the schedule's state in its ownership marker")
    if bundle.source and live.source != bundle.source:
        moved = live.source is not None and live.source == bundle.moved_from
        why.append(
            "the bundle moved here (movedFrom): its file is recorded in the ownership marker"
            if moved
            else "record the bundle's file in its ownership marker"
        )
    if not why or live.state == "archived" or action.kind not in ("noop", "pause", "resume"):
        return action
    reason = "; ".join(text for text in (action.reason, *why) if text)
    return replace(action, kind="update", reason=reason)


def applied_elsewhere(bundle: Bundle, item: LiveSchedule) -> bool:
    """Whether `item`'s marker says it was applied from another file than this bundle's (and not from the
    one the bundle says it moved from)."""
    source = bundle.source
    return bool(source and item.source is not None and item.source not in (source, bundle.moved_from))


def other_files_problem(bundle: Bundle, found: Sequence[LiveSchedule]) -> Diagnostic:
    """One bundleKey in two files, applied by separate runs, would undo each other on every apply (each
    archives the other's schedules and restores its own): refused, naming where to look."""
    names = ", ".join(sorted({f"'{item.name}'" for item in found})[:5]) + (", ..." if len(found) > 5 else "")
    files = ", ".join(sorted({str(item.source) for item in found}))
    return Diagnostic(
        bundle.file,
        bundle.line,
        0,
        f"bundle '{bundle.key}': {len(found)} live schedule(s) of this bundleKey ({names}) were "
        f"applied from another file ({files}), not from this one. A bundleKey belongs to one file: two "
        "files applied by separate runs would undo each other on every apply. Give one of them another "
        "bundleKey; or, if this bundle moved here, add `movedFrom: <the old file's path from the "
        "repository root>` to it (see docs/safety.md).",
    )
