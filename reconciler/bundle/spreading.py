"""`H` and `spread` in a schedule's `when`: what the hash is taken of, and the concrete values they choose.

Pure helpers for `when.check_when` (docs/bundle-format.md#h-and-spread); the hash itself and the
choices are in `reconciler.timing.hashed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reconciler.bundle.sensitive import Sensitive
from reconciler.timing.cron import CronExpr
from reconciler.timing.durations import format_duration, parse_duration
from reconciler.timing.hashed import minute_shift, schedule_identity, spread_offset
from reconciler.timing.spec import Calendar, Range, TimingError

Path_ = tuple[str | int, ...]


class SpreadProblem(Exception):
    """A `spread` that cannot be honoured; `path` is inside `when`."""

    def __init__(self, path: Path_, message: str) -> None:
        self.path = path
        super().__init__(message)


def hash_identity(data: Mapping[str, Any], bundle_key: str) -> str:
    """What `H` and `spread` hash: `bundleKey/name`, or the identity `renamedFrom` names (so a rename never
    moves the minute). A malformed `renamedFrom` is reported by its own check; the own name serves meanwhile."""
    old = data.get("renamedFrom")
    if isinstance(old, str) and not isinstance(old, Sensitive):
        return schedule_identity(bundle_key, old)
    if (
        isinstance(old, Mapping)
        and isinstance(old.get("bundleKey"), str)
        and isinstance(old.get("name"), str)
    ):
        return schedule_identity(str(old["bundleKey"]), str(old["name"]))
    return schedule_identity(bundle_key, str(data.get("name")))


def is_spread(value: Any) -> bool:
    return value is not None and value is not False


def written_spread(value: Any) -> str:
    return f"spread: {'true' if value is True else value}"


def _window(spread: Any) -> int | None:
    """`spread` in seconds; None for `true`."""
    if spread is True:
        return None
    if not isinstance(spread, str):
        raise SpreadProblem(("spread",), "'spread' is true or a duration such as 30m")
    try:
        window = parse_duration(spread)
    except TimingError as exc:
        raise SpreadProblem(("spread",), f"invalid duration '{spread}': {exc}") from None
    if window < 1:
        raise SpreadProblem(("spread",), "'spread' must be longer than 0s")
    return window


def spread_every(spread: Any, every: int, offset: int, identity: str) -> int:
    """The offset of an `every` with `spread`: `offset` plus a hashed shift within the window (the rest of the
    cadence for `true`, else the duration given), in whole minutes once the window is a minute or more."""
    window = _window(spread)
    if window is None:
        window = every - offset
    if offset + window > every:
        raise SpreadProblem(
            ("spread",),
            f"'spread' ({format_duration(window)}) must fit within 'every' ({format_duration(every)})"
            + (f" after 'offset' ({format_duration(offset)})" if offset else ""),
        )
    return offset + spread_offset(identity, window)


def spread_crons(spread: Any, crons: list[CronExpr], identity: str) -> list[CronExpr]:
    """The crons with their minutes moved by one hashed shift (`minute_shift`); days and hours unchanged."""
    try:
        delta = minute_shift([expr.minutes for expr in crons], _window(spread), identity)
    except TimingError as exc:
        raise SpreadProblem(("spread",), str(exc)) from None
    return [replace(expr, minutes=frozenset(m + delta for m in expr.minutes)) for expr in crons]


def spread_calendars(spread: Any, calendars: tuple[Calendar, ...], identity: str) -> tuple[Calendar, ...]:
    """The calendars with their minute ranges moved by one hashed shift (`minute_shift`)."""
    try:
        delta = minute_shift([_minutes(c.minute) for c in calendars], _window(spread), identity)
    except TimingError as exc:
        raise SpreadProblem(("spread",), str(exc)) from None
    return tuple(replace(c, minute=tuple(_moved(r, delta) for r in c.minute)) for c in calendars)


def _minutes(ranges: tuple[Range, ...]) -> frozenset[int]:
    return frozenset(m for r in ranges for m in range(r.start, max(r.start, r.end) + 1, r.step))


def _moved(r: Range, delta: int) -> Range:
    """The same minutes, `delta` later: the last one the range reaches moves, not its written end (`0-59/15`
    reaches 45; moved by 10 it is `10-55/15`, still inside the hour)."""
    last = max(range(r.start, max(r.start, r.end) + 1, r.step))
    return Range(r.start + delta, last + delta, r.step)
