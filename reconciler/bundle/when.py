"""What a schedule's `when` means: one of cron, every, at or calendars, with its timezone and window, checked
against what the target platform can express, and normalised (the `Timing` the planner and forecasts use).

Pure: no network. `check_schedule` (semantics.py) calls it for each schedule, `timing_from_when` for a `when` a
platform reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from reconciler.bundle.sensitive import Sensitive
from reconciler.bundle.spreading import (
    SpreadProblem,
    is_spread,
    spread_calendars,
    spread_crons,
    spread_every,
    written_spread,
)
from reconciler.providers.capabilities import Capabilities
from reconciler.timing.cron import parse_cron
from reconciler.timing.dialects import reads_days_differently
from reconciler.timing.durations import format_duration, parse_duration
from reconciler.timing.every_cron import every_as_cron
from reconciler.timing.hashed import expand_hashed, is_hashed
from reconciler.timing.spec import Calendar, Range, Timing, TimingError
from reconciler.timing.zones import is_utc, load_zone

Path_ = tuple[str | int, ...]

_FORMS = ("cron", "every", "at", "calendars")
_CALENDAR_BOUNDS = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "dayOfMonth": (1, 31),
    "month": (1, 12),
    "dayOfWeek": (0, 6),
    "year": (1970, 2100),
}
_CALENDAR_FIELDS = {
    "dayOfMonth": "day_of_month",
    "dayOfWeek": "day_of_week",
}


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # the bounds of any instant a bundle names (start, end, at)
LATEST = datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)


def now() -> datetime:
    """The current instant (a function, so tests can stand still): what `at` is compared with."""
    return datetime.now(UTC)


class InvalidWhen(Exception):
    """A problem of a `when`, at `path` inside it."""

    def __init__(self, path: Path_, message: str) -> None:
        self.path = path
        super().__init__(message)


def short_number(number: int | float) -> str:
    text = str(number) if not isinstance(number, int) or number.bit_length() < 1000 else "a number"
    return text if len(text) <= 40 else text[:37] + "..."


def timing_from_when(when: Mapping[str, Any], caps: Capabilities) -> Timing | None:
    """The timing of a `when` in the bundle's vocabulary (one a platform reported), or None when `caps` would
    not accept it."""
    try:
        return check_when(dict(when), caps)[0]
    except (InvalidWhen, TimingError, TypeError, ValueError):
        return None


def check_when(
    raw: dict[str, Any], caps: Capabilities, identity: str | None = None
) -> tuple[Timing, dict[str, Any], dict[str, str]]:
    """The timing, the normalised `when`, and what the bundle wrote where `H` or `spread` chose the value
    (`{"when.cron": "H 9 * * mon-fri"}`), shown beside it in plans. `identity` is what `H`/`spread` hash;
    None (a live schedule read back) accepts neither."""
    for key, value in raw.items():
        if isinstance(value, Sensitive):
            raise InvalidWhen((key,), "secret() is not allowed in timing fields")
    forms = [f for f in _FORMS if raw.get(f) is not None]
    if len(forms) != 1:
        given = ", ".join(forms) if forms else "none"
        raise InvalidWhen(
            (forms[1],) if len(forms) > 1 else (),
            f"give exactly one of cron, every, at, calendars (got {given})",
        )
    form = forms[0]
    written: dict[str, str] = {}
    spread = raw.get("spread") if identity is not None else None
    if is_spread(raw.get("spread")) and (form == "at" or identity is None):
        raise InvalidWhen(
            ("spread",), "'spread' goes with 'every', 'cron' or 'calendars', not a one-off 'at'"
        )
    try:
        return _timing(raw, caps, form, identity or "", spread, written)
    except SpreadProblem as exc:
        raise InvalidWhen(exc.path, str(exc)) from None


def _timing(
    raw: dict[str, Any], caps: Capabilities, form: str, identity: str, spread: Any, written: dict[str, str]
) -> tuple[Timing, dict[str, Any], dict[str, str]]:
    if raw.get("offset") is not None and form != "every":
        raise InvalidWhen(("offset",), "'offset' goes with 'every' only")
    if form not in caps.forms:
        raise InvalidWhen((form,), f"{caps.provider} cannot express '{form}' schedules exactly; {caps.note}")
    zone_name = raw.get("timezone") or "UTC"
    try:
        zone = load_zone(zone_name)
    except TimingError as exc:
        raise InvalidWhen(("timezone",), str(exc)) from None
    if caps.utc_only:
        if not is_utc(zone_name):
            raise InvalidWhen(
                ("timezone",),
                f"{caps.provider} runs schedules in UTC only; remove 'timezone: {zone_name}' "
                "and write the times in UTC",
            )
        zone_name = "UTC"  # `Etc/UTC`, `Zulu`, `GMT0`...: UTC, the one zone the platform has
    for key in ("start", "end"):
        if raw.get(key) is not None and not caps.window:
            raise InvalidWhen((key,), f"{caps.provider} schedules have no '{key}' window; remove '{key}'")
    start = _instant(raw, "start", zone)
    end = _instant(raw, "end", zone)
    if start and end and start >= end:
        raise InvalidWhen(("end",), f"'end' ({_iso(end)}) must be after 'start' ({_iso(start)})")
    if caps.requires_start and start is None:
        raise InvalidWhen(("start",), f"{caps.provider} needs a 'start' for every schedule")
    if caps.start_ignored and start is not None and start > now():
        raise InvalidWhen(
            ("start",),
            f"'start' ({_iso(start)}) is in the future, and {caps.provider} does not wait for it: its server "
            "counts the interval from when the schedule is registered (apply), so it would fire from one "
            "interval after apply; set 'start' to now or earlier, and apply when the schedule should begin",
        )
    when: dict[str, Any] = {"timezone": zone_name}
    fields: dict[str, Any] = {"timezone": zone_name, "start": start, "end": end}
    if form == "cron":
        crons = raw["cron"] if isinstance(raw["cron"], list) else [raw["cron"]]
        if not crons:
            raise InvalidWhen(("cron",), "'cron' must not be an empty list")
        if len(crons) > 1 and not caps.cron_list:
            raise InvalidWhen(
                ("cron",), f"{caps.provider} takes one cron per schedule: split the list into schedules"
            )
        canonical = []
        exprs = []
        for i, text in enumerate(crons):
            path: Path_ = ("cron", i) if isinstance(raw["cron"], list) else ("cron",)
            try:
                hashed = isinstance(text, str) and bool(identity) and is_hashed(text)
                exprs.append(parse_cron(expand_hashed(text.strip(), identity) if hashed else text))
            except TimingError as exc:
                raise InvalidWhen(path, f"invalid cron '{text}': {exc}") from None
        if is_spread(spread):
            exprs = spread_crons(spread, exprs, identity)
        if is_spread(spread) or any(isinstance(t, str) and is_hashed(t) for t in crons):
            shown = "; ".join(str(t) for t in crons)
            written["when.cron"] = shown + (f", {written_spread(spread)}" if is_spread(spread) else "")
        for i, (text, expr) in enumerate(zip(crons, exprs, strict=True)):
            path = ("cron", i) if isinstance(raw["cron"], list) else ("cron",)
            if not caps.cron_seconds and len(expr.canonical.split()) == 6:
                raise InvalidWhen(path, f"{caps.provider} cron has no seconds field: use 5 fields")
            if caps.min_cadence_seconds and (len(expr.seconds) > 1 or len(expr.minutes) > 1):
                raise InvalidWhen(
                    path,
                    f"'{text}' fires more often than {caps.provider} allows "
                    f"(at most once every {format_duration(caps.min_cadence_seconds)})",
                )
            if reads_days_differently(expr.canonical, caps.cron_dialect):  # the text the platform gets
                raise InvalidWhen(path, _other_days(text, caps))
            six = expr.canonical if len(expr.canonical.split()) == 6 else f"0 {expr.canonical}"
            if caps.cron_pattern and not re.match(caps.cron_pattern, six):
                raise InvalidWhen(path, f"'{text}' is not a shape {caps.provider} accepts; {caps.note}")
            canonical.append(expr.canonical)
        fields["cron"] = tuple(canonical)
        when["cron"] = canonical[0] if len(canonical) == 1 else canonical
    elif form == "every":
        every = _duration(raw, "every")
        offset = _duration(raw, "offset") if raw.get("offset") is not None else 0
        if offset and not caps.every_offset:
            raise InvalidWhen(("offset",), f"{caps.provider} has no interval offset; {caps.note}")
        if offset >= every:
            raise InvalidWhen(
                ("offset",),
                f"'offset' ({format_duration(offset)}) must be shorter than 'every' "
                f"({format_duration(every)})",
            )
        if is_spread(spread):
            if not caps.every_offset:
                raise InvalidWhen(
                    ("spread",),
                    f"{caps.provider} has no interval offset, so 'spread' cannot move the fires of an 'every'; "
                    "write a cron with H in the minute field (or spread it) instead",
                )
            offset = spread_every(spread, every, offset, identity)
            written["when.offset"] = written_spread(spread)
        if caps.min_cadence_seconds and every < caps.min_cadence_seconds:
            raise InvalidWhen(
                ("every",),
                f"{caps.provider} allows at most one fire every "
                f"{format_duration(caps.min_cadence_seconds)}; got every {format_duration(every)}",
            )
        if caps.every_units and not any(every % unit == 0 for unit in caps.every_units):
            raise InvalidWhen(("every",), f"{caps.note}; {format_duration(every)} is not")
        if caps.every_as_cron:
            try:
                every_as_cron(every, offset)
            except TimingError as exc:
                raise InvalidWhen(
                    ("every",),
                    f"{caps.provider} runs a cron only, and {exc}: write `cron:` with the times you mean",
                ) from None
        fields.update(every=every, offset=offset)
        when["every"] = format_duration(every)
        if offset:
            when["offset"] = format_duration(offset)
    elif form == "at":
        at = _instant(raw, "at", zone)
        if at is not None and caps.at_must_be_future and at <= now():
            raise InvalidWhen(
                ("at",),
                f"'at' ({_iso(at)}) has passed, and {caps.provider} refuses a one-off whose time has passed "
                "(a schedule that has fired is done: remove it from the bundle)",
            )
        fields["at"] = at
        when["at"] = _iso(at) if at else None
    else:
        if not caps.calendar_years:
            for i, rule in enumerate(raw["calendars"]):
                if isinstance(rule, dict) and rule.get("year") is not None:
                    raise InvalidWhen(
                        ("calendars", i, "year"),
                        f"{caps.provider} calendars have no year: it would be dropped, and the schedule fire "
                        "every year; remove 'year' (and the schedule once that year has passed)",
                    )
        calendars = tuple(_calendar(rule, i) for i, rule in enumerate(raw["calendars"]))
        if not calendars:
            raise InvalidWhen(("calendars",), "'calendars' must not be an empty list")
        if is_spread(spread):
            calendars = spread_calendars(spread, calendars, identity)
            written["when.calendars"] = written_spread(spread)
        fields["calendars"] = calendars
        when["calendars"] = [calendar_as_bundle(c) for c in calendars]
    if start:
        when["start"] = _iso(start)
    if end:
        when["end"] = _iso(end)
    return Timing(**fields), when, written


def _other_days(text: str, caps: Capabilities) -> str:
    """Why a cron is refused: the platform's engine fires it on other days than the bundle means."""
    if caps.cron_dialect == "temporal":
        return (
            f"'{text}' restricts both day-of-month and day-of-week, so it fires when EITHER matches; "
            f"{caps.provider} runs cron on Temporal, which fires only when BOTH match, and takes one "
            "cron per schedule: write two schedules, one with each day field"
        )
    reading = (
        "standard cron, as a bundle means it, counts a day field starting with '*' (such as '*/2') as "
        "unrestricted and fires on days that match the other field, where Go's robfig/cron counts a stepped "
        "'*/n' as a restriction and fires when EITHER day field matches"
    )
    if not caps.cron_dialect_documented:
        return (
            f"'{text}' fires on days that depend on which cron library {caps.provider} runs, which its "
            f"documentation does not say: {reading}; restrict only one day field (or write both without '*') "
            "so that every reading agrees"
        )
    return (
        f"'{text}' would fire on other days on {caps.provider}: {reading}, as {caps.provider}'s scheduler "
        "does; it cannot fire only on days that match both: restrict one day field, or write both without "
        "'*' (then either one matching fires, on every engine)"
    )


