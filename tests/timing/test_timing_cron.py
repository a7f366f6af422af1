"""parse_cron: what it accepts, what it rejects (and says), and the canonical spelling."""

from __future__ import annotations

import pytest

from reconciler.timing import CronExpr, TimingError, parse_cron


def test_five_fields_expand_to_sets() -> None:
    expr = parse_cron("*/15 9-17 1,15 jan-mar mon-fri")
    assert expr.seconds == {0}
    assert expr.minutes == {0, 15, 30, 45}
    assert expr.hours == set(range(9, 18))
    assert expr.days_of_month == {1, 15}
    assert expr.months == {1, 2, 3}
    assert expr.days_of_week == {1, 2, 3, 4, 5}
    assert expr.dom_restricted and expr.dow_restricted and expr.day_or


def test_six_fields_put_seconds_first() -> None:
    expr = parse_cron("30 */10 * * * *")
    assert expr.seconds == {30}
    assert expr.minutes == set(range(0, 60, 10))
    assert expr.canonical == "30 */10 * * * *"


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("5-59/10 * * * *", "minutes", set(range(5, 60, 10))),
        ("10/5 * * * *", "minutes", set(range(10, 60, 5))),
        ("0 0 * * 7", "days_of_week", {0}),
        ("0 0 * * 0,7", "days_of_week", {0}),
        ("0 0 * * 5-7", "days_of_week", {5, 6, 0}),
        ("0 0 * * SUN,Sat", "days_of_week", {0, 6}),
        ("0 0 * * 1/2", "days_of_week", {1, 3, 5}),  # a/n stops at Saturday, like Temporal and croniter
        ("0 0 * JAN-Mar/2 *", "months", {1, 3}),
        ("0 0 1/10 * *", "days_of_month", {1, 11, 21, 31}),
        ("*/60 * * * *", "minutes", {0}),
    ],
)
def test_field_syntax(text: str, field: str, expected: set[int]) -> None:
    assert getattr(parse_cron(text), field) == expected


@pytest.mark.parametrize(
    ("macro", "canonical"),
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@DAILY", "0 0 * * *"),
    ],
)
def test_macros(macro: str, canonical: str) -> None:
    assert parse_cron(macro).canonical == canonical


def test_vixie_star_flags() -> None:
    assert not parse_cron("0 0 */2 * 1").dom_restricted
    assert parse_cron("0 0 1-31/2 * 1").dom_restricted
    assert not parse_cron("0 0 1 * */2").dow_restricted
    assert not parse_cron("0 0 * * *").day_or


@pytest.mark.parametrize(
    ("text", "day", "weekday", "matches"),
    [
        ("30 4 1,15 * 5", 1, 3, True),  # the 1st, a Wednesday: dom matches (OR)
        ("30 4 1,15 * 5", 9, 5, True),  # a Friday the 9th: dow matches (OR)
        ("30 4 1,15 * 5", 9, 4, False),
        ("0 0 */2 * 1", 3, 1, True),  # odd day AND Monday: `*` prefix makes it AND
        ("0 0 */2 * 1", 3, 2, False),
        ("0 0 */2 * 1", 4, 1, False),
        ("0 0 1-31/2 * 1", 4, 1, True),  # same set spelled without `*`: OR
    ],
)
def test_day_matching_follows_vixie(text: str, day: int, weekday: int, matches: bool) -> None:
    assert parse_cron(text).day_matches(day, weekday) is matches


@pytest.mark.parametrize(
    ("spellings", "canonical"),
    [
        (
            ["0 9 * * mon-fri", "0 9 * * 1-5", "0 9 * * 1,2,3,4,5", "0 0 9 * * 1-5", "00 09 * * MON-FRI"],
            "0 9 * * 1-5",
        ),
        (["0 0 * * 0,7", "0 0 * * 0", "0 0 * * sun", "0 0 * * 7", "@weekly"], "0 0 * * 0"),
        (["@daily", "0 0 * * *", "0 0 */1 * *", "0 0 * */1 */1", "0 0 1-31 * *", "0 0 * * 0-6"], "0 0 * * *"),
        (["*/1 * * * *", "* * * * *", "0-59 * * * *", "0 * * * * *"], "* * * * *"),
        (["*/15 * * * *", "0,15,30,45 * * * *", "0-59/15 * * * *", "0-45/15 * * * *"], "*/15 * * * *"),
        (["0 0 1 * 0-6", "0 0 1-31/2 * 0-7", "0 0 * * *"], "0 0 * * *"),  # OR with every weekday
        (["0 12 * jan,feb,mar *", "0 12 * 1-3 *"], "0 12 * 1-3 *"),
        (["0 0 */2 * 1", "0 0 */2 * mon"], "0 0 */2 * 1"),
        (["0 0 1-31/2 * 1", "0 0 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 * mon"], "0 0 1-31/2 * 1"),
        (["0 0 1-31/2 * *", "0 0 */2 * *", "0 0 */2 * */1"], "0 0 */2 * *"),
        (["0 0 5 * */2", "0 0 5 * */2,4"], "0 0 5 * */2"),  # AND: dow keeps its `*`
        (["0 0 5 * 0,2,4,6", "0 0 5 * 0-7/2", "0 0 5 * sun,tue,thu,sat"], "0 0 5 * 0-6/2"),  # OR
        (["0 22-23,0-2 * * *", "0 0-2,22,23 * * *"], "0 0-2,22-23 * * *"),
    ],
)
def test_canonical_equivalences(spellings: list[str], canonical: str) -> None:
    for text in spellings:
        assert parse_cron(text).canonical == canonical, text


