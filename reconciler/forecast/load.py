"""The load forecast (docs/costs.md): runs per day and per month of every schedule, agent and bundle, the
monthly cost, the peak of concurrent runs, the schedules whose runs overlap themselves and the fires a
skip-type overlap policy will drop. Pure: schedules, a CostBook and "now" in, plain values out.

The window is the 30 days (a month, for every monthly figure) from midnight UTC of "now"; days are UTC days;
"runs per day" is the busiest day of the window. Paused schedules fire 0. A run lasts its agent's
`duration.typical` for concurrency and predicted skips, and `duration.p95` for the self-overlap check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from operator import sub

from reconciler.bundle.money import Money
from reconciler.forecast.concurrency import peak_concurrency
from reconciler.forecast.costs import CostBook, Durations
from reconciler.forecast.firecount import fire_instants, per_day
from reconciler.forecast.fires import ScheduleRef
from reconciler.forecast.semantics import Semantics
from reconciler.timing import Timing
from reconciler.timing.wallclock import DAY, to_instant

MONTH_DAYS = 30


class DailyRuns:
    """Runs per day and per month of something with `per_day`: fires on each UTC day of the window."""

    per_day: tuple[int, ...]

    @property
    def runs_per_day(self) -> int:
        """The busiest day's."""
        return max(self.per_day, default=0)

    @property
    def runs_per_month(self) -> int:
        """Every fire in the window (30 days)."""
        return sum(self.per_day)


@dataclass(frozen=True)
class ScheduleLoad(DailyRuns):
    ref: ScheduleRef
    per_day: tuple[int, ...]  # fires on each UTC day of the window
    shortest_gap: int | None  # seconds between its two closest fires in the window; None: fewer than two
    overlaps_itself: bool  # a run (at p95) is still going when the next fire comes
    skip_policy: bool  # its platform skips a fire while the previous run still runs
    predicted_skips: int  # fires in the window that policy drops (runs of `duration.typical`)


@dataclass(frozen=True)
class GroupLoad(DailyRuns):
    """One agent's or one bundle's schedules together."""

    key: str  # the agent id, or the bundle key
    schedules: tuple[int, ...]  # indices into LoadForecast.schedules
    per_day: tuple[int, ...]
    monthly_cost: tuple[Money, ...]  # one per currency, sorted; empty when no run of it has a price
    unpriced_runs: int  # runs per month of agents without a perRun
    peak_concurrent: int | None  # None: none of its agents has a duration
    peak_at: int | None  # POSIX seconds of the first instant with that peak

    @property
    def busiest_day(self) -> int:
        """The index of the first busiest day of the window."""
        return self.per_day.index(self.runs_per_day) if self.per_day else 0


@dataclass(frozen=True)
class LoadForecast:
    start: int  # POSIX seconds: midnight UTC, the window's first instant
    days: int
    schedules: tuple[ScheduleLoad, ...]
    agents: tuple[GroupLoad, ...]  # in first-seen order
    bundles: tuple[GroupLoad, ...]

    def agent(self, key: str) -> GroupLoad | None:
        return next((group for group in self.agents if group.key == key), None)

    def bundle(self, key: str) -> GroupLoad | None:
        return next((group for group in self.bundles if group.key == key), None)


def window_start(now: datetime) -> int:
    return to_instant(datetime.combine(now.astimezone(UTC).date(), time(), UTC))


def skips_on_overlap(ref: ScheduleRef) -> bool:
    """Does the platform drop a fire while the schedule's previous run still runs? Temporal's schedules
    (overlap `skip`, the default) and Cadenya's (OVERLAP_POLICY_SKIP, the default) do. Agentex's workflow
    only launches the run, orq, Oz and tbd-agents document no overlap policy: their runs go side by side."""
    family = ref.provider.split("/", 1)[0]
    if family == "temporal":
        return str(ref.options.get("overlap") or "skip") == "skip"
    if family == "cadenya":
        policy = ref.options.get("overlapPolicy")
        return policy in (None, "", "OVERLAP_POLICY_SKIP", "OVERLAP_POLICY_UNSPECIFIED")
    return False


