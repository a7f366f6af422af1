"""`every_as_cron`: where it answers, the cron fires at exactly the instants of the epoch-anchored `every`;
where it refuses, the message says why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.timing import Timing, TimingError, next_fire_times
from reconciler.timing.every_cron import every_as_cron

CADENCES = [60 * m for m in (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 10080)]


@pytest.mark.parametrize(
    ("every", "offset", "cron"),
    [
        (3600, 0, "0 * * * *"),
        (6 * 3600, 0, "0 */6 * * *"),
        (86400, 0, "0 0 * * *"),
        (3600, 900, "15 * * * *"),
        (1800, 900, "15,45 * * * *"),
        (6 * 3600, 2 * 3600 + 900, "15 2-20/6 * * *"),
        (7 * 86400, 0, "0 0 * * 4"),  # the epoch was a Thursday
        (7 * 86400, 3 * 86400 + 3600, "0 1 * * 0"),
    ],
)
def test_exact_translations(every: int, offset: int, cron: str) -> None:
    assert every_as_cron(every, offset) == cron


@pytest.mark.parametrize(
    ("every", "offset", "why"),
    [
        (30, 0, "whole minutes"),
        (3600, 30, "whole minutes"),
        (45 * 60, 0, "does not divide an hour"),
        (90 * 60, 0, "not a whole number of hours"),
        (7 * 3600, 0, "does not divide a day"),
        (2 * 86400, 0, "does not divide a day"),
    ],
)
def test_inexact_cadences_say_why(every: int, offset: int, why: str) -> None:
    with pytest.raises(TimingError, match=why):
        every_as_cron(every, offset)


@settings(max_examples=60, deadline=None)
@given(
    every=st.sampled_from(CADENCES),
    offset_minutes=st.integers(min_value=0, max_value=10079),
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
)
def test_cron_and_every_fire_at_the_same_instants(every: int, offset_minutes: int, start: datetime) -> None:
    offset = (offset_minutes * 60) % every
    cron = every_as_cron(every, offset)
    by_every = next_fire_times(Timing(every=every, offset=offset), start, 12, provider="oz")
    by_cron = next_fire_times(Timing(cron=(cron,)), start, 12, provider="oz")
    assert by_every == by_cron
