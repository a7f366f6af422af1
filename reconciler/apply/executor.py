"""Carry out a plan's steps against a provider: concurrently, in safe phases, reporting every failure.

Creates, adoptions and updates run first, then pauses and resumes, then archives and deletes, and the
removals only if every other step of the bundle succeeded (so nothing is pruned before its replacement
exists; skipped removals are reported with why). Other failed steps do not stop the rest; the report
names each.
A create whose answer was lost is looked up by its ownership marker before anything is sent again.

On platforms whose names are not unique, two applies racing to create one schedule both succeed. After
the create phase the schedules the phase made are listed once more; of twins the plan did not know, the
one `keep_first` prefers stays and the others are deleted. The later of two racing runs always sees both
(it lists after its own create, which came after the other's), so exactly one survives. See
docs/concurrency.md.

Ctrl-C (a KeyboardInterrupt in the main thread, which only waits) stops the handing out of steps: no new
step starts, and `ApplyInterrupted` says which finished and which were in flight. Steps run on daemon
threads, so nothing waits for the answers still on their way (`reconciler.apply.interrupted`). When the
bundles of a run are applied side by side (`reconciler.apply.runner`), the main thread stops each bundle's
`BundleExecution` in the same way.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.errors import ConflictError, ProviderError, ReconcilerError, RejectedError
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import Action, BundlePlan
from reconciler.plan.planner import keep_first
from reconciler.providers.base import Provider

REMOVALS = frozenset({"archive", "delete"})
CREATES = frozenset({"create", "adopt", "update"})
PHASES: tuple[frozenset[str], ...] = (
    frozenset({"rename"}),  # first: a create may take the name a renamed schedule leaves
    CREATES,
    frozenset({"pause", "resume"}),
    REMOVALS,
)
CREATE_ATTEMPTS = 3
log = logging.getLogger("reconciler.apply")


@dataclass(frozen=True)
class Outcome:
    """How one step ended. A skipped step was never sent; it carries its reason as its `error`, so every
    account of failures lists it, and `skipped` tells it apart from a step that was tried and failed."""

    action: Action
    error: str | None = None
    skipped: bool = False
    # The platform refused the request as written (a 4xx), or the bundle asks for what cannot be done:
    # running apply again unchanged fails the same way.
    permanent: bool = False
    note: str = ""  # how a step that succeeded went, when it is worth saying: "already gone"

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ApplyReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def replace(self, outcome: Outcome) -> None:
        """Record a later verdict on a step already reported (a twin that could not be removed)."""
        self.outcomes = [outcome if o.action is outcome.action else o for o in self.outcomes]


class ApplyInterrupted(KeyboardInterrupt):
    """Raised instead of the KeyboardInterrupt that stopped an apply: the steps that had finished, with
    their outcomes, and those in flight. A caller that does not look inside still sees a Ctrl-C."""

    def __init__(self, finished: list[Outcome], in_flight: list[Action]) -> None:
        super().__init__("interrupted")
        self.finished = finished
        self.in_flight = in_flight


Progress = Callable[[Outcome], None]


def execute(
    plan: BundlePlan, provider: Provider, *, parallelism: int = 8, progress: Progress | None = None
) -> ApplyReport:
    """Carry out one bundle's plan in the calling thread; Ctrl-C there raises `ApplyInterrupted`."""
    execution = BundleExecution(plan, provider, parallelism=parallelism, progress=progress)
    try:
        return execution.run()
    except KeyboardInterrupt:
        finished, flying = execution.stop()
        raise ApplyInterrupted(finished, flying) from None


