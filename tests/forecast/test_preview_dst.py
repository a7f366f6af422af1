"""`preview` on DST transition days, each instant worked out by hand (Temporal's documented rule, which cadenya
gets: a skipped wall time does not fire, a repeated one fires once per occurrence; temporal and agentex get what
Temporal's server does instead), and each provider's interval anchoring."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.forecast.fires import preview
from reconciler.timing import Calendar, Range, Timing
from tests.forecast.helpers import bundle, schedule


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def fires(provider: str, timing: Timing, after: datetime, count: int = 4, **target: str) -> list[datetime]:
    [forecast] = preview([bundle(provider, schedule("s", timing), **target)], after, count)
    return list(forecast.fires)


def notes(provider: str, timing: Timing, after: datetime, count: int = 4, **target: str) -> tuple[str, ...]:
    [forecast] = preview([bundle(provider, schedule("s", timing), **target)], after, count)
    return forecast.notes


def test_new_york_0230_is_skipped_on_spring_forward_day() -> None:
    # 2026-03-08: 02:00 EST -> 03:00 EDT. 02:30 on the 7th is 07:30Z; none on the 8th; 02:30 EDT on the 9th.
    timing = Timing(cron=("30 2 * * *",), timezone="America/New_York")
    assert fires("cadenya", timing, utc(2026, 3, 7), 3) == [
        utc(2026, 3, 7, 7, 30),
        utc(2026, 3, 9, 6, 30),
        utc(2026, 3, 10, 6, 30),
    ]


def test_new_york_0130_fires_twice_on_fall_back_day() -> None:
    # 2026-11-01: 02:00 EDT -> 01:00 EST, so 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    timing = Timing(cron=("30 1 * * *",), timezone="America/New_York")
    assert fires("cadenya", timing, utc(2026, 10, 31, 12), 3) == [
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 1, 6, 30),
        utc(2026, 11, 2, 6, 30),
    ]
    assert any(
        "America/New_York changes its UTC offset" in n
        for n in notes("cadenya", timing, utc(2026, 10, 31, 12))
    )


def test_berlin_calendar_0230_skipped_then_doubled() -> None:
    # 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
    calendar = Calendar(hour=(Range(2),), minute=(Range(30),))
    timing = Timing(calendars=(calendar,), timezone="Europe/Berlin")
    assert fires("cadenya", timing, utc(2026, 3, 28), 2) == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 30, 0, 30)]
    assert fires("cadenya", timing, utc(2026, 10, 24, 12), 3) == [
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 1, 30),
        utc(2026, 10, 26, 1, 30),
    ]


def test_sydney_on_agentex_run_schedules() -> None:
    # Agentex run schedules take an IANA zone for cron. Sydney 2026-04-05 03:00 AEDT -> 02:00 AEST (02:30
    # happens twice: 15:30Z and 16:30Z on the 4th); 2026-10-04 02:00 AEST -> 03:00 AEDT (no 02:30 that day).
    # Agentex schedules are Temporal schedules, and Temporal's server (east of UTC) fires a repeated wall time
    # once, at its second occurrence: preview shows that, not the documented "twice" (test_temporal_oracle.py).
    timing = Timing(cron=("30 2 * * *",), timezone="Australia/Sydney")
    assert fires("agentex", timing, utc(2026, 4, 3, 12), 3, api="run-schedules") == [
        utc(2026, 4, 3, 15, 30),
        utc(2026, 4, 4, 16, 30),
        utc(2026, 4, 5, 16, 30),
    ]
    assert fires("agentex", timing, utc(2026, 10, 2, 12), 2, api="run-schedules") == [
        utc(2026, 10, 2, 16, 30),
        utc(2026, 10, 4, 15, 30),
    ]


def test_lord_howe_half_hour_fall_back_repeats_only_the_last_half_hour() -> None:
    # 2019-04-06T15:00Z: 02:00 +11 -> 01:30 +10:30. Only 01:30-01:59 happens twice: 01:43 at 14:43Z and
    # 15:13Z (croniter 7 drops the second), 01:22 once (14:22Z); the next day +10:30 throughout.
    timing = Timing(cron=("22,43 1 * * *",), timezone="Australia/Lord_Howe")
    assert fires("cadenya", timing, utc(2019, 4, 6, 12), 5) == [
        utc(2019, 4, 6, 14, 22),
        utc(2019, 4, 6, 14, 43),
        utc(2019, 4, 6, 15, 13),
        utc(2019, 4, 7, 14, 52),
        utc(2019, 4, 7, 15, 13),
    ]


def test_sao_paulo_midnight_that_never_happened() -> None:
    # 2018-11-04 00:00 -03 -> 01:00 -02: no midnight that day.
    timing = Timing(cron=("0 0 * * *",), timezone="America/Sao_Paulo")
    assert fires("cadenya", timing, utc(2018, 11, 2, 12), 2) == [utc(2018, 11, 3, 3), utc(2018, 11, 5, 2)]


def test_cadenya_interval_keeps_the_local_clock_through_spring_forward() -> None:
    # every 6h offset 15m on the Berlin clock: 00:15, 06:15, 12:15, 18:15 local on both sides of the change.
    timing = Timing(every=6 * 3600, offset=15 * 60, timezone="Europe/Berlin")
    assert fires("cadenya", timing, utc(2026, 3, 28, 12), 4, workspace="ws") == [
        utc(2026, 3, 28, 17, 15),
        utc(2026, 3, 28, 23, 15),
        utc(2026, 3, 29, 4, 15),
        utc(2026, 3, 29, 10, 15),
    ]


def test_agentex_interval_is_absolute_whatever_the_zone() -> None:
    # Temporal IntervalSpec: epoch + offset + n*every; the zone plays no part.
    timing = Timing(every=6 * 3600, offset=15 * 60, timezone="Europe/Berlin")
    assert fires("agentex", timing, utc(2026, 3, 28, 12), 4, api="run-schedules") == [
        utc(2026, 3, 28, 12, 15),
        utc(2026, 3, 28, 18, 15),
        utc(2026, 3, 29, 0, 15),
        utc(2026, 3, 29, 6, 15),
    ]


def test_tbd_agents_interval_counts_from_start_as_registration() -> None:
    # Registration assumed at `start`; nothing at the anchor itself (Beat fires one interval after saving).
    timing = Timing(every=90 * 60, start=utc(2026, 12, 1, 0, 10))
    assert fires("tbd-agents", timing, utc(2026, 11, 1), 3) == [
        utc(2026, 12, 1, 1, 40),
        utc(2026, 12, 1, 3, 10),
        utc(2026, 12, 1, 4, 40),
    ]
    assert fires("tbd-agents", timing, utc(2026, 12, 2, 5), 1) == [
        utc(2026, 12, 2, 6, 10)
    ]  # 00:10 + 20 × 90m


def test_orq_and_oz_intervals_from_the_epoch() -> None:
    assert fires("orq", Timing(every=2 * 3600), utc(2026, 5, 1, 0, 30), 2) == [
        utc(2026, 5, 1, 2),
        utc(2026, 5, 1, 4),
    ]
    assert fires("oz", Timing(every=6 * 3600), utc(2026, 5, 1, 7), 2) == [
        utc(2026, 5, 1, 12),
        utc(2026, 5, 1, 18),
    ]


def test_one_off_and_end() -> None:
    at = Timing(at=utc(2026, 12, 1, 9))
    assert fires("orq", at, utc(2026, 11, 1)) == [utc(2026, 12, 1, 9)]
    assert notes("orq", at, utc(2026, 11, 1)) == ("a one-off: nothing after it",)
    assert fires("orq", at, utc(2026, 12, 2)) == []
    assert notes("orq", at, utc(2026, 12, 2)) == ("a one-off in the past: it will not fire",)
    ending = Timing(cron=("0 9 * * *",), end=utc(2026, 5, 2, 9))
    assert fires("agentex", ending, utc(2026, 5, 1)) == [utc(2026, 5, 1, 9), utc(2026, 5, 2, 9)]
    assert notes("agentex", ending, utc(2026, 5, 1)) == ("ends 2026-05-02T09:00:00Z: no fire after that",)


def test_agentex_on_berlin_fall_back_shows_and_says_what_temporals_server_does() -> None:
    # 2026-10-25 03:00 CEST -> 02:00 CET: the server fires 02:30 once, at the CET one (01:30Z).
    timing = Timing(cron=("30 2 * * *",), timezone="Europe/Berlin")
    after = utc(2026, 10, 24, 12)
    assert fires("agentex", timing, after, 2, api="run-schedules") == [
        utc(2026, 10, 25, 1, 30),
        utc(2026, 10, 26, 1, 30),
    ]
    [note] = notes("agentex", timing, after, 2, api="run-schedules")
    assert "Temporal's server" in note
    assert "02:00-03:00 happens twice: the server fires a time in it once, at its second occurrence" in note
    assert "walks 01:00-01:59 a second time one hour later" in note


def test_agentex_in_santiago_skips_the_sunday_whose_midnight_is_skipped() -> None:
    # 2026-09-06 00:00 -04 -> 01:00 -03: the server reads that Sunday as a Saturday.
    timing = Timing(cron=("0 12 * * 0",), timezone="America/Santiago")
    after = utc(2026, 8, 31)
    assert fires("agentex", timing, after, 2, api="run-schedules") == [
        utc(2026, 9, 13, 15),
        utc(2026, 9, 20, 15),
    ]
    [note] = notes("agentex", timing, after, 2, api="run-schedules")
    assert "takes 2026-09-06 for a Saturday: a rule for Sundays skips that day" in note


def test_cadenya_note_says_which_rule_preview_assumes() -> None:
    timing = Timing(cron=("30 2 * * *",), timezone="Europe/Berlin")
    [note] = notes("cadenya", timing, utc(2026, 10, 24, 12), 3)
    assert "fires once per occurrence (Temporal's documented rule, which preview assumes for cadenya" in note
