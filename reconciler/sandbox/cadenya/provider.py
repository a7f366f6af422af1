"""The Cadenya emulator as a `Provider`: error shape, environment variables, seeding and firing."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from reconciler.sandbox.cadenya import resources as res
from reconciler.sandbox.runtime import Provider, Sandbox
from reconciler.sandbox.store import Json

if TYPE_CHECKING:
    from fastapi import APIRouter

# google.rpc.Code for each HTTP status we answer with (gRPC-gateway's mapping, read backwards).
GRPC_CODES = {
    400: 3,  # INVALID_ARGUMENT
    401: 16,  # UNAUTHENTICATED
    403: 7,  # PERMISSION_DENIED
    404: 5,  # NOT_FOUND
    405: 12,  # UNIMPLEMENTED
    409: 6,  # ALREADY_EXISTS
    429: 8,  # RESOURCE_EXHAUSTED
    500: 13,  # INTERNAL
    501: 12,  # UNIMPLEMENTED
    503: 14,  # UNAVAILABLE
    504: 4,  # DEADLINE_EXCEEDED
}


class CadenyaProvider(Provider):
    name: ClassVar[str] = "cadenya"
    revisions: ClassVar[tuple[str, ...]] = ("v1",)
    default_workspace: ClassVar[str] = "ws_sandbox"

    def add_routes(self, sandbox: Sandbox, router: APIRouter) -> None:
        from reconciler.sandbox.cadenya.routes import add_routes

        add_routes(sandbox, router)

    def error_body(self, status: int, message: str) -> bytes:
        body = {"code": GRPC_CODES.get(status, 2), "message": message, "details": []}  # 2 = UNKNOWN
        return json.dumps(body).encode()

    def env_vars(self, base_url: str, api_key: str, workspace: str) -> dict[str, str]:
        return {"CADENYA_BASE_URL": base_url, "CADENYA_API_KEY": api_key, "CADENYA_WORKSPACE_ID": workspace}

    def ensure_workspace(self, sandbox: Sandbox, workspace: str) -> None:
        res.ensure_workspace(sandbox, workspace)

    def ensure_agent(
        self, sandbox: Sandbox, agent_id: str, workspace: str, name: str | None, labels: dict[str, str]
    ) -> tuple[Json, bool]:
        return res.ensure_agent(sandbox, agent_id, workspace, name, labels)

    def fire_due(self, sandbox: Sandbox, now: datetime) -> int:
        return res.fire_due(sandbox, now)
