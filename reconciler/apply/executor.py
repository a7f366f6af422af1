"""Carry out a plan's steps against a provider: concurrently, in safe phases, reporting every failure.

Creates, adoptions and updates run first, then pauses and resumes, then archives and deletes (so nothing
is pruned before its replacement exists). A failed step does not stop the others; the report names each.
A create whose answer was lost is looked up by its ownership marker before anything is sent again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from reconciler.bundle.desired import DesiredSchedule
from reconciler.errors import ConflictError, ProviderError, ReconcilerError
from reconciler.plan.model import Action, BundlePlan
from reconciler.providers.base import Provider

PHASES: tuple[frozenset[str], ...] = (
    frozenset({"create", "adopt", "update"}),
    frozenset({"pause", "resume"}),
    frozenset({"archive", "delete"}),
)
CREATE_ATTEMPTS = 3


@dataclass(frozen=True)
class Outcome:
    action: Action
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ApplyReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


Progress = Callable[[Outcome], None]


def execute(
    plan: BundlePlan, provider: Provider, *, parallelism: int = 8, progress: Progress | None = None
) -> ApplyReport:
    report = ApplyReport()
    lock = threading.Lock()

    def run(action: Action) -> None:
        try:
            _run_step(action, provider)
            outcome = Outcome(action)
        except ReconcilerError as exc:
            outcome = Outcome(action, str(exc))
        except Exception as exc:  # a bug must not hide the other steps' results
            outcome = Outcome(action, f"internal error: {type(exc).__name__}: {exc}")
        with lock:
            report.outcomes.append(outcome)
            if progress:
                progress(outcome)

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        for phase in PHASES:
            steps = [a for a in plan.actions if a.kind in phase]
            list(pool.map(run, steps))  # wait for the whole phase before the next begins
    return report


def _run_step(action: Action, provider: Provider) -> None:
    desired, live = action.desired, action.live
    if action.kind == "create":
        assert desired is not None
        _create(provider, desired)
    elif action.kind in ("update", "adopt", "resume", "pause") and desired is not None and live is not None:
        if action.kind == "adopt":
            provider.adopt(desired, live)
        elif action.kind == "update" or any(c.path != "state" for c in action.changes):
            provider.update(desired, live)
        elif action.kind == "pause":
            provider.pause(live)
        else:
            provider.resume(live)
    elif action.kind in ("pause", "resume", "archive", "delete") and live is not None:
        step = {"pause": provider.pause, "resume": provider.resume, "archive": provider.archive}.get(
            action.kind
        )
        if step is not None:
            step(live)
        else:
            provider.delete(live)
    else:  # pragma: no cover - the planner never builds such a step
        raise ReconcilerError(f"cannot {action.kind} '{action.name}': the plan lacks what the step needs")


def _create(provider: Provider, desired: DesiredSchedule) -> None:
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            provider.create(desired)
            return
        except ProviderError as exc:
            lost = exc.outcome_unknown or isinstance(exc, ConflictError)
            if not lost:
                raise
            existing = provider.find_owned(desired)  # did the lost request get through after all?
            if existing is not None:
                provider.update(desired, existing)  # make sure it is exactly what we meant (state too)
                return
            if isinstance(exc, ConflictError) or attempt == CREATE_ATTEMPTS:
                raise
