"""The peak of runs in progress at once, fast enough for 10,000 schedules x 30 days (docs/benchmarks.md).

A run started at `t` lasting `length` seconds is in progress over [t, t + length). The level rises only at
a start, so the peak is reached at one. When every start lies on a grid of some step dividing a minute (from
the window's start: crons without seconds, intervals of whole minutes — the common case), the level at a
start counts the starts in (t - length, t]: the grid points t, t - step, ... above t - length, the same as a
length rounded up to whole steps. So the starts are summed per step bucket (43,200 one-minute buckets in 30
days), one array per run length; the level is the running sum minus itself shifted by the length. An
interval's starts are a slice of the array, added in one step. A finer grid is swept exactly, run by run.
Both give the same figure (tests/forecast/test_concurrency.py checks them against a brute force). Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import accumulate, repeat
from math import gcd
from operator import add, sub

MINUTE = 60
MAX_BUCKETS = 600_000  # 30 days in 5-second steps; a finer step goes to the exact sweep
Runs = Sequence[tuple[Sequence[int], int]]  # (sorted start instants in the window, run length in seconds)
_Counted = list[tuple[Sequence[int], int, int]]  # (starts, length, how many schedules share them)


def peak_concurrency(runs: Runs, start: int, end: int) -> tuple[int, int | None]:
    """The most runs in progress at once, and the first instant it is reached (None: no run at all).

    Every start lies in [start, end); runs still going at `end` count until then. Runs started before the
    window are not known to it."""
    shared: Counter[tuple[int, int]] = Counter()  # the same instants (one cache entry) are added once
    first: dict[tuple[int, int], Sequence[int]] = {}
    for instants, length in runs:
        key = (id(instants), length)
        shared[key] += 1
        first.setdefault(key, instants)
    counted = [(first[key], key[1], times) for key, times in shared.items()]
    if not any(instants for instants, _, _ in counted):
        return 0, None
    step = _common_step(counted, start)
    if step and -(-(end - start) // step) <= MAX_BUCKETS:
        return _bucketed(counted, start, end, step)
    return _exact(counted)


def _common_step(runs: _Counted, start: int) -> int:
    """The largest divisor of a minute that every start (from `start`) is a multiple of."""
    step = gcd(MINUTE, start)
    for instants, _, _ in runs:
        if isinstance(instants, range):
            step = gcd(step, instants.start, instants.step)
        elif step > 1:
            step = gcd(step, *set(map(step.__rmod__, instants)))
    return step


def _bucketed(runs: _Counted, start: int, end: int, step: int) -> tuple[int, int | None]:
    buckets = -(-(end - start) // step)
    starts_by_length: dict[int, list[int]] = {}
    for instants, length, times in runs:
        rounded = -(-length // step)
        if rounded not in starts_by_length:
            starts_by_length[rounded] = [0] * buckets
        starts = starts_by_length[rounded]
        if isinstance(instants, range):
            if instants:
                first = (instants.start - start) // step
                stride = instants.step // step
                chosen = slice(first, first + len(instants) * stride, stride)
                starts[chosen] = map(add, starts[chosen], repeat(times))
        else:
            for instant in instants:
                starts[(instant - start) // step] += times
    levels: list[int] | None = None
    for length, starts in starts_by_length.items():
        running = list(accumulate(starts))
        # Runs in progress in bucket b: started in the last `length` buckets (b - length, b].
        own = list(map(sub, running, [0] * length + running)) if length else [0] * buckets
        levels = own if levels is None else list(map(add, levels, own))
    assert levels is not None  # runs is never empty here
    peak = max(levels)
    return peak, (start + levels.index(peak) * step if peak else None)


def _exact(runs: _Counted) -> tuple[int, int | None]:
    changes: Counter[int] = Counter()
    for instants, length, times in runs:
        for instant in instants:
            changes[instant] += times
            changes[instant + length] -= times
    # At an instant where one run ends and another starts, only the net change counts ([t, t + length)).
    instants = sorted(changes)
    levels = list(accumulate(changes[t] for t in instants))
    peak = max(levels, default=0)
    return peak, (instants[levels.index(peak)] if peak else None)
