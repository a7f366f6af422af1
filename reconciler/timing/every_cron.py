"""`every` (+ `offset`) as the one 5-field UTC cron that fires at exactly the same instants, where one exists.

An `every` is anchored at the Unix epoch (1970-01-01T00:00Z, a Thursday) plus `offset`. A cron repeats
each day (or each week), so the two agree only when the cadence divides a day into a grid of whole
minutes that is the same every hour or every day, or is exactly one week. Used by `validate` for
platforms that take cron only (Oz) and by their providers to translate.
"""

from __future__ import annotations

from reconciler.timing.cron import ALL_DAYS, ALL_MONTHS, ALL_WEEKDAYS, render_cron
from reconciler.timing.durations import format_duration
from reconciler.timing.spec import TimingError

_MINUTE, _HOUR, _DAY, _WEEK = 60, 3600, 86400, 7 * 86400
_EPOCH_WEEKDAY = 4  # 1970-01-01 was a Thursday (Sunday = 0)


def every_as_cron(every: int, offset: int = 0) -> str:
    """The exact 5-field cron for `every`/`offset` (seconds), or TimingError saying why there is none."""
    if every <= 0 or offset < 0 or offset >= every:
        raise TimingError(f"'every' must be positive and 'offset' in [0, every), got {every}s and {offset}s")
    shown = format_duration(every) + (f" with offset {format_duration(offset)}" if offset else "")
    if every % _MINUTE or offset % _MINUTE:
        raise TimingError(f"every {shown} is not in whole minutes, and a cron's finest unit is the minute")
    minute_of_hour, hour_of_day = (offset // _MINUTE) % 60, (offset // _HOUR) % 24
    if every == _WEEK:
        weekday = (_EPOCH_WEEKDAY + offset // _DAY) % 7
        return _render({minute_of_hour}, {hour_of_day}, frozenset({weekday}))
    if every > _DAY or _DAY % every:
        raise TimingError(
            f"every {shown} does not divide a day (and is not exactly one week), so its fire times drift "
            "from day to day; a cron repeats the same times every day"
        )
    if every < _HOUR:
        if _HOUR % every:
            raise TimingError(
                f"every {shown} does not divide an hour, so its minutes change from hour to hour; a cron "
                "fires at the same minutes every hour"
            )
        step = every // _MINUTE
        return _render(set(range(minute_of_hour, 60, step)), set(range(24)), ALL_WEEKDAYS)
    if every % _HOUR:
        raise TimingError(
            f"every {shown} is not a whole number of hours, so its minute changes during the day; a cron "
            "fires at the same minutes in every hour it names"
        )
    step = every // _HOUR
    return _render({minute_of_hour}, set(range(hour_of_day, 24, step)), ALL_WEEKDAYS)


def _render(minutes: set[int], hours: set[int], weekdays: frozenset[int]) -> str:
    text = render_cron(
        frozenset({0}), frozenset(minutes), frozenset(hours), ALL_DAYS, ALL_MONTHS, weekdays, day_or=False
    )
    assert text is not None  # day-of-month is `*`: always writable
    return text
