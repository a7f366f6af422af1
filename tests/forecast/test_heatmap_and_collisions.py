"""Heatmap bucketing (display zones, DST, partial windows, levels) and the collision report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.forecast import fires
from reconciler.forecast.collisions import most_in_one_minute
from reconciler.forecast.heatmap import LEVELS, bucket, legend, level
from reconciler.forecast.text import calendar_text
from reconciler.forecast.view import build
from reconciler.timing import Timing
from tests.forecast.helpers import bundle, schedule

DAY = 86400


def ts(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp())


def test_utc_buckets_and_partial_window() -> None:
    start, end = ts(2026, 5, 1, 12), ts(2026, 5, 2, 12)
    grid = bucket("UTC", start, end, [[ts(2026, 5, 1, 12), ts(2026, 5, 1, 12, 30), ts(2026, 5, 2, 11, 59)]])
    assert grid.days == (date(2026, 5, 1), date(2026, 5, 2))
    assert grid.counts[0][12] == 2 and grid.counts[1][11] == 1 and grid.total == 3
    assert grid.in_window[0][11] is False and grid.in_window[0][12] is True
    assert grid.in_window[1][11] is True and grid.in_window[1][12] is False
    assert grid.per_schedule_day == ((2, 1),)


def test_half_hour_zone_shifts_buckets() -> None:
    grid = bucket(
        "Asia/Kolkata", ts(2026, 5, 1), ts(2026, 5, 2), [[ts(2026, 5, 1, 0, 0), ts(2026, 5, 1, 18, 29)]]
    )
    # 00:00Z is 05:30 IST; 18:29Z is 23:59 IST; the window starts at 05:30 local, so day 1 hours 0-4 are out
    assert grid.counts[0][5] == 1 and grid.counts[0][23] == 1
    assert not any(grid.in_window[0][:5]) and grid.in_window[0][5]


def test_berlin_spring_forward_hour_is_outside_and_fall_back_hour_holds_both() -> None:
    spring = bucket("Europe/Berlin", ts(2026, 3, 28, 23), ts(2026, 3, 29, 22), [[]])
    assert spring.days == (date(2026, 3, 29),)
    assert spring.in_window[0][1] and not spring.in_window[0][2] and spring.in_window[0][3]
    # 02:30 CEST (00:30Z) and 02:30 CET (01:30Z) on 2026-10-25 both land in the 02:00 cell.
    autumn = bucket(
        "Europe/Berlin",
        ts(2026, 10, 24, 22),
        ts(2026, 10, 25, 23),
        [[ts(2026, 10, 25, 0, 30), ts(2026, 10, 25, 1, 30)]],
    )
    assert autumn.counts[0][2] == 2


@settings(max_examples=300, derandomize=True, database=None)
@given(peak=st.integers(1, 5000), data=st.data())
def test_levels_agree_with_the_legend(peak: int, data: st.DataObject) -> None:
    count = data.draw(st.integers(1, peak))
    value = level(count, peak)
    assert 1 <= value <= LEVELS and level(peak, peak) == LEVELS and level(0, peak) == 0
    matching = [(v, low, high) for v, low, high in legend(peak) if low <= count <= high]
    assert [v for v, _, _ in matching] == [value]


def test_collision_report() -> None:
    view = build(
        [
            bundle(
                "agentex",
                schedule("quarter", Timing(every=900), agent="poller"),
                schedule("hourly", Timing(cron=("0 * * * *",)), agent="poller"),
                schedule("nine", Timing(cron=("0 9 * * *",)), agent="reporter"),
                schedule("paused", Timing(cron=("0 9 * * *",)), state="paused"),
            )
        ],
        datetime(2026, 5, 4, tzinfo=UTC),
        2,
        budget=30,
    )
    labels = [item.ref.label for item in view.fires]
    assert labels == ["team/quarter", "team/hourly", "team/nine"]
    assert view.paused == ("team/paused",)
    report = view.report
    top = report.busiest_minutes[0]
    assert top.minute == ts(2026, 5, 4, 9) and top.schedules == (0, 1, 2) and top.fires == 3
    assert most_in_one_minute(report) == 3
    assert [(g.schedules, g.times, g.first) for g in report.together] == [
        ((0, 1, 2), 2, ts(2026, 5, 4, 9)),
        ((0, 1), 46, ts(2026, 5, 4, 0)),
    ]
    assert report.busiest_hours[0].fires == 6 and report.busiest_hours[0].hour == 9
    assert [(a.agent, a.per_day) for a in report.agents] == [
        ("agentex:poller", (120, 120)),
        ("agentex:reporter", (1, 1)),
    ]
    assert [(labels[o.schedule], o.most, o.day) for o in report.over_budget] == [
        ("team/quarter", 96, date(2026, 5, 4))
    ]
    assert view.grid.total == 2 * (96 + 24 + 1)


def test_a_schedule_firing_every_ten_seconds_counts_once_per_minute() -> None:
    view = build(
        [
            bundle(
                "cadenya",
                schedule("fast", Timing(cron=("*/10 * * * * *",))),
                schedule("slow", Timing(cron=("0 * * * *",))),
                workspace="ws",
            )
        ],
        datetime(2026, 5, 4, tzinfo=UTC),
        1,
    )
    assert most_in_one_minute(view.report) == 2
    assert view.report.busiest_minutes[0].fires == 7  # six of one, one of the other
    assert view.grid.total == 8640 + 24


def test_window_is_half_open_and_display_zone_days() -> None:
    view = build(
        [bundle("agentex", schedule("midnight", Timing(cron=("0 0 * * *",))))],
        datetime(2026, 5, 4, tzinfo=UTC),
        2,
        "America/New_York",
    )
    # 2026-05-04 00:00Z and 05-05 00:00Z are in [start, start + 2 days); 05-06 00:00Z is not.
    assert view.grid.total == 2
    assert view.grid.days == (date(2026, 5, 3), date(2026, 5, 4), date(2026, 5, 5))
    assert view.grid.counts[0][20] == 1 and view.grid.counts[1][20] == 1
    assert view.end - view.start == timedelta(days=2)


def test_offset_changes_of_display_and_schedule_zones_are_listed() -> None:
    view = build(
        [
            bundle(
                "cadenya",
                schedule("s", Timing(cron=("0 9 * * *",), timezone="America/New_York")),
                workspace="ws",
            )
        ],
        datetime(2026, 3, 5, tzinfo=UTC),
        7,
        "Europe/Berlin",
    )
    assert [(c.zone, c.instant, c.before, c.after) for c in view.changes] == [
        ("America/New_York", ts(2026, 3, 8, 7), -5 * 3600, -4 * 3600)
    ]


def test_identical_timings_are_computed_once_but_counted_per_schedule() -> None:
    timing = Timing(every=3600)
    view = build(
        [bundle("agentex", *(schedule(f"s{i}", timing) for i in range(50)))],
        datetime(2026, 5, 4, tzinfo=UTC),
        1,
    )
    assert view.grid.total == 50 * 24
    assert len({id(item.instants) for item in view.fires}) == 1
    assert most_in_one_minute(view.report) == 50


def test_terminal_heatmap_colours_only_when_asked() -> None:
    view = build(
        [
            bundle(
                "agentex",
                schedule("hourly", Timing(cron=("0 * * * *",))),
                schedule("nine", Timing(cron=("0 9 * * *",))),
            )
        ],
        datetime(2026, 5, 4, tzinfo=UTC),
        1,
    )
    plain = calendar_text(view)
    assert "\x1b[" not in plain
    row = next(line for line in plain.splitlines() if line.startswith("Mon 05-04"))
    assert row == "Mon 05-04   " + "▄▄" * 9 + "██" + "▄▄" * 14 + "       25"
    coloured = calendar_text(view, color=True)
    assert "\x1b[38;5;124m██\x1b[0m" in coloured  # the busiest hour in the darkest red
    assert coloured.replace("\x1b[0m", "").count("\x1b[38;5;") > 24


def test_a_schedule_over_the_window_limit_is_cut_and_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fires, "WINDOW_LIMIT", 1000)
    view = build(
        [bundle("agentex", schedule("busy", Timing(cron=("* * * * *",))))],
        datetime(2026, 5, 4, tzinfo=UTC),
        1,
    )
    assert view.fires[0].truncated and view.grid.total == 1000
    assert view.notes == [
        ("team/busy", "fires more than 1,000 times in the window: only the first ones are counted")
    ]


def test_nothing_in_the_window() -> None:
    view = build(
        [bundle("orq", schedule("once", Timing(at=datetime(2027, 1, 1, tzinfo=UTC))))],
        datetime(2026, 5, 4, tzinfo=UTC),
        1,
    )
    assert view.grid.total == 0 and view.report.peak_minute is None and most_in_one_minute(view.report) == 0
    text = calendar_text(view)
    assert (
        "No schedule fires in the window." in text
        and "legend, fires per hour: ·· 0   (blank: outside the window, or an hour DST skips)" in text
    )
