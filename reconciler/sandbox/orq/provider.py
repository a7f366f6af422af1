"""The orq.ai emulator as a `Provider`: error shape, environment variables, seeding and firing.

orq has no workspace in its paths (the API key scopes it): agents are global to the sandbox, by key.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from reconciler.sandbox.orq import resources as res
from reconciler.sandbox.orq.expressions import DISPLAY_NAME, SEED
from reconciler.sandbox.runtime import Provider, Sandbox
from reconciler.sandbox.store import Json

if TYPE_CHECKING:
    from fastapi import APIRouter

# error.code for statuses the framework answers (auth, routing misses, faults, rate limits).
CODES = {
    400: "invalid_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class OrqProvider(Provider):
    name: ClassVar[str] = "orq"
    revisions: ClassVar[tuple[str, ...]] = (SEED, DISPLAY_NAME)
    default_workspace: ClassVar[str] = "default"

    def add_routes(self, sandbox: Sandbox, router: APIRouter) -> None:
        from reconciler.sandbox.orq.routes import add_routes

        add_routes(sandbox, router)

    def error_body(self, status: int, message: str) -> bytes:
        if status == 401:  # the gateway's shape: {message, code?: int, details?}
            return json.dumps({"message": message, "code": 401}).encode()
        return json.dumps({"error": {"code": CODES.get(status, "error"), "message": message}}).encode()

    def env_vars(self, base_url: str, api_key: str, workspace: str) -> dict[str, str]:
        return {"ORQ_SERVER_URL": base_url, "ORQ_API_KEY": api_key}

    def ensure_workspace(self, sandbox: Sandbox, workspace: str) -> None:
        pass  # the API key is the workspace: nothing to create

    def ensure_agent(
        self, sandbox: Sandbox, agent_id: str, workspace: str, name: str | None, labels: dict[str, str]
    ) -> tuple[Json, bool]:
        return res.ensure_agent(sandbox, agent_id, name)

    def fire_due(self, sandbox: Sandbox, now: datetime) -> int:
        return res.fire_due(sandbox, now)
