"""Cadenya's HTTP routes (SDK 1.8.0 paths): agents, and schedules per agent with the custom methods.

`POST .../schedules/{id}:pause` is a route of its own: Starlette compiles `{schedule_id}:pause` to a
regex, and the literal suffix after a path parameter matches by backtracking.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from reconciler.sandbox.cadenya import resources as res
from reconciler.sandbox.cadenya.listing import (
    labels_match,
    page,
    page_json,
    parse_labels_filter,
    parse_query,
)
from reconciler.sandbox.cadenya.mask import apply_patch
from reconciler.sandbox.cadenya.wire import parse_create
from reconciler.sandbox.runtime import ApiError, Sandbox
from reconciler.sandbox.store import Json
from reconciler.sandbox.web import json_response, read_object

AGENT_STATES = ("STATE_UNSPECIFIED", "STATE_DRAFT", "STATE_PUBLISHED", "STATE_ARCHIVED")
AGENTS = "/v1/workspaces/{workspace_id}/agents"
SCHEDULES = AGENTS + "/{agent_id}/schedules"
SCHEDULE = SCHEDULES + "/{schedule_id}"


def _text_match(name: str, prefix: str, query: str) -> bool:
    # `prefix` is documented only as "Filter expression" and `query` as free-form search: a name prefix
    # and a case-insensitive name substring are our reading (see README.md).
    return name.startswith(prefix) and query.lower() in name.lower()


def add_routes(sb: Sandbox, router: APIRouter) -> None:
    store = sb.store

    @router.get(AGENTS)
    async def list_agents(workspace_id: str, request: Request) -> Response:
        q = parse_query(
            request.query_params, ("prefix", "query", "labels", "state", "variationSelectionMode")
        )
        wanted = parse_labels_filter(q.filter("labels"))
        state = q.filter("state")
        if state and state not in AGENT_STATES:
            raise ApiError(400, f"state must be one of {', '.join(AGENT_STATES)}, not {state!r}")

        def keep(doc: Json) -> bool:
            return (
                _text_match(doc["name"], q.filter("prefix"), q.filter("query"))
                and labels_match(doc["labels"], wanted)
                and state in ("", "STATE_UNSPECIFIED", "STATE_PUBLISHED")  # sandbox agents are published
            )

        with store.transaction():
            res.require_workspace(sb, workspace_id)
            docs, cursor = page(store, sb.kind(res.AGENT), workspace_id, q, keep)
        return json_response(page_json([res.agent_json(d) for d in docs], cursor))

    @router.get(AGENTS + "/{agent_id}")
    async def get_agent(workspace_id: str, agent_id: str) -> Response:
        with store.transaction():
            return json_response(res.agent_json(res.require_agent(sb, workspace_id, agent_id)))

    @router.get(SCHEDULES)
    async def list_schedules(workspace_id: str, agent_id: str, request: Request) -> Response:
        q = parse_query(request.query_params, ("prefix", "query", "labels", "bundleKey"))
        wanted = parse_labels_filter(q.filter("labels"))
        bundle_key = q.filter("bundleKey")

        def keep(doc: Json) -> bool:
            return (
                _text_match(doc["name"], q.filter("prefix"), q.filter("query"))
                and labels_match(doc["labels"], wanted)
                and (not bundle_key or doc.get("bundleKey") == bundle_key)
            )

        with store.transaction():
            res.require_agent(sb, workspace_id, agent_id)
            docs, cursor = page(store, sb.kind(res.SCHEDULE), f"{workspace_id}/{agent_id}", q, keep)
            now = sb.clock.now()
            for doc in docs:
                if res.catch_up(sb, doc, now):
                    res.save(sb, doc)
        return json_response(page_json([res.schedule_json(d, info=q.include_info) for d in docs], cursor))

    @router.post(SCHEDULES)
    async def create_schedule(workspace_id: str, agent_id: str, request: Request) -> Response:
        metadata, spec = parse_create(await read_object(request))
        with store.transaction():
            doc = res.create_schedule(sb, workspace_id, agent_id, metadata, spec)
        return json_response(res.schedule_json(doc))

    @router.get(SCHEDULE)
    async def get_schedule(workspace_id: str, agent_id: str, schedule_id: str) -> Response:
        with store.transaction():
            doc = res.load_schedule(sb, workspace_id, agent_id, schedule_id)
        return json_response(res.schedule_json(doc))

    @router.patch(SCHEDULE)
    async def update_schedule(
        workspace_id: str, agent_id: str, schedule_id: str, request: Request
    ) -> Response:
        body = await read_object(request)
        query_mask = request.query_params.get("updateMask", request.query_params.get("update_mask"))
        with store.transaction():
            old = res.load_schedule(sb, workspace_id, agent_id, schedule_id)
            doc = res.replace_schedule(sb, old, apply_patch(old, body, query_mask))
        return json_response(res.schedule_json(doc))

    @router.delete(SCHEDULE)
    async def delete_schedule(workspace_id: str, agent_id: str, schedule_id: str) -> Response:
        with store.transaction():
            res.delete_schedule(sb, res.load_schedule(sb, workspace_id, agent_id, schedule_id))
        return json_response({})  # google.protobuf.Empty

    def custom_method(verb: str) -> None:
        @router.post(SCHEDULE + ":" + verb, name=f"{verb}_schedule")
        async def change_state(workspace_id: str, agent_id: str, schedule_id: str) -> Response:
            # The SDK sends no body and no Content-Type; a body, if any, is ignored.
            with store.transaction():
                doc = res.load_schedule(sb, workspace_id, agent_id, schedule_id)
                doc = res.transition(sb, doc, verb)
            return json_response(res.schedule_json(doc))

    for verb in res.VERBS:
        custom_method(verb)
