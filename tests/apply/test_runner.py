"""The bundles of one apply run side by side, and a Ctrl-C stops every one of them and accounts for all.

A provider double stands in for a platform: its pauses wait on events the test sets, so which steps are in
flight at once is decided by the test, not by a clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from reconciler.apply.executor import Outcome
from reconciler.apply.runner import execute_all, start_all
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import Action, BundlePlan

WAIT = 30  # seconds: only ever reached when the code under test is broken


class Pausing:
    """Just enough of a Provider for pause steps: each pause waits until `gate` opens."""

    unique_names = True

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.client = SimpleNamespace(redact=lambda text: text, wait_for_late_writes=lambda: None)
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

    def recheck_rewrites(self) -> list[object]:
        return []  # nothing deleted and created again here


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


def wait_for(condition: Callable[[], bool]) -> None:
    for _ in range(WAIT * 100):
        if condition():
            return
        threading.Event().wait(0.01)
    raise AssertionError("the apply never got there")


def test_interrupt_accounts_for_every_bundle_and_starts_nothing_more() -> None:
    held = threading.Event()
    quick, slow = Pausing(), Pausing(held)
    recorded: list[Outcome] = []
    work: list[tuple[BundlePlan, Any]] = [(pauses("quick", 2), quick), (pauses("slow", 3), slow)]
    running = start_all(work, parallelism=2, progress=recorded.append)  # `slow`: its third step waits
    wait_for(lambda: len(slow.started) == 2 and len(recorded) == 2)
    interrupted = running.interrupt()
    held.set()
    running.wait()  # every thread of the apply has ended
    assert {o.action.name for o in interrupted.finished} == {"quick-0", "quick-1"}  # the other bundle's too
    assert {a.name for a in interrupted.in_flight} == {"slow-0", "slow-1"}
    assert len(slow.started) == 2  # what had not started when Ctrl-C came never starts


def test_no_more_steps_under_way_across_bundles_than_the_parallelism() -> None:
    """Side by side, two bundles of 3 steps at --parallelism 3 still have 3 steps in flight, not 6: what a
    Ctrl-C leaves unknown is no more than when the bundles ran one after the other."""
    held = threading.Event()
    one, two = Pausing(held), Pausing(held)
    running = start_all([(pauses("one", 3), one), (pauses("two", 3), two)], parallelism=3)  # type: ignore[list-item]
    wait_for(lambda: len(one.started) + len(two.started) == 3)
    interrupted = running.interrupt()
    held.set()
    running.wait()
    assert len(interrupted.in_flight) == 3 and not interrupted.finished
    assert len(one.started) + len(two.started) == 3
