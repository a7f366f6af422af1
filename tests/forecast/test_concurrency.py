"""The fast load forecast equals brute force: fire counting against the timing engine fire by fire, and the
peak of concurrent runs against counting the runs in progress at every start (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.forecast import firecount
from reconciler.forecast.concurrency import peak_concurrency
from reconciler.timing import Calendar, Range, Timing

DAY = 86400
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
]
PROVIDERS = ["temporal", "cadenya", "orq", "oz", "agentex"]
# Windows that start on any second of 2025-2027: many of them hold a DST change of the zones above.
STARTS = st.integers(
    int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()), int(datetime(2027, 12, 1, tzinfo=UTC).timestamp())
)


def _brute_peak(runs: list[tuple[list[int], int]]) -> tuple[int, int | None]:
    """At each start (the level only rises at one), count the runs [t, t + length) covering it."""
    spans = [(t, t + length) for instants, length in runs for t in instants]
    best, when = 0, None
    for moment in sorted({t for t, _ in spans}):
        level = sum(1 for low, high in spans if low <= moment < high)
        if level > best:
            best, when = level, moment
    return best, when


@st.composite
def _runs(draw: st.DrawFn) -> tuple[list[tuple[list[int] | range, int]], int, int]:
    start = draw(st.sampled_from([0, 86400 * 3, 7]))  # midnight, or a window off the minute grid
    end = start + draw(st.integers(600, 3 * 3600))
    grid = draw(st.sampled_from([60, 30, 1]))  # on the minute, half-minute or any second
    runs: list[tuple[list[int] | range, int]] = []
    for _ in range(draw(st.integers(1, 5))):
        length = draw(st.sampled_from([0, 60, 90, 240, 270, 660, 3600, 7]))
        if draw(st.booleans()):
            step = grid * draw(st.integers(1, 40))
            first = start + grid * draw(st.integers(0, 30)) - start % grid
            runs.append((range(max(first, start), end, step), length))
        else:
            picks = draw(st.lists(st.integers(0, (end - start) // grid - 1), max_size=30, unique=True))
            runs.append(
                (
                    sorted(
                        start - start % grid + grid * p
                        for p in picks
                        if start <= start - start % grid + grid * p < end
                    ),
                    length,
                )
            )
    return runs, start, end


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_runs())
def test_the_peak_of_concurrent_runs_equals_brute_force(
    case: tuple[list[tuple[list[int] | range, int]], int, int],
) -> None:
    runs, start, end = case
    shared = runs + runs[:1]  # two schedules sharing one timing (one cached list) count twice
    expected = _brute_peak([(list(instants), length) for instants, length in shared])
    assert peak_concurrency(shared, start, end) == expected


CRONS = st.one_of(
    st.builds(lambda m, h: f"{m} {h} * * *", st.integers(0, 59), st.integers(0, 23)),
    st.builds(lambda m: f"{m} * * * *", st.integers(0, 59)),
    st.builds(lambda m, h: f"{m} {h} * * 1-5", st.integers(0, 59), st.integers(0, 23)),
    st.sampled_from(
        [
            "*/7 3 * * 1-5",
            "0 9 1,15 * mon",
            "30 */3 * * *",
            "15 1,2,3 * * *",
            "0 2 * * 0",
            "0,30 * * * *",
            "59 23 28-31 * *",
        ]
    ),
)


@st.composite
def _timings(draw: st.DrawFn) -> Timing:
    zone = draw(st.sampled_from(ZONES))
    form = draw(st.sampled_from(["cron", "every", "calendar"]))
    if form == "cron":
        return Timing(cron=(draw(CRONS),), timezone=zone)
    if form == "every":
        every = draw(st.sampled_from([300, 900, 3600, 5400, 6 * 3600, DAY]))
        return Timing(
            every=every, offset=draw(st.integers(0, every - 1)), timezone=draw(st.sampled_from(["UTC", zone]))
        )
    calendar = Calendar(
        minute=(Range(draw(st.integers(0, 59))),),
        hour=(Range(draw(st.integers(0, 23))),),
        day_of_week=(Range(1, 5),),
    )
    return Timing(calendars=(calendar,), timezone=zone)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_timings(), st.sampled_from(PROVIDERS), STARTS, st.integers(1, 30))
def test_fast_fire_counting_equals_the_engine_fire_by_fire(
    timing: Timing, provider: str, start: int, days: int
) -> None:
    end = start + days * DAY
    fast = firecount.fire_instants(timing, provider, None, start, end)
    engine = firecount._engine(timing, provider, None, start, end)
    assert list(fast) == list(engine)
    expected_days = tuple(
        sum(1 for t in engine if start + d * DAY <= t < start + (d + 1) * DAY) for d in range(days)
    )
    assert firecount.per_day(fast, start, days) == expected_days
