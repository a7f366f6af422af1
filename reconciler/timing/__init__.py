"""The timing engine: cron, durations, timezones, calendars and fire times. Pure: no I/O.

The bundle validator parses `when:` with it, providers translate with it, `preview` and the sandboxes
compute fire times with it.
"""

from reconciler.timing.calendars import calendar_matches, calendars_to_cron, cron_to_calendars
from reconciler.timing.cron import CronExpr, parse_cron
from reconciler.timing.durations import format_duration, parse_duration
from reconciler.timing.fire_times import next_fire_times
from reconciler.timing.spec import Calendar, Range, Timing, TimingError
from reconciler.timing.zones import load_zone

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
