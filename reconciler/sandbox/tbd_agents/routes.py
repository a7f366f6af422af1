"""TBD Agents' HTTP routes (`app/api/routes/scheduled_agents.py`, `workflows.py`): schedules and workflows.

Bodies are validated by hand against the server's own pydantic models, so errors are FastAPI's 422 shape
rather than the sandbox framework's; the caller is the sandbox's one user (the `--workspace` login).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from reconciler.sandbox.runtime import Sandbox
from reconciler.sandbox.tbd_agents import resources as res
from reconciler.sandbox.tbd_agents.wire import (
    M,
    ScheduledAgentCreate,
    ScheduledAgentUpdate,
    Unprocessable,
    parse_body,
)
from reconciler.sandbox.web import json_response

SCHEDULES = "/api/scheduled-agents"
SCHEDULE = SCHEDULES + "/{sa_id}"
WORKFLOWS = "/api/workflows"


async def _body(request: Request, model: type[M]) -> M | Response:
    """The validated body, or FastAPI's 422 response (validation runs before the handler: before 403/404)."""
    try:
        return parse_body(await request.body(), model)
    except Unprocessable as exc:
        return json_response({"detail": exc.errors}, 422)


def add_routes(sb: Sandbox, router: APIRouter) -> None:
    store = sb.store

    def caller() -> str:
        return sb.workspace  # every accepted token is this one GitHub login

    @router.get(WORKFLOWS)
    async def list_workflows() -> Response:
        with store.transaction():
            return json_response(res.list_workflows(sb, caller()))

    @router.post(SCHEDULES)
    async def create_schedule(request: Request) -> Response:
        body = await _body(request, ScheduledAgentCreate)
        if isinstance(body, Response):
            return body
        with store.transaction():
            doc = res.create_schedule(sb, body, caller())
        return json_response(res.schedule_json(doc, res.TIME_FIELDS), 201)  # all from the request

    @router.get(SCHEDULES)
    async def list_schedules() -> Response:
        with store.transaction():
            docs = res.list_schedules(sb, caller())
        return json_response([res.schedule_json(d) for d in docs])

    @router.get(SCHEDULE)
    async def get_schedule(sa_id: str) -> Response:
        with store.transaction():
            return json_response(res.schedule_json(res.load_schedule(sb, sa_id, caller())))

    @router.patch(SCHEDULE)
    async def update_schedule(sa_id: str, request: Request) -> Response:
        body = await _body(request, ScheduledAgentUpdate)
        if isinstance(body, Response):
            return body
        with store.transaction():
            doc = res.load_schedule(sb, sa_id, caller())
            doc, fresh = res.patch_schedule(sb, doc, body.model_dump(exclude_none=True))
        return json_response(res.schedule_json(doc, fresh))

    def toggle(verb: str, enabled: bool) -> None:
        @router.patch(f"{SCHEDULE}/{verb}", name=f"{verb}_schedule")
        async def change_state(sa_id: str) -> Response:
            with store.transaction():
                doc, fresh = res.set_enabled(sb, res.load_schedule(sb, sa_id, caller()), enabled)
            return json_response(res.schedule_json(doc, fresh))

    toggle("enable", True)
    toggle("disable", False)

    @router.delete(SCHEDULE)
    async def delete_schedule(sa_id: str) -> Response:
        with store.transaction():
            res.delete_schedule(sb, res.load_schedule(sb, sa_id, caller()))
        return Response(status_code=204)
