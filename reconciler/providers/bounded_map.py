"""`pool.map` with a bounded number of calls submitted at once.

`Executor.map` submits every call before the first result is read: reading 10,000 schedules one GET each
holds 10,000 futures at once (each with its lock and condition, about 1 KB), a tenth of a plan's memory on
Agentex legacy. Here at most `window` calls wait or run at a time; the results come in the same order, and
an error stops the walk as `map`'s does (the calls not yet started are cancelled).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def bounded_map(pool: Executor, call: Callable[[T], R], items: Iterable[T], window: int) -> Iterator[R]:
    """`call(item)` for each of `items` on `pool`, in order, with at most `window` (≥ 1) submitted at once."""
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(call, item))
            if len(pending) >= max(1, window):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
