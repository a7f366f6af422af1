"""Random timing cases for the Temporal oracle (test_temporal_oracle.py), and how each is sent to the server.

Deterministic: a case depends only on its seed. Windows sit next to an offset change of the zone most of the
time, since that is where engines disagree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.timing import Calendar, Range, Timing, TimingError, cron_to_calendars, parse_cron
from reconciler.timing.dst import offset_changes

ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Santiago",  # southern hemisphere; its changes happen at midnight
    "Australia/Sydney",
    "Australia/Lord_Howe",  # a 30-minute change
    "Asia/Kolkata",  # no DST, a half-hour offset
)
FIRST, LAST = datetime(2025, 1, 1, tzinfo=UTC), datetime(2030, 12, 31, tzinfo=UTC)
MATCHING_TIMES_CAP = 1000  # ListScheduleMatchingTimes answers at most this many times


@dataclass(frozen=True)
class Case:
    seed: int
    kind: str  # "cron" (sent as cronString), "cron-or" (a day-OR cron, sent as calendars), "calendar", "interval"
    timing: Timing
    start: datetime
    end: datetime

    def spec(self) -> dict[str, Any]:
        """The ScheduleSpec the server is given: what our Timing means, in the form Temporal takes."""
        spec: dict[str, Any] = {"timezoneName": self.timing.timezone}
        if self.timing.start is not None:
            spec["startTime"] = iso(self.timing.start)
        if self.timing.end is not None:
            spec["endTime"] = iso(self.timing.end)
        if self.kind == "cron":
            spec["cronString"] = list(self.timing.cron)
        elif self.kind == "cron-or":
            calendars = [c for text in self.timing.cron for c in cron_to_calendars(parse_cron(text))]
            spec["structuredCalendar"] = [calendar_json(c) for c in calendars]
        elif self.kind == "calendar":
            spec["structuredCalendar"] = [calendar_json(c) for c in self.timing.calendars]
        else:
            assert self.timing.every is not None
            interval = {"interval": f"{self.timing.every}s"}
            if self.timing.offset:
                interval["phase"] = f"{self.timing.offset}s"
            spec["interval"] = [interval]
        return spec

    def describe(self) -> str:
        t = self.timing
        rule = (
            f"cron {list(t.cron)}"
            if t.cron
            else f"calendars {t.calendars}"
            if t.calendars
            else f"every {t.every}s offset {t.offset}s"
        )
        bounds = f" from {iso(t.start)} to {iso(t.end)}" if t.start and t.end else ""
        return (
            f"seed {self.seed} ({self.kind}): {rule} in {t.timezone}{bounds}, "
            f"{iso(self.start)}..{iso(self.end)}"
        )


def calendar_json(calendar: Calendar) -> dict[str, Any]:
    """Every field spelled out: Temporal Server 1.32 reads an empty second, minute, hour, day-of-month, month
    or day-of-week list as "never" (not as the documented defaults); only an empty year means every year."""
    fields = {
        "second": calendar.second,
        "minute": calendar.minute,
        "hour": calendar.hour,
        "dayOfMonth": calendar.day_of_month,
        "month": calendar.month,
        "dayOfWeek": calendar.day_of_week,
        "year": calendar.year,
    }
    return {
        key: [{"start": r.start, "end": r.end, "step": r.step} for r in ranges]
        for key, ranges in fields.items()
        if ranges
    }


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_case(seed: int) -> Case:
    rng = random.Random(seed)
    zone = ZONES[seed % len(ZONES)]
    roll = rng.random()
    if roll < 0.45:
        timing, kind = _cron(rng, zone)
    elif roll < 0.85:
        timing, kind = Timing(calendars=_calendars(rng), timezone=zone), "calendar"
    else:
        every = rng.choice((60, 300, 900, 1800, 3600, 5400, 7200, 10800, 21600, 43200, 86400, 90000))
        offset = rng.randrange(every) // 60 * 60 if rng.random() < 0.7 else 0
        timing, kind = Timing(every=every, offset=offset, timezone=zone), "interval"
    start, end = _window(rng, zone, timing)
    if rng.random() < 0.2:  # the schedule's own start and end (inclusive on both sides), inside the window
        length = int((end - start).total_seconds())
        first = start + timedelta(seconds=rng.randrange(length // 2))
        last = first + timedelta(seconds=rng.randrange(length // 2 + 1))
        timing = replace(timing, start=first, end=last)
    return Case(seed, kind, timing, start, end)


def _window(rng: random.Random, zone: str, timing: Timing) -> tuple[datetime, datetime]:
    """A few days that start (to the second) shortly before, inside or after an offset change, or anywhere."""
    changes = offset_changes(zone, FIRST, LAST) if zone not in ("UTC", "Asia/Kolkata") else []
    if changes and rng.random() < 0.85:
        change = rng.choice(changes).instant
        start = change - timedelta(seconds=rng.randrange(-6 * 3600, 36 * 3600))
    else:
        start = FIRST + timedelta(seconds=rng.randrange(int((LAST - FIRST).total_seconds())))
    days = 40 if _sparse(timing) else rng.choice((1, 2, 3))
    return start, start + timedelta(days=days, seconds=rng.randrange(3600))


def _sparse(timing: Timing) -> bool:
    """Rules restricted to a few days need a longer window to show anything."""
    for text in timing.cron:
        expr = parse_cron(text)
        if len(expr.days_of_month) < 31 or len(expr.days_of_week) < 7 or len(expr.months) < 12:
            return True
    return any(
        c.day_of_month != Calendar().day_of_month
        or c.day_of_week != Calendar().day_of_week
        or c.month != Calendar().month
        or c.year
        for c in timing.calendars
    )


def _field(rng: random.Random, low: int, high: int, *, busy: float) -> str:
    """One cron field: `*` (with chance `busy`), a value, a range, a step or a list."""
    roll = rng.random()
    if roll < busy:
        return "*"
    if roll < busy + 0.35:
        return str(rng.randint(low, high))
    if roll < busy + 0.5:
        a = rng.randint(low, high)
        return f"{a}-{rng.randint(a, high)}"
    if roll < busy + 0.65:
        return f"*/{rng.randint(2, max(2, (high - low) // 2))}"
    if roll < busy + 0.75:
        a = rng.randint(low, high)
        return f"{a}-{rng.randint(a, high)}/{rng.randint(1, 5)}"
    return ",".join(str(v) for v in sorted(rng.sample(range(low, high + 1), rng.randint(2, 4))))


def _cron(rng: random.Random, zone: str) -> tuple[Timing, str]:
    while True:  # a cron naming a date that never exists (31 in September) is refused: draw again
        try:
            return _cron_once(rng, zone)
        except TimingError:
            continue


def _cron_once(rng: random.Random, zone: str) -> tuple[Timing, str]:
    minute = _field(rng, 0, 59, busy=0.1)
    hour = _field(rng, 0, 23, busy=0.25)
    dom = _field(rng, 1, 28, busy=0.75) if rng.random() < 0.9 else _field(rng, 1, 31, busy=0.5)
    month = "*" if rng.random() < 0.85 else _field(rng, 1, 12, busy=0.0)
    dow = _field(rng, 0, 6, busy=0.7)
    text = f"{minute} {hour} {dom} {month} {dow}"
    texts = (text,)
    if rng.random() < 0.15:  # a second cron: the server walks both together on a changing day
        texts += (f"{_field(rng, 0, 59, busy=0.0)} {_field(rng, 0, 23, busy=0.2)} * * *",)
    day_or = any(parse_cron(t).day_or for t in texts)
    return Timing(cron=texts, timezone=zone), "cron-or" if day_or else "cron"


def _ranges(rng: random.Random, low: int, high: int, *, busy: float) -> tuple[Range, ...]:
    if rng.random() < busy:
        return (Range(low, high, 1),)
    out = []
    for _ in range(rng.choice((1, 1, 1, 2))):
        start = rng.randint(low, high)
        if rng.random() < 0.5:
            out.append(Range(start, start, 1))
        else:
            out.append(Range(start, rng.randint(start, high), rng.choice((1, 1, 2, 3, 5, 15))))
    return tuple(out)


def _calendars(rng: random.Random) -> tuple[Calendar, ...]:
    out = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        out.append(
            Calendar(
                second=(Range(0),) if rng.random() < 0.8 else _ranges(rng, 0, 59, busy=0.0),
                minute=_ranges(rng, 0, 59, busy=0.15),
                hour=_ranges(rng, 0, 23, busy=0.3),
                day_of_month=_ranges(rng, 1, 31, busy=0.8),
                month=_ranges(rng, 1, 12, busy=0.85),
                day_of_week=_ranges(rng, 0, 6, busy=0.7),
                year=() if rng.random() < 0.9 else (Range(2025, 2030, rng.choice((1, 2))),),
            )
        )
    return tuple(out)
