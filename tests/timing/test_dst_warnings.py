"""DST warnings, pure: which wall times a change of the zone's UTC offset skips or repeats in the next 12 months.

The dates are checked against the rule of each zone written out here (the EU changes on the last Sundays of
March and October, the US on the second Sunday of March and the first of November), not against zoneinfo.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from reconciler.bundle.validate import load_bundles
from reconciler.timing import Calendar, Range, Timing
from reconciler.timing.dst import dst_hits, dst_message, offset_changes

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=day.isoweekday() % 7)


def nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.isoweekday() % 7) % 7 + 7 * (n - 1))


def hits_of(cron: str, zone: str, now: datetime = NOW) -> list[tuple[str, date, tuple[time, ...]]]:
    hits = dst_hits(Timing(cron=(cron,), timezone=zone), now, wall_clock_intervals=True)
    return [(h.change.kind, h.walls[0].date(), tuple(w.time() for w in h.walls)) for h in hits]


def test_berlin_0230_daily_is_skipped_in_march_and_doubled_in_october() -> None:
    assert hits_of("30 2 * * *", "Europe/Berlin") == [
        ("gap", last_sunday(2026, 3), (time(2, 30),)),
        ("overlap", last_sunday(2026, 10), (time(2, 30),)),
    ]


def test_the_12_months_start_at_now() -> None:
    after_march = datetime(2026, 4, 1, tzinfo=UTC)
    assert hits_of("30 2 * * *", "Europe/Berlin", after_march) == [
        ("overlap", last_sunday(2026, 10), (time(2, 30),)),
        ("gap", last_sunday(2027, 3), (time(2, 30),)),
    ]


@pytest.mark.parametrize("cron", ["30 3 * * *", "30 1 * * *", "0 9 * * 1-5", "59 1 * * *"])
def test_times_outside_the_changing_hour_are_not_warned(cron: str) -> None:
    assert hits_of(cron, "Europe/Berlin") == []


@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "Asia/Tokyo"])
def test_zones_without_a_change_are_never_warned(zone: str) -> None:
    assert hits_of("30 2 * * *", zone) == []
    assert offset_changes(zone, NOW, NOW + timedelta(days=365)) == []


def test_new_york_skips_0230_in_march_and_repeats_0130_in_november() -> None:
    assert hits_of("30 2 * * *", "America/New_York") == [("gap", nth_sunday(2026, 3, 2), (time(2, 30),))]
    assert hits_of("30 1 * * *", "America/New_York") == [("overlap", nth_sunday(2026, 11, 1), (time(1, 30),))]


def test_a_weekly_cron_is_warned_only_when_its_day_is_the_day_of_the_change() -> None:
    assert [kind for kind, _, _ in hits_of("30 2 * * 0", "Europe/Berlin")] == ["gap", "overlap"]
    assert hits_of("30 2 * * 1", "Europe/Berlin") == []  # Mondays: the EU changes on Sundays
    assert hits_of("30 2 * 3 0", "Europe/Berlin") == [("gap", last_sunday(2026, 3), (time(2, 30),))]


def test_several_times_in_the_changing_hour_are_all_named() -> None:
    [gap, _] = hits_of("*/20 2 * * *", "Europe/Berlin")
    assert gap[2] == (time(2, 0), time(2, 20), time(2, 40))


@pytest.mark.parametrize("cron", ["0 * * * *", "*/15 * * * *", "*/5 * * * *", "30 * * * *"])
def test_an_all_day_cadence_that_divides_the_change_keeps_its_cadence_and_is_not_warned(cron: str) -> None:
    assert hits_of(cron, "Europe/Berlin") == []


def test_a_half_hour_change_catches_an_hourly_cron() -> None:
    # Lord Howe moves its clock by 30 minutes: 02:00 on the first Sunday of October does not exist.
    assert hits_of("0 * * * *", "Australia/Lord_Howe") == [("gap", nth_sunday(2026, 10, 1), (time(2, 0),))]
    assert hits_of("*/30 * * * *", "Australia/Lord_Howe") == []


def test_calendars_are_checked_like_crons() -> None:
    calendar = Calendar(hour=(Range(2),), minute=(Range(30),), day_of_week=(Range(0),))
    hits = dst_hits(Timing(calendars=(calendar,), timezone="Europe/Berlin"), NOW, wall_clock_intervals=True)
    assert [(h.change.kind, h.walls[0].date()) for h in hits] == [
        ("gap", last_sunday(2026, 3)),
        ("overlap", last_sunday(2026, 10)),
    ]


@pytest.mark.parametrize(
    ("every", "offset", "warned"),
    [
        (86400, 9000, True),  # every 1d at 02:30 local: the same trap as the cron
        (7200, 0, True),  # every 2h: 02:00 is one of its wall times
        (86400, 0, False),  # local midnight: Berlin changes at 02:00
        (3600, 0, False),  # every 1h: the lost / repeated hour is just one more hour
        (1800, 900, False),  # every 30m: as above
    ],
)
def test_cadenya_intervals_count_on_the_wall_clock_and_can_fall_in_the_change(
    every: int, offset: int, warned: bool
) -> None:
    timing = Timing(every=every, offset=offset, timezone="Europe/Berlin")
    assert bool(dst_hits(timing, NOW, wall_clock_intervals=True)) is warned


def test_an_interval_in_absolute_time_is_never_warned() -> None:
    timing = Timing(every=86400, offset=9000, timezone="Europe/Berlin")
    assert dst_hits(timing, NOW, wall_clock_intervals=False) == []


def test_a_daily_interval_meets_a_change_at_midnight() -> None:
    # Cuba changes at midnight: a wall-clock `every: 1d` (local midnight) is skipped, then doubled.
    hits = dst_hits(Timing(every=86400, timezone="America/Havana"), NOW, wall_clock_intervals=True)
    assert [(h.change.kind, h.walls) for h in hits] == [
        ("gap", (datetime(2026, 3, 8, 0, 0),)),
        ("overlap", (datetime(2026, 11, 1, 0, 0),)),
    ]


def test_a_change_outside_start_and_end_is_not_warned() -> None:
    ends = datetime(2026, 3, 1, tzinfo=UTC)
    starts = datetime(2026, 4, 1, tzinfo=UTC)
    base = Timing(cron=("30 2 * * *",), timezone="Europe/Berlin")
    assert (
        dst_hits(Timing(cron=base.cron, timezone=base.timezone, end=ends), NOW, wall_clock_intervals=True)
        == []
    )
    [hit] = dst_hits(
        Timing(cron=base.cron, timezone=base.timezone, start=starts), NOW, wall_clock_intervals=True
    )
    assert hit.change.kind == "overlap"


def test_the_message_says_when_what_the_platform_does_and_the_way_out() -> None:
    timing = Timing(cron=("30 2 * * *",), timezone="Europe/Berlin")
    hits = dst_hits(timing, NOW, wall_clock_intervals=True)
    text = dst_message("nightly", timing, hits, "cadenya", "when.cron '30 2 * * *'")
    assert "schedule 'nightly'" in text and "Europe/Berlin" in text
    assert "02:30 does not exist on 2026-03-29" in text and "cadenya skips it that day" in text
    assert "02:30 happens twice on 2026-10-25" in text and "cadenya fires it twice that day" in text
    assert "timezone: UTC" in text and "02:30 -> 03:30" in text


BUNDLE = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: k
target: {target}
schedules:
  - name: nightly
    agent: a
    when: {when}
    input: {{message: Nightly report}}
"""


