"""The legacy (seed) revision's wire format <-> the bundle's vocabulary. Pure.

A schedule is `CreateScheduleRequest` out and `ScheduleResponse` back. Nothing of the bundle's `input`
or `labels` has a place here (`validate` refuses them); `options` carry the Temporal action:
`workflow_name`, `task_queue` (both required), `workflow_params`, `execution_timeout_seconds`. The last
is write-only: the API never returns it, so the read-back takes the bundle's value (see the README).
"""

from __future__ import annotations

from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.errors import ConfigError, ProviderError
from reconciler.plan.live import LiveSchedule
from reconciler.providers.agentex import names
from reconciler.providers.agentex.activity import legacy_activity
from reconciler.providers.agentex.timing import when_from_wire, wire_timing

OPTIONS = ("workflow_name", "task_queue", "workflow_params", "execution_timeout_seconds")
WRITE_ONLY = ("execution_timeout_seconds",)


# Where a value from secret() may go. The API has no field the reconciler could record it in, so `export`
# writes none of an owned schedule's workflow_params (see the provider's `unrecorded_secrets`); the other
# options name a workflow, a queue and a timeout, which are never secret.
SECRET_OPTIONS = ("workflow_params",)


def create_body(bundle_key: str, desired: DesiredSchedule) -> dict[str, Any]:
    for key in OPTIONS:
        if key not in SECRET_OPTIONS and isinstance(desired.options.get(key), Sensitive):
            raise ConfigError(
                f"schedule '{desired.name}': options.{key} reads secret(), which agentex legacy cannot record "
                "as secret (it would be shown and exported in clear); only options.workflow_params may hold one"
            )
    body: dict[str, Any] = {
        "name": names.platform_name(bundle_key, desired.name),
        **{k: desired.options[k] for k in OPTIONS if desired.options.get(k) is not None},
        **wire_timing(desired),
        "paused": desired.state == "paused",
    }
    return body


def echo(body: dict[str, Any], agent: str) -> dict[str, Any]:
    """The ScheduleResponse a server answers `body` with (what `as_live` reads back)."""
    params = body.get("workflow_params")
    return {
        "schedule_id": f"{agent}--{body['name']}",
        "name": body["name"],
        "agent_id": agent,
        "state": "PAUSED" if body.get("paused") else "ACTIVE",
        "action": {
            "workflow_name": body.get("workflow_name"),
            "task_queue": body.get("task_queue"),
            "workflow_params": None if params is None else [params],
        },
        "spec": {
            "cron_expressions": [body["cron_expression"]] if body.get("cron_expression") else [],
            "intervals_seconds": [body["interval_seconds"]] if body.get("interval_seconds") else [],
            "start_at": body.get("start_at"),
            "end_at": body.get("end_at"),
        },
    }


def _params(value: Any) -> Any:
    # The server returns the Temporal args list, `[params]`; anything else is someone else's shape, kept.
    if value is None or value == []:
        return None
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        return value[0]
    return value


def live_from_wire(
    item: dict[str, Any], agent: str, write_only: dict[str, Any] | None = None
) -> LiveSchedule:
    """A ScheduleResponse in bundle terms; `write_only` fills the options the API never returns."""
    platform = str(item.get("name", ""))
    owner, name = names.split(platform)
    action = item.get("action") or {}
    spec = item.get("spec") or {}
    options = {
        "workflow_name": action.get("workflow_name"),
        "task_queue": action.get("task_queue"),
        "workflow_params": _params(action.get("workflow_params")),
        **(write_only or {}),
    }
    return LiveSchedule(
        remote_id=platform,
        agent=agent,
        name=name,
        owner=owner,
        state="paused" if item.get("state") == "PAUSED" else "active",
        when=when_from_wire(
            list(spec.get("cron_expressions") or []),
            list(spec.get("intervals_seconds") or []),
            None,
            spec.get("start_at"),
            spec.get("end_at"),
        ),
        input={},
        labels={},
        options={k: v for k, v in options.items() if v is not None},
        display_name=platform,
        # No field of a legacy schedule could hold the record of what was applied (the name is the marker;
        # `workflow_params` is the workflow's input), so `applied` stays None. The counters come with every
        # ScheduleResponse, i.e. the read by name that every owned schedule gets anyway.
        activity=legacy_activity(item) if "num_actions_taken" in item else None,
        # Nothing of the item is read again: an update is a delete and a create from the bundle, a pause or
        # an archive a POST of its own, and the counters were read just above. At 10,000 schedules the kept
        # items were the largest holder of a plan's memory.
        raw={},
    )


def lost_message(
    desired: DesiredSchedule, body: dict[str, Any], cause: ProviderError, why: str, path: str, attempts: int
) -> str:
    """What an update that deleted the schedule and could not create it again (`attempts` times) says: that
    it is LOST, that the next apply recreates it, and the request `body` to POST to `path` to do it by hand
    (a secret message masked)."""
    if isinstance(desired.input.get("message"), Sensitive) and "initial_input" in body:
        body = {**body, "initial_input": {**body["initial_input"], "content": "(sensitive)"}}
    then = (
        "the platform refused it as written, so fix that first; then `reconciler apply` creates it again"
        if cause.refused
        else "so the next `reconciler apply` creates it again"
    )
    return (
        f"schedule '{desired.name}' of agent {desired.agent} is LOST: it was deleted to be {why}, "
        f"and creating it again failed {attempts} times "
        f"({cause}). The bundle still declares it: {then}. "
        f"To recreate it by hand: POST {path} with {body}"
    )
