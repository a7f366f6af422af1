"""Exact translations between Vixie cron and Temporal-style calendars (every field ANDed).

Providers with calendars only (cadenya) get `cron_to_calendars`; `export` and Describe normalisation use
`calendars_to_cron`, which answers None rather than anything approximate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from reconciler.timing.cron import ALL_DAYS, ALL_WEEKDAYS, CronExpr, parse_cron, render_cron
from reconciler.timing.ranges import expand_ranges, to_ranges
from reconciler.timing.spec import Calendar, Range, TimingError

_EVERY_DAY_OF_MONTH = (Range(1, 31, 1),)
_EVERY_DAY_OF_WEEK = (Range(0, 6, 1),)


@dataclass(frozen=True)
class CalendarSets:
    """A calendar with each field expanded (day_of_week: Sunday = 0; years None = every year)."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    years: frozenset[int] | None

    def day_matches(self, year: int, month: int, day: int, weekday: int) -> bool:
        return (
            month in self.months
            and day in self.days_of_month
            and weekday in self.days_of_week
            and (self.years is None or year in self.years)
        )

    @property
    def every_day(self) -> bool:
        return self.days_of_month == ALL_DAYS and self.days_of_week == ALL_WEEKDAYS


def expand_calendar(calendar: Calendar) -> CalendarSets:
    """Expand every field; out-of-range values are a `TimingError`. Day-of-week 7 is read as Sunday."""
    weekdays = expand_ranges(calendar.day_of_week, 0, 7, "day_of_week")
    return CalendarSets(
        seconds=expand_ranges(calendar.second, 0, 59, "second"),
        minutes=expand_ranges(calendar.minute, 0, 59, "minute"),
        hours=expand_ranges(calendar.hour, 0, 23, "hour"),
        days_of_month=expand_ranges(calendar.day_of_month, 1, 31, "day_of_month"),
        months=expand_ranges(calendar.month, 1, 12, "month"),
        days_of_week=frozenset(0 if d == 7 else d for d in weekdays),
        years=expand_ranges(calendar.year, 1, 9999, "year") if calendar.year else None,
    )


def calendar_matches(calendar: Calendar, wall: datetime) -> bool:
    """Does this wall-clock time (its own fields, whatever its tzinfo) match every field?"""
    sets = expand_calendar(calendar)
    return (
        wall.second in sets.seconds
        and wall.minute in sets.minutes
        and wall.hour in sets.hours
        and sets.day_matches(wall.year, wall.month, wall.day, wall.isoweekday() % 7)
    )


def cron_to_calendars(expr: CronExpr) -> tuple[Calendar, ...]:
    """Calendars whose union fires exactly when the cron does.

    Calendars AND their day fields, so a cron with both day fields restricted (Vixie OR) becomes two
    calendars: the days of the month on any weekday, and the weekdays on any day of the month.
    """
    base = Calendar(
        second=to_ranges(expr.seconds, 0, 59),
        minute=to_ranges(expr.minutes, 0, 59),
        hour=to_ranges(expr.hours, 0, 23),
        month=to_ranges(expr.months, 1, 12),
    )
    dom = to_ranges(expr.days_of_month, 1, 31)
    dow = to_ranges(expr.days_of_week, 0, 6)
    if not expr.day_or:
        return (_with_days(base, dom, dow),)
    if expr.days_of_month == ALL_DAYS or expr.days_of_week == ALL_WEEKDAYS:
        return (_with_days(base, _EVERY_DAY_OF_MONTH, _EVERY_DAY_OF_WEEK),)  # OR with an "every day" side
    return (_with_days(base, dom, _EVERY_DAY_OF_WEEK), _with_days(base, _EVERY_DAY_OF_MONTH, dow))


def calendars_to_cron(calendars: Iterable[Calendar]) -> str | None:
    """The canonical cron that fires exactly when these calendars do, or None if there is none.

    Expressible: one calendar without years (day fields ANDed), or two that differ only in being the
    day-of-month half and the day-of-week half of a Vixie OR. Comments are not part of the timing.
    """
    expanded: list[CalendarSets] = []
    for calendar in calendars:
        sets = expand_calendar(calendar)
        if sets not in expanded:
            expanded.append(sets)
    if not expanded or len(expanded) > 2 or any(s.years is not None or _never(s) for s in expanded):
        return None
    first = expanded[0]
    if len(expanded) == 1:
        return _render(first, first.days_of_month, first.days_of_week, day_or=False)
    second = expanded[1]
    if (first.seconds, first.minutes, first.hours, first.months) != (
        second.seconds,
        second.minutes,
        second.hours,
        second.months,
    ):
        return None
    if first.every_day or second.every_day:
        return _render(first, ALL_DAYS, ALL_WEEKDAYS, day_or=False)
    for dom_half, dow_half in ((first, second), (second, first)):
        if dom_half.days_of_week == ALL_WEEKDAYS and dow_half.days_of_month == ALL_DAYS:
            return _render(first, dom_half.days_of_month, dow_half.days_of_week, day_or=True)
    return None


def _with_days(base: Calendar, dom: tuple[Range, ...], dow: tuple[Range, ...]) -> Calendar:
    return Calendar(
        second=base.second,
        minute=base.minute,
        hour=base.hour,
        day_of_month=dom,
        month=base.month,
        day_of_week=dow,
    )


def _never(sets: CalendarSets) -> bool:
    fields = (sets.seconds, sets.minutes, sets.hours, sets.days_of_month, sets.months, sets.days_of_week)
    return not all(fields)


def _render(sets: CalendarSets, dom: frozenset[int], dow: frozenset[int], *, day_or: bool) -> str | None:
    text = render_cron(sets.seconds, sets.minutes, sets.hours, dom, sets.months, dow, day_or=day_or)
    if text is None:
        return None
    try:
        parse_cron(text)  # e.g. day 31 in February only: the calendar never fires and no cron may say so
    except TimingError:
        return None
    return text