@pytest.mark.parametrize(
    ("target", "when", "warned"),
    [
        ("{provider: cadenya, workspace: ws}", '{cron: "30 2 * * *", timezone: Europe/Berlin}', True),
        ("{provider: cadenya, workspace: ws}", "{every: 1d, offset: 2h30m, timezone: Europe/Berlin}", True),
        ("{provider: agentex, api: run-schedules}", '{cron: "30 2 * * *", timezone: Europe/Berlin}', True),
        # Agentex counts intervals from the Unix epoch in absolute time: the zone plays no part.
        ("{provider: agentex, api: run-schedules}", "{every: 1d, timezone: Europe/Berlin}", False),
        ("{provider: orq}", '{cron: "30 2 * * *"}', False),  # UTC only
        ("{provider: oz}", '{cron: "30 2 * * *"}', False),
    ],
)
def test_zone_aware_platforms_are_warned_and_utc_only_ones_never(
    tmp_path: Path, target: str, when: str, warned: bool
) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(BUNDLE.format(target=target, when=when))
    loaded = load_bundles([str(path)], read_secrets=False, warn_from=NOW)
    assert loaded.diagnostics == []
    assert bool(loaded.warnings) is warned
    assert load_bundles([str(path)], read_secrets=False).warnings == []  # plan and apply: not asked


