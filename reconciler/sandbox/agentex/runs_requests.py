"""The request bodies and list query of the Agentex run-schedules API, as the server validates them: what
pydantic refuses is a 422 before any row is touched (a cron Temporal would refuse is checked later, in `runs`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reconciler.sandbox.agentex.common import MAX_INTERVAL_SECONDS, NAME_PATTERN, Instant
from reconciler.timing import TimingError, load_zone

_NOT_NULL = ("name", "initial_input", "timezone", "paused")  # columns a PATCH cannot clear


class InitialInput(BaseModel):
    content: str
    author: Literal["user", "agent"] = "user"
    type: Literal["text"] = "text"


def _check_zone(value: str | None) -> str | None:
    if value is not None:
        try:
            load_zone(value)
        except TimingError as exc:
            raise ValueError(f"Invalid timezone {value!r}: {exc}") from None
    return value


class _Fields(BaseModel):
    model_config = ConfigDict(extra="ignore")

    description: str | None = None
    cron_expression: str | None = None
    interval_seconds: int | None = Field(None, ge=1, le=MAX_INTERVAL_SECONDS)
    start_at: Instant = None
    end_at: Instant = None
    task_params: dict[str, Any] | None = None
    task_metadata: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _not_both(self) -> Self:
        if self.cron_expression is not None and self.interval_seconds is not None:
            raise ValueError("cron_expression and interval_seconds are mutually exclusive")
        return self


class CreateRunSchedule(_Fields):
    name: str = Field(min_length=1, max_length=64, pattern=NAME_PATTERN)
    initial_input: InitialInput
    timezone: str = "UTC"
    paused: bool = False

    _zone = field_validator("timezone")(_check_zone)

    @model_validator(mode="after")
    def _one(self) -> Self:
        if self.cron_expression is None and self.interval_seconds is None:
            raise ValueError("Exactly one of cron_expression or interval_seconds must be provided")
        return self


class UpdateRunSchedule(_Fields):
    name: str | None = Field(None, min_length=1, max_length=64, pattern=NAME_PATTERN)
    initial_input: InitialInput | None = None
    timezone: str | None = None
    paused: bool | None = None

    _zone = field_validator("timezone")(_check_zone)

    @model_validator(mode="after")
    def _no_null_columns(self) -> Self:
        for key in _NOT_NULL:
            if key in self.model_fields_set and getattr(self, key) is None:
                raise ValueError(f"{key} cannot be null")
        return self


class NoteRequest(BaseModel):
    note: str | None = None


class SkipRequest(BaseModel):
    scheduled_time: datetime

    @field_validator("scheduled_time")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("scheduled_time must be timezone-aware")
        return value


class ListQuery(BaseModel):
    limit: int = Field(100, ge=1, le=1000)
    include_live: bool = False
