"""The current Agentex "run schedules" (SDK >= 0.18, server HEAD): rows with a uuid, PATCH, soft delete.

Every operation exists by id and by name (`/schedules/name/{name}/...`). Names are unique among an
agent's rows that are not soft-deleted; a duplicate is a 400, not a 409. Lists are newest first, capped
at `limit`, with no cursor. Callers of the helpers hold `store.transaction()`. The request bodies are in
`runs_requests`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request, Response

from reconciler.sandbox.agentex import firing
from reconciler.sandbox.agentex.agents import AGENT, require_agent
from reconciler.sandbox.agentex.common import FUTURE_TIMES, instant, query, read_body, validate
from reconciler.sandbox.agentex.runs_requests import (
    CreateRunSchedule,
    ListQuery,
    NoteRequest,
    SkipRequest,
    UpdateRunSchedule,
)
from reconciler.sandbox.clock import format_instant
from reconciler.sandbox.runtime import ApiError, Sandbox
from reconciler.sandbox.store import Json
from reconciler.sandbox.web import json_response
from reconciler.timing import TimingError
from reconciler.timing.temporal_cron import parse_temporal_cron

SCHEDULE, NAME = "runs.schedule", "runs.name"
SCHEDULES = "/agents/{agent_id}/schedules"
BY_NAME = SCHEDULES + "/name/{name}"
BY_ID = SCHEDULES + "/{schedule_id}"
LIVE_ROWS = 200  # list enrichment (`include_live`) stops after this many rows
CREATOR: Json = {
    "principal_type": "service_account",
    "user_id": None,
    "service_account_id": "sandbox-service-account",
    "account_id": "sandbox-account",
}


def _check_cron(cron: str | None) -> None:
    """What Temporal would refuse when the service pushes the schedule to it (answered 400)."""
    if cron is None:
        return
    try:
        parsed = parse_temporal_cron(cron)
    except TimingError as exc:
        raise ApiError(400, f"Invalid cron expression '{cron}': {exc}") from None
    if parsed.timezone is not None:  # the service always sets the spec's time zone itself
        raise ApiError(400, f"Invalid cron expression '{cron}': use the timezone field, not a TZ= prefix")


def _claim(sb: Sandbox, doc: Json) -> None:
    holder = sb.store.claim(sb.kind(NAME), doc["agent_id"], doc["name"], doc["id"])
    if holder is not None:
        raise ApiError(400, f"Run schedule '{doc['name']}' already exists for agent '{doc['agent_id']}'")


def save(sb: Sandbox, doc: Json) -> None:
    sb.store.put(sb.kind(SCHEDULE), doc["id"], doc["agent_id"], doc)


def create(sb: Sandbox, agent_id: str, req: CreateRunSchedule) -> Json:
    agent = require_agent(sb, agent_id)
    _check_cron(req.cron_expression)
    now = sb.clock.now()
    stamp = format_instant(now)
    doc: Json = {
        "id": str(uuid.uuid4()),
        "agent_id": agent_id,
        "name": req.name,
        "initial_input": req.initial_input.model_dump(),
        "initial_input_method": "message/send" if agent["acp_type"] == "sync" else "event/send",
        "description": req.description,
        "cron_expression": req.cron_expression,
        "interval_seconds": req.interval_seconds,
        "timezone": req.timezone,
        "start_at": instant(req.start_at),
        "end_at": instant(req.end_at),
        "paused": req.paused,
        "task_params": req.task_params,
        "task_metadata": req.task_metadata,
        "creator_principal": CREATOR,
        "created_at": stamp,
        "updated_at": stamp,
        "skipped": [],
        "fires": firing.new_fires(),
    }
    _claim(sb, doc)
    firing.restart(doc, now)
    save(sb, doc)
    return doc


def hold(sb: Sandbox, doc: Json) -> float:
    """How long the workflow a fire starts runs (while it runs, the next fire is skipped: SKIP policy)."""
    agent = sb.store.get(sb.kind(AGENT), doc["agent_id"])
    return firing.launch_hold(
        agent.get("acp_type") if agent else None, sb.run_profile(doc["agent_id"]).duration
    )


def _caught_up(sb: Sandbox, doc: Json | None, what: str) -> Json:
    if doc is None or doc.get("deleted_at"):
        raise ApiError(404, f"Run schedule '{what}' not found")
    if firing.catch_up(doc, sb.clock.now(), hold(sb, doc)):
        save(sb, doc)
    return doc


def by_id(sb: Sandbox, agent_id: str, schedule_id: str) -> Json:
    """404 for an unknown agent, an unknown or deleted row, or a row of another agent (all collapsed)."""
    require_agent(sb, agent_id)
    doc = sb.store.get(sb.kind(SCHEDULE), schedule_id)
    return _caught_up(sb, doc if doc and doc["agent_id"] == agent_id else None, schedule_id)


def by_name(sb: Sandbox, agent_id: str, name: str) -> Json:
    require_agent(sb, agent_id)
    found = None
    for _, doc in sb.store.scan(sb.kind(SCHEDULE), agent_id, descending=True):
        if doc["name"] == name and not doc.get("deleted_at"):
            found = doc
            break
    return _caught_up(sb, found, name)


def update(sb: Sandbox, doc: Json, req: UpdateRunSchedule) -> Json:
    """Apply the keys present in the body; an explicit null clears. cron and interval replace each other."""
    given = req.model_fields_set
    new = dict(doc)
    for key in given:
        value = getattr(req, key)
        if key == "initial_input":
            value = value.model_dump()
        elif key in ("start_at", "end_at"):
            value = instant(value)
        new[key] = value
    if "cron_expression" in given and req.cron_expression is not None:
        new["interval_seconds"] = None
    if "interval_seconds" in given and req.interval_seconds is not None:
        new["cron_expression"] = None
    if new["cron_expression"] is None and new["interval_seconds"] is None:
        raise ApiError(400, "Either cron_expression or interval_seconds must be provided")
    _check_cron(new["cron_expression"])
    if new["name"] != doc["name"]:
        _claim(sb, new)
        sb.store.release(sb.kind(NAME), doc["agent_id"], doc["name"], doc["id"])
    now = sb.clock.now()
    timing_keys = ("cron_expression", "interval_seconds", "timezone", "start_at", "end_at", "paused")
    if any(new[k] != doc[k] for k in timing_keys):
        new["fires"] = dict(doc["fires"])
        firing.restart(new, now)
    new["updated_at"] = format_instant(now)
    save(sb, new)
    return new


def set_paused(sb: Sandbox, doc: Json, paused: bool) -> Json:
    if doc["paused"] != paused:
        now = sb.clock.now()
        doc["paused"] = paused
        doc["updated_at"] = format_instant(now)
        firing.restart(doc, now)
        save(sb, doc)
    return doc


def trigger(sb: Sandbox, doc: Json) -> Json:
    """Run now: the server starts the run's workflow itself, not through the Temporal schedule, so the
    schedule takes no action: `num_actions_taken` and `last_action_time` do not move (nor does a manual run
    make a later fire overlap)."""
    return doc


def skip(sb: Sandbox, doc: Json, when: datetime, skipped: bool) -> Json:
    """Skip (or un-skip) one scheduled fire: it neither fires nor shows among the next action times."""
    stamp = format_instant(when)
    times = [t for t in doc["skipped"] if t != stamp] + ([stamp] if skipped else [])
    doc["skipped"] = sorted(times)
    firing.restart(doc, sb.clock.now())
    save(sb, doc)
    return doc


def delete(sb: Sandbox, doc: Json) -> None:
    """Soft delete: the row stays as a tombstone that no API call sees again; its name is free."""
    doc["deleted_at"] = format_instant(sb.clock.now())
    sb.store.release(sb.kind(NAME), doc["agent_id"], doc["name"], doc["id"])
    save(sb, doc)


def response_json(sb: Sandbox, doc: Json, *, live: bool | None = True) -> Json:
    """RunSchedule. `live=None`: enrichment not asked for (list without include_live); False: it failed."""
    out = {
        k: doc[k]
        for k in (
            "id",
            "agent_id",
            "name",
            "initial_input",
            "initial_input_method",
            "description",
            "cron_expression",
            "interval_seconds",
            "timezone",
            "start_at",
            "end_at",
            "paused",
            "task_params",
            "task_metadata",
            "creator_principal",
            "created_at",
            "updated_at",
        )
    }
    out.update(
        state=None,
        next_action_times=None,
        live_data_available=live,
        skipped_action_times=None,
        last_action_time=None,
        num_actions_taken=None,
    )
    if live:
        times = [] if doc["paused"] else firing.next_times(doc, sb.clock.now(), FUTURE_TIMES)
        out.update(
            state="PAUSED" if doc["paused"] else "ACTIVE",
            next_action_times=[format_instant(t) for t in times],
            skipped_action_times=list(doc["skipped"]),
            last_action_time=doc["fires"]["last"],
            num_actions_taken=doc["fires"]["total"],
        )
    return out


def fire_due(sb: Sandbox, now: datetime) -> int:
    total = 0
    for _, doc in sb.store.scan(sb.kind(SCHEDULE)):
        if doc.get("deleted_at"):
            continue
        before = doc["fires"]["total"]
        if firing.catch_up(doc, now, hold(sb, doc)):
            save(sb, doc)
            total += doc["fires"]["total"] - before
    return total


def add_routes(sb: Sandbox, router: APIRouter) -> None:
    store = sb.store

    @router.post(SCHEDULES)
    async def create_schedule(agent_id: str, request: Request) -> Response:
        req = validate(CreateRunSchedule, await read_body(request))
        with store.transaction():
            return json_response(response_json(sb, create(sb, agent_id, req)))

    @router.get(SCHEDULES)
    async def list_schedules(agent_id: str, request: Request) -> Response:
        q = query(ListQuery, request)
        rows: list[Json] = []
        with store.transaction():
            require_agent(sb, agent_id)
            for _, doc in store.scan(sb.kind(SCHEDULE), agent_id, descending=True):
                if doc.get("deleted_at"):
                    continue
                live = None if not q.include_live else len(rows) < LIVE_ROWS
                rows.append(response_json(sb, _caught_up(sb, doc, doc["id"]), live=live))
                if len(rows) >= q.limit:
                    break
        return json_response({"run_schedules": rows, "total": len(rows)})

    # Name routes first: `/schedules/name/x` must not be read as the schedule with id "name".
    def locate(agent_id: str, key: str, named: bool) -> Json:
        return by_name(sb, agent_id, key) if named else by_id(sb, agent_id, key)

    def routes_for(path: str, param: str, named: bool) -> None:
        suffix = "_by_name" if named else ""

        async def get_one(agent_id: str, request: Request) -> Response:
            with store.transaction():
                doc = locate(agent_id, request.path_params[param], named)
                return json_response(response_json(sb, doc))

        async def patch_one(agent_id: str, request: Request) -> Response:
            req = validate(UpdateRunSchedule, await read_body(request))
            with store.transaction():
                doc = update(sb, locate(agent_id, request.path_params[param], named), req)
                return json_response(response_json(sb, doc))

        async def delete_one(agent_id: str, request: Request) -> Response:
            key = request.path_params[param]
            with store.transaction():
                doc = locate(agent_id, key, named)
                delete(sb, doc)
            return json_response({"id": doc["id"], "message": f"Run schedule '{key}' deleted successfully"})

        router.add_api_route(path, get_one, methods=["GET"], name=f"get_schedule{suffix}")
        router.add_api_route(path, patch_one, methods=["PATCH"], name=f"update_schedule{suffix}")
        router.add_api_route(path, delete_one, methods=["DELETE"], name=f"delete_schedule{suffix}")

        def verb_route(verb: str) -> None:
            async def act(agent_id: str, request: Request) -> Response:
                key = request.path_params[param]
                if verb in ("skip", "unskip"):
                    when = validate(SkipRequest, await read_body(request)).scheduled_time
                elif verb != "trigger":
                    validate(NoteRequest, await read_body(request, optional=True))
                with store.transaction():
                    doc = locate(agent_id, key, named)
                    if verb in ("pause", "resume"):
                        doc = set_paused(sb, doc, verb == "pause")
                    elif verb == "trigger":
                        doc = trigger(sb, doc)
                    else:
                        doc = skip(sb, doc, when, verb == "skip")
                    return json_response(response_json(sb, doc))

            router.add_api_route(f"{path}/{verb}", act, methods=["POST"], name=f"{verb}_schedule{suffix}")

        for verb in ("pause", "resume", "trigger") + (() if named else ("skip", "unskip")):
            verb_route(verb)

    routes_for(BY_NAME, "name", True)
    routes_for(BY_ID, "schedule_id", False)