def forecast_load(
    schedules: Sequence[tuple[ScheduleRef, Semantics]],
    book: CostBook | None,
    now: datetime,
    days: int = MONTH_DAYS,
    *,
    agent_peaks: bool = True,
    bundle_peaks: bool = True,
) -> LoadForecast:
    """The load of `schedules` (from `fires.schedules_of`, or the live side of a plan) in the window.

    The peaks of concurrent runs cost most (every run is an event): `agent_peaks` / `bundle_peaks` False
    leave them None where nothing reads them (a plan's deltas, a bundle without maxConcurrent)."""
    start = window_start(now)
    end = start + days * DAY
    book = book or CostBook()
    cache: dict[tuple[Timing, str, datetime | None], Sequence[int]] = {}
    loads: list[ScheduleLoad] = []
    instants_of: list[Sequence[int]] = []
    for ref, semantics in schedules:
        instants: Sequence[int] = ()
        if ref.state == "active":
            key = (ref.timing, semantics.provider, semantics.anchor)
            if key not in cache:
                cache[key] = fire_instants(ref.timing, semantics.provider, semantics.anchor, start, end)
            instants = cache[key]
        instants_of.append(instants)
        loads.append(_schedule_load(ref, instants, start, days, book))
    window = (start, end)
    agents = _groups([load.ref.agent for load in loads], loads, instants_of, book, window, agent_peaks)
    bundles = _groups([load.ref.bundle for load in loads], loads, instants_of, book, window, bundle_peaks)
    return LoadForecast(start, days, tuple(loads), agents, bundles)


def _schedule_load(
    ref: ScheduleRef, instants: Sequence[int], start: int, days: int, book: CostBook
) -> ScheduleLoad:
    gap = shortest_gap(instants)
    duration = book.duration(ref.agent)
    skip = skips_on_overlap(ref)
    overlaps = duration is not None and gap is not None and gap < duration.p95
    skips = (
        predicted_skips(instants, duration.typical)
        if skip and duration is not None and gap is not None
        else 0
    )
    return ScheduleLoad(ref, per_day(instants, start, days), gap, overlaps, skip, skips)


def shortest_gap(instants: Sequence[int]) -> int | None:
    if len(instants) < 2:
        return None
    if isinstance(instants, range):
        return instants.step
    gaps: int = min(map(sub, instants[1:], instants[:-1]))
    return gaps


def predicted_skips(instants: Sequence[int], typical: int) -> int:
    """Fires that come while the run started by an earlier fire (lasting `typical`) still runs."""
    if isinstance(instants, range):
        if instants.step >= typical:
            return 0
        period = -(-typical // instants.step)  # every period-th fire starts a run
        return len(instants) - -(-len(instants) // period)
    skipped, busy_until = 0, None
    for instant in instants:
        if busy_until is not None and instant < busy_until:
            skipped += 1
        else:
            busy_until = instant + typical
    return skipped


def _groups(
    keys: list[str],
    loads: list[ScheduleLoad],
    instants_of: list[Sequence[int]],
    book: CostBook,
    window: tuple[int, int],
    peaks: bool,
) -> tuple[GroupLoad, ...]:
    start, end = window
    days = (end - start) // DAY
    members: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        members.setdefault(key, []).append(index)
    groups = []
    for key, indices in members.items():
        counts = [0] * days
        costs: dict[str, Decimal] = {}
        unpriced = 0
        for index in indices:
            load = loads[index]
            for day, runs in enumerate(load.per_day):
                counts[day] += runs
            price = book.per_run(load.ref.agent)
            if price is None:
                unpriced += load.runs_per_month
            elif load.runs_per_month:
                costs[price.currency] = (
                    costs.get(price.currency, Decimal(0)) + price.amount * load.runs_per_month
                )
        peak, peak_at = (
            _peak([(instants_of[i], book.duration(loads[i].ref.agent)) for i in indices], start, end)
            if peaks
            else (None, None)
        )
        money = tuple(Money(amount, currency) for currency, amount in sorted(costs.items()))
        groups.append(GroupLoad(key, tuple(indices), tuple(counts), money, unpriced, peak, peak_at))
    return tuple(groups)


def _peak(
    runs: list[tuple[Sequence[int], Durations | None]], start: int, end: int
) -> tuple[int | None, int | None]:
    """The most runs in progress at once (each lasting its agent's typical duration), and when first;
    None when none of the agents has a duration."""
    timed = [(instants, duration.typical) for instants, duration in runs if duration is not None]
    return peak_concurrency(timed, start, end) if timed else (None, None)
