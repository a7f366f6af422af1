"""`preview` against an independent cron library: 10,000 seeded random (cron, timezone, start) cases.

Oracle: croniter (Vixie semantics with `implement_cron_bug=True`). Half the starts sit on or just before a
DST transition day in one of seven DST zones, so the fires cross the change. One explicit exclusion, the
same as tests/timing/test_timing_properties.py: when spring-forward skips a wall time, croniter fires at
the first valid time after the gap (03:00 for a 02:30 cron); Temporal's rule, which preview follows, does
not fire at all. So croniter's instants whose own wall-clock reading does not match the cron are dropped
before comparing, and the test checks that every dropped instant lies in the hour after a forward
transition. Nothing else is excluded: a wall time repeated by fall-back fires twice in both.
Australia/Lord_Howe is left out here on purpose: its clocks go back 30 minutes, and croniter 7 then
sometimes drops the second occurrence of a repeated time (`22,43 1 * * *` fires 01:43 once on 2019-04-07,
`43 1 * * *` twice); test_preview_dst.py checks that zone by hand and tests/timing scans it minute by
minute. A seeded loop, not hypothesis, keeps 10,000 cases to seconds; FORECAST_SEED picks
another seed.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter  # type: ignore[import-untyped]

from reconciler.forecast.fires import preview
from reconciler.timing import Timing, TimingError, parse_cron
from tests.forecast.helpers import bundle, schedule
from tests.timing.test_timing_properties import _transitions

CASES = 10_000
COUNT = 6
SEED = int(os.environ.get("FORECAST_SEED", "20260308"))
DST_ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Pacific/Chatham",
]
ZONES = [*DST_ZONES, "UTC", "Asia/Kolkata"]
TRANSITIONS = {zone: _transitions(zone) for zone in ZONES}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (lowest, highest value the text may use, where `*` and `a/n` stop, names)
FIELDS = ((0, 59, 59, ()), (0, 23, 23, ()), (1, 31, 31, ()), (1, 12, 12, MONTHS), (0, 7, 6, DAYS))


def _value(rng: random.Random, field: tuple[int, int, int, tuple[str, ...]], low: int, high: int) -> str:
    number = rng.randint(low, high)
    names = field[3]
    if names and number - field[0] < len(names) and rng.random() < 0.3:
        return rng.choice([str.lower, str.upper, str.title])(names[number - field[0]])
    return str(number)


def _item(rng: random.Random, field: tuple[int, int, int, tuple[str, ...]], star: bool) -> str:
    low, high, top, _ = field
    kind = rng.choice(["value", "value", "range", "range_step", "value_step", *(["star_step"] * star)])
    if kind == "star_step":
        return f"*/{rng.randint(1, top - low + 1)}"
    if kind == "value":
        return _value(rng, field, low, high)
    if kind == "value_step":
        return f"{_value(rng, field, low, top)}/{rng.randint(1, top - low + 1)}"
    start = rng.randint(low, high - 1)  # croniter reads an equal-bound range (jan-jan) as the whole cycle
    end = rng.randint(start + 1, high)
    text = f"{_value(rng, field, start, start)}-{_value(rng, field, end, end)}"
    return text + (f"/{rng.randint(1, end - start + 1)}" if kind == "range_step" else "")


def random_cron(rng: random.Random, hours: str | None = None) -> str:
    """A valid 5-field cron: names, ranges, steps and lists, dense ones and rare ones; `hours` given, the
    hour field is that."""
    while True:
        fields = []
        for field in FIELDS:
            if rng.random() < 0.35:
                fields.append("*")
            else:
                fields.append(
                    ",".join(
                        [_item(rng, field, True)]
                        + [_item(rng, field, False) for _ in range(rng.choice([0, 0, 1, 2]))]
                    )
                )
        if hours is not None:
            fields[1] = hours
        text = " ".join(fields)
        try:
            parse_cron(text)
        except TimingError:  # e.g. only 30-31 February: rejected on purpose; draw again
            continue
        return text


def random_start(rng: random.Random, zone: str) -> tuple[datetime, str | None]:
    """Just before a transition (the next fires cross it), on its day, or anywhere in 2019-2030; for half
    of the starts next to a transition, also an hour field naming the wall hours the change skips or
    repeats (a random cron rarely fires in them)."""
    pick = rng.random()
    if TRANSITIONS[zone] and pick < 0.5:
        transition = rng.choice(TRANSITIONS[zone])
        spread = (-3 * 3600, 600) if pick < 0.3 else (-36 * 3600, 36 * 3600)
        start = transition + timedelta(seconds=rng.randint(*spread))
        if rng.random() < 0.5:
            return start, None
        local = ZoneInfo(zone)
        before = (transition - timedelta(seconds=1)).astimezone(local).hour
        hours = {before, (before + 1) % 24, transition.astimezone(local).hour}
        return start, ",".join(str(h) for h in sorted(hours))
    return datetime(2019, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(11 * 365 * 86400)), None


def croniter_fires(
    text: str, zone_name: str, after: datetime, until: datetime | None
) -> tuple[list[datetime], list[datetime]]:
    """croniter's instants in (after, until] (or its first kept one when `until` is None): (kept, dropped
    because their wall-clock reading does not match)."""
    zone = ZoneInfo(zone_name)
    expr = parse_cron(text)
    source = croniter(text, after.astimezone(zone), implement_cron_bug=True)
    kept, dropped = [], []
    while True:
        fire = source.get_next(datetime).astimezone(UTC)
        if until is not None and fire > until:
            return kept, dropped
        (kept if expr.matches(fire.astimezone(zone)) else dropped).append(fire)
        if until is None and kept:
            return kept, dropped


def _in_a_gap(instant: datetime, zone_name: str) -> bool:
    """Within the hour after a transition that moved the clock forward."""
    zone = ZoneInfo(zone_name)
    for transition in TRANSITIONS[zone_name]:
        if transition <= instant < transition + timedelta(hours=1):
            before = (transition - timedelta(seconds=1)).astimezone(zone).utcoffset()
            after = transition.astimezone(zone).utcoffset()
            return before is not None and after is not None and after > before
    return False


def _provider(rng: random.Random, zone: str) -> tuple[str, dict[str, str]]:
    """A provider that accepts this zone and follows the documented DST rule: UTC-only ones only for UTC.

    Agentex run schedules (zones allowed) follow Temporal's server instead, compared with the real server in
    tests/timing/test_temporal_oracle.py; in UTC every rule agrees."""
    choices = [("cadenya", {"workspace": "ws"})]
    if zone == "UTC":
        choices += [("agentex", {"api": "run-schedules"}), ("agentex", {}), ("orq", {}), ("oz", {})]
    return rng.choice(choices)


def test_preview_agrees_with_croniter_on_10000_cases_except_dst_gaps() -> None:
    rng = random.Random(SEED)
    seen: Counter[str] = Counter()
    for case in range(CASES):
        zone = rng.choice(ZONES)
        after, hours = random_start(rng, zone)
        text = random_cron(rng, hours)
        provider, target = _provider(rng, zone)
        bundles = [bundle(provider, schedule("s", Timing(cron=(text,), timezone=zone)), **target)]
        [forecast] = preview(bundles, after, COUNT)
        ours = list(forecast.fires)
        seen["cases"] += 1
        context = f"case {case}: cron '{text}', {zone}, after {after.isoformat()}, {provider} {target}"
        assert ours == sorted(set(ours)) and all(fire > after for fire in ours), context
        if len(ours) < COUNT:  # the engine stops after about 5 years without a fire (documented)
            [following], _ = croniter_fires(text, zone, ours[-1] if ours else after, None)
            assert following - (ours[-1] if ours else after) > timedelta(days=5 * 365), context
            seen["rare: nothing within 5 years"] += 1
            if not ours:
                continue
        kept, dropped = croniter_fires(text, zone, after, ours[-1])
        assert ours == sorted(set(kept)), context
        assert all(_in_a_gap(fire, zone) for fire in dropped), f"{context}: dropped {dropped}"
        local = [fire.astimezone(ZoneInfo(zone)).replace(tzinfo=None) for fire in ours]
        seen[f"zone {zone}"] += 1
        seen["gap excluded"] += bool(dropped)
        seen["wall time fired twice"] += len(set(local)) < len(local)
        seen["crossed a transition"] += any(after < t <= ours[-1] for t in TRANSITIONS[zone])
    # The draw really exercised DST transition days, in every DST zone, both directions.
    assert seen["cases"] >= 10_000
    assert all(seen[f"zone {zone}"] >= 500 for zone in ZONES), seen
    assert seen["crossed a transition"] >= 1_000, seen
    assert seen["gap excluded"] >= 30, seen
    assert seen["wall time fired twice"] >= 30, seen
