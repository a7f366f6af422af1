"""The timing engine: cron, durations, timezones, calendars and fire times. Pure: no I/O.

The bundle validator parses `when:` with it, providers translate with it, `preview` and the sandboxes
compute fire times with it.

The names below load with their own module on first use (PEP 562): importing one part of the engine, say
`reconciler.timing.spec` for `validate`, runs this file first, and importing every part here cost each
command's start-up the cron, calendar and fire-time engines whether it used them or not.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.timing.calendars import calendar_matches, calendars_to_cron, cron_to_calendars
    from reconciler.timing.cron import CronExpr, parse_cron
    from reconciler.timing.durations import format_duration, parse_duration
    from reconciler.timing.fire_times import next_fire_times
    from reconciler.timing.spec import Calendar, Range, Timing, TimingError
    from reconciler.timing.zones import load_zone

# name: the module of this package that defines it
_HOMES = {
    "Calendar": "spec",
    "CronExpr": "cron",
    "Range": "spec",
    "Timing": "spec",
    "TimingError": "spec",
    "calendar_matches": "calendars",
    "calendars_to_cron": "calendars",
    "cron_to_calendars": "calendars",
    "format_duration": "durations",
    "load_zone": "zones",
    "next_fire_times": "fire_times",
    "parse_cron": "cron",
    "parse_duration": "durations",
}

__all__ = [
    "Calendar",
    "CronExpr",
    "Range",
    "Timing",
    "TimingError",
    "calendar_matches",
    "calendars_to_cron",
    "cron_to_calendars",
    "format_duration",
    "load_zone",
    "next_fire_times",
    "parse_cron",
    "parse_duration",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # once: later lookups find it without this function
    return value
