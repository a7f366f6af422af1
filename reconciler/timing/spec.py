"""Plain timing values shared by the bundle, the planner, the providers and the sandboxes.

A `Timing` is what a schedule's `when:` means after validation: pure data, no parsing left to do
except the cron text, which `reconciler.timing.cron` turns into a `CronExpr`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class TimingError(ValueError):
    """A timing value the engine cannot accept; the message says why and what to write instead."""


@dataclass(frozen=True, order=True)
class Range:
    """Temporal's StructuredCalendarSpec Range: start..end inclusive by step.

    An end below the start means end = start.
    """

    start: int
    end: int = 0
    step: int = 1


@dataclass(frozen=True)
class Calendar:
    """Temporal-style structured calendar: it matches when *every* field matches.

    So day-of-month AND day-of-week, unlike a Vixie cron.

    Defaults follow Temporal: second, minute and hour default to 0; the day fields, month and year to "all".
    Sunday is 0 in `day_of_week`.
    """

    second: tuple[Range, ...] = (Range(0),)
    minute: tuple[Range, ...] = (Range(0),)
    hour: tuple[Range, ...] = (Range(0),)
    day_of_month: tuple[Range, ...] = (Range(1, 31),)
    month: tuple[Range, ...] = (Range(1, 12),)
    day_of_week: tuple[Range, ...] = (Range(0, 6),)
    year: tuple[Range, ...] = ()  # empty: every year
    comment: str = ""


@dataclass(frozen=True)
class Timing:
    """Exactly one of cron / every / at / calendars is set (the bundle validator guarantees it)."""

    cron: tuple[str, ...] = ()
    every: int | None = None  # seconds
    offset: int = 0  # seconds, only with `every`
    at: datetime | None = None  # timezone-aware
    calendars: tuple[Calendar, ...] = field(default=())
    timezone: str = "UTC"
    start: datetime | None = None  # timezone-aware, inclusive
    end: datetime | None = None  # timezone-aware, inclusive
