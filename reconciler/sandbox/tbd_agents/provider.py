"""The TBD Agents emulator as a `Provider`: FastAPI's error shapes, environment variables, users' workflows.

The sandbox's "workspace" is the GitHub login of its one caller (default `local`, the server's
unauthenticated local mode); its "agents" are that user's workflows, the values `workflow_id` may take.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from reconciler.sandbox.runtime import Provider, Sandbox
from reconciler.sandbox.store import Json
from reconciler.sandbox.tbd_agents import resources as res

if TYPE_CHECKING:
    from fastapi import APIRouter


class TbdAgentsProvider(Provider):
    name: ClassVar[str] = "tbd-agents"
    revisions: ClassVar[tuple[str, ...]] = ("v1",)
    default_workspace: ClassVar[str] = "local"

    def add_routes(self, sandbox: Sandbox, router: APIRouter) -> None:
        from reconciler.sandbox.tbd_agents.routes import add_routes

        add_routes(sandbox, router)

    def error_body(self, status: int, message: str) -> bytes:
        return json.dumps({"detail": message}).encode()  # FastAPI's HTTPException body

    def env_vars(self, base_url: str, api_key: str, workspace: str) -> dict[str, str]:
        return {"TBD_AGENTS_BASE_URL": base_url, "TBD_AGENTS_TOKEN": api_key}

    def ensure_workspace(self, sandbox: Sandbox, workspace: str) -> None:
        res.ensure_user(sandbox, workspace)

    def ensure_agent(
        self, sandbox: Sandbox, agent_id: str, workspace: str, name: str | None, labels: dict[str, str]
    ) -> tuple[Json, bool]:
        return res.ensure_workflow(sandbox, agent_id, workspace, name)

    def fire_due(self, sandbox: Sandbox, now: datetime) -> int:
        return res.fire_due(sandbox, now)
