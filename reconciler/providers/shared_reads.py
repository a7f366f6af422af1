"""What the providers of one run share: the cap on requests in flight, and the reads several bundles make.

`--parallelism N` is per run: every bundle's client takes a slot of one `RequestSlots` for each request it
sends, so three bundles planned (or applied) at once still have at most N requests in flight.

Bundles on the same platform, endpoint and target read the same listing. While their plans read live state,
their clients share a `SharedReads`: a GET identical to one another bundle already sent (same URL, query and
headers, so the same API key) is answered by that response rather than sent again; each bundle still
filters what it gets by its own ownership. Only identical requests are shared, so what a single bundle sends
is unchanged, and sharing stops (its responses are dropped) before anything is written. What is kept is
bounded (`keep_bytes`): bundles that filter their listings by their own key send requests no other bundle
sends, and a hundred such bundles would otherwise hold every answer until the last plan is made.

A bundle's reads start as soon as it is valid, while later files are still being checked (cli/session.py):
if one of them turns out invalid, `abandon` makes every later GET of the run fail at once (`ReadsAbandoned`),
so the reads in flight end within one request rather than listing on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the session imports this module; httpx loads only with a provider's client
    import httpx


class RequestSlots:
    """At most `size` requests in flight across every client holding this object; thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0  # the most requests ever in flight at once: what the cap held to

    def __enter__(self) -> None:
        self._free.acquire()
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        with self._lock:
            self.in_flight -= 1
        self._free.release()


class ReadsAbandoned(Exception):
    """The run stopped before its reads were done (a later bundle is invalid): never shown to a user."""


@dataclass
class _Read:
    done: threading.Event = field(default_factory=threading.Event)
    response: httpx.Response | None = None  # None once done: the first reader's request failed


# Answers kept for later readers, in body bytes, per group of bundles: a few thousand agents' listings. Past
# it, readers already waiting still share an answer; a later identical request is sent again.
KEEP_BYTES = 64 * 1024 * 1024


class SharedReads:
    """One response per distinct GET while open; a second reader of the same request waits for the first."""

    def __init__(self, keep_bytes: int = KEEP_BYTES) -> None:
        self._lock = threading.Lock()
        self._reads: dict[Hashable, _Read] = {}
        self._open = True
        self._abandoned = False
        self.shared = 0  # requests answered from another reader's response, not sent
        self.keep_bytes = keep_bytes
        self.kept_bytes = 0  # body bytes of the answers kept

    def fetch(self, key: Hashable, send: Callable[[], httpx.Response]) -> httpx.Response:
        with self._lock:
            if self._abandoned:
                raise ReadsAbandoned("the run stopped before its reads were done")
            if not self._open:
                return send()
            read = self._reads.get(key)
            first = read is None
            if read is None:
                read = self._reads[key] = _Read()
        if first:
            try:
                read.response = send()
            finally:
                read.done.set()
                self._keep_or_forget(key, read)
            return read.response
        read.done.wait()
        if read.response is None:
            return send()  # the first reader's request failed: this reader gets its own answer (or error)
        with self._lock:
            self.shared += 1
        return read.response

    def _keep_or_forget(self, key: Hashable, read: _Read) -> None:
        size = len(read.response.content) if read.response is not None else 0
        with self._lock:
            if read.response is not None and self.kept_bytes + size <= self.keep_bytes:
                self.kept_bytes += size
            elif self._reads.get(key) is read:
                del self._reads[key]  # readers holding `read` still get its answer; later ones send again

    def close(self) -> None:
        """Stop sharing: later reads see the platform as it is then (after writes), not as it was read."""
        with self._lock:
            self._open = False
            self._reads.clear()
            self.kept_bytes = 0

    def abandon(self) -> None:
        """Refuse every later GET (`ReadsAbandoned`): the run will not use what it reads."""
        with self._lock:
            self._abandoned = True
            self._reads.clear()
            self.kept_bytes = 0
