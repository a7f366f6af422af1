"""Planner CPU time for 10,000 unchanged schedules (the goal: well under a second of CPU).

Builds the desired and the matching live schedules in memory, then times `plan_bundle` alone with
`time.process_time`, twice: live exactly in the bundle's normal form, and live carrying server defaults
and other spellings (so every schedule takes the slow, normalising path). Then the two other parts of a
plan's CPU after the reads: decoding Cadenya's listings of the same schedules (JSON, then the wire
translation back into the bundle's terms, crons read back from calendars), and planning them all as creates
(every field listed as a change). Run: `.venv/bin/python benchmarks/planner_cpu.py [COUNT]`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.plan.live import LiveSchedule
from reconciler.plan.planner import plan_bundle
from reconciler.providers.cadenya import wire
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


def best_of_5(work: Callable[[], object]) -> float:
    """CPU seconds of `work`, the best of 5: the figure is the code's cost, not the machine's noise."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def measure(bundle: Bundle, live: list[LiveSchedule]) -> float:
    now = datetime(2026, 11, 22, 10, tzinfo=UTC)
    plan = plan_bundle(bundle, live, now=now)
    assert not plan.has_changes, plan.summary
    return best_of_5(lambda: plan_bundle(bundle, live, now=now))


def listings(bundle: Bundle) -> dict[str, str]:
    """Cadenya's answer to listing each agent's schedules, as the API sends it (what was applied, plus the
    server's own members)."""
    items: dict[str, list[dict[str, Any]]] = {}
    for i, schedule in enumerate(bundle.schedules):
        metadata = wire.metadata_for(KEY, schedule, "bench.yaml", "active.1e42805fb8.d53b3f75b3.523d1d93c4")
        stamp = f"2026-11-22T10:{i % 60:02d}:{i % 59:02d}.{i % 1000:03d}Z"
        item = {
            "metadata": {**metadata, "id": f"asch_{i:08d}", "createdAt": stamp, "updatedAt": stamp},
            "spec": wire.spec_for(schedule),
            "state": "STATE_PAUSED" if schedule.state == "paused" else "STATE_ACTIVE",
            "info": {"totalFires": i % 17},
        }
        items.setdefault(schedule.agent, []).append(item)
    return {agent: json.dumps({"items": found, "pagination": {}}) for agent, found in items.items()}


def decode(bodies: dict[str, str]) -> list[LiveSchedule]:
    return [
        wire.live_from_wire(item, agent, b"reconciler")
        for agent, body in bodies.items()
        for item in json.loads(body)["items"]
    ]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    for label, noisy in (("in normal form", False), ("with server defaults", True)):
        seconds = measure(*build(count, noisy=noisy))
        print(
            f"{count} unchanged schedules, live {label}: {seconds:.3f} s CPU total, "
            f"{seconds / count * 1000:.3f} s CPU per 1,000"
        )
    bundle, _ = build(count)
    bodies = listings(bundle)
    assert len(decode(bodies)) == count
    seconds = best_of_5(lambda: decode(bodies))
    print(
        f"decoding Cadenya's listings of {count} schedules ({len(bodies)} agents): {seconds:.3f} s CPU total, "
        f"{seconds / count * 1000:.3f} s CPU per 1,000"
    )
    now = datetime(2026, 11, 22, 10, tzinfo=UTC)
    seconds = best_of_5(lambda: plan_bundle(bundle, [], now=now))
    print(
        f"{count} creates (every field a change): {seconds:.3f} s CPU total, "
        f"{seconds / count * 1000:.3f} s CPU per 1,000"
    )


if __name__ == "__main__":
    main()
