"""What both Agentex revisions share: the error shape, request validation as FastAPI would do it, times.

Agentex answers handled errors as `{"message", "code", "data": null}` and validation errors as HTTP 422
`{"status_code": 10422, "message": "<pydantic error text>", "data": null}`, as its server answers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Request
from pydantic import AfterValidator, BaseModel, ValidationError

from reconciler.sandbox.clock import format_instant
from reconciler.sandbox.runtime import ApiError

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$|^[a-z0-9]$"
VALIDATION_STATUS = 10422
FUTURE_TIMES = 10  # Temporal's Describe lists this many future action times

# Temporal holds an interval as a Go time.Duration (int64 nanoseconds): at most ~292 years. Longer ones are
# refused with a 422 here, as the server's validation would, rather than failing deeper down with a 500.
MAX_INTERVAL_SECONDS = (2**63 - 1) // 10**9

M = TypeVar("M", bound=BaseModel)


def _in_range(value: datetime | None) -> datetime | None:
    """A datetime that still is one in UTC (`9999-12-31T23:00-02:00` is not): Temporal stores UTC."""
    if value is None:
        return None
    try:
        (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range: in UTC it falls outside the years 1 to 9999") from None
    return value


Instant = Annotated[datetime | None, AfterValidator(_in_range)]


def error_body(status: int, message: str) -> bytes:
    body: dict[str, Any]
    if status == 422:
        body = {"status_code": VALIDATION_STATUS, "message": message, "data": None}
    else:
        body = {"message": message, "code": status, "data": None}
    return json.dumps(body).encode()


def validate(model: type[M], data: Any) -> M:
    """`data` as `model`, or a 422 carrying pydantic's own error text (what the server's handler sends)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, str(exc)) from None


async def read_body(request: Request, *, optional: bool = False) -> Any:
    """The JSON body; FastAPI answers unparsable JSON with a 422 (json_invalid), so do we.

    `optional`: an empty body (the SDKs send none, or `{}`, for bodiless POSTs) reads as `{}`.
    """
    raw = await request.body()
    if not raw.strip():
        if optional:
            return {}
        raise ApiError(
            422, "1 validation error for Request\nbody\n  Field required [type=missing, input_value=None]"
        )
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(
            422, f"1 validation error for Request\nbody\n  JSON decode error [type=json_invalid, error={exc}]"
        ) from None


def query(model: type[M], request: Request) -> M:
    return validate(model, dict(request.query_params))


def instant(value: datetime | None) -> str | None:
    """A request datetime as stored and returned: UTC, 'Z'; a naive time is read as UTC (Temporal's zone)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_instant(value)
