"""Crons sent as structured calendars, for platforms whose schedules take Temporal-style calendars (Cadenya,
Temporal): each cron becomes the calendars that fire exactly where it does (two when both day fields are
restricted: cron's "either", which one calendar cannot say), each with the comment `cron: <text>`, and a
read-back recovers the crons from those comments while the calendars are still exactly their translation.
Also the calendars' JSON both speak (`calendar_json`, `calendar_from_json`): the same shape, with the one
rule where their servers differ (what a missing field means) passed in. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from reconciler.bundle.when import calendar_as_bundle
from reconciler.timing import (
    Calendar,
    Range,
    TimingError,
    calendars_to_cron,
    cron_to_calendars,
    format_duration,
    parse_cron,
)

CRON_COMMENT = "cron: "  # a calendar's comment naming the bundle cron it was translated from
# (wire key, Calendar attribute) of every field the two platforms share; Temporal adds ("year", "year")
CALENDAR_KEYS: tuple[tuple[str, str], ...] = (
    ("second", "second"),
    ("minute", "minute"),
    ("hour", "hour"),
    ("dayOfMonth", "day_of_month"),
    ("month", "month"),
    ("dayOfWeek", "day_of_week"),
)


def calendar_json(
    calendar: Calendar, keys: Sequence[tuple[str, str]], written: Callable[[str, tuple[Range, ...]], bool]
) -> dict[str, Any]:
    """`calendar` as JSON: each field of `keys` that `written(wire_key, ranges)` keeps, as a list of
    `{start, end, step}`, and the comment."""
    result: dict[str, Any] = {}
    for wire_key, attr in keys:
        ranges = getattr(calendar, attr)
        if written(wire_key, ranges):
            result[wire_key] = [{"start": r.start, "end": r.end, "step": r.step} for r in ranges]
    if calendar.comment:
        result["comment"] = calendar.comment
    return result


def calendar_from_json(
    raw: dict[str, Any], keys: Sequence[tuple[str, str]], *, missing_is_default: bool
) -> Calendar:
    """The calendar `raw` says. Protobuf JSON leaves zeros out: a missing `start` is 0, a missing `end` is
    `start`, a missing `step` 1. A missing or empty field is the calendar's default where
    `missing_is_default` (Cadenya), else no values at all (Temporal's server: it matches nothing)."""
    fields: dict[str, Any] = {}
    for wire_key, attr in keys:
        ranges = raw.get(wire_key) or []
        if ranges or not missing_is_default:
            fields[attr] = tuple(
                Range(int(r.get("start", 0)), int(r.get("end") or r.get("start", 0)), int(r.get("step") or 1))
                for r in ranges
            )
    if raw.get("comment"):
        fields["comment"] = raw["comment"]
    return Calendar(**fields)


def commented_calendars(crons: Iterable[str]) -> list[Calendar]:
    """The calendars for `crons`, each commented with the cron it came from."""
    calendars: list[Calendar] = []
    for text in crons:
        calendars.extend(
            replace(c, comment=f"{CRON_COMMENT}{text}") for c in cron_to_calendars(parse_cron(text))
        )
    return calendars


def crons_from_comments(calendars: list[Calendar]) -> list[str] | None:
    """The crons our comments name, if re-translating each gives exactly these calendars (else None:
    someone edited the calendars, and the comment no longer tells the truth)."""
    crons: list[str] = []
    rest = list(calendars)
    while rest:
        comment = rest[0].comment
        if not comment.startswith(CRON_COMMENT):
            return None
        try:
            expected = cron_to_calendars(parse_cron(comment[len(CRON_COMMENT) :]))
        except TimingError:
            return None
        group = [replace(c, comment="") for c in rest[: len(expected)]]
        if tuple(group) != expected:
            return None
        crons.append(comment[len(CRON_COMMENT) :])
        rest = rest[len(expected) :]
    return crons or None


def calendars_as_when(calendars: list[Calendar]) -> dict[str, Any]:
    """The `when` fields for a read-back's calendars: the crons their comments name, else one cron that
    says exactly the same, else the calendars in the bundle's spelling ({} for none)."""
    crons = crons_from_comments(calendars)
    if crons is not None:
        return {"cron": crons[0] if len(crons) == 1 else crons}
    cron = calendars_to_cron(calendars) if calendars else None
    if cron is not None:
        return {"cron": cron}
    return {"calendars": [calendar_as_bundle(c) for c in calendars]} if calendars else {}


def interval_as_when(every: int, offset: int) -> dict[str, Any]:
    """The `when` fields for one interval read back (seconds)."""
    when: dict[str, Any] = {"every": format_duration(every) if every else "0s"}
    if offset:
        when["offset"] = format_duration(offset)
    return when
