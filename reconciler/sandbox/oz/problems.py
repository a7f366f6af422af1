"""Oz's RFC 7807 error bodies: `{"type", "title", "status", "detail", "instance", "error", "retryable"}`.

Codes are the SDK's `ErrorCode` values; the HTTP status picks the code, since the sandbox only ever
refuses for the reasons those statuses mean.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Response

TYPE_BASE = "https://docs.warp.dev/reference/api-and-sdk/troubleshooting/errors/"
MEDIA_TYPE = "application/problem+json"
# status -> (ErrorCode, title, retryable)
_CODES: dict[int, tuple[str, str, bool]] = {
    400: ("invalid_request", "Invalid request", False),
    401: ("authentication_required", "Authentication required", False),
    403: ("not_authorized", "Not authorized", False),
    404: ("resource_not_found", "Resource not found", False),
    405: ("operation_not_supported", "Operation not supported", False),
    409: ("conflict", "Conflict", False),
    429: ("resource_unavailable", "Too many requests", True),
    500: ("internal_error", "Internal error", True),
    503: ("resource_unavailable", "Resource unavailable", True),
}


def problem(status: int, detail: str, instance: str | None = None) -> dict[str, Any]:
    code, title, retryable = _CODES.get(status, ("internal_error", "Internal error", status >= 500))
    body: dict[str, Any] = {
        "type": TYPE_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body["error"] = f"{title} ({detail})"
    body["retryable"] = retryable
    return body


def problem_bytes(status: int, detail: str) -> bytes:
    return json.dumps(problem(status, detail)).encode()


def problem_response(
    status: int, detail: str, instance: str, headers: dict[str, str] | None = None
) -> Response:
    content = json.dumps(problem(status, detail, instance), ensure_ascii=False).encode()
    return Response(content, status_code=status, media_type=MEDIA_TYPE, headers=headers)
