"""The bundles of one apply run side by side, and a Ctrl-C stops every one of them and accounts for all.

A provider double stands in for a platform: its pauses wait on events the test sets, so which steps are in
flight at once is decided by the test, not by a clock.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from reconciler.apply.executor import ApplyInterrupted
from reconciler.apply.runner import execute_all, start_all
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import Action, BundlePlan

WAIT = 30  # seconds: only ever reached when the code under test is broken


class Pausing:
    """Just enough of a Provider for pause steps: each pause waits until `gate` opens."""

    unique_names = True

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.client = SimpleNamespace(redact=lambda text: text, capped=False)
        self.gate = gate
        self.started: list[str] = []
        self.lock = threading.Lock()

    def pause(self, live: LiveSchedule) -> LiveSchedule:
        with self.lock:
            self.started.append(live.remote_id)
        if self.gate is not None:
            assert self.gate.wait(WAIT)
        return live

    resume = archive = pause  # looked up beside `pause`, never called here


def pauses(key: str, count: int) -> BundlePlan:
    actions = []
    for n in range(count):
        live = LiveSchedule(f"{key}-{n}", "agent", f"{key}-{n}", key, "active", {}, {}, {}, {})
        actions.append(Action("pause", f"{key}-{n}", "agent", live.remote_id, live=live))
    return BundlePlan(key, "cadenya", {}, "2026-12-07T00:00:00Z", tuple(actions), "sha256:0")


def test_a_bundle_does_not_wait_for_the_one_before_it() -> None:
    """Bundle `one`'s steps cannot finish until bundle `two` has started: one after the other, this would
    never finish."""
    two_started = threading.Event()
    first, second = Pausing(two_started), Pausing()
    original = second.pause

    def pause_and_tell(live: LiveSchedule) -> LiveSchedule:
        two_started.set()
        return original(live)

    second.pause = pause_and_tell  # type: ignore[method-assign]
    work: list[tuple[BundlePlan, Any]] = [(pauses("one", 2), first), (pauses("two", 2), second)]
    reports = execute_all(work, parallelism=4)
    assert [len(r.outcomes) for r in reports] == [2, 2]
    assert all(o.ok for r in reports for o in r.outcomes)


def test_interrupt_accounts_for_every_bundle_and_starts_nothing_more() -> None:
    held = threading.Event()
    slow, quick = Pausing(held), Pausing()
    work: list[tuple[BundlePlan, Any]] = [(pauses("slow", 3), slow), (pauses("quick", 2), quick)]
    running = start_all(work, parallelism=2)  # two of `slow`'s steps at a time: its third waits
    for _ in range(WAIT * 100):
        if len(slow.started) == 2 and len(quick.started) == 2:
            break
        threading.Event().wait(0.01)
    interrupted = running.interrupt()
    held.set()
    with pytest.raises(ApplyInterrupted):
        raise interrupted
    finished = {o.action.name for o in interrupted.finished}
    flying = {a.name for a in interrupted.in_flight}
    assert {"quick-0", "quick-1"} <= finished  # the other bundle's steps are in the account too
    assert flying == {"slow-0", "slow-1"}
    running.wait()  # every thread of the apply has ended
    assert len(slow.started) == 2  # what had not started when Ctrl-C came never starts
