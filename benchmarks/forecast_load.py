"""The load forecast (docs/costs.md) on 10,000 schedules x 30 days (target: under 2 s).

    .venv/bin/python benchmarks/forecast_load.py [--schedules N] [--days D] [--runs R] [--seed S]

Builds a seeded mix of schedules in memory (crons at scattered minutes and hours, weekday and monthly
crons, intervals from 5 minutes to a day, a few calendars; a dozen timezones, some with a DST change in the
window; five providers; fifty agents with prices and durations), then times `forecast_load` (runs per day and
month, cost, peak concurrency, self-overlap, predicted skips) plus the budget check. The first run is cold
(no cache warm); min and median are over all runs. Prints the machine's load average beside the figures: the
machine may be shared, so the process's CPU time is printed too (what the forecast costs when it has a
CPU to itself). No assertion (not a test).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime
from decimal import Decimal

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.money import Limits, Money
from reconciler.forecast.budgets import check_budgets
from reconciler.forecast.costs import AgentCosts, CostBook, Durations
from reconciler.forecast.fires import ScheduleRef
from reconciler.forecast.load import forecast_load
from reconciler.forecast.semantics import Semantics, semantics_for
from reconciler.timing import Calendar, Range, Timing

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney",
         "America/Sao_Paulo", "Europe/London", "Pacific/Auckland", "Asia/Kathmandu", "America/Los_Angeles",
         "Australia/Lord_Howe"]  # fmt: skip
PROVIDERS = [("temporal", {"namespace": "default"}), ("cadenya", {"workspace": "w"}), ("orq", {}),
             ("oz", {}), ("agentex", {})]  # fmt: skip


def _timing(rng: random.Random) -> tuple[Timing, dict[str, str]]:
    zone = rng.choice(ZONES)
    kind = rng.random()
    minute, hour = rng.randrange(60), rng.randrange(24)
    if kind < 0.45:
        return Timing(cron=(f"{minute} {hour} * * *",), timezone=zone), {"cron": "daily"}
    if kind < 0.65:
        return Timing(cron=(f"{minute} {hour} * * 1-5",), timezone=zone), {"cron": "weekdays"}
    if kind < 0.75:
        return Timing(cron=(f"{minute} * * * *",), timezone=zone), {"cron": "hourly"}
    if kind < 0.80:
        return Timing(cron=(f"{minute} {hour} 1,15 * *",), timezone=zone), {"cron": "monthly"}
    if kind < 0.95:
        every = rng.choice([300, 900, 1800, 3600, 6 * 3600, 86400])
        return Timing(every=every, offset=rng.randrange(every) // 60 * 60, timezone="UTC"), {"every": "x"}
    calendar = Calendar(minute=(Range(minute),), hour=(Range(hour),), day_of_week=(Range(1, 5),))
    return Timing(calendars=(calendar,), timezone=zone), {"calendars": "x"}


def build(count: int, seed: int) -> tuple[list[tuple[ScheduleRef, Semantics]], CostBook]:
    rng = random.Random(seed)
    schedules = []
    for index in range(count):
        provider, target = PROVIDERS[index % len(PROVIDERS)]
        timing, when = _timing(rng)
        agent = f"agent-{rng.randrange(50)}"
        desired = DesiredSchedule(f"s{index}", agent, "active", when, timing, {}, {}, {})
        ref = ScheduleRef(
            f"bundle-{index % 20}", desired.name, agent, provider, target, "active", timing, when, "b.yaml", 1
        )
        schedules.append((ref, semantics_for(provider, target, desired)))
    book = CostBook(
        {
            f"agent-{i}": AgentCosts(
                f"agent-{i}",
                Money(Decimal("0.40"), "USD"),
                Durations(240 + 30 * i, 660 + 30 * i),
                Limits(
                    max_runs_per_day=10_000,
                    max_monthly_cost=Money(Decimal(100_000), "USD"),
                    max_concurrent=50,
                ),
            )
            for i in range(50)
        }
    )
    return schedules, book


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument(
        "--dst", action="store_true", help="a window with DST changes (EU and southern hemisphere)"
    )
    args = parser.parse_args()
    schedules, book = build(args.schedules, args.seed)
    # Default: a window without DST changes; --dst: one with the EU and southern-hemisphere changes in it.
    now = datetime(2026, 3, 20, 12, tzinfo=UTC) if args.dst else datetime(2026, 6, 1, tzinfo=UTC)
    timings = len({(ref.timing, sem.provider) for ref, sem in schedules})
    print(
        f"{args.schedules:,} schedules ({timings:,} distinct timings) x {args.days} days, from {now:%Y-%m-%d}"
    )
    seconds, cpu = [], []
    for run in range(args.runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        forecast = forecast_load(schedules, book, now, args.days, bundle_peaks=False)
        breaches = check_budgets(forecast, book, {})
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        if run == 0:
            runs = sum(s.runs_per_month for s in forecast.schedules)
            print(f"  {runs:,} runs in the window, {len(breaches)} budget breach(es)")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"forecast_load + budgets: cold {seconds[0]:.3f} s, min {min(seconds):.3f} s, "
        f"median {statistics.median(seconds):.3f} s over {args.runs} runs; CPU time min {min(cpu):.3f} s, "
        f"median {statistics.median(cpu):.3f} s (load average {load}, {os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    main()
