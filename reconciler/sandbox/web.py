"""Request and response helpers shared by the admin routes and every provider's routes."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response

from reconciler.sandbox.runtime import ApiError


def json_response(body: Any, status: int = 200) -> Response:
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(content=content, status_code=status, media_type="application/json")


async def read_json(request: Request, *, empty: Any = None) -> Any:
    """The request body as JSON; an empty body (SDKs send none for custom methods) gives `empty`."""
    raw = await request.body()
    if not raw.strip():
        return empty
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"request body is not valid JSON: {exc}") from None


async def read_object(request: Request) -> dict[str, Any]:
    body = await read_json(request, empty={})
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    return body
