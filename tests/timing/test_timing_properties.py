"""Property tests for the timing engine: random crons, zones and instants against independent oracles.

Oracles: croniter (Vixie semantics with `implement_cron_bug=True`) away from DST quirks; a brute-force
minute-by-minute scan of the zone's wall clock (Temporal's rule, literally) around DST transitions.
Derandomized so CI runs the same examples every time (see TIMING_DEEP below for a longer hunt).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from croniter import croniter  # type: ignore[import-untyped]
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reconciler.timing import (
    Calendar,
    Range,
    Timing,
    TimingError,
    calendar_matches,
    calendars_to_cron,
    cron_to_calendars,
    next_fire_times,
    parse_cron,
)
from reconciler.timing.cron import CronExpr

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo"]
DST_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
]
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


# TIMING_DEEP=20 runs twenty times the examples with fresh random seeds, for a local bug hunt.
_DEEP = int(os.environ.get("TIMING_DEEP", "0"))


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples * (_DEEP or 1),
        deadline=None,
        derandomize=not _DEEP,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def _transitions(zone_name: str) -> list[datetime]:
    """The instants (2018-2030, to the quarter hour) at which the zone's UTC offset changes."""
    zone = ZoneInfo(zone_name)
    found = []
    moment = datetime(2018, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(zone).utcoffset()
    while moment.year < 2031:
        following = moment + timedelta(days=1)
        if following.astimezone(zone).utcoffset() != offset:
            while moment.astimezone(zone).utcoffset() == offset:
                moment += timedelta(minutes=15)
            found.append(moment)
            following = moment
        moment, offset = following, following.astimezone(zone).utcoffset()
    return found


TRANSITIONS = {name: _transitions(name) for name in {*ZONES, *DST_ZONES}}


# --- strategies -----------------------------------------------------------------------------------------

# (low, high, top, names): high is the largest value text may use, top where `*` and `a/n` stop.
MINUTE = (0, 59, 59, ())
HOUR = (0, 23, 23, ())
DOM = (1, 31, 31, ())
MONTH = (1, 12, 12, MONTH_NAMES)
DOW = (0, 7, 6, DOW_NAMES)
Spec = tuple[int, int, int, tuple[str, ...]]


@st.composite
def _value(draw: st.DrawFn, spec: Spec, low: int, high: int) -> str:
    names = spec[3]
    number = draw(st.integers(low, high))
    index = number - spec[0]
    if names and index < len(names) and draw(st.booleans()):
        name = names[index]
        return draw(st.sampled_from([name, name.upper(), name.title()]))
    return str(number)


@st.composite
def _item(draw: st.DrawFn, spec: Spec, star: bool) -> str:
    low, high, top, _ = spec
    kinds = ["value", "range", "range_step", "value_step", *(["star", "star_step"] if star else [])]
    kind = draw(st.sampled_from(kinds))
    if kind == "star":
        return "*"
    if kind == "star_step":
        return f"*/{draw(st.integers(1, top - low + 1))}"
    if kind == "value":
        return draw(_value(spec, low, high))
    if kind == "value_step":
        return f"{draw(_value(spec, low, top))}/{draw(st.integers(1, top - low + 1))}"
    # croniter reads an equal-bound range (jan-jan) as the whole cycle, so keep start < end
    start = draw(st.integers(low, high - 1))
    end = draw(st.integers(start + 1, high))
    text = f"{draw(_value(spec, start, start))}-{draw(_value(spec, end, end))}"
    if kind == "range_step":
        text += f"/{draw(st.integers(1, end - start + 1))}"
    return text


@st.composite
def _field(draw: st.DrawFn, spec: Spec) -> str:
    if draw(st.integers(0, 3)) == 0:
        return "*"
    first = draw(_item(spec, star=True))
    rest = draw(st.lists(_item(spec, star=False), max_size=2))
    return ",".join([first, *rest])


@st.composite
def crons(draw: st.DrawFn) -> str:
    text = " ".join(draw(_field(spec)) for spec in (MINUTE, HOUR, DOM, MONTH, DOW))
    try:
        parse_cron(text)
    except TimingError:
        assume(False)  # e.g. day 31 in February only: rejected on purpose
    return text


@st.composite
def zoned_instants(draw: st.DrawFn, zones: list[str]) -> tuple[str, datetime]:
    """A zone and a whole-second instant: often just before one of its transitions, so that even a dense
    cron's next ten fires cross it; sometimes within a day and a half of one; otherwise anywhere."""
    zone = draw(st.sampled_from(zones))
    near = draw(st.sampled_from([None, (-3 * 3600, 600), (-36 * 3600, 36 * 3600)]))
    if TRANSITIONS[zone] and near is not None:
        transition = draw(st.sampled_from(TRANSITIONS[zone]))
        return zone, transition + timedelta(seconds=draw(st.integers(*near)))
    seconds = draw(st.integers(0, 11 * 365 * 86400))
    return zone, datetime(2019, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


def _ranges(low: int, high: int) -> st.SearchStrategy[tuple[Range, ...]]:
    @st.composite
    def build(draw: st.DrawFn) -> tuple[Range, ...]:
        items = []
        for _ in range(draw(st.integers(1, 3))):
            start = draw(st.integers(low, high))
            end = draw(st.integers(start, high))
            items.append(Range(start, end, draw(st.integers(1, 4))))
        return tuple(items)

    return build()


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    full = st.just  # readability: a field left at "all"
    return Calendar(
        second=draw(st.one_of(full((Range(0, 0, 1),)), _ranges(0, 59))),
        minute=draw(_ranges(0, 59)),
        hour=draw(_ranges(0, 23)),
        day_of_month=draw(st.one_of(full((Range(1, 31, 1),)), _ranges(1, 31))),
        month=draw(st.one_of(full((Range(1, 12, 1),)), _ranges(1, 12))),
        day_of_week=draw(st.one_of(full((Range(0, 6, 1),)), _ranges(0, 6))),
    )


# Temporal's documented DST rule, which every provider but temporal and agentex gets (those two follow the
# server's own walk, checked against the real server in test_temporal_oracle.py).
DOCUMENTED_RULE = "oz"


def _fires(timing: Timing, after: datetime, count: int = 10, provider: str = "temporal") -> list[datetime]:
    return next_fire_times(timing, after, count, provider=provider)


# --- cron against croniter ------------------------------------------------------------------------------


@_settings(250)
@given(text=crons(), where=zoned_instants(ZONES))
def test_cron_agrees_with_croniter_except_where_the_wall_clock_disagrees(
    text: str, where: tuple[str, datetime]
) -> None:
    """croniter and we agree on every instant, with one precise exclusion.

    When a wall time is skipped by spring-forward, croniter fires at the first valid time after the gap
    (03:00 for a 02:30 cron); Temporal does not fire. So croniter's instants whose wall-clock reading in
    the zone does not match the cron are dropped before comparing; nothing else is excluded (repeated
    fall-back times fire twice in both).
    """
    zone_name, after = where
    zone = ZoneInfo(zone_name)
    expr = parse_cron(text)
    ours = _fires(Timing(cron=(text,), timezone=zone_name), after, provider=DOCUMENTED_RULE)
    assert ours, text
    assert ours == sorted(set(ours))
    assert all(expr.matches(t.astimezone(zone)) for t in ours)
    theirs = croniter(text, after.astimezone(zone), implement_cron_bug=True)
    expected = []
    while True:
        fire = theirs.get_next(datetime).astimezone(UTC)
        if fire > ours[-1]:
            break
        if expr.matches(fire.astimezone(zone)):
            expected.append(fire)
    assert ours == sorted(set(expected))


# --- Temporal's DST rule, literally ---------------------------------------------------------------------


def _scan(
    after: datetime, end: datetime, step: timedelta, fires_at: Callable[[datetime], bool]
) -> list[datetime]:
    found = []
    moment = after + step
    while moment <= end:
        if fires_at(moment):
            found.append(moment)
        moment += step
    return found


@_settings(120)
@given(text=crons(), where=zoned_instants(DST_ZONES))
def test_cron_fires_exactly_when_the_zone_clock_shows_a_matching_time(
    text: str, where: tuple[str, datetime]
) -> None:
    """Minute-by-minute over two days around a transition: an instant fires iff its local reading matches."""
    zone_name, moment = where
    zone = ZoneInfo(zone_name)
    expr = parse_cron(text)
    after = moment.replace(second=0) - timedelta(hours=24)
    end = after + timedelta(hours=48)
    ours = _fires(Timing(cron=(text,), timezone=zone_name, end=end), after, 10_000, DOCUMENTED_RULE)
    assert ours == _scan(after, end, timedelta(minutes=1), lambda t: expr.matches(t.astimezone(zone)))


@_settings(120)
@given(
    every_minutes=st.sampled_from([1, 7, 15, 45, 60, 90, 120, 360, 1440]),
    offset_fraction=st.floats(0, 1, exclude_max=True),
    where=zoned_instants(DST_ZONES),
)
def test_cadenya_interval_fires_on_the_wall_clock_lattice(
    every_minutes: int, offset_fraction: float, where: tuple[str, datetime]
) -> None:
    zone_name, moment = where
    zone = ZoneInfo(zone_name)
    every = every_minutes * 60
    offset = int(offset_fraction * every_minutes) * 60
    after = moment.replace(second=0) - timedelta(hours=24)
    end = after + timedelta(hours=48)
    ours = _fires(Timing(every=every, offset=offset, timezone=zone_name, end=end), after, 10_000, "cadenya")

    def on_lattice(t: datetime) -> bool:
        wall = t.astimezone(zone).replace(tzinfo=None) - datetime(1970, 1, 1)
        return (wall // timedelta(seconds=1) - offset) % every == 0

    assert ours == _scan(after, end, timedelta(minutes=1), on_lattice)


@_settings(100)
@given(
    every=st.integers(1, 40 * 86400),
    offset_fraction=st.floats(0, 1, exclude_max=True),
    where=zoned_instants(ZONES),
)
def test_temporal_interval_is_anchored_at_the_unix_epoch(
    every: int, offset_fraction: float, where: tuple[str, datetime]
) -> None:
    zone_name, after = where
    offset = int(offset_fraction * every)
    ours = _fires(Timing(every=every, offset=offset, timezone=zone_name), after, 5)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert len(ours) == 5
    assert all((t - epoch) // timedelta(seconds=1) % every == offset for t in ours)
    assert all(b - a == timedelta(seconds=every) for a, b in pairwise(ours))
    assert after < ours[0] <= after + timedelta(seconds=every)


# --- canonical form ---------------------------------------------------------------------------------------


@_settings(150)
@given(text=crons())
def test_canonical_is_idempotent(text: str) -> None:
    canonical = parse_cron(text).canonical
    assert parse_cron(canonical).canonical == canonical


@_settings(150)
@given(text=crons(), where=zoned_instants(ZONES))
def test_canonical_means_the_same(text: str, where: tuple[str, datetime]) -> None:
    zone_name, after = where
    canonical = parse_cron(text).canonical
    assert _fires(Timing(cron=(canonical,), timezone=zone_name), after) == _fires(
        Timing(cron=(text,), timezone=zone_name), after
    )


def _spelled_differently(expr: CronExpr) -> str:
    """Another spelling of the same cron: explicit lists, Sunday as 7, names for months."""

    def listed(values: frozenset[int], names: tuple[str, ...] = (), first: int = 0) -> str:
        return ",".join(names[v - first] if names else str(v) for v in sorted(values))

    dow = ",".join("7" if v == 0 else str(v) for v in sorted(expr.days_of_week))
    dom = listed(expr.days_of_month)
    if not expr.dom_restricted:
        dom = "*" if expr.days_of_month == frozenset(range(1, 32)) else f"*/31,{dom}"
    if not expr.dow_restricted:
        dow = "*" if expr.days_of_week == frozenset(range(7)) else f"*/7,{dow}"
    return " ".join(
        [
            listed(expr.seconds),
            listed(expr.minutes),
            listed(expr.hours),
            dom,
            listed(expr.months, MONTH_NAMES, 1),
            dow,
        ]
    )


@_settings(120)
@given(text=crons())
def test_equivalent_spellings_share_the_canonical_text(text: str) -> None:
    expr = parse_cron(text)
    other = _spelled_differently(expr)
    assert parse_cron(other).canonical == expr.canonical, other


# --- calendars --------------------------------------------------------------------------------------------


@_settings(100)
@given(text=crons(), where=zoned_instants(ZONES))
def test_cron_to_calendars_fires_exactly_like_the_cron(text: str, where: tuple[str, datetime]) -> None:
    zone_name, after = where
    expr = parse_cron(text)
    translated = cron_to_calendars(expr)
    assert len(translated) == (
        2 if expr.day_or and len(expr.days_of_month) < 31 and len(expr.days_of_week) < 7 else 1
    )
    assert _fires(Timing(calendars=translated, timezone=zone_name), after) == _fires(
        Timing(cron=(text,), timezone=zone_name), after
    )


@_settings(150)
@given(text=crons())
def test_calendars_round_trip_to_the_canonical_cron(text: str) -> None:
    expr = parse_cron(text)
    assert calendars_to_cron(cron_to_calendars(expr)) == expr.canonical


@_settings(150)
@given(calendar=calendars(), where=zoned_instants(ZONES))
def test_calendars_to_cron_is_exact_when_it_answers(calendar: Calendar, where: tuple[str, datetime]) -> None:
    zone_name, after = where
    text = calendars_to_cron([calendar])
    as_calendar = _fires(Timing(calendars=(calendar,), timezone=zone_name), after)
    assert all(calendar_matches(calendar, t.astimezone(ZoneInfo(zone_name))) for t in as_calendar)
    if text is not None:
        assert _fires(Timing(cron=(text,), timezone=zone_name), after) == as_calendar


def test_transition_table_is_populated() -> None:
    assert len(TRANSITIONS["Europe/Berlin"]) == 26  # two a year, 2018-2030
    assert TRANSITIONS["Europe/Berlin"][0] == datetime(2018, 3, 25, 1, tzinfo=UTC)
    assert TRANSITIONS["Asia/Kolkata"] == []
    assert datetime(2019, 2, 17, 2, tzinfo=UTC) in TRANSITIONS["America/Sao_Paulo"]
