"""Agentex timing <-> the bundle's `when`. Pure.

Out: the bundle's Vixie cron is sent as its canonical text, which Temporal reads the same way once
`validate` has refused crons that restrict both day fields (Temporal ANDs them) and `#` (a comment there).
Back: a live cron is read with Temporal's own grammar and written in bundle terms exactly (a cron where
one exists, else calendars), so a cron made by hand on the platform is shown for what it really does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.when import calendar_as_bundle
from reconciler.errors import ConfigError
from reconciler.timing import TimingError, calendars_to_cron, format_duration
from reconciler.timing.temporal_cron import parse_temporal_cron


def iso(value: datetime | None) -> str | None:
    """The bundle's spelling of an instant (and what the wire carries): UTC with 'Z', whole seconds kept."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _reread(text: Any) -> str | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return iso(datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")))
    except ValueError:
        return text


def wire_timing(desired: DesiredSchedule) -> dict[str, Any]:
    """cron_expression or interval_seconds, and the window, for a validated desired schedule."""
    timing = desired.timing
    if timing.offset or len(timing.cron) > 1 or timing.calendars or timing.at is not None:
        # `validate` refuses these for agentex; never send something that would fire differently.
        raise ConfigError(f"schedule '{desired.name}': agentex takes one cron or an interval without offset")
    out: dict[str, Any] = {}
    if timing.cron:
        out["cron_expression"] = timing.cron[0]
    if timing.every is not None:
        out["interval_seconds"] = timing.every
    if timing.start is not None:
        out["start_at"] = iso(timing.start)
    if timing.end is not None:
        out["end_at"] = iso(timing.end)
    return out


def when_from_wire(
    crons: list[str], intervals: list[int], zone: str | None, start: Any, end: Any
) -> dict[str, Any]:
    """The bundle's `when` for what the platform holds; shapes a bundle cannot write are shown whole."""
    when: dict[str, Any] = {"timezone": zone or "UTC"}
    if len(crons) + len(intervals) != 1:
        when.update(cron_expressions=list(crons), intervals=list(intervals))
    elif intervals:
        when["every"] = format_duration(int(intervals[0]))
    else:
        when.update(_cron_when(crons[0], zone))
    for key, value in (("start", start), ("end", end)):
        text = _reread(value)
        if text:
            when[key] = text
    return when


def _cron_when(text: str, zone: str | None) -> dict[str, Any]:
    try:
        parsed = parse_temporal_cron(text)
    except TimingError:
        return {"cron_expression": text}  # not a cron Temporal reads: shown as it is, never equal to ours
    if parsed.calendar is None:  # @every
        out: dict[str, Any] = {"every": format_duration(parsed.every or 0)}
        if parsed.offset:
            out["offset"] = format_duration(parsed.offset)
        return out
    out = {"timezone": parsed.timezone or zone or "UTC"}
    cron = calendars_to_cron([parsed.calendar])
    if cron is not None:
        out["cron"] = cron
    else:
        out["calendars"] = [calendar_as_bundle(parsed.calendar)]
    return out
