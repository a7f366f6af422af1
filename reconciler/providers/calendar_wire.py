"""Crons sent as structured calendars, for platforms whose schedules take Temporal-style calendars (Cadenya,
Temporal): each cron becomes the calendars that fire exactly where it does (two when both day fields are
restricted: cron's "either", which one calendar cannot say), each with the comment `cron: <text>`, and a
read-back recovers the crons from those comments while the calendars are still exactly their translation.
Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from reconciler.timing import Calendar, TimingError, cron_to_calendars, parse_cron

CRON_COMMENT = "cron: "  # a calendar's comment naming the bundle cron it was translated from


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
