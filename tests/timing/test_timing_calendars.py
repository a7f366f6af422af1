"""cron_to_calendars / calendars_to_cron: exact translations, or None."""

from __future__ import annotations

from datetime import datetime

import pytest

from reconciler.timing import (
    Calendar,
    Range,
    TimingError,
    calendar_matches,
    calendars_to_cron,
    cron_to_calendars,
    parse_cron,
)

EVERY_DOM = (Range(1, 31, 1),)
EVERY_DOW = (Range(0, 6, 1),)


def test_weekday_cron_is_one_calendar() -> None:
    (calendar,) = cron_to_calendars(parse_cron("30 9 * * mon-fri"))
    assert calendar == Calendar(
        second=(Range(0, 0, 1),),
        minute=(Range(30, 30, 1),),
        hour=(Range(9, 9, 1),),
        day_of_month=EVERY_DOM,
        month=(Range(1, 12, 1),),
        day_of_week=(Range(1, 5, 1),),
    )


def test_both_day_fields_restricted_become_two_calendars() -> None:
    dom_half, dow_half = cron_to_calendars(parse_cron("30 4 1,15 * 5"))
    assert dom_half.day_of_month == (Range(1, 1, 1), Range(15, 15, 1))
    assert dom_half.day_of_week == EVERY_DOW
    assert dow_half.day_of_month == EVERY_DOM
    assert dow_half.day_of_week == (Range(5, 5, 1),)
    assert dom_half.hour == dow_half.hour == (Range(4, 4, 1),)


def test_star_prefixed_day_field_stays_one_calendar() -> None:
    (calendar,) = cron_to_calendars(parse_cron("0 0 */2 * 1"))
    assert calendar.day_of_month == (Range(1, 31, 2),)
    assert calendar.day_of_week == (Range(1, 1, 1),)


def test_or_with_every_weekday_is_every_day() -> None:
    (calendar,) = cron_to_calendars(parse_cron("0 0 1 * 0-6"))
    assert calendar.day_of_month == EVERY_DOM and calendar.day_of_week == EVERY_DOW


def test_ranges_are_compressed() -> None:
    (calendar,) = cron_to_calendars(parse_cron("0,15,30,45 1,2,3,4,9 * * *"))
    assert calendar.minute == (Range(0, 45, 15),)
    assert calendar.hour == (Range(1, 4, 1), Range(9, 9, 1))


@pytest.mark.parametrize(
    "text",
    [
        "30 9 * * 1-5",
        "30 4 1,15 * 5",
        "0 0 */2 * 1",
        "0 0 1 * */2",
        "15 */10 * * * *",
        "0 0 29 2 *",
        "@hourly",
    ],
)
def test_round_trip(text: str) -> None:
    expr = parse_cron(text)
    assert calendars_to_cron(cron_to_calendars(expr)) == expr.canonical


def test_temporal_defaults_mean_midnight() -> None:
    assert calendars_to_cron([Calendar()]) == "0 0 * * *"
    assert calendars_to_cron([Calendar(hour=(Range(9),), day_of_week=(Range(1, 5),))]) == "0 9 * * 1-5"


def test_and_of_both_day_fields_uses_the_star_quirk() -> None:
    # Temporal ANDs: "Monday the 1st"; Vixie cron can say so only through a `*`-prefixed field.
    monday_first = Calendar(day_of_month=(Range(1),), day_of_week=(Range(1),))
    text = calendars_to_cron([monday_first])
    assert text == "0 0 */31 * 1"
    assert parse_cron(text).day_matches(1, 1) and not parse_cron(text).day_matches(8, 1)
    assert calendars_to_cron([Calendar(day_of_month=(Range(13),), day_of_week=(Range(0, 6, 2),))]) == (
        "0 0 13 * */2"
    )


def test_not_expressible_gives_none() -> None:
    friday_13th = Calendar(day_of_month=(Range(13),), day_of_week=(Range(5),))
    assert calendars_to_cron([friday_13th]) is None  # neither field can start with `*`
    assert calendars_to_cron([Calendar(year=(Range(2027),))]) is None
    assert calendars_to_cron([]) is None
    nine, five = Calendar(hour=(Range(9),)), Calendar(hour=(Range(17),), day_of_week=(Range(1),))
    assert calendars_to_cron([nine, five]) is None  # different times of day
    assert calendars_to_cron([Calendar(hour=(Range(h),)) for h in (1, 2, 3)]) is None
    assert calendars_to_cron([Calendar(day_of_month=(Range(31),), month=(Range(2),))]) is None  # never fires
    halves = [Calendar(day_of_month=(Range(1),), day_of_week=(Range(1),)), Calendar(day_of_week=(Range(5),))]
    assert calendars_to_cron(halves) is None  # not the dom-half / dow-half split


def test_two_halves_in_either_order_and_duplicates() -> None:
    dom_half = Calendar(hour=(Range(4),), day_of_month=(Range(1), Range(15)))
    dow_half = Calendar(hour=(Range(4),), day_of_week=(Range(5),))
    assert calendars_to_cron([dow_half, dom_half]) == "0 4 1,15 * 5"
    assert calendars_to_cron([dom_half, dom_half, dow_half]) == "0 4 1,15 * 5"
    assert calendars_to_cron([Calendar(comment="a"), Calendar(comment="b")]) == "0 0 * * *"
    assert calendars_to_cron([Calendar(), Calendar(day_of_week=(Range(5),))]) == "0 0 * * *"


def test_temporal_range_rules() -> None:
    assert calendars_to_cron([Calendar(hour=(Range(9, 0),))]) == "0 9 * * *"  # end < start: end = start
    assert calendars_to_cron([Calendar(minute=(Range(0, 59, 0),), hour=(Range(0, 23),))]) == "* * * * *"
    assert calendars_to_cron([Calendar(day_of_week=(Range(7),))]) == "0 0 * * 0"  # 7 is Sunday too


def test_out_of_range_calendar_values_are_errors() -> None:
    with pytest.raises(TimingError, match="calendar hour must be between 0 and 23, got 24"):
        calendars_to_cron([Calendar(hour=(Range(24),))])
    with pytest.raises(TimingError, match="step must be positive"):
        calendars_to_cron([Calendar(hour=(Range(0, 23, -1),))])


def test_calendar_matches_reads_the_wall_clock() -> None:
    calendar = Calendar(minute=(Range(30),), hour=(Range(9),), day_of_week=(Range(1, 5),))
    assert calendar_matches(calendar, datetime(2026, 3, 9, 9, 30))  # a Monday
    assert not calendar_matches(calendar, datetime(2026, 3, 8, 9, 30))  # a Sunday
    assert not calendar_matches(calendar, datetime(2026, 3, 9, 9, 30, 1))
    assert calendar_matches(Calendar(year=(Range(2026),)), datetime(2026, 1, 1))
    assert not calendar_matches(Calendar(year=(Range(2026),)), datetime(2027, 1, 1))
