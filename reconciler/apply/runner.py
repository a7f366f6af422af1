"""Every bundle of a run applied side by side, under the run's one cap on requests in flight.

Applied one after another, the bundles of a run left slots idle: a bundle's last phase tails off (its final
few steps in flight, the rest of the slots waiting) and a small bundle cannot fill the slots alone. Here each
bundle runs its own `BundleExecution` on a thread of its own, at most `parallelism` bundles at once. Every
step takes one of `parallelism` step slots shared by the run, so no more steps are under way at once than
when the bundles ran one after another (a Ctrl-C finds at most `parallelism` in flight), and every request
still takes a slot of the run's one `RequestSlots` (`--parallelism` caps the whole run, as before).

Within a bundle nothing changes: its phases run in order (renames, then creates and updates, then pauses and
resumes, then removals, held back when any other step of the bundle failed), because that order is about
that bundle's own schedules (a removal waits for the create that replaces it). Bundles never share a
schedule's identity on a platform, so one bundle's phases need not wait for another's.

Ctrl-C (a KeyboardInterrupt in the main thread, which only waits) stops every bundle: no new step and no new
bundle starts, and `ApplyInterrupted` carries the steps that finished (every bundle's, in plan order) and
those in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from reconciler.apply.executor import ApplyInterrupted, ApplyReport, BundleExecution, Outcome, Progress
from reconciler.plan.model import Action, BundlePlan
from reconciler.providers.base import Provider


def execute_all(
    work: Sequence[tuple[BundlePlan, Provider]], *, parallelism: int = 8, progress: Progress | None = None
) -> list[ApplyReport]:
    """Each (plan, provider)'s steps, bundles side by side; the reports in the order given."""
    return start_all(work, parallelism=parallelism, progress=progress).wait()


def start_all(
    work: Sequence[tuple[BundlePlan, Provider]], *, parallelism: int = 8, progress: Progress | None = None
) -> Running:
    """Start every bundle's steps and return at once: the caller may print while they run, then `wait()`."""
    run = _Run(work, parallelism, progress)
    workers = [
        threading.Thread(target=run.work, daemon=True)  # daemon: Ctrl-C never waits for answers
        for _ in range(min(max(1, parallelism), len(work)))
    ]
    for worker in workers:
        worker.start()
    return Running(run, workers)


class Running:
    """An apply under way (`start_all`)."""

    def __init__(self, run: _Run, workers: list[threading.Thread]) -> None:
        self._run, self._workers = run, workers

    def wait(self) -> list[ApplyReport]:
        """Every report once all bundles are done; Ctrl-C while waiting raises `ApplyInterrupted`."""
        try:
            for worker in self._workers:
                worker.join()  # a Ctrl-C lands here, in the main thread
        except KeyboardInterrupt:
            raise self.interrupt() from None
        if self._run.crashed:  # a bug in the executor itself: raised here, as a single bundle's apply would
            raise self._run.crashed[0]
        return [execution.report for execution in self._run.executions if execution is not None]

    def interrupt(self) -> ApplyInterrupted:
        """Stop every bundle (nothing more starts); what had finished and what is in flight, to raise."""
        finished, flying = self._run.stop()
        return ApplyInterrupted(finished, flying)


class _Run:
    def __init__(
        self, work: Sequence[tuple[BundlePlan, Provider]], parallelism: int, progress: Progress | None
    ) -> None:
        self.work_items = list(work)
        self.parallelism, self.progress = parallelism, progress
        self.executions: list[BundleExecution | None] = [None] * len(work)  # by position, once started
        self.crashed: list[BaseException] = []
        self._next = 0
        self._stopped = False
        self._lock = threading.Lock()
        self._step_slots = threading.Semaphore(max(1, parallelism))

    def work(self) -> None:
        while True:
            with self._lock:  # a bundle starts only while the run is not stopped
                if self._stopped or self._next >= len(self.work_items):
                    return
                index, self._next = self._next, self._next + 1
                plan, provider = self.work_items[index]
                execution = BundleExecution(
                    plan,
                    provider,
                    parallelism=self.parallelism,
                    progress=self.progress,
                    step_slots=self._step_slots,
                )
                self.executions[index] = execution
            try:
                execution.run()
            except BaseException as exc:  # a bug: the other bundles start nothing more
                with self._lock:
                    self.crashed.append(exc)
                self.stop()
                return

    def stop(self) -> tuple[list[Outcome], list[Action]]:
        with self._lock:
            self._stopped = True
            started = [e for e in self.executions if e is not None]
        finished: list[Outcome] = []
        flying: list[Action] = []
        for execution in started:
            done, in_flight = execution.stop()
            finished += done
            flying += in_flight
        return finished, flying
