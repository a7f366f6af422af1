"""Real domain values for planner tests: desired schedules, and the live schedules a provider would report."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.plan.live import LiveSchedule
from reconciler.timing.spec import Timing

KEY = "support-digests"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def desired(name: str, agent: str = "agent_x", **fields: Any) -> DesiredSchedule:
    values: dict[str, Any] = {
        "state": "active",
        "when": {"cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"},
        "timing": Timing(cron=("0 9 * * 1-5",), timezone="Europe/Berlin"),
        "input": {"message": f"Run {name}"},
        "labels": {"team": "support"},
        "options": {},
        "file": "bundles/support.yaml",
        "line": 10,
    }
    values.update(fields)
    return DesiredSchedule(name=name, agent=agent, **values)


def bundle(
    *schedules: DesiredSchedule,
    key: str = KEY,
    prune: Literal["archive", "delete", "none"] = "archive",
) -> Bundle:
    return Bundle(
        key=key,
        provider="cadenya",
        target={"workspace": "ws_1"},
        prune=prune,
        schedules=schedules,
        file="bundles/support.yaml",
        line=1,
    )


def reported(
    schedule: DesiredSchedule,
    remote_id: str,
    *,
    owner: str | None = KEY,
    digest_key: bytes = b"reconciler",
    **changes: Any,
) -> LiveSchedule:
    """The live schedule a provider reports right after applying `schedule`: secrets as digests, server
    defaults present but empty, keys in the provider's own order."""
    live = LiveSchedule(
        remote_id=remote_id,
        agent=schedule.agent,
        name=schedule.name if owner is not None else None,
        owner=owner,
        state=schedule.state,
        when=dict(reversed(list(schedule.when.items()))),
        input=_digested(schedule.input, digest_key),
        labels=dict(reversed(list(schedule.labels.items()))),
        options={**schedule.options},
        protected=schedule.protect,
        display_name=schedule.name,
    )
    return replace(live, **changes)


def _digested(value: Any, key: bytes) -> Any:
    if isinstance(value, Sensitive):
        return value.digest(key)
    if isinstance(value, dict):
        return {k: _digested(v, key) for k, v in reversed(list(value.items()))}
    if isinstance(value, list | tuple):
        return [_digested(v, key) for v in value]
    return value
