"""Agentex agents in the sandbox, and `GET /agents` (page-number pages of a bare JSON array).

Both revisions share them. Agents are whatever `--agents` / `POST /_sandbox/agents` named, verbatim:
real ids are UUIDs, but a bundle's `agent:` must be able to name a sandbox agent.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from reconciler.sandbox.agentex.common import query
from reconciler.sandbox.clock import format_instant
from reconciler.sandbox.runtime import ApiError, Sandbox
from reconciler.sandbox.store import Json
from reconciler.sandbox.web import json_response

AGENT = "agent"
ACP_TYPES = ("sync", "async", "agentic")


def ensure_agent(sb: Sandbox, agent_id: str, name: str | None, labels: dict[str, str]) -> tuple[Json, bool]:
    """Create the agent unless it exists. The label `acp_type` picks its ACP type (default async)."""
    with sb.store.transaction():
        doc = sb.store.get(sb.kind(AGENT), agent_id)
        if doc is not None:
            return agent_json(doc), False
        acp_type = labels.get("acp_type", "async")
        if acp_type not in ACP_TYPES:
            raise ApiError(400, f"label acp_type must be one of {', '.join(ACP_TYPES)}, not {acp_type!r}")
        now = format_instant(sb.clock.now())
        doc = {
            "id": agent_id,
            "name": name or agent_id,
            "acp_type": acp_type,
            "metadata": {k: v for k, v in labels.items() if k != "acp_type"},
            "created_at": now,
        }
        sb.store.put(sb.kind(AGENT), agent_id, "", doc)
        return agent_json(doc), True


def require_agent(sb: Sandbox, agent_id: str) -> Json:
    doc = sb.store.get(sb.kind(AGENT), agent_id)
    if doc is None:
        raise ApiError(404, f"Agent with ID '{agent_id}' not found")
    return doc


def agent_json(doc: Json) -> Json:
    return {
        "id": doc["id"],
        "name": doc["name"],
        "acp_type": doc["acp_type"],
        "description": "",
        "created_at": doc["created_at"],
        "updated_at": doc["created_at"],
        "status": "Ready",
        "status_reason": None,
        "registration_metadata": doc["metadata"] or None,
    }


class _AgentQuery(BaseModel):
    limit: int = Field(50, ge=1, le=1000)
    page_number: int = Field(1, ge=1)
    order_by: Literal["created_at", "updated_at", "name", "id"] | None = None
    order_direction: Literal["asc", "desc"] = "desc"
    task_id: str | None = None
    agent_card_metadata: str | None = None


def _contains(have: Any, want: Any) -> bool:
    """JSON containment, as Postgres `@>` reads it."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and _contains(have[k], v) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and all(any(_contains(h, w) for h in have) for w in want)
    return bool(have == want)


def add_agent_routes(sb: Sandbox, router: APIRouter) -> None:
    @router.get("/agents")
    async def list_agents(request: Request) -> Response:
        q = query(_AgentQuery, request)
        wanted: Any = None
        if q.agent_card_metadata:
            try:
                wanted = json.loads(q.agent_card_metadata)
            except ValueError:
                raise ApiError(400, "agent_card_metadata must be a JSON object") from None
        with sb.store.transaction():
            rows = [(seq, doc) for seq, doc in sb.store.scan(sb.kind(AGENT))]
        if q.task_id:  # the sandbox runs no tasks, so no agent has one
            rows = []
        if wanted is not None:
            rows = [(s, d) for s, d in rows if _contains(d["metadata"], wanted)]
        key = q.order_by or "created_at"
        rows.sort(key=lambda row: (row[1].get(key, ""), row[0]), reverse=q.order_direction == "desc")
        start = (q.page_number - 1) * q.limit
        return json_response([agent_json(doc) for _, doc in rows[start : start + q.limit]])

    @router.get("/agents/name/{agent_name}")
    async def get_agent_by_name(agent_name: str) -> Response:
        with sb.store.transaction():
            for _, doc in sb.store.scan(sb.kind(AGENT)):
                if doc["name"] == agent_name:
                    return json_response(agent_json(doc))
        raise ApiError(404, f"Agent with name '{agent_name}' not found")

    @router.get("/agents/{agent_id}")
    async def get_agent(agent_id: str) -> Response:
        with sb.store.transaction():
            return json_response(agent_json(require_agent(sb, agent_id)))
