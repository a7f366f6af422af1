"""One bundle's live state, read on a thread and taken by its plan part by part as the parts arrive.

A provider that lists agent by agent hands each agent's list over as soon as it is in
(`Provider.list_live_parts`), and the plan of that agent starts then (`plan.planner.BundlePlanning`), while
the other agents' lists are still being read: the plan's CPU no longer waits for the last answer.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Executor, Future

from reconciler.bundle.sensitive import redact_text
from reconciler.errors import ProviderError, ReconcilerError
from reconciler.plan.live import LiveSchedule
from reconciler.providers.base import LivePart, Provider

Part = tuple[list[LiveSchedule], Collection[str] | None]
_END = None


class LiveParts:
    """The parts of one provider's live read (`start`), in the order they arrived (`parts`)."""

    def __init__(self, read: Callable[[LivePart], None]) -> None:
        self._read = read
        self._arrived: queue.SimpleQueue[Part | BaseException | None] = queue.SimpleQueue()
        self._future: Future[None] | None = None

    @classmethod
    def start(cls, pool: Executor, provider: Provider) -> LiveParts:
        """`provider`'s live state, read on a thread of `pool` from now on."""
        parts = cls(provider.list_live_parts)
        parts._future = pool.submit(parts._run)
        return parts

    def _run(self) -> None:
        try:
            self._read(lambda schedules, agents: self._arrived.put((schedules, agents)))
        except BaseException as exc:  # handed to the plan, which raises it where it would have read
            self._arrived.put(exc)
            return
        self._arrived.put(_END)

    def parts(self, secrets: Collection[str] = ()) -> Iterator[Part]:
        """Each part as it arrives; the read's failure is raised here, with no secret of the run in its message
        (a read that began before the later bundles were rendered did not know their secrets)."""
        while True:
            try:
                arrived = self._arrived.get(timeout=1.0)
            except queue.Empty:
                if self._future is not None and self._future.cancelled():
                    raise ProviderError("the live read was cancelled before it started") from None
                continue
            if arrived is _END:
                return
            if isinstance(arrived, BaseException):
                raise _redacted(arrived, secrets)
            yield arrived


def _redacted(error: BaseException, secrets: Collection[str]) -> BaseException:
    if isinstance(error, ReconcilerError) and any(s in str(error) for s in secrets):
        status = error.status if isinstance(error, ProviderError) else None
        return ProviderError(redact_text(str(error), set(secrets)), status=status)
    return error