class BundleExecution:
    """One bundle's steps, phase after phase; `stop()` (from any thread) starts nothing more and says what
    had finished and what was in flight. `reconciler.apply.runner` runs several of these side by side."""

    def __init__(
        self,
        plan: BundlePlan,
        provider: Provider,
        *,
        parallelism: int = 8,
        progress: Progress | None = None,
        step_slots: threading.Semaphore | None = None,
    ) -> None:
        """`step_slots`: shared by the bundles of a run applied side by side, so that no more than
        `parallelism` steps of the whole run are under way at once (and a Ctrl-C finds at most that many in
        flight), as when the bundles were applied one after another."""
        self.plan, self.provider, self.parallelism, self.progress = plan, provider, parallelism, progress
        self._step_slots: AbstractContextManager[Any] = step_slots or nullcontext()
        self.report = ApplyReport()
        self._lock = threading.Lock()
        self._made: dict[str, Action] = {}  # the schedules this run created (or recreated), by remote id
        self._in_flight: dict[int, Action] = {}  # by id(): started, not finished
        self._stopped = False  # start nothing more, record nothing more

    def stop(self) -> tuple[list[Outcome], list[Action]]:
        """Start no further step (nor phase); the outcomes recorded so far and the steps in flight."""
        with self._lock:
            self._stopped = True
            return list(self.report.outcomes), list(self._in_flight.values())

    @property
    def stopped(self) -> bool:
        with self._lock:
            return self._stopped

    def run(self) -> ApplyReport:
        for phase in PHASES:
            if self.stopped:
                break
            steps = [a for a in self.plan.actions if a.kind in phase]
            held = _held_back(self.report) if phase is REMOVALS else ""
            if held:
                for action in steps:
                    self._skip(action, held)
                continue
            _run_all(steps, self._run, self.parallelism)  # a phase at a time
            if phase is CREATES and self._made and not self.provider.unique_names and not self.stopped:
                self.provider.client.wait_for_late_writes()  # a create that went unanswered may land yet
                for action, error in _settle_twins(self.plan, self.provider, self._made):
                    self.report.replace(Outcome(action, error))
        if not self.stopped:
            self._recheck_rewrites()
            # A write that timed out and may still land must not land on the next apply's writes (a late
            # pause after the next apply's resume): this apply ends once each has had time to.
            self.provider.client.wait_for_late_writes()
        return self.report

    def _recheck_rewrites(self) -> None:
        """Last: the schedules created under a name an unanswered DELETE had addressed, which may have run
        after the create (`Provider.recheck_rewrites`). One still missing fails its step, so that an apply
        never exits 0 with a declared schedule gone."""
        for check in self.provider.recheck_rewrites():
            steps = [a for a in self.plan.actions if (a.agent, a.name) == (check.agent, check.name)]
            action = (steps or self.plan.actions)[0]
            done = next((o for o in self.report.outcomes if o.action is action), None)
            if check.error is not None:
                log.info("%s", check.error)
                earlier = f"{done.error}; " if done is not None and done.error else ""
                self._record(Outcome(action, earlier + check.error), done)
            elif check.note and (done is None or done.ok):
                log.info("%s %s (agent %s): %s", action.kind, check.name, check.agent, check.note)
                self._record(Outcome(action, note=check.note), done)

    def _record(self, outcome: Outcome, earlier: Outcome | None) -> None:
        if earlier is None:
            self.report.outcomes.append(outcome)
        else:
            self.report.replace(outcome)

    def _start(self, action: Action) -> bool:
        with self._lock:
            if not self._stopped:
                self._in_flight[id(action)] = action
            return not self._stopped

    def _run(self, action: Action) -> None:
        with self._step_slots:
            self._run_held(action)

    def _run_held(self, action: Action) -> None:
        if not self._start(action):
            return
        provider = self.provider
        try:
            result = _run_step(action, provider)
            outcome = Outcome(action)
        except _AlreadyGone:
            result, outcome = None, Outcome(action, note="already gone")
        except ReconcilerError as exc:
            text = provider.client.redact(str(exc))
            result, outcome = None, Outcome(action, text, permanent=permanent(exc))
        except Exception as exc:  # a bug must not hide the other steps' results; nor show a secret it held
            reason = provider.client.redact(f"{type(exc).__name__}: {exc}")
            result, outcome = None, Outcome(action, f"internal error: {reason}")
        with self._lock:
            del self._in_flight[id(action)]
            if (
                self._stopped
            ):  # reported in flight already: the account given is not rewritten behind its back
                return
            if result is not None and (action.live is None or result.remote_id != action.live.remote_id):
                self._made[result.remote_id] = action
            self.report.outcomes.append(outcome)
            if self.progress:
                self.progress(outcome)

    def _skip(self, action: Action, reason: str) -> None:
        with self._lock:
            if self._stopped:
                return
            self.report.outcomes.append(Outcome(action, reason, skipped=True))
            if self.progress:
                self.progress(self.report.outcomes[-1])


