"""orq's HTTP routes: `/v2/agents` (cursor pages) and `/v3/agents/{agent_key}/schedules[/{id}[/execution]]`.

Bodies are checked as orq's published OpenAPI says (`additionalProperties: false`, required keys, types)
before anything is stored; every refusal is an `OrqError`, rendered in orq's own error shape.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from reconciler.sandbox.orq import resources as res
from reconciler.sandbox.orq.expressions import DISPLAY_NAME
from reconciler.sandbox.orq.resources import OrqError, invalid
from reconciler.sandbox.runtime import Sandbox
from reconciler.sandbox.store import Json
from reconciler.sandbox.web import json_response

SCHEDULES = "/v3/agents/{agent_key}/schedules"
SCHEDULE = SCHEDULES + "/{schedule_id}"
_CREATE_KEYS = ("type", "expression", "payload", "agent_tag")
_PATCH_KEYS = ("agent_tag", "expression", "is_active", "payload", "type")
_PAYLOAD_KEYS = ("input", "memory_entity_id", "metadata", "variables")
_MAX_LIMIT = 200

Handler = Callable[..., Awaitable[Response]]


def orq_errors(handler: Handler) -> Handler:
    """Render OrqError in orq's shape (the app's generic handler knows only status and message)."""

    @functools.wraps(handler)
    async def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(*args, **kwargs)
        except OrqError as exc:
            return json_response(exc.body(), exc.status)

    return wrapped


async def _body(request: Request) -> Json:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        raise invalid(f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise invalid("request body must be a JSON object")
    return body


def _only(body: Json, allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise invalid(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(allowed)})")


def _string(body: Json, key: str, *, required: bool = False, nonempty: bool = False) -> None:
    if key not in body:
        if required:
            raise invalid(f"{key} is required")
        return
    if not isinstance(body[key], str) or (nonempty and not body[key].strip()):
        raise invalid(f"{key} must be a {'non-empty ' if nonempty else ''}string")


def _payload(raw: Any, revision: str, old_secrets: dict[str, Any]) -> tuple[Json, dict[str, Any]]:
    """(payload as stored, secret values): secret variables keep only {"secret": true} in the payload."""
    if not isinstance(raw, dict):
        raise invalid("payload must be an object")
    _only(raw, _PAYLOAD_KEYS, "payload")
    _string(raw, "memory_entity_id")
    for key in ("metadata", "variables"):
        if key in raw and not isinstance(raw[key], dict):
            raise invalid(f"payload.{key} must be an object")
    metadata = raw.get("metadata") or {}
    if revision == DISPLAY_NAME and not all(isinstance(v, str) for v in metadata.values()):
        raise invalid("payload.metadata values must be strings")
    payload = {k: v for k, v in raw.items() if k != "variables"}
    secrets: dict[str, Any] = {}
    if "variables" in raw:
        variables: Json = {}
        for name, value in raw["variables"].items():
            if isinstance(value, dict) and value.get("secret") is True:
                if "value" in value:
                    secrets[name] = value["value"]
                elif name in old_secrets:  # echoed back as read: keep what is stored
                    secrets[name] = old_secrets[name]
                else:
                    raise invalid(f"payload.variables.{name}: a secret variable needs a value")
                variables[name] = {"secret": True}
            else:
                variables[name] = value
        payload["variables"] = variables
    return payload, secrets


def _limit(text: str | None) -> int | None:
    """1..200; the SDK declares it a float and sends `limit=200.0`, which is accepted."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise invalid(f"limit must be a number, got {text!r}") from None
    if value != int(value) or not 1 <= value <= _MAX_LIMIT:
        raise invalid(f"limit must be a whole number from 1 to {_MAX_LIMIT}, got {text}")
    return int(value)


def add_routes(sb: Sandbox, router: APIRouter) -> None:
    store = sb.store
    revision = sb.api
    create_keys = (*_CREATE_KEYS, "display_name") if revision == DISPLAY_NAME else _CREATE_KEYS
    patch_keys = (*_PATCH_KEYS, "display_name") if revision == DISPLAY_NAME else _PATCH_KEYS

    @router.get("/v2/agents")
    @orq_errors
    async def list_agents(request: Request) -> Response:
        q = request.query_params
        limit = _limit(q.get("limit"))
        after, before = q.get("starting_after"), q.get("ending_before")
        with store.transaction():
            docs = res.agents(sb)
        ids = [d["_id"] for d in docs]
        if after:  # newest first, so "after" is older
            docs = docs[ids.index(after) + 1 :] if after in ids else []
        elif before:
            docs = docs[: ids.index(before)] if before in ids else []
            if limit is not None:
                return json_response(_agent_page(docs[-limit:], len(docs) > limit))
        more = limit is not None and len(docs) > limit
        return json_response(_agent_page(docs[:limit] if limit is not None else docs, more))

    @router.get(SCHEDULES)
    @orq_errors
    async def list_schedules(agent_key: str) -> Response:
        with store.transaction():
            docs = res.list_for(sb, agent_key)
        return json_response({"schedules": [res.schedule_json(d, revision) for d in docs]})

    @router.post(SCHEDULES)
    @orq_errors
    async def create_schedule(agent_key: str, request: Request) -> Response:
        body = await _body(request)
        _only(body, create_keys, "body")
        for key in ("type", "expression", "payload"):
            if key not in body:
                raise invalid(f"{key} is required")
        _string(body, "type")
        _string(body, "expression")
        _string(body, "agent_tag")
        if revision == DISPLAY_NAME:
            _string(body, "display_name", required=True, nonempty=True)
        payload, secrets = _payload(body["payload"], revision, {})
        with store.transaction():
            doc = res.create(sb, agent_key, body, payload, secrets)
        return json_response(res.schedule_json(doc, revision), 201)

    @router.get(SCHEDULE)
    @orq_errors
    async def get_schedule(agent_key: str, schedule_id: str) -> Response:
        with store.transaction():
            doc = res.load(sb, agent_key, schedule_id)
        return json_response(res.schedule_json(doc, revision))

    @router.patch(SCHEDULE)
    @orq_errors
    async def update_schedule(agent_key: str, schedule_id: str, request: Request) -> Response:
        body = await _body(request)
        _only(body, patch_keys, "body")
        for key in ("type", "expression", "agent_tag"):
            _string(body, key)
        if revision == DISPLAY_NAME:
            _string(body, "display_name", nonempty=True)
        if "is_active" in body and not isinstance(body["is_active"], bool):
            raise invalid("is_active must be a boolean")
        with store.transaction():
            doc = res.load(sb, agent_key, schedule_id)
            payload, secrets = (
                _payload(body["payload"], revision, doc["secrets"]) if "payload" in body else (None, None)
            )
            doc = res.patch(sb, doc, body, payload, secrets)
        return json_response(res.schedule_json(doc, revision))

    @router.delete(SCHEDULE)
    @orq_errors
    async def delete_schedule(agent_key: str, schedule_id: str) -> Response:
        with store.transaction():
            res.delete(sb, res.load(sb, agent_key, schedule_id))
        return Response(status_code=204)

    @router.post(SCHEDULE + "/execution")
    @orq_errors
    async def trigger_schedule(agent_key: str, schedule_id: str) -> Response:
        # The SDK sends no body; one, if sent, is ignored.
        with store.transaction():
            doc = res.load(sb, agent_key, schedule_id)
            res.trigger(sb, doc)
        return json_response({"schedule_id": doc["_id"], "status": "triggered"}, 202)


def _agent_page(docs: list[Json], more: bool) -> Json:
    return {"object": "list", "data": [res.agent_json(d) for d in docs], "has_more": more}
