"""How the platforms' cron engines combine the two day fields, next to the bundle's own (Vixie) reading.

Every engine here reads the fields' values alike (ranges, lists, `a/n` from a to the end); they differ only in
when day-of-month and day-of-week combine by OR and when by AND:

* `vixie` (the bundle's meaning; Debian/ISC cron, cronsim): a field whose text starts with `*` is
  unrestricted; only when both are restricted does either one matching fire (OR), else both must (AND).
  So `*/2` counts as unrestricted: `0 0 */2 * mon` is an odd day that is a Monday.
* `robfig` (Go's robfig/cron v3, whose rule orq's scheduler follows): a field is unrestricted only when a list
  item of it is `*` or `?` with no step above 1 (its "star bit"); `*/2` is a restriction, so
  `0 0 */2 * mon` fires on every odd day and on every Monday.
* `temporal` (Agentex): every field must match, always AND.

`reads_days_differently` says whether a cron fires on other days under an engine than the bundle means; the
validator refuses those crons for that platform. Pure.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import replace
from functools import lru_cache

from reconciler.timing.cron import CronExpr, parse_cron

DIALECTS = ("vixie", "robfig", "temporal")
_LEAP_YEAR = 2000  # February has its 29th


def read_as(text: str, dialect: str) -> CronExpr:
    """The cron `text` as `dialect` reads it: the same value sets, that engine's rule for the day fields."""
    expr = parse_cron(text)
    if dialect == "vixie":
        return expr
    if dialect == "temporal":
        return replace(expr, dom_restricted=False, dow_restricted=False)  # AND, whatever the text says
    if dialect != "robfig":
        raise ValueError(f"unknown cron dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    fields = _fields(text)
    return replace(expr, dom_restricted=not _star_bit(fields[-3]), dow_restricted=not _star_bit(fields[-1]))


@lru_cache(maxsize=4096)
def reads_days_differently(text: str, dialect: str) -> bool:
    """Does `dialect` fire this cron on a day the bundle's (Vixie) reading does not, or the reverse? Every
    (month, day, weekday) that a calendar has is compared, so only a real difference counts."""
    ours, theirs = parse_cron(text), read_as(text, dialect)
    if ours.day_or == theirs.day_or:
        return False
    for month in ours.months:
        for day in range(1, monthrange(_LEAP_YEAR, month)[1] + 1):
            for weekday in range(7):
                if ours.day_matches(day, weekday) != theirs.day_matches(day, weekday):
                    return True
    return False


def _fields(text: str) -> list[str]:
    """The fields of a cron as written (a macro expands to its fields)."""
    source = text.strip()
    if source.startswith("@"):
        source = parse_cron(source).canonical
    return source.split()


def _star_bit(field: str) -> bool:
    """robfig/cron's star bit: a list item whose range part is `*` or `?` and whose step is at most 1."""
    for item in field.split(","):
        base, slash, step = item.partition("/")
        if base in ("*", "?") and (not slash or (step.isdigit() and int(step) <= 1)):
            return True
    return False
