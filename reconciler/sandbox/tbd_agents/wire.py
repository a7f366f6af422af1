"""TBD Agents' request models and time formats, as its FastAPI server validates and renders them.

The request models mirror `app/schemas/scheduled_agent.py`, so a bad body gets FastAPI's own 422
(`{"detail": [{"type", "loc": ["body", ...], "msg", "input", "ctx"?}]}`). Times: a value the request just
set is rendered as pydantic renders an aware datetime (`...Z`); a value read back from MongoDB is naive
UTC with millisecond precision and no offset (Motor's default), as the server returns it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi.encoders import jsonable_encoder
from pydantic import AfterValidator, BaseModel, Field, ValidationError

from reconciler.sandbox.runtime import ApiError


class ScheduleInterval(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"


UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}
# The server builds `timedelta(**{unit: value})` for Beat and MongoDB keeps an int64: beyond a timedelta's
# 999,999,999 days it would fail with a 500 after validation. The sandbox refuses it as validation (422).
MAX_INTERVAL_VALUE = 999_999_999
M = TypeVar("M", bound=BaseModel)


def _utc_fits(value: datetime | None) -> datetime | None:
    """A datetime that is still one in UTC, where MongoDB keeps it (`9999-12-31T23:00-02:00` is not)."""
    if value is not None and value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValueError("Datetime is out of range once converted to UTC (years 1 to 9999)") from None
    return value


Instant = Annotated[datetime, AfterValidator(_utc_fits)]


class ScheduledAgentCreate(BaseModel):
    name: str
    workflow_id: str
    prompt: str
    interval_value: int = Field(ge=1, le=MAX_INTERVAL_VALUE, description="Repeat every N units (≥ 1)")
    interval_unit: ScheduleInterval = ScheduleInterval.HOURS
    start_at: Instant
    end_at: Instant | None = None


class ScheduledAgentUpdate(BaseModel):
    name: str | None = None
    prompt: str | None = None
    interval_value: int | None = Field(default=None, ge=1, le=MAX_INTERVAL_VALUE)
    interval_unit: ScheduleInterval | None = None
    start_at: Instant | None = None
    end_at: Instant | None = None


class Unprocessable(ApiError):
    """FastAPI's 422: `detail` is the list of pydantic errors, not a message."""

    def __init__(self, errors: list[Any]) -> None:
        super().__init__(422, "request validation failed")
        self.errors = errors


def _errors(exc: ValidationError) -> list[Any]:
    out = []
    for error in exc.errors(include_url=False):
        out.append({**error, "loc": ["body", *error["loc"]]})
    return list(jsonable_encoder(out))


def parse_body(raw: bytes, model: type[M]) -> M:
    """The body validated as FastAPI would: JSON first, then the model; errors as FastAPI's 422."""
    if not raw.strip():
        raise Unprocessable([{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}])
    try:
        data = json.loads(raw)
    except ValueError as exc:
        position = getattr(exc, "pos", 0)
        raise Unprocessable(
            [
                {
                    "type": "json_invalid",
                    "loc": ["body", position],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": getattr(exc, "msg", str(exc))},
                }
            ]
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Unprocessable(_errors(exc)) from None


# --- times ----------------------------------------------------------------------------------------------
def as_utc(value: datetime) -> datetime:
    """A request time as MongoDB keeps it: UTC (a naive time is taken as UTC), milliseconds."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.replace(microsecond=aware.microsecond // 1000 * 1000)


def store_time(value: datetime) -> str:
    return as_utc(value).isoformat()


def load_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def render(text: str | None, *, fresh: bool) -> str | None:
    """A stored time on the wire: fresh from the request (aware, `Z`), or read back from Mongo (naive)."""
    if text is None:
        return None
    value = load_time(text)
    if fresh:
        return value.isoformat().replace("+00:00", "Z")
    return value.replace(tzinfo=None).isoformat()


def interval(doc: dict[str, Any]) -> timedelta:
    return timedelta(seconds=int(doc["interval_value"]) * UNIT_SECONDS[str(doc["interval_unit"])])
