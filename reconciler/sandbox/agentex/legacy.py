"""The original (legacy) Agentex schedules (SDK <= 0.17.0): a Temporal schedule per `{agent_id}--{name}`.

No update route: the name is the identity and a change is delete + create. Listing caps the whole
namespace's Temporal listing at `page_size` *before* keeping the agent's rows, as the server does, so a
page may hold fewer rows than exist. Callers of the helpers hold `store.transaction()`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from reconciler.sandbox.agentex import firing
from reconciler.sandbox.agentex.agents import require_agent
from reconciler.sandbox.agentex.common import (
    FUTURE_TIMES,
    MAX_INTERVAL_SECONDS,
    NAME_PATTERN,
    Instant,
    instant,
    query,
    read_body,
    validate,
)
from reconciler.sandbox.clock import format_instant
from reconciler.sandbox.runtime import ApiError, Sandbox
from reconciler.sandbox.store import Json
from reconciler.sandbox.web import json_response
from reconciler.timing import TimingError
from reconciler.timing.temporal_cron import parse_temporal_cron

SCHEDULE = "legacy.schedule"
SCHEDULES = "/agents/{agent_id}/schedules"
ONE = SCHEDULES + "/{schedule_name}"


class CreateScheduleRequest(BaseModel):
    """The documented CreateScheduleRequest; unknown keys are ignored, as FastAPI's default model does."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=64, pattern=NAME_PATTERN)
    workflow_name: str
    task_queue: str
    workflow_params: dict[str, Any] | None = None
    cron_expression: str | None = None
    interval_seconds: int | None = Field(None, ge=1, le=MAX_INTERVAL_SECONDS)
    execution_timeout_seconds: int | None = Field(None, ge=1)
    start_at: Instant = None
    end_at: Instant = None
    paused: bool = False


class NoteRequest(BaseModel):
    note: str | None = None


class ListQuery(BaseModel):
    page_size: int = Field(100, ge=1, le=1000)


def schedule_id(agent_id: str, name: str) -> str:
    return f"{agent_id}--{name}"


def create(sb: Sandbox, agent_id: str, req: CreateScheduleRequest) -> Json:
    require_agent(sb, agent_id)
    if not req.cron_expression and req.interval_seconds is None:
        raise ApiError(400, "Either cron_expression or interval_seconds must be provided")
    if req.cron_expression:
        try:
            parse_temporal_cron(req.cron_expression)  # Temporal compiles it at create time
        except TimingError as exc:
            raise ApiError(400, f"Invalid cron expression '{req.cron_expression}': {exc}") from None
    sid = schedule_id(agent_id, req.name)
    if sb.store.get(sb.kind(SCHEDULE), sid) is not None:
        # No `x-should-retry: false`, as on the real server: Stainless SDKs retry this 409 twice.
        raise ApiError(409, f"Schedule with ID '{sid}' already exists")
    now = sb.clock.now()
    doc: Json = {
        "schedule_id": sid,
        "name": req.name,
        "agent_id": agent_id,
        "workflow_name": req.workflow_name,
        "task_queue": req.task_queue,
        "workflow_params": req.workflow_params,
        "cron_expression": req.cron_expression or None,
        "interval_seconds": req.interval_seconds,
        "execution_timeout_seconds": req.execution_timeout_seconds,
        "start_at": instant(req.start_at),
        "end_at": instant(req.end_at),
        "paused": req.paused,
        "notes": "",
        "created_at": format_instant(now),
        "fires": firing.new_fires(),
    }
    firing.restart(doc, now)
    save(sb, doc)
    return doc


def hold(sb: Sandbox, doc: Json) -> float:
    """How long a workflow the schedule starts runs: the agent's run (`POST /_sandbox/runs`), cut at the
    schedule's `execution_timeout_seconds` where set (Temporal ends the workflow there)."""
    duration = sb.run_profile(doc["agent_id"]).duration
    timeout = doc.get("execution_timeout_seconds")
    return min(duration, float(timeout)) if timeout else duration


def save(sb: Sandbox, doc: Json) -> None:
    sb.store.put(sb.kind(SCHEDULE), doc["schedule_id"], doc["agent_id"], doc)


def load(sb: Sandbox, agent_id: str, name: str) -> Json:
    """The schedule, its fires counted up to now; 404 when the agent or the schedule is unknown."""
    require_agent(sb, agent_id)
    sid = schedule_id(agent_id, name)
    doc = sb.store.get(sb.kind(SCHEDULE), sid)
    if doc is None:
        raise ApiError(404, f"Schedule '{sid}' not found")
    if firing.catch_up(doc, sb.clock.now(), hold(sb, doc)):
        save(sb, doc)
    return doc


def set_paused(sb: Sandbox, doc: Json, paused: bool, note: str | None) -> Json:
    """Pause / unpause; asking for the state it is in is a no-op (Temporal's patch is too)."""
    if note is not None:
        doc["notes"] = note
    if doc["paused"] != paused:
        doc["paused"] = paused
        firing.restart(doc, sb.clock.now())
    save(sb, doc)
    return doc


