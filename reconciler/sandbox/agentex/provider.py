"""The Agentex emulator as a `Provider`: both API revisions, chosen with `--api legacy|run-schedules`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from reconciler.sandbox.agentex import agents, common, legacy, runs
from reconciler.sandbox.runtime import Provider, Sandbox
from reconciler.sandbox.store import Json

if TYPE_CHECKING:
    from fastapi import APIRouter


class AgentexProvider(Provider):
    name: ClassVar[str] = "agentex"
    revisions: ClassVar[tuple[str, ...]] = ("legacy", "run-schedules")
    default_workspace: ClassVar[str] = "default"  # Agentex has no workspaces; the value is never used

    def add_routes(self, sandbox: Sandbox, router: APIRouter) -> None:
        agents.add_agent_routes(sandbox, router)
        (runs if sandbox.api == "run-schedules" else legacy).add_routes(sandbox, router)

    def error_body(self, status: int, message: str) -> bytes:
        return common.error_body(status, message)

    def env_vars(self, base_url: str, api_key: str, workspace: str) -> dict[str, str]:
        return {"AGENTEX_BASE_URL": base_url, "AGENTEX_SDK_API_KEY": api_key}

    def ensure_workspace(self, sandbox: Sandbox, workspace: str) -> None:
        return None

    def ensure_agent(
        self, sandbox: Sandbox, agent_id: str, workspace: str, name: str | None, labels: dict[str, str]
    ) -> tuple[Json, bool]:
        return agents.ensure_agent(sandbox, agent_id, name, labels)

    def fire_due(self, sandbox: Sandbox, now: datetime) -> int:
        with sandbox.store.transaction():
            return legacy.fire_due(sandbox, now) + runs.fire_due(sandbox, now)
