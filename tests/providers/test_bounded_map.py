"""bounded_map: what `Executor.map` gives (the results in order, the first error raised), with at most
`window` calls submitted at once, so reading 10,000 schedules one GET each does not hold 10,000 futures."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from reconciler.providers.bounded_map import bounded_map


def test_results_in_order_with_at_most_window_calls_submitted() -> None:
    lock = threading.Lock()
    submitted = {"now": 0, "most": 0}

    class Counting(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            with lock:
                submitted["now"] += 1
                submitted["most"] = max(submitted["most"], submitted["now"])
            future = super().submit(fn, *args, **kwargs)

            def done(_: object) -> None:
                with lock:
                    submitted["now"] -= 1

            future.add_done_callback(done)
            return future

    with Counting(max_workers=4) as pool:
        results = list(bounded_map(pool, lambda n: n * n, range(500), window=8))
    assert results == [n * n for n in range(500)]
    assert submitted["most"] <= 8


def test_the_first_error_is_raised_and_the_calls_not_started_are_cancelled() -> None:
    calls: list[int] = []

    def call(n: int) -> int:
        calls.append(n)
        if n == 3:
            raise ValueError("refused")
        return n

    with ThreadPoolExecutor(max_workers=1) as pool, pytest.raises(ValueError, match="refused"):
        list(bounded_map(pool, call, range(1000), window=4))
    assert len(calls) < 1000
