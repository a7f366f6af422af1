"""Fast fire counting equals the engine on the days a zone changes its UTC offset: crons and calendars at
every hour of the day (the server's walk is skipped only for times far from the change), both changes of
2026, zones whose change is an hour, half an hour, near midnight or at it, on every provider's DST rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciler.forecast import firecount
from reconciler.timing import Calendar, Range, Timing

DAY = 86400
ZONES = [
    "Europe/London",  # 01:00 local, the change nearest midnight in the benchmark
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # half an hour
    "Pacific/Chatham",  # at :45
    "America/Santiago",  # at midnight: a day of week read as the day before's
]
PROVIDERS = ["temporal", "agentex", "orq"]


def _changes_of_2026(zone: str) -> list[int]:
    start = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    return [c for c in firecount._changes(zone, start, start + 365 * DAY) if c >= start][:2]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("zone", ZONES)
def test_every_hour_around_a_change_fires_as_the_engine_says(zone: str, provider: str) -> None:
    changes = _changes_of_2026(zone)
    assert changes, zone
    for change in changes:
        start, end = change - 2 * DAY - 1234, change + 2 * DAY
        for hour in range(24):
            # Calendars AND their day fields (a cron ORs them): odd days that are also Sun/Tue/Thu/Sat.
            odd_days = Calendar(
                minute=(Range(15),),
                hour=(Range(hour),),
                day_of_month=(Range(1, 31, 2),),
                day_of_week=(Range(0, 6, 2),),
            )
            timings = [
                *(
                    Timing(cron=(cron,), timezone=zone)
                    for cron in (f"0 {hour} * * *", f"59 {hour} * * 0", f"30 {hour},{(hour + 1) % 24} * * *")
                ),
                Timing(calendars=(odd_days,), timezone=zone),
            ]
            for timing in timings:
                fast = list(firecount.fire_instants(timing, provider, None, start, end))
                engine = list(firecount._engine(timing, provider, None, start, end))
                assert fast == engine, (zone, provider, timing, change)


@pytest.mark.parametrize("zone", ZONES)
def test_every_minute_of_the_hours_around_a_change_fires_as_the_engine_says(zone: str) -> None:
    # The server's walk of `m h` is the walk of `0 h` moved by m minutes where the change is of whole hours.
    for change in _changes_of_2026(zone):
        start, end = change - 2 * DAY - 1234, change + 2 * DAY
        for minute in range(60):
            for cron in (f"{minute} * * * *", f"{minute} 1,2,3 * * *", f"{minute} 0,23 * * 1-5"):
                timing = Timing(cron=(cron,), timezone=zone)
                fast = list(firecount.fire_instants(timing, "temporal", None, start, end))
                engine = list(firecount._engine(timing, "temporal", None, start, end))
                assert fast == engine, (zone, cron, change)
