"""Check what a rendered schedule means: its timing, its name, and the target platform's limits.

Fourth step of the pipeline: rendered dict -> `DesiredSchedule`, or located problems. Pure: no network.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.refactoring import check_ignore, check_renamed_from
from reconciler.bundle.sensitive import Sensitive
from reconciler.bundle.spreading import (
    SpreadProblem,
    hash_identity,
    is_spread,
    spread_calendars,
    spread_crons,
    spread_every,
    written_spread,
)
from reconciler.providers.capabilities import Capabilities
from reconciler.providers.rules import check_schedule_rules
from reconciler.providers.rules import check_target as check_target_rules
from reconciler.timing.cron import parse_cron
from reconciler.timing.dialects import reads_days_differently
from reconciler.timing.durations import format_duration, parse_duration
from reconciler.timing.every_cron import every_as_cron
from reconciler.timing.hashed import expand_hashed, is_hashed
from reconciler.timing.spec import Calendar, Range, Timing, TimingError
from reconciler.timing.zones import is_utc, load_zone

Path_ = tuple[str | int, ...]
Report = Callable[[Path_, str], None]

NAME_PATTERN = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$")
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
JSON_SAFE_INTEGER = (
    2**53 - 1
)  # the largest integer every platform keeps exactly (JSON as doubles, protobuf Struct)


def now() -> datetime:
    """The current instant (a function, so tests can stand still): what `at` is compared with."""
    return datetime.now(UTC)


class _Invalid(Exception):
    def __init__(self, path: Path_, message: str) -> None:
        self.path = path
        super().__init__(message)


# What `_check_when` made of a `when` already seen in this bundle: (timing, when, written) or the problem.
WhenMemo = dict[tuple[Any, ...], "tuple[Timing, dict[str, Any], dict[str, str]] | _Invalid"]


def check_schedule(
    data: dict[str, Any],
    caps: Capabilities,
    bundle_key: str,
    report: Report,
    file: str,
    line: int,
    when_memo: WhenMemo | None = None,
) -> DesiredSchedule | None:
    """Every problem of one schedule goes to `report(path_in_schedule, message)`; None if there was any.

    `when_memo` (one per bundle, `caps` the same for all its schedules): a `when` written the same way by
    many schedules (10,000 generated schedules have a few dozen distinct ones) is checked once."""
    problems_before = _Counter(report)
    name = data.get("name")
    if isinstance(name, Sensitive) or isinstance(data.get("agent"), Sensitive):
        problems_before("name" if isinstance(name, Sensitive) else "agent", "secret() is not allowed here")
        return None
    _check_name(str(name), caps, bundle_key, problems_before)
    agent = data.get("agent")
    if not agent:
        problems_before("agent", "missing required field 'agent' (set it here or in defaults)")
    elif (problem := id_problem(str(agent))) is not None:
        problems_before("agent", f"agent {problem}")
    when_raw = data.get("when")
    timing: Timing | None = None
    when: dict[str, Any] = {}
    written: dict[str, str] = {}
    if not isinstance(when_raw, dict):
        problems_before("when", "missing required field 'when' (set it here or in defaults)")
    else:
        try:
            timing, when, written = _checked_when(when_raw, caps, data, bundle_key, when_memo)
        except _Invalid as exc:
            problems_before(("when", *exc.path), str(exc))
    if problems_before.count or timing is None:
        return None
    options = dict(data.get("options") or {})
    choices = dict(caps.option_choices)
    for key, value in options.items():
        if key not in caps.options:
            allowed = ", ".join(caps.options) or "none"
            problems_before(("options", key), f"unknown {caps.provider} option '{key}' (allowed: {allowed})")
        elif key in choices and value not in choices[key]:
            problems_before(
                ("options", key),
                f"{caps.provider} option '{key}' must be one of {', '.join(choices[key])}, got '{value}'",
            )
    for key in caps.required_options:
        if options.get(key) in (None, ""):
            problems_before(("options",), f"{caps.provider} needs options.{key} on every schedule")
    check_schedule_rules(data, caps, problems_before)
    for section in ("input", "options"):
        for path, number in _numbers(data.get(section), (section,)):
            problems_before(
                path,
                f"{'.'.join(str(p) for p in path)}: {_short_number(number)} is beyond what the platforms keep "
                f"exactly (whole numbers up to {JSON_SAFE_INTEGER:,}, as JSON and protobuf hold them): quote it "
                "to send it as text",
            )
    for field, why in caps.unsupported:
        head, _, member = field.partition(".")
        value = data.get(head)
        if member:
            value = value.get(member) if isinstance(value, dict) else None
        if value not in (None, "", {}, [], False):
            problems_before(
                (head, member) if member else head, f"{caps.provider} has no place for '{field}': {why}"
            )
    renamed_from = check_renamed_from(data, bundle_key, problems_before)
    ignored = check_ignore(data, problems_before)
    if problems_before.count:
        return None
    return DesiredSchedule(
        name=str(name),
        agent=str(agent),
        state=data.get("state") or "active",
        when=when,
        timing=timing,
        input={k: v for k, v in (data.get("input") or {}).items() if v is not None},
        labels=dict(data.get("labels") or {}),
        options=options,
        protect=bool(data.get("protect")),
        adopt=bool(data.get("adopt")),
        file=file,
        line=line,
        renamed_from=renamed_from,
        ignore=ignored,
        written=written,
    )


_PLAIN_TYPES = (str, int, float, bool, type(None))


def _checked_when(
    raw: dict[str, Any], caps: Capabilities, data: dict[str, Any], bundle_key: str, memo: WhenMemo | None
) -> tuple[Timing, dict[str, Any], dict[str, str]]:
    """`_check_when`, looked up in `memo` first. Only a `when` of plain values that neither `H` nor `spread`
    makes depend on the schedule's identity is remembered: its check depends on nothing else (`caps` is the
    bundle's, `now()` moves by the milliseconds the bundle takes to check). Each schedule gets its own copy
    of the dicts."""
    key: tuple[Any, ...] | None = None
    if memo is not None and raw.get("spread") is None:
        # Types are part of the key: `every: 1` and `every: true` are equal as Python values, not as problems.
        items = tuple((k, type(v), v) for k, v in raw.items())
        plain = all(t in _PLAIN_TYPES for _, t, _ in items)  # exact types: a Sensitive is never plain
        if plain and not (isinstance(raw.get("cron"), str) and "H" in raw["cron"]):
            key = items
    if key is None:
        return _check_when(raw, caps, hash_identity(data, bundle_key))
    assert memo is not None
    known = memo.get(key)
    if known is None:
        try:
            known = memo[key] = _check_when(raw, caps, hash_identity(data, bundle_key))
        except _Invalid as exc:
            known = memo[key] = exc
    if isinstance(known, _Invalid):
        raise _Invalid(known.path, str(known))
    timing, when, written = known
    return timing, dict(when), dict(written)


def _numbers(value: Any, path: Path_) -> list[tuple[Path_, int | float]]:
    """The numbers under `value` that a platform would not give back unchanged: integers beyond 2**53 - 1
    (read as doubles by JSON parsers and protobuf's Struct) and non-finite floats."""
    found: list[tuple[Path_, int | float]] = []
    stack: list[tuple[Path_, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if type(item) in _NOT_NUMBERS:  # nearly every value (text): no path built for it
            continue
        if isinstance(item, bool):
            continue
        too_big = isinstance(item, int) and abs(item) > JSON_SAFE_INTEGER
        if too_big or (isinstance(item, float) and not math.isfinite(item)):
            found.append((where, item))
        elif isinstance(item, dict):
            stack.extend(((*where, str(k)), v) for k, v in item.items() if type(v) not in _NOT_NUMBERS)
        elif isinstance(item, list):
            stack.extend(((*where, i), v) for i, v in enumerate(item) if type(v) not in _NOT_NUMBERS)
    return sorted(found, key=lambda pair: str(pair[0]))


# Exact types that are never a number nor hold one (a `Sensitive`, a str subclass, goes the long way).
_NOT_NUMBERS = frozenset({str, bool, type(None)})


def _short_number(number: int | float) -> str:
    text = str(number) if not isinstance(number, int) or number.bit_length() < 1000 else "a number"
    return text if len(text) <= 40 else text[:37] + "..."


class _Counter:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.count = 0

    def __call__(self, path: str | Path_, message: str) -> None:
        self.count += 1
        self.report((path,) if isinstance(path, str) else path, message)


@functools.lru_cache(maxsize=4096)  # 10,000 schedules name a few hundred agents
def id_problem(value: str) -> str | None:
    """Why `value` cannot be an id that a request puts into a URL path (an agent, a workspace), or None.

    The HTTP layer encodes every segment (`reconciler.providers.http.segment`), so no value can change the
    route; these are refused because no platform has such an id, and a typo here is better found by
    `validate` than by a 404 (or by a route the server normalises `..` into)."""
    if value in (".", ".."):
        return f"'{value}' is not an id: in a URL path it means this folder or the one above"
    for position, char in enumerate(value, 1):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kind = "whitespace" if char.isspace() else "a control or invisible character"
            return (
                f"'{value}' has {kind} ({char!r} at character {position}): ids have no whitespace or "
                "control characters"
            )
    return None


def check_target(target: dict[str, Any], report: Callable[[Path_, str], None]) -> None:
    """The bundle's `target`: values that scope every request (`workspace` is a URL path segment), and what
    the provider has (its API revisions, whether it has workspaces)."""
    workspace = target.get("workspace")
    if isinstance(workspace, str) and (problem := id_problem(workspace)) is not None:
        report(("target", "workspace"), f"workspace {problem}")
    namespace = target.get("namespace")
    if isinstance(namespace, str) and (problem := id_problem(namespace)) is not None:
        report(("target", "namespace"), f"namespace {problem}")
    check_target_rules(target, report)


def _check_name(name: str, caps: Capabilities, bundle_key: str, report: _Counter) -> None:
    if not NAME_PATTERN.match(name):
        report(
            "name",
            f"schedule name '{name}' is invalid: use letters, digits, '.', '_' and '-', starting and ending "
            "with a letter or digit, at most 128 characters",
        )
        return
    if caps.name_separator and caps.name_separator in bundle_key:
        report(
            "name",
            f"{caps.provider} keeps the owner in the name as '<bundleKey>{caps.name_separator}<name>', so the "
            f"bundleKey '{bundle_key}' must not contain '{caps.name_separator}' (it would be read back as "
            "another owner): choose another bundleKey",
        )
    full = f"{bundle_key}{caps.name_separator}{name}" if caps.name_separator else name
    if caps.name_pattern and not re.match(caps.name_pattern, full):
        report("name", f"{caps.provider} names allow only lower-case letters, digits and '-': '{full}'")
    if caps.max_name_length and len(full) > caps.max_name_length:
        report(
            "name",
            f"{caps.provider} stores the owner in the name ('{bundle_key}{caps.name_separator}' + name), which may "
            f"be at most {caps.max_name_length} characters; '{full}' has {len(full)}: shorten the name or the bundleKey",
        )


def timing_from_when(when: Mapping[str, Any], caps: Capabilities) -> Timing | None:
    """The timing of a `when` in the bundle's vocabulary (one a platform reported), or None when `caps` would
    not accept it."""
    try:
        return _check_when(dict(when), caps)[0]
    except (_Invalid, TimingError, TypeError, ValueError):
        return None


def _check_when(
    raw: dict[str, Any], caps: Capabilities, identity: str | None = None
) -> tuple[Timing, dict[str, Any], dict[str, str]]:
    """The timing, the normalised `when`, and what the bundle wrote where `H` or `spread` chose the value
    (`{"when.cron": "H 9 * * mon-fri"}`), shown beside it in plans. `identity` is what `H`/`spread` hash;
    None (a live schedule read back) accepts neither."""
    for key, value in raw.items():
        if isinstance(value, Sensitive):
            raise _Invalid((key,), "secret() is not allowed in timing fields")
    forms = [f for f in _FORMS if raw.get(f) is not None]
    if len(forms) != 1:
        given = ", ".join(forms) if forms else "none"
        raise _Invalid(
            (forms[1],) if len(forms) > 1 else (),
            f"give exactly one of cron, every, at, calendars (got {given})",
        )
    form = forms[0]
    written: dict[str, str] = {}
    spread = raw.get("spread") if identity is not None else None
    if is_spread(raw.get("spread")) and (form == "at" or identity is None):
        raise _Invalid(("spread",), "'spread' goes with 'every', 'cron' or 'calendars', not a one-off 'at'")
    try:
        return _timing(raw, caps, form, identity or "", spread, written)
    except SpreadProblem as exc:
        raise _Invalid(exc.path, str(exc)) from None


def _timing(
    raw: dict[str, Any], caps: Capabilities, form: str, identity: str, spread: Any, written: dict[str, str]
) -> tuple[Timing, dict[str, Any], dict[str, str]]:
    if raw.get("offset") is not None and form != "every":
        raise _Invalid(("offset",), "'offset' goes with 'every' only")
    if form not in caps.forms:
        raise _Invalid((form,), f"{caps.provider} cannot express '{form}' schedules exactly; {caps.note}")
    zone_name = raw.get("timezone") or "UTC"
    try:
        zone = load_zone(zone_name)
    except TimingError as exc:
        raise _Invalid(("timezone",), str(exc)) from None
    if caps.utc_only:
        if not is_utc(zone_name):
            raise _Invalid(
                ("timezone",),
                f"{caps.provider} runs schedules in UTC only; remove 'timezone: {zone_name}' "
                "and write the times in UTC",
            )
        zone_name = "UTC"  # `Etc/UTC`, `Zulu`, `GMT0`...: UTC, the one zone the platform has
    for key in ("start", "end"):
        if raw.get(key) is not None and not caps.window:
            raise _Invalid((key,), f"{caps.provider} schedules have no '{key}' window; remove '{key}'")
    start = _instant(raw, "start", zone)
    end = _instant(raw, "end", zone)
    if start and end and start >= end:
        raise _Invalid(("end",), f"'end' ({_iso(end)}) must be after 'start' ({_iso(start)})")
    if caps.requires_start and start is None:
        raise _Invalid(("start",), f"{caps.provider} needs a 'start' for every schedule")
    if caps.start_ignored and start is not None and start > now():
        raise _Invalid(
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
            raise _Invalid(("cron",), "'cron' must not be an empty list")
        if len(crons) > 1 and not caps.cron_list:
            raise _Invalid(
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
                raise _Invalid(path, f"invalid cron '{text}': {exc}") from None
        if is_spread(spread):
            exprs = spread_crons(spread, exprs, identity)
        if is_spread(spread) or any(isinstance(t, str) and is_hashed(t) for t in crons):
            shown = "; ".join(str(t) for t in crons)
            written["when.cron"] = shown + (f", {written_spread(spread)}" if is_spread(spread) else "")
        for i, (text, expr) in enumerate(zip(crons, exprs, strict=True)):
            path = ("cron", i) if isinstance(raw["cron"], list) else ("cron",)
            if not caps.cron_seconds and len(expr.canonical.split()) == 6:
                raise _Invalid(path, f"{caps.provider} cron has no seconds field: use 5 fields")
            if caps.min_cadence_seconds and (len(expr.seconds) > 1 or len(expr.minutes) > 1):
                raise _Invalid(
                    path,
                    f"'{text}' fires more often than {caps.provider} allows "
                    f"(at most once every {format_duration(caps.min_cadence_seconds)})",
                )
            if reads_days_differently(expr.canonical, caps.cron_dialect):  # the text the platform gets
                raise _Invalid(path, _other_days(text, caps))
            six = expr.canonical if len(expr.canonical.split()) == 6 else f"0 {expr.canonical}"
            if caps.cron_pattern and not re.match(caps.cron_pattern, six):
                raise _Invalid(path, f"'{text}' is not a shape {caps.provider} accepts; {caps.note}")
            canonical.append(expr.canonical)
        fields["cron"] = tuple(canonical)
        when["cron"] = canonical[0] if len(canonical) == 1 else canonical
    elif form == "every":
        every = _duration(raw, "every")
        offset = _duration(raw, "offset") if raw.get("offset") is not None else 0
        if offset and not caps.every_offset:
            raise _Invalid(("offset",), f"{caps.provider} has no interval offset; {caps.note}")
        if offset >= every:
            raise _Invalid(
                ("offset",),
                f"'offset' ({format_duration(offset)}) must be shorter than 'every' "
                f"({format_duration(every)})",
            )
        if is_spread(spread):
            if not caps.every_offset:
                raise _Invalid(
                    ("spread",),
                    f"{caps.provider} has no interval offset, so 'spread' cannot move the fires of an 'every'; "
                    "write a cron with H in the minute field (or spread it) instead",
                )
            offset = spread_every(spread, every, offset, identity)
            written["when.offset"] = written_spread(spread)
        if caps.min_cadence_seconds and every < caps.min_cadence_seconds:
            raise _Invalid(
                ("every",),
                f"{caps.provider} allows at most one fire every "
                f"{format_duration(caps.min_cadence_seconds)}; got every {format_duration(every)}",
            )
        if caps.every_units and not any(every % unit == 0 for unit in caps.every_units):
            raise _Invalid(("every",), f"{caps.note}; {format_duration(every)} is not")
        if caps.every_as_cron:
            try:
                every_as_cron(every, offset)
            except TimingError as exc:
                raise _Invalid(
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
            raise _Invalid(
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
                    raise _Invalid(
                        ("calendars", i, "year"),
                        f"{caps.provider} calendars have no year: it would be dropped, and the schedule fire "
                        "every year; remove 'year' (and the schedule once that year has passed)",
                    )
        calendars = tuple(_calendar(rule, i) for i, rule in enumerate(raw["calendars"]))
        if not calendars:
            raise _Invalid(("calendars",), "'calendars' must not be an empty list")
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
        raise _Invalid((key,), f"invalid duration '{raw[key]}': {exc}") from None


def _instant(raw: dict[str, Any], key: str, zone: Any) -> datetime | None:
    text = raw.get(key)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(str(text).replace("z", "Z"))
    except ValueError:
        raise _Invalid(
            (key,), f"'{key}' must be an ISO 8601 date-time such as 2026-05-01T09:00:00Z, got '{text}'"
        ) from None
    if value.tzinfo is None:  # a wall-clock time means the schedule's own timezone
        value = value.replace(tzinfo=zone)
    if value.microsecond:
        raise _Invalid(
            (key,), f"'{key}' must be in whole seconds, got '{text}': platforms keep whole seconds (or less)"
        )
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None  # past year 9999 (or before year 1) in UTC
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise _Invalid(
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
                raise _Invalid(
                    ("calendars", index, key, j, "step"),
                    f"calendar {key} step {_short_number(step)} is larger than the field's whole range "
                    f"({low}-{high}); a "
                    "range with one value needs no step",
                )
            for bound_name, bound in (("start", start), ("end", end)):
                if not low <= bound <= high:
                    raise _Invalid(
                        ("calendars", index, key, j, bound_name),
                        f"calendar {key} must be between {low} and {high}, got {_short_number(bound)}",
                    )
            if end < start:
                raise _Invalid(
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
