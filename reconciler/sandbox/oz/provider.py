"""The Warp Oz emulator as a `Provider`: problem-details errors, environment variables, team, agents, fires.

The sandbox's "workspace" is the caller's one team (schedules default to team scope); its "agents" are
the team's agent identities, the values `agent_uid` may take.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from reconciler.sandbox.oz import resources as res
from reconciler.sandbox.oz.problems import problem_bytes
from reconciler.sandbox.runtime import Provider, Sandbox
from reconciler.sandbox.store import Json

if TYPE_CHECKING:
    from fastapi import APIRouter


class OzProvider(Provider):
    name: ClassVar[str] = "oz"
    revisions: ClassVar[tuple[str, ...]] = ("v1",)
    default_workspace: ClassVar[str] = "team_sandbox"

    def add_routes(self, sandbox: Sandbox, router: APIRouter) -> None:
        from reconciler.sandbox.oz.routes import add_routes

        add_routes(sandbox, router)

    def error_body(self, status: int, message: str) -> bytes:
        return problem_bytes(status, message)

    def env_vars(self, base_url: str, api_key: str, workspace: str) -> dict[str, str]:
        return {"OZ_API_BASE_URL": base_url, "WARP_API_KEY": api_key}

    def ensure_workspace(self, sandbox: Sandbox, workspace: str) -> None:
        res.ensure_team(sandbox, workspace)

    def ensure_agent(
        self, sandbox: Sandbox, agent_id: str, workspace: str, name: str | None, labels: dict[str, str]
    ) -> tuple[Json, bool]:
        return res.ensure_agent(sandbox, agent_id, workspace, name)

    def fire_due(self, sandbox: Sandbox, now: datetime) -> int:
        return res.fire_due(sandbox, now)