def _duration(raw: dict[str, Any], key: str) -> int:
    try:
        return parse_duration(str(raw[key]))
    except TimingError as exc:
        raise InvalidWhen((key,), f"invalid duration '{raw[key]}': {exc}") from None


def _instant(raw: dict[str, Any], key: str, zone: Any) -> datetime | None:
    text = raw.get(key)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(str(text).replace("z", "Z"))
    except ValueError:
        raise InvalidWhen(
            (key,), f"'{key}' must be an ISO 8601 date-time such as 2026-05-01T09:00:00Z, got '{text}'"
        ) from None
    if value.tzinfo is None:  # a wall-clock time means the schedule's own timezone
        value = value.replace(tzinfo=zone)
    if value.microsecond:
        raise InvalidWhen(
            (key,), f"'{key}' must be in whole seconds, got '{text}': platforms keep whole seconds (or less)"
        )
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None  # past year 9999 (or before year 1) in UTC
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise InvalidWhen(
            (key,),
            f"'{key}' ({text}) must be between {_iso(EARLIEST)} and {_iso(LATEST)}: no platform fires later "
            "(Temporal's calendar ends with 2100), and none keeps schedules from before 1970",
        )
    return utc


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _calendar(rule: dict[str, Any], index: int) -> Calendar:
    fields: dict[str, Any] = {}
    for key, (low, high) in _CALENDAR_BOUNDS.items():
        ranges = rule.get(key)
        if ranges is None:
            continue
        converted = []
        for j, item in enumerate(ranges):
            start = item["start"]
            end = item.get("end") if item.get("end") is not None else start
            step = item.get("step") or 1
            if step > high - low + 1:
                raise InvalidWhen(
                    ("calendars", index, key, j, "step"),
                    f"calendar {key} step {short_number(step)} is larger than the field's whole range "
                    f"({low}-{high}); a "
                    "range with one value needs no step",
                )
            for bound_name, bound in (("start", start), ("end", end)):
                if not low <= bound <= high:
                    raise InvalidWhen(
                        ("calendars", index, key, j, bound_name),
                        f"calendar {key} must be between {low} and {high}, got {short_number(bound)}",
                    )
            if end < start:
                raise InvalidWhen(
                    ("calendars", index, key, j, "end"),
                    f"calendar {key} range ends ({end}) before it starts ({start})",
                )
            converted.append(Range(start, end, step))
        fields[_CALENDAR_FIELDS.get(key, key)] = tuple(converted)
    if rule.get("comment"):
        fields["comment"] = rule["comment"]
    return Calendar(**fields)


def calendar_as_bundle(calendar: Calendar) -> dict[str, Any]:
    """A calendar in the bundle's own spelling, without the fields that hold their defaults."""
    default = Calendar()
    result: dict[str, Any] = {}
    for key in _CALENDAR_BOUNDS:
        attr = _CALENDAR_FIELDS.get(key, key)
        value = getattr(calendar, attr)
        if value != getattr(default, attr):
            result[key] = [{"start": r.start, "end": r.end, "step": r.step} for r in value]
    if calendar.comment:
        result["comment"] = calendar.comment
    return result
