"""parse_duration / format_duration: the bundle's `every:` and `offset:` spellings."""

from __future__ import annotations

import pytest

from reconciler.timing import TimingError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("1h", 3600),
        ("1h30m", 5400),
        ("1d", 86400),
        ("2d12h", 216000),
        ("1d2h3m4s", 93784),
        ("60m", 3600),
        ("3600s", 3600),
        (" 5m ", 300),
        ("1h0m", 3600),
    ],
)
def test_parse(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(3600, "1h"), (5400, "1h30m"), (86400, "1d"), (90, "1m30s"), (59, "59s"), (216000, "2d12h"), (0, "0s")],
)
def test_format(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("text", ["60m", "1h", "3600s", "0d1h", "59m60s"])
def test_equal_durations_format_the_same(text: str) -> None:
    assert format_duration(parse_duration(text)) == "1h"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "'' is not a duration; write whole numbers with the units d, h, m, s in that order"),
        ("15", "'15' is not a duration"),
        ("1.5h", "'1.5h' is not a duration"),
        ("30m1h", "in that order"),
        ("-5m", "is not a duration"),
        ("5 m", "is not a duration"),
        ("1w", "is not a duration"),
        ("5M", "is not a duration"),
        ("PT5M", "is not a duration"),
        ("0s", "'0s' is zero; a duration must be longer than 0s"),
        ("0h0m", "is zero"),
    ],
)
def test_rejections(text: str, message: str) -> None:
    with pytest.raises(TimingError, match=message):
        parse_duration(text)


def test_zero_allowed_for_offsets() -> None:
    assert parse_duration("0s", allow_zero=True) == 0


def test_not_text() -> None:
    with pytest.raises(TimingError, match="must be text"):
        parse_duration(90)  # type: ignore[arg-type]


def test_negative_cannot_be_formatted() -> None:
    with pytest.raises(TimingError, match="cannot be negative"):
        format_duration(-1)
