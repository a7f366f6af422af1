"""Oz's HTTP routes (oz-agent-sdk 0.15.0 paths, relative to the base URL): `/agent/schedules` and its verbs.

Every route answers its own refusals as RFC 7807 problem details (`application/problem+json`, with the
request path as `instance`); the shared layers (auth, faults, routing misses) use the same body shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from fastapi import APIRouter, Request, Response

from reconciler.sandbox.oz import resources as res
from reconciler.sandbox.oz.problems import problem_response
from reconciler.sandbox.runtime import ApiError, Sandbox
from reconciler.sandbox.web import json_response, read_object

SCHEDULES = "/agent/schedules"
SCHEDULE = SCHEDULES + "/{schedule_id}"
Handler = Callable[..., Awaitable[Response]]


def _problems(handler: Handler) -> Handler:
    """Turn an ApiError into a problem-details response naming the request path."""

    @wraps(handler)
    async def wrapped(request: Request, **kwargs: str) -> Response:
        try:
            return await handler(request, **kwargs)
        except ApiError as exc:
            return problem_response(exc.status, exc.message, request.url.path, exc.headers)

    return wrapped


def add_routes(sb: Sandbox, router: APIRouter) -> None:
    store = sb.store

    @router.get(SCHEDULES)
    @_problems
    async def list_schedules(request: Request) -> Response:
        with store.transaction():
            docs = res.list_schedules(sb)
        return json_response({"schedules": [res.schedule_json(d) for d in docs]})

    @router.post(SCHEDULES)
    @_problems
    async def create_schedule(request: Request) -> Response:
        body = await read_object(request)
        with store.transaction():
            fields = res.parse_fields(sb, body, update=False)
            doc = res.create_schedule(sb, fields, body.get("team"))
        return json_response(res.schedule_json(doc))

    @router.get(SCHEDULE)
    @_problems
    async def get_schedule(request: Request, schedule_id: str) -> Response:
        with store.transaction():
            doc = res.load_schedule(sb, schedule_id)
        return json_response(res.schedule_json(doc))

    @router.put(SCHEDULE)
    @_problems
    async def update_schedule(request: Request, schedule_id: str) -> Response:
        body = await read_object(request)
        with store.transaction():
            doc = res.load_schedule(sb, schedule_id)
            doc = res.replace_schedule(sb, doc, res.parse_fields(sb, body, update=True))
        return json_response(res.schedule_json(doc))

    @router.delete(SCHEDULE)
    @_problems
    async def delete_schedule(request: Request, schedule_id: str) -> Response:
        with store.transaction():
            res.delete_schedule(sb, res.load_schedule(sb, schedule_id))
        return json_response({"success": True})

    def verb(name: str, enabled: bool) -> None:
        @router.post(f"{SCHEDULE}/{name}", name=f"{name}_schedule")
        @_problems
        async def change_state(request: Request, schedule_id: str) -> Response:
            # The SDK sends no body (with a JSON content type); a body, if any, is ignored.
            with store.transaction():
                doc = res.set_enabled(sb, res.load_schedule(sb, schedule_id), enabled)
            return json_response(res.schedule_json(doc))

    verb("pause", False)
    verb("resume", True)
