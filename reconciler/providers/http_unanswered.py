"""Requests that left this process and got no answer: the platform may still carry them out, later.

A request that timed out (or whose connection broke after it was sent) is not known to have failed: the
server may have read it and be running it still. `ApiClient` repeats such a request when it is safe to
repeat (a DELETE, a PUT), and the repeat may be answered first; the earlier attempt, a "late request", can
then land after whatever the caller did next. That is harmless for a repeat of the same request, but not when
the caller then wrote the same object again: a late DELETE of a name that was deleted, then created again
under that name, deletes the new one.

`ApiClient` records every such attempt here, by method and by the path the caller gave, so that the code that
wrote an object twice can tell, once its work is done, whether an earlier request to it may have landed late.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

# How long a late request is given to land, after the client stopped waiting for it, before the caller checks
# what it may have undone: the client's own timeout (a server that held a request that long may hold it as
# long again), capped so that one slow request cannot make an apply wait minutes.
LATE_WINDOW_CAP = 5.0
READS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Unanswered:
    method: str
    path: str  # as the caller passed it to `ApiClient.request`, without a query
    given_up: float  # time.monotonic() when the client stopped waiting for the answer


class UnansweredRequests:
    """Every request of one client that was sent and got no answer; safe to use from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_target: dict[tuple[str, str], list[Unanswered]] = {}

    def record(self, method: str, path: str) -> None:
        entry = Unanswered(method, path.partition("?")[0], time.monotonic())
        with self._lock:
            self._by_target.setdefault((entry.method, entry.path), []).append(entry)

    def of(self, method: str, path: str) -> list[Unanswered]:
        """The attempts of `method` on `path` that may still land (oldest first)."""
        with self._lock:
            return list(self._by_target.get((method.upper(), path.partition("?")[0]), ()))

    def writes(self) -> list[Unanswered]:
        """Every attempt that could change something on the platform (all but GET and HEAD)."""
        with self._lock:
            return [u for (method, _), items in self._by_target.items() if method not in READS for u in items]

    def __len__(self) -> int:
        with self._lock:
            return sum(len(items) for items in self._by_target.values())


def late_window(timeout: float | None) -> float:
    """Seconds to give a late request to land after the client gave up on it (see `LATE_WINDOW_CAP`)."""
    return LATE_WINDOW_CAP if timeout is None else min(timeout, LATE_WINDOW_CAP)
