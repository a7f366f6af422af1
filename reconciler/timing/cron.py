"""Standard (Vixie) cron text -> `CronExpr`: the expanded field sets and one canonical spelling.

First step for every `cron:` in a bundle; `calendars` and `fire_times` work from the `CronExpr`, never
from the text. The bundle's cron always means Vixie cron: day-of-month OR day-of-week when both are set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import NamedTuple

from reconciler.timing.ranges import runs_text
from reconciler.timing.spec import TimingError

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_TITLES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February can have a 29th
_NUMBER = re.compile(r"[0-9]+")

_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_MACRO_LIST = " ".join(_MACROS)
_SYNTAX = "numbers, names (jan-dec, sun-sat), ranges a-b, lists a,b and steps */n, a-b/n, a/n"


class _Field(NamedTuple):  # not a dataclass: cheaper to define, for every start-up
    name: str
    low: int
    high: int  # highest value the text may use (7 for day-of-week: Sunday again)
    top: int  # highest value of the cycle, where `*` and `a/n` stop (6 for day-of-week)
    names: Mapping[str, int]
    hint: str


_SECOND = _Field("second", 0, 59, 59, {}, "0-59")
_MINUTE = _Field("minute", 0, 59, 59, {}, "0-59")
_HOUR = _Field("hour", 0, 23, 23, {}, "0-23")
_DOM = _Field("day-of-month", 1, 31, 31, {}, "1-31")
_MONTH = _Field("month", 1, 12, 12, {n: i for i, n in enumerate(_MONTH_NAMES, 1)}, "1-12 or jan-dec")
_DOW = _Field(
    "day-of-week",
    0,
    7,
    6,
    {n: i for i, n in enumerate(_DOW_NAMES)},
    "0-7, where 0 and 7 are Sunday, or sun-sat",
)
_FIELDS = (_SECOND, _MINUTE, _HOUR, _DOM, _MONTH, _DOW)

ALL_SECONDS = frozenset(range(60))
ALL_MINUTES = ALL_SECONDS
ALL_HOURS = frozenset(range(24))
ALL_DAYS = frozenset(range(1, 32))
ALL_MONTHS = frozenset(range(1, 13))
ALL_WEEKDAYS = frozenset(range(7))


@dataclass(frozen=True)
class CronExpr:
    """A parsed cron: each field expanded to the set it selects (day_of_week: Sunday = 0).

    `dom_restricted` / `dow_restricted` follow Vixie: a field whose text starts with `*` is unrestricted.
    Only when both are restricted does a day match on day-of-month OR day-of-week; otherwise AND.
    """

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    dom_restricted: bool = True
    dow_restricted: bool = True

    @property
    def day_or(self) -> bool:
        return self.dom_restricted and self.dow_restricted

    def day_matches(self, day: int, weekday: int) -> bool:
        """Does a date with this day-of-month and weekday (0 = Sunday) match? Months are checked apart."""
        in_dom = day in self.days_of_month
        in_dow = weekday in self.days_of_week
        return (in_dom or in_dow) if self.day_or else (in_dom and in_dow)

    def matches(self, wall: datetime) -> bool:
        """Does this wall-clock time (its own fields, whatever its tzinfo) match?"""
        return (
            wall.second in self.seconds
            and wall.minute in self.minutes
            and wall.hour in self.hours
            and wall.month in self.months
            and self.day_matches(wall.day, wall.isoweekday() % 7)
        )

    @cached_property
    def canonical(self) -> str:
        """The normal spelling: numbers only, `*` for full fields, sorted compressed lists, 5 fields unless
        a second other than 0 is selected. Equal meaning gives equal text (Vixie's `*` quirk included)."""
        text = render_cron(
            self.seconds,
            self.minutes,
            self.hours,
            self.days_of_month,
            self.months,
            self.days_of_week,
            day_or=self.day_or,
        )
        if text is None:
            raise TimingError("this combination of day-of-month AND day-of-week cannot be written as a cron")
        return text


def parse_cron(text: str) -> CronExpr:
    """Parse 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or a macro."""
    if not isinstance(text, str):
        raise TimingError(f"a cron expression must be text, got {type(text).__name__}")
    return _parse_cron(text)


# A plan parses each cron several times (validation, normal form, every live read-back), and a bundle of
# thousands repeats a few dozen; the result is immutable, so one parse per distinct text serves them all.
@lru_cache(maxsize=4096)
def _parse_cron(text: str) -> CronExpr:
    source = text.strip()
    if not source:
        raise TimingError(
            "empty cron expression; write 5 fields (minute hour day-of-month month "
            f"day-of-week) or one of {_MACRO_LIST}"
        )
    _reject_specials(source)
    if source.startswith("@"):
        source = _expand_macro(source)
    parts = source.split()
    if len(parts) not in (5, 6):
        raise TimingError(
            f"expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds "
            f"first (second minute hour day-of-month month day-of-week), got {len(parts)}"
        )
    six = len(parts) == 6
    if not six:
        parts = ["0", *parts]
    sets = []
    for part, spec in zip(parts, _FIELDS, strict=True):
        try:
            sets.append(_parse_field(part, spec))
        except TimingError as exc:
            if six:
                raise TimingError(
                    f"{exc} (with 6 fields the first is seconds: second minute hour "
                    f"day-of-month month day-of-week)"
                ) from None
            raise
    seconds, minutes, hours, dom, months, dow = sets
    dom_restricted, dow_restricted = not parts[3].startswith("*"), not parts[5].startswith("*")
    if not (dom_restricted and dow_restricted):  # with both restricted, the weekdays fire in any month (OR)
        _check_days_exist(dom, months)
    return CronExpr(
        seconds,
        minutes,
        hours,
        dom,
        months,
        dow,
        dom_restricted=dom_restricted,
        dow_restricted=dow_restricted,
    )


def render_cron(
    seconds: frozenset[int],
    minutes: frozenset[int],
    hours: frozenset[int],
    days_of_month: frozenset[int],
    months: frozenset[int],
    days_of_week: frozenset[int],
    *,
    day_or: bool,
) -> str | None:
    """The canonical Vixie cron for these sets, or None when no cron means exactly that.

    `day_or` says how the two day fields combine. AND with both day fields partial needs a field starting
    with `*` (Vixie's quirk), possible only when day-of-month holds the 1st or day-of-week holds Sunday.
    """
    full_dom = days_of_month == ALL_DAYS
    full_dow = days_of_week == ALL_WEEKDAYS
    if (day_or and (full_dom or full_dow)) or (full_dom and full_dow):
        dom_text = dow_text = "*"  # every day either way
    elif day_or:
        dom_text, dow_text = _field_text(days_of_month, _DOM, False), _field_text(days_of_week, _DOW, False)
    elif full_dom or full_dow:
        dom_text, dow_text = _field_text(days_of_month, _DOM, True), _field_text(days_of_week, _DOW, True)
    else:
        star = _star_texts(days_of_month, days_of_week)
        if star is None:
            return None
        dom_text, dow_text = star
    fields = [
        _field_text(minutes, _MINUTE, True),
        _field_text(hours, _HOUR, True),
        dom_text,
        _field_text(months, _MONTH, True),
        dow_text,
    ]
    if seconds != frozenset({0}):
        fields.insert(0, _field_text(seconds, _SECOND, True))
    return " ".join(fields)


def _field_text(values: frozenset[int], spec: _Field, star_steps: bool) -> str:
    if values == frozenset(range(spec.low, spec.top + 1)):
        return "*"
    ordered = sorted(values)
    if star_steps and len(ordered) >= 2 and ordered[0] == spec.low:
        step = ordered[1] - ordered[0]
        if values == frozenset(range(spec.low, spec.top + 1, step)):
            return f"*/{step}"
    return runs_text(values)


def _star_texts(dom: frozenset[int], dow: frozenset[int]) -> tuple[str, str] | None:
    """Day fields for "day-of-month AND day-of-week" with both partial: one must start with `*`.

    `*/n` selects the field's first value and every n-th after it; the rest of the set follows as a list.
    Prefer a field that is exactly `*/n`, then the smaller n, then day-of-month.
    """
    best: tuple[tuple[bool, int, int], tuple[str, str]] | None = None
    for index, (values, spec) in enumerate(((dom, _DOM), (dow, _DOW))):
        if spec.low not in values:
            continue
        for step in range(2, spec.top - spec.low + 2):
            progression = frozenset(range(spec.low, spec.top + 1, step))
            if progression <= values:
                rest = values - progression
                text = f"*/{step}" + (f",{runs_text(rest)}" if rest else "")
                other = runs_text(dow if index == 0 else dom)
                key = (bool(rest), step, index)
                if best is None or key < best[0]:
                    best = (key, (text, other) if index == 0 else (other, text))
                break
    return None if best is None else best[1]


def _reject_specials(source: str) -> None:
    if "#" in source:
        raise TimingError(
            "'#' (nth weekday, such as 5#3) is not supported: no target platform can express "
            "it, and Temporal reads '#' as the start of a comment"
        )
    if "?" in source:
        raise TimingError("'?' is not supported; write '*' for 'any'")
    lowered = source.lower()
    if lowered.startswith(("tz=", "cron_tz=")):
        raise TimingError("a TZ=/CRON_TZ= prefix is not supported; set 'timezone:' next to the cron instead")


def _expand_macro(source: str) -> str:
    name, *rest = source.split()
    name = name.lower()
    if name == "@every":
        raise TimingError(
            "'@every' is not supported in cron; use 'every:' (with an optional 'offset:') instead"
        )
    if name == "@reboot":
        raise TimingError(f"'@reboot' has no meaning for a hosted schedule; supported macros: {_MACRO_LIST}")
    if name not in _MACROS:
        raise TimingError(f"unknown macro '{name}'; supported macros: {_MACRO_LIST}")
    if rest:
        raise TimingError(f"'{name}' stands alone; it takes no fields after it")
    return _MACROS[name]


def _parse_field(text: str, spec: _Field) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise TimingError(f"empty list item in the {spec.name} field '{text}'")
        values.update(_parse_item(item, spec))
    if spec is _DOW:
        values = {0 if v == 7 else v for v in values}
    return frozenset(values)


def _parse_item(item: str, spec: _Field) -> range:
    base, slash, step_text = item.partition("/")
    step = _parse_step(step_text, spec) if slash else 1
    if base == "*":
        return range(spec.low, spec.top + 1, step)
    if "-" in base:
        first, _, last = base.partition("-")
        start, end = _parse_value(first, spec), _parse_value(last, spec)
        if start > end:
            raise TimingError(_reversed_message(base, start, end, spec, slashed=bool(slash)))
        return range(start, end + 1, step)
    start = _parse_value(base, spec)
    # `a/n` runs from a to the end of the cycle (Temporal's and croniter's reading).
    end = max(spec.top, start) if slash else start
    return range(start, end + 1, step)


def _parse_step(text: str, spec: _Field) -> int:
    if not _NUMBER.fullmatch(text):
        raise TimingError(f"step '{text}' in the {spec.name} field must be a whole number, as in */15")
    if len(text) > 4:
        raise TimingError(f"step '{text[:12]}' in the {spec.name} field is out of range ({spec.hint})")
    step = int(text)
    if step == 0:
        raise TimingError(f"step 0 in the {spec.name} field: a step must be at least 1")
    return step


def _parse_value(token: str, spec: _Field) -> int:
    if _NUMBER.fullmatch(token):
        if len(token) > 4:  # never a valid value, and int() of thousands of digits is refused by Python
            raise TimingError(f"{token[:12]}... is out of range for the {spec.name} field ({spec.hint})")
        value = int(token)
        if not spec.low <= value <= spec.high:
            raise TimingError(f"{value} is out of range for the {spec.name} field ({spec.hint})")
        return value
    named = spec.names.get(token.lower())
    if named is not None:
        return named
    raise TimingError(_unsupported_message(token, spec))


def _unsupported_message(token: str, spec: _Field) -> str:
    upper = token.upper()
    if re.fullmatch(r"[0-9]*L|L-?[0-9]*|LW", upper):
        return (
            f"'L' (last day) in '{token}' is not supported: Temporal-style platforms cannot express it; "
            "list the days instead"
        )
    if re.fullmatch(r"[0-9]+W|W[0-9]+", upper):
        return f"'W' (nearest weekday) in '{token}' is not supported; list the days instead"
    if upper.startswith("H"):
        return f"'H' (hashed value) in '{token}' is not supported; pick a fixed value"
    if not token:
        return f"a value is missing in the {spec.name} field (a range needs both ends, as in 1-5)"
    if token.lower() in _MONTH_NAMES or token.lower() in _DOW_NAMES:
        return (
            f"'{token}' is not a valid {spec.name} value ({spec.hint}); names work only in the month "
            "(jan-dec) and day-of-week (sun-sat) fields"
        )
    return f"'{token}' is not a valid {spec.name} value ({spec.hint}); supported: {_SYNTAX}"


def _reversed_message(base: str, start: int, end: int, spec: _Field, *, slashed: bool) -> str:
    message = (
        f"reversed range '{base}' in the {spec.name} field: a range goes from low to high and does "
        "not wrap around"
    )
    if slashed:
        return message
    values = [*range(start, spec.high + 1), *range(spec.low, end + 1)]
    wrapped = {0 if spec is _DOW and v == 7 else v for v in values}
    return f"{message}; write '{runs_text(wrapped)}' instead"


def _check_days_exist(dom: frozenset[int], months: frozenset[int]) -> None:
    if any(day <= _MONTH_DAYS[month - 1] for month in months for day in dom):
        return
    names = ", ".join(_MONTH_TITLES[m - 1] for m in sorted(months))
    raise TimingError(f"day-of-month {runs_text(dom)} never occurs in {names}: no date would ever match")
