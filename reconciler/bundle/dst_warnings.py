"""DST warnings (not problems): the rules of a valid schedule whose wall times a DST change of the next 12
months skips or repeats, each at the line that writes the rule (`validate`, docs/timing.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.document import Document
from reconciler.errors import Diagnostic
from reconciler.providers.capabilities import Capabilities
from reconciler.timing.dst import dst_hits, dst_message
from reconciler.timing.durations import format_duration
from reconciler.timing.families import SERVER_WALK_FAMILIES, WALL_CLOCK_INTERVAL_PROVIDERS
from reconciler.timing.spec import Timing

Path_ = tuple[str | int, ...]


def dst_warnings(
    document: Document,
    origin: Path_,
    from_defaults: set[str],
    schedule: DesiredSchedule,
    caps: Capabilities,
    now: datetime,
) -> list[Diagnostic]:
    """One warning per rule of the schedule (each cron, each calendar, the interval) whose wall times a DST
    change of the next 12 months skips or repeats, at the line that writes the rule."""
    timing = schedule.timing
    # (where, the rule as the message names it, the timing of that rule alone). The interval's name (None
    # here) is worded only when a change hits it: this runs for every schedule, and nearly all are hit by none.
    rules: list[tuple[Path_, str | None, Any]] = []
    for i, text in enumerate(timing.cron):
        path: Path_ = ("when", "cron", i) if len(timing.cron) > 1 else ("when", "cron")
        rules.append((path, f"when.cron '{text}'", replace(timing, calendars=(), cron=(text,))))
    for i, calendar in enumerate(timing.calendars):
        rules.append(
            (
                ("when", "calendars", i),
                f"when.calendars[{i}]",
                replace(timing, cron=(), calendars=(calendar,)),
            )
        )
    if timing.every is not None:
        rules.append((("when", "every"), None, timing))
    found = []
    for path, rule, part in rules:
        hits = dst_hits(
            part,
            now,
            wall_clock_intervals=caps.provider in WALL_CLOCK_INTERVAL_PROVIDERS,
            server_walk=caps.provider in SERVER_WALK_FAMILIES,
        )
        if hits:
            where = ("defaults",) if f"when.{path[1]}" in from_defaults else origin
            message = dst_message(schedule.name, part, hits, caps.provider, rule or _every_rule(timing))
            found.append(document.diagnostic(where + path, message))
    return found


def _every_rule(timing: Timing) -> str:
    assert timing.every is not None
    offset = f" (offset {format_duration(timing.offset)})" if timing.offset else ""
    return f"when.every {format_duration(timing.every)}{offset}"