def _held_back(report: ApplyReport) -> str:
    """Why the removals must wait, or "": nothing is pruned while any other step of its bundle failed.

    A removal is often the second half of a change whose first half is a create (a rename: create
    `nightly-v2`, archive `nightly`), and a plan does not say which create replaces which removal. So no
    removal runs unless every create, adoption, update, pause and resume of the bundle succeeded: a job
    never ends up running nowhere, and the next apply, once the failure is fixed, prunes."""
    failed = [o.action for o in report.outcomes if o.error is not None and not o.skipped]
    if not failed:
        return ""
    named = ", ".join(f"{a.kind} {a.name}" for a in failed[:3]) + (", ..." if len(failed) > 3 else "")
    return (
        f"skipped: not pruned because {len(failed)} other step(s) of this bundle failed ({named}); "
        "nothing is removed unless every create, update and state change of its bundle succeeded"
    )


def _run_all(steps: list[Action], run: Callable[[Action], None], workers: int) -> None:
    """`run` every step on up to `workers` threads; return when all have run.

    Daemon threads, not a ThreadPoolExecutor: the process exits at interpreter shutdown without waiting
    for them, so after Ctrl-C a request still waiting for its answer cannot hold the user up (an
    executor's threads are joined at exit, up to the HTTP timeout and its retries)."""
    pending: queue.SimpleQueue[Action] = queue.SimpleQueue()
    for step in steps:
        pending.put(step)
    crashed: list[BaseException] = []  # a bug in `run` itself: raised here, as a pool would have

    def work() -> None:
        try:
            while not crashed:
                run(pending.get_nowait())
        except queue.Empty:
            return
        except BaseException as exc:
            crashed.append(exc)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(min(max(1, workers), len(steps)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()  # a Ctrl-C lands here, in the main thread
    if crashed:
        raise crashed[0]


def _settle_twins(plan: BundlePlan, provider: Provider, made: dict[str, Action]) -> list[tuple[Action, str]]:
    """Remove the twins a concurrent apply created beside ours; the errors, with the step they belong to."""
    wanted = {(a.agent, a.name): a for a in made.values() if a.desired is not None}
    # Schedules the plan saw are its own steps' business (a duplicate it archives, say): never touched here.
    known = {a.live.remote_id for a in plan.actions if a.live is not None}
    try:
        live = provider.list_twins({agent for agent, _ in wanted})
    except ReconcilerError as exc:
        return [(next(iter(wanted.values())), f"could not check for twins made by a concurrent apply: {exc}")]
    groups: dict[tuple[str, str], list[LiveSchedule]] = {}
    for item in live:
        if (
            item.owner == plan.bundle_key
            and item.name is not None
            and item.state != "archived"
            and item.display_name == provider.display_name(item.name)
            and (item.agent, item.name) in wanted
        ):
            groups.setdefault((item.agent, item.name), []).append(item)
    errors: list[tuple[Action, str]] = []
    for identity, items in groups.items():
        if len(items) < 2:
            continue
        keep, *extras = sorted(items, key=keep_first)
        action = wanted[identity]
        try:
            for extra in extras:
                if extra.remote_id not in known:  # made seconds ago by this run or a concurrent one
                    provider.delete(extra)
            if keep.remote_id not in known and keep.remote_id not in made and action.desired is not None:
                provider.update(action.desired, keep)  # the other run's: make it what this bundle says
        except ReconcilerError as exc:
            message = f"a concurrent apply created '{action.name}' too, and removing the twin failed ({exc})"
            errors.append((action, message + "; the next apply archives it"))
    return errors


def permanent(exc: ReconcilerError) -> bool:
    """Whether repeating what failed can only fail again: the platform refused it as written (a 4xx but
    408 timeout, 409 conflict and 429 rate limit), or it was never a request the platform could take."""
    return exc.refused if isinstance(exc, ProviderError) else True


class _AlreadyGone(Exception):
    """A removal found nothing left to remove: what it was for is already true."""


def _run_step(action: Action, provider: Provider) -> LiveSchedule | None:
    """Carry out one step; the schedule it leaves live, when it creates or changes one.

    A 404 means the schedule the plan saw is gone: another apply removed it (a twin, a delete + create
    update) or a person did. A removal then has nothing left to do, so it succeeds ("already gone"). Any
    other step re-reads the schedule by its ownership marker and makes the one it finds what the bundle
    says, or creates it when there is none: the bundle still declares it.
    """
    try:
        return _carry_out(action, provider)
    except RejectedError as exc:
        if exc.status != 404 or action.kind == "create":
            raise
        if action.kind in REMOVALS or action.desired is None:
            log.info("%s %s (agent %s): already gone", action.kind, action.name, action.agent)
            raise _AlreadyGone from exc
        log.info("%s %s (agent %s): gone since the plan, read again", action.kind, action.name, action.agent)
        existing = provider.find_owned(action.desired)
        if existing is not None:
            return provider.update(action.desired, existing)
        return _create(provider, action.desired)


def _carry_out(action: Action, provider: Provider) -> LiveSchedule | None:
    desired, live = action.desired, action.live
    if action.kind == "create":
        assert desired is not None
        return _create(provider, desired)
    if (
        action.kind in ("update", "adopt", "resume", "pause", "rename")
        and desired is not None
        and live is not None
    ):
        if action.kind == "adopt":
            return provider.adopt(desired, live)
        if action.kind in ("update", "rename") or any(c.path != "state" for c in action.changes):
            return provider.update(desired, live)
        if provider.records_applied:  # the record changes with the state: see Provider.records_applied
            return provider.update(desired, live)
        if action.kind == "pause":
            return provider.pause(live)
        return provider.resume(live)
    if action.kind in ("pause", "resume", "archive", "delete") and live is not None:
        step = {"pause": provider.pause, "resume": provider.resume, "archive": provider.archive}.get(
            action.kind
        )
        if step is not None:
            return step(live)
        provider.delete(live)
        return None
    raise ReconcilerError(  # pragma: no cover - the planner never builds such a step
        f"cannot {action.kind} '{action.name}': the plan lacks what the step needs"
    )


def _create(provider: Provider, desired: DesiredSchedule) -> LiveSchedule:
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            return provider.create(desired)
        except ProviderError as exc:
            # A 404 after the create went through: a concurrent apply removed what this one just made as
            # its twin (before this one paused it, say), and kept the other. A 404 before (an unknown
            # agent) finds nothing below, and is raised.
            gone = isinstance(exc, RejectedError) and exc.status == 404
            lost = exc.outcome_unknown or isinstance(exc, ConflictError) or gone
            if not lost:
                raise
            existing = provider.find_owned(desired)  # did the lost request get through after all?
            if existing is not None:
                return provider.update(desired, existing)  # make sure it is exactly what we meant (state too)
            if isinstance(exc, ConflictError) or gone or attempt == CREATE_ATTEMPTS:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")
