"""Sets of integers as compressed runs: the shared vocabulary of cron fields and calendar `Range`s.

Used by `cron` (canonical text) and `calendars` (exact translations); pure arithmetic, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.timing.spec import Range, TimingError

Run = tuple[int, int, int]  # (start, end, step): start, start+step, ..., end


def runs(values: Iterable[int]) -> list[Run]:
    """Split a set into progressions, greedily from the smallest value, over *neighbouring* members.

    Consecutive values become one run (`5-9`); three or more evenly spaced neighbours become a stepped run
    (`0-45/15`); anything else stays a single value. Deterministic, so equal sets give equal runs.
    """
    ordered = sorted(set(values))
    result: list[Run] = []
    i = 0
    while i < len(ordered):
        if i + 1 < len(ordered):
            step = ordered[i + 1] - ordered[i]
            j = i + 1
            while j + 1 < len(ordered) and ordered[j + 1] - ordered[j] == step:
                j += 1
            if step == 1 or j - i >= 2:
                result.append((ordered[i], ordered[j], step))
                i = j + 1
                continue
        result.append((ordered[i], ordered[i], 1))
        i += 1
    return result


def runs_text(values: Iterable[int]) -> str:
    """Cron list syntax for `runs(values)`: `1-5`, `0-45/15`, `7`, joined by commas."""
    parts = []
    for start, end, step in runs(values):
        if start == end:
            parts.append(str(start))
        elif step == 1:
            parts.append(f"{start}-{end}")
        else:
            parts.append(f"{start}-{end}/{step}")
    return ",".join(parts)


def to_ranges(values: Iterable[int], low: int, high: int) -> tuple[Range, ...]:
    """Canonical Temporal ranges for a set: the full field is one `Range(low, high)`, a single value is
    `Range(v, v, 1)` (what Temporal's Describe and the bundle's calendars both produce)."""
    chosen = frozenset(values)
    if chosen == frozenset(range(low, high + 1)):
        return (Range(low, high, 1),)
    return tuple(Range(start, end, step) for start, end, step in runs(chosen))


def expand_ranges(ranges: Iterable[Range], low: int, high: int, what: str) -> frozenset[int]:
    """The values a tuple of Temporal ranges selects, checked against the field's bounds.

    Temporal's rules: an `end` below `start` means `end = start`; a `step` of 0 means 1.
    """
    values: set[int] = set()
    for item in ranges:
        end = item.end if item.end >= item.start else item.start
        step = item.step or 1
        if step < 0:
            raise TimingError(f"calendar {what} step must be positive, got {item.step}")
        for bound in (item.start, end):
            if not low <= bound <= high:
                raise TimingError(f"calendar {what} must be between {low} and {high}, got {bound}")
        values.update(range(item.start, end + 1, step))
    return frozenset(values)