def trigger(sb: Sandbox, doc: Json) -> Json:
    """Run now: one action taken, paused or not (Temporal's trigger ignores the pause), unless the workflow
    the schedule last started still runs: the trigger follows the schedule's overlap policy, SKIP."""
    now = sb.clock.now()
    if firing.running(doc, now):
        doc["fires"]["overlap_skipped"] = doc["fires"].get("overlap_skipped", 0) + 1
    else:
        firing.take(doc, now, hold(sb, doc))
    save(sb, doc)
    return doc


def response_json(sb: Sandbox, doc: Json) -> Json:
    """ScheduleResponse. `workflow_params` comes back as the Temporal args list, i.e. `[params]`."""
    params = doc["workflow_params"]
    times = [] if doc["paused"] else firing.next_times(doc, sb.clock.now(), FUTURE_TIMES)
    return {
        "schedule_id": doc["schedule_id"],
        "name": doc["name"],
        "agent_id": doc["agent_id"],
        "state": "PAUSED" if doc["paused"] else "ACTIVE",
        "action": {
            "workflow_name": doc["workflow_name"],
            "workflow_id_prefix": f"{doc['schedule_id']}-run",
            "task_queue": doc["task_queue"],
            "workflow_params": None if params is None else [params],
        },
        "spec": {
            "cron_expressions": [doc["cron_expression"]] if doc["cron_expression"] else [],
            "intervals_seconds": [doc["interval_seconds"]] if doc["interval_seconds"] else [],
            "start_at": doc["start_at"],
            "end_at": doc["end_at"],
        },
        "num_actions_taken": doc["fires"]["total"],
        # Temporal's `num_actions_missed_catchup_window`: fires missed while the scheduler was down for
        # longer than the catch-up window (a year by default). The sandbox's scheduler is never down, and
        # an overlap skip is Temporal's `overlap_skipped`, which this API does not return: always 0.
        "num_actions_missed": 0,
        "next_action_times": [format_instant(t) for t in times],
        "last_action_time": doc["fires"]["last"],
        "created_at": doc["created_at"],
    }


def list_item_json(sb: Sandbox, doc: Json) -> Json:
    nxt = doc["fires"].get("next") if not doc["paused"] else None
    return {
        "schedule_id": doc["schedule_id"],
        "name": doc["name"],
        "agent_id": doc["agent_id"],
        "state": "PAUSED" if doc["paused"] else "ACTIVE",
        "workflow_name": doc["workflow_name"],
        "next_action_time": nxt,
    }


def fire_due(sb: Sandbox, now: datetime) -> int:
    total = 0
    for _, doc in sb.store.scan(sb.kind(SCHEDULE)):
        before = doc["fires"]["total"]
        if firing.catch_up(doc, now, hold(sb, doc)):
            save(sb, doc)
            total += doc["fires"]["total"] - before
    return total


def add_routes(sb: Sandbox, router: APIRouter) -> None:
    store = sb.store

    @router.post(SCHEDULES)
    async def create_schedule(agent_id: str, request: Request) -> Response:
        req = validate(CreateScheduleRequest, await read_body(request))
        with store.transaction():
            return json_response(response_json(sb, create(sb, agent_id, req)))

    @router.get(SCHEDULES)
    async def list_schedules(agent_id: str, request: Request) -> Response:
        q = query(ListQuery, request)
        with store.transaction():
            require_agent(sb, agent_id)
            now = sb.clock.now()
            rows: list[Json] = []
            # The namespace's first `page_size` schedules, then this agent's among them: the server's caveat.
            for index, (_, doc) in enumerate(store.scan(sb.kind(SCHEDULE))):
                if index >= q.page_size:
                    break
                if doc["agent_id"] == agent_id:
                    if firing.catch_up(doc, now, hold(sb, doc)):
                        save(sb, doc)
                    rows.append(list_item_json(sb, doc))
        return json_response({"schedules": rows, "total": len(rows)})

    @router.get(ONE)
    async def get_schedule(agent_id: str, schedule_name: str) -> Response:
        with store.transaction():
            return json_response(response_json(sb, load(sb, agent_id, schedule_name)))

    @router.delete(ONE)
    async def delete_schedule(agent_id: str, schedule_name: str) -> Response:
        with store.transaction():
            doc = load(sb, agent_id, schedule_name)
            store.delete(sb.kind(SCHEDULE), doc["schedule_id"])
        return json_response(
            {"id": doc["schedule_id"], "message": f"Schedule '{schedule_name}' deleted successfully"}
        )

    def pause_route(verb: str, paused: bool) -> None:
        @router.post(ONE + "/" + verb, name=f"{verb}_schedule")
        async def change(agent_id: str, schedule_name: str, request: Request) -> Response:
            body = validate(NoteRequest, await read_body(request, optional=True))
            with store.transaction():
                doc = set_paused(sb, load(sb, agent_id, schedule_name), paused, body.note)
                return json_response(response_json(sb, doc))

    pause_route("pause", True)
    pause_route("unpause", False)

    @router.post(ONE + "/trigger")
    async def trigger_schedule(agent_id: str, schedule_name: str) -> Response:
        with store.transaction():
            return json_response(response_json(sb, trigger(sb, load(sb, agent_id, schedule_name))))
