"""Temporal's cron grammar (`reconciler.timing.temporal_cron`): what the Agentex platform makes of a cron."""

from __future__ import annotations

import pytest

from reconciler.timing import TimingError, calendars_to_cron
from reconciler.timing.temporal_cron import parse_temporal_cron


def vixie(text: str) -> str | None:
    """The bundle (Vixie) cron that means what Temporal makes of `text`, if one exists."""
    calendar = parse_temporal_cron(text).calendar
    assert calendar is not None
    return calendars_to_cron([calendar])


@pytest.mark.parametrize(
    ("temporal", "same_as"),
    [
        ("0 9 * * 1-5", "0 9 * * 1-5"),
        ("0 9 * * mon-fri", "0 9 * * 1-5"),
        ("0 9 * * MO-FR", "0 9 * * 1-5"),  # weekday names by a prefix of 2 letters
        ("0 0 1 jan *", "0 0 1 1 *"),
        ("0 0 1 janu *", "0 0 1 1 *"),
        ("0 0 * * 7", "0 0 * * 0"),
        ("*/15 * * * *", "*/15 * * * *"),
        ("5/15 * * * *", "5-50/15 * * * *"),  # a/n runs to the end of the field
        ("@daily", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("30 0 9 * * 1-5 *", "30 0 9 * * 1-5"),  # 7 fields: seconds first, year last
        ("0 9 1 * 1", "0 9 */31 * 1"),  # day-of-month AND day-of-week, written the Vixie way
        ("0 9 * * 5#3", "0 9 * * 5"),  # '#' starts a comment: every Friday
    ],
)
def test_meaning_in_bundle_terms(temporal: str, same_as: str) -> None:
    assert vixie(temporal) == same_as


def test_prefix_comment_and_year() -> None:
    parsed = parse_temporal_cron("CRON_TZ=Europe/Berlin 0 9 * * * # morning")
    assert parsed.timezone == "Europe/Berlin" and parsed.comment == "morning"
    assert parse_temporal_cron("TZ=UTC 0 9 * * *").timezone == "UTC"
    assert vixie("0 9 1 1 * 2027") is None  # a year has no Vixie spelling


def test_every_is_an_interval() -> None:
    parsed = parse_temporal_cron("@every 1h/15m")
    assert (parsed.calendar, parsed.every, parsed.offset) == (None, 3600, 900)


@pytest.mark.parametrize(
    "text",
    [
        "0 9 L * *",
        "0 9 15W * *",
        "0 9 * * ?",
        "1 2 3",
        "0 24 * * *",
        "0 9 5-1 * *",
        "*/0 * * * *",
        "CRON_TZ=UTC",
        "0 9 * * * 1999",
        "@every soon",
    ],
)
def test_refused_as_temporal_refuses(text: str) -> None:
    with pytest.raises(TimingError):
        parse_temporal_cron(text)
