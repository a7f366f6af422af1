"""What Temporal refuses in a schedule's `options`, checked by `validate` before any request. Pure.

Sources: Temporal's ScheduleSpec / SchedulePolicies (a catch-up window shorter than 10 seconds is raised to
10 by the server, so it would never read back as written) and the HTTP API's JSON (durations in seconds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.bundle.sensitive import Sensitive
from reconciler.timing import TimingError, parse_duration

Path_ = tuple[str | int, ...]
Report = Callable[[Path_, str], None]
MIN_CATCHUP_SECONDS = 10
FIRST_YEAR = 2000  # Temporal refuses a calendar year outside 2000-2100 ("Year Start is not in range")
TEXT_OPTIONS = ("taskQueue", "workflowIdPrefix", "notes")
DURATION_OPTIONS = ("catchupWindow", "jitter")


def check_years(data: Mapping[str, Any], report: Report) -> None:
    """Calendar years before 2000: the generic check allows 1970 on; Temporal's server refuses them."""
    when = data.get("when")
    calendars = when.get("calendars") if isinstance(when, Mapping) else None
    for index, calendar in enumerate(calendars if isinstance(calendars, list) else []):
        years = calendar.get("year") if isinstance(calendar, Mapping) else None
        for position, year in enumerate(years if isinstance(years, list) else []):
            low = [v for v in (year.get("start"), year.get("end")) if isinstance(v, int)]
            if isinstance(year, Mapping) and any(0 < v < FIRST_YEAR for v in low):
                report(
                    ("when", "calendars", index, "year", position),
                    f"temporal takes calendar years from {FIRST_YEAR} to 2100; got {year.get('start')}",
                )


def check_options(data: Mapping[str, Any], report: Report) -> None:
    options = data.get("options")
    if not isinstance(options, Mapping):
        return
    for key in TEXT_OPTIONS:
        value = options.get(key)
        if value is None:
            continue
        if isinstance(value, Sensitive):
            report(
                ("options", key),
                f"options.{key}: secret() is not allowed here: temporal shows it to anyone "
                "who can describe the schedule",
            )
        elif not isinstance(value, str) or not value.strip():
            report(("options", key), f"options.{key}: temporal takes non-empty text here")
    for key in DURATION_OPTIONS:
        value = options.get(key)
        if value is None:
            continue
        try:
            seconds = parse_duration(str(value)) if isinstance(value, str) else None
        except TimingError as exc:
            report(("options", key), f"options.{key}: {exc}")
            continue
        if seconds is None:
            report(("options", key), f"options.{key}: a duration such as 10m")
        elif key == "catchupWindow" and seconds < MIN_CATCHUP_SECONDS:
            report(
                ("options", key),
                f"options.{key}: temporal's shortest catch-up window is {MIN_CATCHUP_SECONDS}s, got {value}",
            )
    value = options.get("pauseOnFailure")
    if value is not None and not isinstance(value, bool):
        report(("options", "pauseOnFailure"), "options.pauseOnFailure: true or false")
