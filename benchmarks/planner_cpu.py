"""Planner CPU time for 10,000 unchanged schedules (the goal: well under a second of CPU).

Builds the desired and the matching live schedules in memory, then times `plan_bundle` alone with
`time.process_time`, twice: live exactly in the bundle's normal form, and live carrying server defaults
and other spellings (so every schedule takes the slow, normalising path). Run:
`.venv/bin/python benchmarks/planner_cpu.py [COUNT]`.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.plan.live import LiveSchedule
from reconciler.plan.planner import plan_bundle
from reconciler.timing.spec import Timing

KEY = "bench"


def build(count: int, *, noisy: bool = False) -> tuple[Bundle, list[LiveSchedule]]:
    desired: list[DesiredSchedule] = []
    live: list[LiveSchedule] = []
    for i in range(count):
        secret = Sensitive(f"token-{i}")
        schedule = DesiredSchedule(
            name=f"schedule-{i:05d}",
            agent=f"agent_{i % 50:02d}",
            state="active" if i % 7 else "paused",
            when={"cron": f"{i % 60} {i % 24} * * 1-5", "timezone": "Europe/Berlin"},
            timing=Timing(cron=(f"{i % 60} {i % 24} * * 1-5",), timezone="Europe/Berlin"),
            input={
                "message": f"Digest {i}",
                "data": {"region": "EMEA", "n": i},
                "secrets": {"token": secret},
            },
            labels={"team": "support", "tier": str(i % 3)},
            options={},
        )
        desired.append(schedule)
        live.append(
            LiveSchedule(
                remote_id=f"sch_{i:08d}",
                agent=schedule.agent,
                name=schedule.name,
                owner=KEY,
                state=schedule.state,
                # what a provider reports: key order of its own, server defaults present but empty
                when={"timezone": "Europe/Berlin", "cron": schedule.when["cron"]},
                input={
                    "data": {"n": i, "region": "EMEA"},
                    "message": f"Digest {i}",
                    "secrets": {"token": secret.digest()},
                },
                labels={"tier": str(i % 3), "team": "support"},
                options={"server_default": None, "notes": ""} if noisy else {},
                display_name=schedule.name,
            )
        )
    bundle = Bundle(key=KEY, provider="sandbox", target={}, prune="archive", schedules=tuple(desired))
    return bundle, live


def measure(bundle: Bundle, live: list[LiveSchedule]) -> float:
    best = float("inf")
    for _ in range(5):  # best of 5: the figure is the planner's cost, not the machine's noise
        started = time.process_time()
        plan = plan_bundle(bundle, live, now=datetime(2026, 11, 22, 10, tzinfo=UTC))
        best = min(best, time.process_time() - started)
    assert not plan.has_changes, plan.summary
    return best


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    for label, noisy in (("in normal form", False), ("with server defaults", True)):
        seconds = measure(*build(count, noisy=noisy))
        print(
            f"{count} unchanged schedules, live {label}: {seconds:.3f} s CPU total, "
            f"{seconds / count * 1000:.3f} s CPU per 1,000"
        )


if __name__ == "__main__":
    main()
