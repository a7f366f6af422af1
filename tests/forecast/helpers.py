"""Bundles built in memory for the forecast tests: only what fire times depend on is filled in."""

from __future__ import annotations

from typing import Any, Literal

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.timing import Timing


def schedule(
    name: str,
    timing: Timing,
    *,
    agent: str = "agent_a",
    state: Literal["active", "paused"] = "active",
) -> DesiredSchedule:
    return DesiredSchedule(
        name=name,
        agent=agent,
        state=state,
        when={"timezone": timing.timezone},
        timing=timing,
        input={"message": "hello"},
        labels={},
        options={},
    )


def bundle(provider: str, *schedules: DesiredSchedule, key: str = "team", **target: Any) -> Bundle:
    return Bundle(key=key, provider=provider, target=target, prune="archive", schedules=schedules)