def test_a_utc_only_platform_refuses_the_zone_instead(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(
        BUNDLE.format(target="{provider: orq}", when='{cron: "30 2 * * *", timezone: Europe/Berlin}')
    )
    loaded = load_bundles([str(path)], read_secrets=False, warn_from=NOW)
    assert ["UTC only" in d.message for d in loaded.diagnostics] == [True]
    assert loaded.warnings == []


def test_the_warning_for_a_temporal_schedule_says_what_temporals_server_fires() -> None:
    # Berlin 2026-10-25 03:00 CEST -> 02:00 CET: the server fires 02:30 once, at the CET one; Lord Howe
    # 2026-10-04 02:00 -> 02:30: the skipped 02:15 fires at 02:45 (tests/timing/test_temporal_oracle.py).
    berlin = Timing(cron=("30 2 * * *",), timezone="Europe/Berlin")
    text = dst_message("s", berlin, dst_hits(berlin, NOW, wall_clock_intervals=False), "agentex", "cron")
    assert "on 2026-10-25 the clock goes back from 03:00 to 02:00" in text
    assert "agentex runs it on Temporal's server" in text
    assert "Temporal's server fires at 02:30 (+01:00) within two hours" in text
    assert "fires it twice" not in text
    lord_howe = Timing(cron=("15 2 * * *",), timezone="Australia/Lord_Howe")
    hits = dst_hits(lord_howe, NOW, wall_clock_intervals=False)
    assert "server fires at 02:45 (+11:00)" in dst_message("s", lord_howe, hits, "temporal", "cron")
    assert "cadenya skips it that day" in dst_message("s", lord_howe, hits, "cadenya", "cron")


def test_a_time_outside_the_changing_hour_that_temporals_server_fires_twice_is_warned_about() -> None:
    """Berlin's fall-back repeats 02:00-03:00, so the documented rule leaves 01:45 alone; Temporal's server
    walks the hour before again and fires 01:45 and 02:45 CEST (tests/timing/test_temporal_oracle.py)."""
    berlin = Timing(cron=("45 1 * * *",), timezone="Europe/Berlin")
    assert dst_hits(berlin, NOW, wall_clock_intervals=False) == []
    hits = dst_hits(berlin, NOW, wall_clock_intervals=False, server_walk=True)
    assert [hit.change.instant.date().isoformat() for hit in hits] == ["2026-10-25"]
    text = dst_message("s", berlin, hits, "temporal", "cron '45 1 * * *'")
    assert "fires at 01:45 (+02:00), 02:45 (+02:00)" in text


def test_a_time_far_from_any_change_is_no_warning_on_temporal_either() -> None:
    quiet = Timing(cron=("30 5 * * *",), timezone="Europe/Berlin")
    assert dst_hits(quiet, NOW, wall_clock_intervals=False, server_walk=True) == []
