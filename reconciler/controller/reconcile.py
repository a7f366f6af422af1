"""Read a commit's bundles, and reconcile one bundle: plan against the live state, apply what the plan says.

Reading: every bundle file is validated (the same loader as `validate`, `plan` and `apply`); a file with any
problem yields no bundle, only its problems at file:line, so the loop keeps that bundle's last good version.
Reconciling: the plan is the CLI's (`reconciler.cli.session._plan_one`, the bundle's own `drift:` and
`pauses:` policies decide what is healed and what is kept), applied by the CLI's executor; a hard delete is
refused unless `--allow-delete`, as `apply` refuses it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from reconciler.apply.executor import execute
from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.parsed_cache import parse_cache_from
from reconciler.bundle.validate import load_bundles, parse_var_overrides
from reconciler.cli.session import Options, _plan_one
from reconciler.errors import ReconcilerError
from reconciler.forecast.checks import budget_problems
from reconciler.plan.drift import drift_of
from reconciler.plan.model import BundlePlan, Plan
from reconciler.providers.base import Provider
from reconciler.timing.fire_times import next_fire_times
from reconciler.timing.spec import Timing, TimingError

STEP_METHODS = frozenset({"create", "adopt", "update", "pause", "resume", "archive", "delete"})
STOPPING = "not started: the controller is stopping (SIGTERM); the next start carries it out"


@dataclass
class Reading:
    """One read of the watched folder: the valid bundles by key, and each invalid file's problems."""

    bundles: dict[str, Bundle] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)  # file, relative to the folder -> its problems
    secrets: set[str] = field(default_factory=set)


def read_folder(folder: Path, variables: Sequence[str], *, allow_empty: bool = False) -> Reading:
    """Every bundle under `folder`; a file with any problem (its own, or one it shares with another file,
    such as a bundleKey used twice) gives no bundle. A folder that cannot be read at all is one problem."""
    loaded = load_bundles(
        [str(folder)],
        parse_var_overrides(variables),
        allow_empty=allow_empty,
        parsed=parse_cache_from(os.environ),
    )
    over = budget_problems(loaded.bundles, loaded.costs, datetime.now(UTC)) if loaded.bundles else []
    reading = Reading(secrets=set(loaded.secret_values))
    for problem in (*loaded.diagnostics, *over):
        where = relative(folder, problem.file)
        shown = str(replace(problem, file=where))  # team.yaml:16:13, not the checkout's path
        known = reading.invalid.get(where)
        reading.invalid[where] = f"{known}\n{shown}" if known else shown
    for bundle in loaded.bundles:
        if relative(folder, bundle.file) not in reading.invalid:
            reading.bundles[bundle.key] = bundle
    return reading


def relative(folder: Path, file: str) -> str:
    try:
        return str(Path(file).resolve().relative_to(folder.resolve()))
    except ValueError:
        return file


class Stop:
    """Set on SIGTERM: no new step starts; the steps already sent finish."""

    def __init__(self) -> None:
        self.event = threading.Event()

    @property
    def requested(self) -> bool:
        return self.event.is_set()


class _Gated:
    """A provider whose steps refuse to start once the controller is stopping; everything else passes."""

    def __init__(self, provider: Provider, stop: Stop) -> None:
        self._provider = provider
        self._stop = stop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._provider, name)
        if name in STEP_METHODS and self._stop.requested:

            def refused(*args: Any, **kwargs: Any) -> Any:
                raise ReconcilerError(STOPPING)

            return refused
        return value


class _Normalised:
    """A provider for a bundle whose schedules it normalised already (`normalised`): the plan does not
    normalise them again. Kept warm between intervals, this is most of a no-change plan's CPU saved."""

    def __init__(self, provider: Provider) -> None:
        self._provider = provider

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)

    def normalise(self, desired: DesiredSchedule) -> DesiredSchedule:
        return desired


def normalised(bundle: Bundle, provider: Provider) -> Bundle:
    """The bundle with its schedules in the provider's normal form, as `_plan_one` would make them."""
    return replace(bundle, schedules=tuple(provider.normalise(s) for s in bundle.schedules))


@dataclass(frozen=True)
class Result:
    plan: BundlePlan
    applied: int = 0  # steps done
    failures: tuple[tuple[str, str], ...] = ()  # (action kind, message) of the steps that failed
    drifted: tuple[str, ...] = ()  # schedules whose drift is left as it is (drift: report)
    healed: tuple[str, ...] = ()  # schedules whose drift this reconcile put back (drift: heal)
    paused_outside: tuple[str, ...] = ()
    stopped: bool = False  # some steps were not started: the controller is stopping


def reconcile(
    bundle: Bundle,
    provider: Provider,
    options: Options,
    digest: bytes,
    stop: Stop,
    claimed: frozenset[tuple[str, str]] = frozenset(),
    *,
    allow_delete: bool = False,
) -> Result:
    """Plan the bundle (normalised by `normalised`) against the live state and apply the plan's steps; raises
    only when the read fails."""
    planned = _plan_one(bundle, cast(Provider, _Normalised(provider)), options, digest, claimed)
    found = drift_of(Plan((planned,)))
    field_drift = tuple(d.name for d in found if d.changes)
    paused = tuple(d.name for d in found if d.paused_outside)
    steps = [a for a in planned.actions if a.kind != "noop"]
    drifted, healed = (field_drift, ()) if bundle.drift == "report" else ((), field_drift)
    deletes = [a.name for a in steps if a.kind == "delete"]
    if deletes and not allow_delete:
        message = f"the plan hard-deletes {', '.join(deletes[:5])}: start the controller with --allow-delete"
        return Result(planned, failures=(("delete", message),), drifted=drifted, paused_outside=paused)
    if not steps or stop.requested:
        return Result(planned, drifted=drifted, paused_outside=paused, stopped=bool(steps))
    report = execute(planned, cast(Provider, _Gated(provider, stop)), parallelism=options.parallelism)
    failures = tuple((o.action.kind, o.error or "") for o in report.failures)
    stopped = any(message == STOPPING for _, message in failures)
    return Result(
        planned,
        applied=len(report.outcomes) - len(failures),
        failures=tuple(f for f in failures if f[1] != STOPPING),
        drifted=drifted,
        healed=healed if not failures else (),
        paused_outside=paused,
        stopped=stopped,
    )


def next_hour_fires(bundle: Bundle, now: datetime) -> dict[str, int]:
    """Per agent, the fires the bundle's active schedules are expected to make in the hour after `now`."""
    api = bundle.target.get("api")
    provider = f"{bundle.provider}/{api}" if api else bundle.provider
    end = now + timedelta(hours=1)
    fires: dict[str, int] = {}
    for schedule in bundle.schedules:
        if schedule.state != "active":
            continue
        count = _fires_until(schedule.timing, now, end, provider)
        if count:
            fires[schedule.agent] = fires.get(schedule.agent, 0) + count
    return fires


def _fires_until(timing: Timing, now: datetime, end: datetime, provider: str) -> int:
    """Fires in (now, end]: asked for a few at a time, more only for a schedule that fires often."""
    wanted = 8
    while True:
        try:
            times = next_fire_times(timing, now, wanted, provider=provider)
        except (TimingError, ValueError):
            return 0
        if len(times) < wanted or times[-1] > end or wanted >= 4096:
            return sum(1 for t in times if t <= end)
        wanted *= 4