def test_canonical_keeps_the_star_quirk_apart() -> None:
    # */2 in day-of-month ANDs with a weekday; 1-31/2 ORs with it. Same sets, different meaning.
    assert parse_cron("0 0 */2 * 1").canonical != parse_cron("0 0 1-31/2 * 1").canonical
    # a star in day-of-week makes it AND too
    assert parse_cron("0 0 1 * */2").canonical == "0 0 1 * */2"
    assert parse_cron("0 0 1 * 0,2,4,6").canonical == "0 0 1 * 0-6/2"


def test_canonical_for_and_when_neither_field_is_a_plain_step() -> None:
    expr = CronExpr(
        frozenset({0}),
        frozenset({0}),
        frozenset({0}),
        frozenset({1, 15}),
        frozenset(range(1, 13)),
        frozenset({1}),
        dom_restricted=False,
        dow_restricted=True,
    )
    text = expr.canonical
    assert text == "0 0 */31,15 * 1"
    again = parse_cron(text)
    assert again.days_of_month == {1, 15} and not again.day_or


def test_canonical_impossible_and_raises() -> None:
    expr = CronExpr(
        frozenset({0}),
        frozenset({0}),
        frozenset({0}),
        frozenset({15}),
        frozenset(range(1, 13)),
        frozenset({1}),
        dom_restricted=False,
        dow_restricted=True,
    )
    with pytest.raises(TimingError, match="cannot be written as a cron"):
        _ = expr.canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty cron expression"),
        ("   ", "empty cron expression"),
        ("* * * *", "expected 5 fields .* or 6 with seconds first .* got 4"),
        ("* * * * * * *", "got 7"),
        ("0 0 L * *", r"'L' \(last day\) in 'L' is not supported"),
        ("0 0 * * 5L", r"'L' \(last day\) in '5L' is not supported"),
        ("0 0 LW * *", "'L'"),
        ("0 0 15W * *", r"'W' \(nearest weekday\) in '15W' is not supported"),
        ("0 0 * * 5#3", r"'#' \(nth weekday, such as 5#3\) is not supported"),
        ("0 0 ? * *", "'\\?' is not supported; write '\\*'"),
        ("H * * * *", r"'H' \(hashed value\) in 'H' is not supported; pick a fixed value"),
        ("H/15 * * * *", "'H'"),
        ("@reboot", "'@reboot' has no meaning for a hosted schedule; supported macros: @hourly"),
        ("@every 5m", "'@every' is not supported in cron; use 'every:'"),
        ("@fortnightly", "unknown macro '@fortnightly'; supported macros"),
        ("@daily 5", "'@daily' stands alone"),
        ("60 * * * *", r"60 is out of range for the minute field \(0-59\)"),
        ("0 24 * * *", r"24 is out of range for the hour field \(0-23\)"),
        ("0 0 0 * *", r"0 is out of range for the day-of-month field \(1-31\)"),
        ("0 0 32 * *", "32 is out of range for the day-of-month field"),
        ("0 0 * 13 *", r"13 is out of range for the month field \(1-12 or jan-dec\)"),
        ("0 0 * * 8", "8 is out of range for the day-of-week field"),
        ("60 0 0 * * *", "60 is out of range for the second field.*with 6 fields the first is seconds"),
        ("0 9 * * 1 30", "out of range for the day-of-week field.*with 6 fields the first is seconds"),
        (
            "5-1 * * * *",
            "reversed range '5-1' in the minute field: .* does not wrap around; write '0-1,5-59'",
        ),
        ("0 22-2 * * *", "write '0-2,22-23' instead"),
        ("0 0 * * sat-sun", "reversed range 'sat-sun' in the day-of-week field.*write '0,6' instead"),
        ("0 0 * dec-jan *", "reversed range 'dec-jan'"),
        ("10-5/2 * * * *", "reversed range '10-5'"),
        ("*/0 * * * *", "step 0 in the minute field: a step must be at least 1"),
        ("*/x * * * *", "step 'x' in the minute field must be a whole number"),
        ("*/ * * * *", "step '' in the minute field"),
        ("1,,2 * * * *", "empty list item in the minute field"),
        (",1 * * * *", "empty list item"),
        ("1- * * * *", "a value is missing in the minute field"),
        ("mon * * * *", "'mon' is not a valid minute value .* names work only in the month"),
        ("0 0 * * jan", "'jan' is not a valid day-of-week value"),
        ("0 0 * * monday", "'monday' is not a valid day-of-week value .* supported: numbers, names"),
        ("1.5 * * * *", "'1.5' is not a valid minute value"),
        ("-1 * * * *", "a value is missing"),
        ("0 0 31 2 *", "day-of-month 31 never occurs in February: no date would ever match"),
        ("0 0 30 feb *", "day-of-month 30 never occurs in February"),
        ("0 0 31 4,6,9,11 *", "never occurs in April, June, September, November"),
        ("TZ=Europe/Berlin 0 9 * * *", "TZ=/CRON_TZ= prefix is not supported; set 'timezone:'"),
        ("CRON_TZ=UTC 0 9 * * *", "prefix is not supported"),
    ],
)
def test_rejections_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(TimingError, match=message):
        parse_cron(text)


def test_non_text_is_rejected() -> None:
    with pytest.raises(TimingError, match="must be text"):
        parse_cron(5)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["0 0 29 2 *", "0 0 30,31 2,4 *", "0 0 */2 2 *", "0 0 31 * *"])
def test_days_that_some_selected_month_has_are_fine(text: str) -> None:
    parse_cron(text)


def test_whitespace_is_flexible() -> None:
    assert parse_cron("  0\t9  *  * 1-5 ").canonical == "0 9 * * 1-5"
