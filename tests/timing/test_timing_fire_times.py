"""next_fire_times: hand-checked instants, DST cases, intervals per provider, bounds and speed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest

from reconciler.timing import Calendar, Range, Timing, TimingError, next_fire_times


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def fires(timing: Timing, after: datetime, count: int = 5, **kwargs: object) -> list[datetime]:
    return next_fire_times(timing, after, count, **kwargs)  # type: ignore[arg-type]


# --- cron and calendars on the zone's wall clock, Temporal's DST rule ---------------------------------


def test_weekdays_at_nine_berlin() -> None:
    timing = Timing(cron=("0 9 * * mon-fri",), timezone="Europe/Berlin")
    assert fires(timing, utc(2026, 3, 27), 3) == [
        utc(2026, 3, 27, 8),
        utc(2026, 3, 30, 7),
        utc(2026, 3, 31, 7),
    ]


def test_new_york_spring_forward_skips_the_missing_time() -> None:
    timing = Timing(cron=("30 2 * * *",), timezone="America/New_York")
    assert fires(timing, utc(2026, 3, 7), 3) == [
        utc(2026, 3, 7, 7, 30),
        utc(2026, 3, 9, 6, 30),
        utc(2026, 3, 10, 6, 30),
    ]


def test_new_york_fall_back_fires_twice() -> None:
    timing = Timing(cron=("30 1 * * *",), timezone="America/New_York")
    assert fires(timing, utc(2026, 10, 31, 12), 3) == [
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 1, 6, 30),
        utc(2026, 11, 2, 6, 30),
    ]


def test_berlin_spring_forward_and_fall_back() -> None:
    timing = Timing(cron=("30 2 * * *",), timezone="Europe/Berlin")
    for provider in ("temporal", "cadenya"):
        assert fires(timing, utc(2026, 3, 28, 12), 2, provider=provider) == [
            utc(2026, 3, 30, 0, 30),
            utc(2026, 3, 31, 0, 30),
        ]
    # The documented rule: the repeated 02:30 fires at both occurrences.
    assert fires(timing, utc(2026, 10, 24, 12), 3, provider="cadenya") == [
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 1, 30),
        utc(2026, 10, 26, 1, 30),
    ]
    # Temporal's server (east of UTC): only at the second, CET one (tests/timing/test_temporal_oracle.py).
    assert fires(timing, utc(2026, 10, 24, 12), 2, provider="temporal") == [
        utc(2026, 10, 25, 1, 30),
        utc(2026, 10, 26, 1, 30),
    ]


def test_second_occurrence_alone_when_after_is_between() -> None:
    timing = Timing(cron=("30 1 * * *",), timezone="America/New_York")
    assert fires(timing, utc(2026, 11, 1, 5, 30), 1) == [utc(2026, 11, 1, 6, 30)]


def test_every_quarter_hour_through_fall_back_is_evenly_spaced() -> None:
    timing = Timing(cron=("*/15 * * * *",), timezone="America/New_York")
    result = fires(timing, utc(2026, 11, 1, 4, 50), 16)
    assert all(b - a == timedelta(minutes=15) for a, b in pairwise(result))
    assert result[0] == utc(2026, 11, 1, 5)


def test_every_quarter_hour_through_spring_forward_has_no_gap_in_utc() -> None:
    timing = Timing(cron=("*/15 * * * *",), timezone="Europe/Berlin")
    result = fires(timing, utc(2026, 3, 29, 0, 50), 8)
    assert all(b - a == timedelta(minutes=15) for a, b in pairwise(result))


def test_sao_paulo_midnight_transitions() -> None:
    # 2018-11-04 clocks jumped 00:00 -> 01:00: no midnight that day. 2019-02-17 00:00 -> back to 23:00 on
    # the 16th: 23:30 happened twice.
    midnight = Timing(cron=("0 0 * * *",), timezone="America/Sao_Paulo")
    assert fires(midnight, utc(2018, 11, 2, 12), 2) == [utc(2018, 11, 3, 3), utc(2018, 11, 5, 2)]
    late = Timing(cron=("30 23 * * *",), timezone="America/Sao_Paulo")
    assert fires(late, utc(2019, 2, 16, 12), 3) == [
        utc(2019, 2, 17, 1, 30),
        utc(2019, 2, 17, 2, 30),
        utc(2019, 2, 18, 2, 30),
    ]


def test_lord_howe_half_hour_shift() -> None:
    # Australia/Lord_Howe moves by 30 minutes: 2026-04-05 02:00 (+11) -> 01:30 (+10:30).
    timing = Timing(cron=("45 1 * * *",), timezone="Australia/Lord_Howe")
    assert fires(timing, utc(2026, 4, 4, 6), 3, provider="cadenya") == [
        utc(2026, 4, 4, 14, 45),
        utc(2026, 4, 4, 15, 15),
        utc(2026, 4, 5, 15, 15),
    ]
    # Temporal's server fires the repeated 01:45 once, at its second (+10:30) occurrence.
    assert fires(timing, utc(2026, 4, 4, 6), 2, provider="temporal") == [
        utc(2026, 4, 4, 15, 15),
        utc(2026, 4, 5, 15, 15),
    ]


def test_seconds_field() -> None:
    timing = Timing(cron=("*/20 * * * * *",))
    assert fires(timing, utc(2026, 1, 1, 0, 0, 10), 3) == [
        utc(2026, 1, 1, 0, 0, 20),
        utc(2026, 1, 1, 0, 0, 40),
        utc(2026, 1, 1, 0, 1),
    ]


def test_calendars_match_the_wall_clock_and_and_both_day_fields() -> None:
    friday_13th = Calendar(hour=(Range(12),), day_of_month=(Range(13),), day_of_week=(Range(5),))
    timing = Timing(calendars=(friday_13th,), timezone="Europe/Berlin")
    assert fires(timing, utc(2026, 1, 1), 3) == [
        utc(2026, 2, 13, 11),
        utc(2026, 3, 13, 11),
        utc(2026, 11, 13, 11),
    ]


def test_calendar_years() -> None:
    only_2027 = Calendar(day_of_month=(Range(1),), month=(Range(1),), year=(Range(2027),))
    assert fires(Timing(calendars=(only_2027,)), utc(2026, 1, 1)) == [utc(2027, 1, 1)]
    assert fires(Timing(calendars=(only_2027,)), utc(2027, 1, 1)) == []


def test_union_of_crons_without_repeats() -> None:
    timing = Timing(cron=("0 9 * * *", "0 9,17 * * *", "0 17 * * *"))
    assert fires(timing, utc(2026, 1, 1), 4) == [
        utc(2026, 1, 1, 9),
        utc(2026, 1, 1, 17),
        utc(2026, 1, 2, 9),
        utc(2026, 1, 2, 17),
    ]


def test_vixie_or_semantics() -> None:
    timing = Timing(cron=("0 0 13 * 5",))  # the 13th, and every Friday
    assert fires(timing, utc(2026, 2, 1), 4) == [
        utc(2026, 2, 6),
        utc(2026, 2, 13),
        utc(2026, 2, 20),
        utc(2026, 2, 27),
    ]
    star = Timing(cron=("0 0 */2 * 5",))  # odd days that are Fridays
    assert fires(star, utc(2026, 2, 1), 2) == [utc(2026, 2, 13), utc(2026, 2, 27)]


# --- bounds ---------------------------------------------------------------------------------------------


def test_after_is_exclusive_and_start_end_inclusive() -> None:
    hourly = Timing(cron=("0 * * * *",), start=utc(2026, 1, 1, 3), end=utc(2026, 1, 1, 5))
    assert fires(hourly, utc(2026, 1, 1)) == [utc(2026, 1, 1, 3), utc(2026, 1, 1, 4), utc(2026, 1, 1, 5)]
    assert fires(hourly, utc(2026, 1, 1, 4)) == [utc(2026, 1, 1, 5)]
    assert fires(hourly, utc(2026, 1, 1, 3, 59, 59) + timedelta(microseconds=999999), 1) == [
        utc(2026, 1, 1, 4)
    ]
    assert fires(hourly, utc(2026, 1, 1, 5)) == []


def test_fractional_start_rounds_up() -> None:
    timing = Timing(cron=("* * * * * *",), start=utc(2026, 1, 1) + timedelta(microseconds=1))
    assert fires(timing, utc(2025, 1, 1), 1) == [utc(2026, 1, 1, 0, 0, 1)]


def test_end_before_start_or_after_gives_nothing() -> None:
    assert (
        fires(Timing(cron=("* * * * *",), start=utc(2026, 2, 1), end=utc(2026, 1, 1)), utc(2025, 1, 1)) == []
    )
    assert fires(Timing(every=60, end=utc(2026, 1, 1)), utc(2026, 1, 1)) == []


def test_count_zero_and_results_are_utc() -> None:
    timing = Timing(cron=("0 9 * * *",), timezone="Asia/Kolkata")
    assert fires(timing, utc(2026, 1, 1), 0) == []
    (first,) = fires(timing, datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=5, minutes=30))), 1)
    assert first == utc(2026, 1, 2, 3, 30) and first.tzinfo is UTC


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(TimingError, match="'after' must be a timezone-aware datetime"):
        fires(Timing(cron=("* * * * *",)), datetime(2026, 1, 1))
    with pytest.raises(TimingError, match="'start' must be"):
        fires(Timing(cron=("* * * * *",), start=datetime(2026, 1, 1)), utc(2026, 1, 1))


def test_unknown_provider_and_zone() -> None:
    with pytest.raises(TimingError, match="unknown provider 'nope'"):
        fires(Timing(every=60), utc(2026, 1, 1), provider="nope")
    with pytest.raises(TimingError, match="unknown timezone 'Mars/Base'"):
        fires(Timing(cron=("* * * * *",), timezone="Mars/Base"), utc(2026, 1, 1))


def test_rare_schedules_and_the_search_horizon() -> None:
    leap = Timing(cron=("0 0 29 2 *",))
    assert fires(leap, utc(2025, 1, 1), 3) == [utc(2028, 2, 29), utc(2032, 2, 29), utc(2036, 2, 29)]
    # 2100 is not a leap year: the next 29 February after 2096 is 8 years away, past the ~5-year horizon.
    assert fires(leap, utc(2096, 3, 1), 1) == []


def test_at_is_a_single_fire() -> None:
    at = Timing(at=datetime(2026, 5, 1, 11, tzinfo=timezone(timedelta(hours=2))))
    assert fires(at, utc(2026, 1, 1)) == [utc(2026, 5, 1, 9)]
    assert fires(at, utc(2026, 5, 1, 9)) == []
    assert fires(Timing(at=utc(2026, 5, 1), end=utc(2026, 4, 1)), utc(2026, 1, 1)) == []
    assert fires(Timing(at=utc(2026, 5, 1), start=utc(2026, 6, 1)), utc(2026, 1, 1)) == []


# --- intervals ------------------------------------------------------------------------------------------


def test_temporal_interval_examples_from_the_proto() -> None:
    hourly_at_19 = Timing(every=3600, offset=19 * 60, timezone="Europe/Berlin")  # zone plays no part
    assert fires(hourly_at_19, utc(2026, 3, 29, 0, 30), 3) == [
        utc(2026, 3, 29, 1, 19),
        utc(2026, 3, 29, 2, 19),
        utc(2026, 3, 29, 3, 19),
    ]
    four_weeks = Timing(every=28 * 86400, offset=3 * 86400 + 5 * 3600 + 23 * 60)
    assert utc(2022, 2, 20, 5, 23) in fires(four_weeks, utc(2022, 1, 1), 2)


@pytest.mark.parametrize(
    "provider", ["temporal", "agentex", "agentex/run-schedules", "orq", "oz", "tbd-agents"]
)
def test_absolute_interval_providers(provider: str) -> None:
    timing = Timing(every=90 * 60, timezone="America/New_York")
    assert fires(timing, utc(2026, 1, 1, 0, 30), 2, provider=provider) == [
        utc(2026, 1, 1, 1, 30),
        utc(2026, 1, 1, 3),
    ]


def test_cadenya_daily_stays_at_local_midnight_across_dst() -> None:
    timing = Timing(every=86400, timezone="Europe/Berlin")
    assert fires(timing, utc(2026, 3, 27), 4, provider="cadenya") == [
        utc(2026, 3, 27, 23),
        utc(2026, 3, 28, 23),
        utc(2026, 3, 29, 22),
        utc(2026, 3, 30, 22),
    ]
    assert fires(timing, utc(2026, 3, 27), 2) == [
        utc(2026, 3, 28),
        utc(2026, 3, 29),
    ]  # temporal: UTC midnight


def test_cadenya_interval_is_a_wall_clock_lattice_with_temporal_dst_rules() -> None:
    six_hours = Timing(every=6 * 3600, offset=30 * 60, timezone="America/New_York")
    assert fires(six_hours, utc(2026, 1, 1), 2, provider="cadenya") == [
        utc(2026, 1, 1, 5, 30),
        utc(2026, 1, 1, 11, 30),
    ]
    daily_230 = Timing(every=86400, offset=2 * 3600 + 30 * 60, timezone="America/New_York")
    assert fires(daily_230, utc(2026, 3, 7), 2, provider="cadenya") == [
        utc(2026, 3, 7, 7, 30),
        utc(2026, 3, 9, 6, 30),
    ]
    hourly = Timing(every=3600, offset=30 * 60, timezone="America/New_York")
    assert fires(hourly, utc(2026, 11, 1, 4), 4, provider="cadenya") == [
        utc(2026, 11, 1, 4, 30),
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 1, 6, 30),
        utc(2026, 11, 1, 7, 30),
    ]


def test_cadenya_offset_must_be_shorter_than_every() -> None:
    with pytest.raises(TimingError, match=r"'offset' .* must be shorter than 'every'"):
        fires(Timing(every=3600, offset=3600), utc(2026, 1, 1), provider="cadenya")


def test_anchor_replaces_the_epoch_and_nothing_fires_before_it() -> None:
    timing = Timing(every=3600)
    registered = utc(2026, 1, 1, 10, 17, 5)
    assert fires(timing, utc(2026, 1, 1), 2, provider="tbd-agents", anchor=registered) == [
        utc(2026, 1, 1, 11, 17, 5),
        utc(2026, 1, 1, 12, 17, 5),
    ]
    berlin_daily = Timing(every=86400, timezone="Europe/Berlin")
    assert fires(berlin_daily, utc(2026, 1, 1), 1, provider="cadenya", anchor=utc(2026, 1, 1, 8)) == [
        utc(2026, 1, 2, 8)
    ]  # 09:00 Berlin every day


def test_bad_intervals() -> None:
    with pytest.raises(TimingError, match="'every' must be a positive"):
        fires(Timing(every=0), utc(2026, 1, 1))
    with pytest.raises(TimingError, match="'offset' cannot be negative"):
        fires(Timing(every=60, offset=-1), utc(2026, 1, 1))


# --- speed ----------------------------------------------------------------------------------------------


def test_a_week_of_fires_for_a_thousand_schedules_stays_inside_the_week() -> None:
    """Every fire of a mixed thousand (crons, intervals, calendars; six zones; a DST change) lies in the week
    asked for, in order. How fast: benchmarks/forecast.py (the same week for 1,000 schedules), not a test."""
    zones = [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Australia/Sydney",
        "Asia/Kolkata",
        "America/Sao_Paulo",
    ]
    crons = [
        "0 9 * * mon-fri",
        "*/15 * * * *",
        "0 * * * *",
        "30 4 1,15 * 5",
        "0 0 1 * *",
        "*/5 9-17 * * 1-5",
        "0 0 29 2 *",
        "17 3 * * 0",
    ]
    after = utc(2026, 3, 25)  # spans the European spring-forward
    end = after + timedelta(days=7)
    timings = []
    for i in range(1000):
        zone = zones[i % len(zones)]
        kind = i % 4
        if kind < 2:
            timings.append(Timing(cron=(crons[i % len(crons)],), timezone=zone, end=end))
        elif kind == 2:
            timings.append(Timing(every=(900, 3600, 21600, 86400)[i // 4 % 4], timezone=zone, end=end))
        else:
            calendar = Calendar(minute=(Range(0, 45, 15),), hour=(Range(9, 17),), day_of_week=(Range(1, 5),))
            timings.append(Timing(calendars=(calendar,), timezone=zone, end=end))
    total = 0
    for i, t in enumerate(timings):
        fires = next_fire_times(t, after, 100_000, provider=("temporal", "cadenya")[i % 2])
        assert all(after < f <= end for f in fires), t
        assert fires == sorted(set(fires)), t
        total += len(fires)
    assert total > 50_000
