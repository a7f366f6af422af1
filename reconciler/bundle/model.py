"""The bundle's structure (format v1), as written by the user, before templates are rendered.

Second step of the pipeline: loaded data -> `BundleSpec`. Only shape is checked here (names, types, unknown
fields); meaning (cron grammar, timezones, provider limits) is checked after rendering in `validate`.
This model is also the source of the published JSON Schema (`reconciler schema`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from reconciler.providers import plugin

BUNDLE_KEY_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"


def __getattr__(name: str) -> Any:
    """`PROVIDERS`: the installed providers' names (`reconciler.providers.plugin`), read when first asked
    for, not when the model is imported (`reconciler --help` never reads the entry points)."""
    if name == "PROVIDERS":
        return plugin.names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _installed_providers(schema: dict[str, Any]) -> None:
    """The JSON Schema lists the providers installed when it is generated, sorted (deterministic)."""
    schema["enum"] = list(plugin.names())


class _Model(BaseModel):
    # strict: a YAML number where text is expected is an error, never a silent str(); forbid: typos fail
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)


class CalendarRange(_Model):
    """A range of values: `start` to `end` inclusive, every `step`."""

    start: int = Field(ge=0, description="First value.")
    end: int | None = Field(None, ge=0, description="Last value (inclusive); defaults to `start`.")
    step: int | None = Field(None, ge=1, description="Step between values; defaults to 1.")


RangeList = list[CalendarRange]


class CalendarRule(_Model):
    """A Temporal-style calendar: it matches when every field matches. Omitted second/minute/hour mean 0;
    omitted dayOfMonth/month/dayOfWeek/year mean any. Sunday is 0."""

    second: RangeList | None = None
    minute: RangeList | None = None
    hour: RangeList | None = None
    dayOfMonth: RangeList | None = None
    month: RangeList | None = None
    dayOfWeek: RangeList | None = None
    year: RangeList | None = None
    comment: str | None = None


class When(_Model):
    """When a schedule fires: exactly one of `cron`, `every`, `at`, `calendars`."""

    cron: str | list[str] | None = Field(
        None,
        description="Standard cron: 5 fields, or 6 with seconds first, or @hourly/@daily/@weekly/@monthly/@yearly. "
        "When both day-of-month and day-of-week are restricted, either matching fires (Vixie cron). `H`, "
        "`H(a-b)`, `H/n` in a field (Jenkins) stand for values chosen by a stable hash of `bundleKey/name`.",
        examples=["0 9 * * mon-fri"],
    )
    every: str | None = Field(
        None, description="A fixed cadence such as 90m, 6h, 1d (units d h m s).", examples=["6h"]
    )
    offset: str | None = Field(
        None, description="With `every`: shift from the cadence's anchor.", examples=["15m"]
    )
    spread: bool | str | None = Field(
        None,
        description="With `every`: add to `offset` a shift chosen by a stable hash of `bundleKey/name`, within "
        "the rest of the cadence (`true`) or within the duration given; whole minutes. On a cron, write `H` "
        "instead (`H 9 * * mon-fri`).",
        examples=[True, "30m"],
    )
    at: str | None = Field(
        None, description="A one-off fire time (ISO 8601 with offset).", examples=["2026-05-01T09:00:00Z"]
    )
    calendars: list[CalendarRule] | None = Field(
        None, description="Temporal-style structured calendar rules."
    )
    timezone: str | None = Field(
        None, description="IANA timezone name; default UTC.", examples=["Europe/Berlin"]
    )
    start: str | None = Field(None, description="No fire before this instant (ISO 8601).")
    end: str | None = Field(None, description="No fire after this instant (ISO 8601).")


class Input(_Model):
    """What the agent receives on each fire."""

    message: str | None = Field(None, description="The message the agent run starts with.")
    data: dict[str, Any] | None = Field(None, description="Structured input for the agent.")
    secrets: dict[str, str] | None = Field(
        None, description="Sensitive input values, usually `{{ secret('ENV_NAME') }}`; never printed."
    )


class ScheduleFields(_Model):
    """Fields a schedule and `defaults` share."""

    agent: str | None = Field(
        None, description="The agent (or workflow) the schedule runs: the provider's id or key."
    )
    state: Literal["active", "paused"] | None = Field(None, description="active (default) or paused.")
    when: When | None = None
    input: Input | None = None
    labels: dict[str, str] | None = Field(None, description="Labels stored with the schedule.")
    options: dict[str, Any] | None = Field(
        None, description="Provider-native extras, validated by the target provider."
    )
    ignore: list[str] | None = Field(
        None,
        description="Fields left to the platform after the schedule is created: set at create, never compared "
        "or changed afterwards (`input.message`, `labels.owner`, `options.agent_tag`, `state`, `when`...).",
        examples=[["input.message", "labels.owner"]],
    )


class RenamedFrom(_Model):
    """The schedule's previous identity in another bundle: it is taken over, renamed, with no gap."""

    bundleKey: str = Field(pattern=BUNDLE_KEY_PATTERN, description="The bundle that owned it.")
    name: str = Field(description="Its name in that bundle.")


class Defaults(ScheduleFields):
    """Merged under every schedule; the schedule's own values win."""


class Schedule(ScheduleFields):
    name: str = Field(
        description="Unique in the bundle; the schedule's identity.", examples=["weekday-briefing"]
    )
    protect: bool | None = Field(
        None, description="If true, pruning never archives or deletes this schedule."
    )
    adopt: bool | None = Field(
        None, description="If true, a live schedule with the same identity and no owner is taken over."
    )
    renamedFrom: str | RenamedFrom | None = Field(
        None,
        description="The name this schedule had before (in this bundle), or `{bundleKey, name}` in another "
        "bundle: the live schedule is renamed in place (same id and fire history) instead of created anew.",
        examples=["old-name"],
    )
    for_each: list[Any] | dict[str, Any] | None = Field(
        None,
        description="Expand this entry once per item (`item`), or per mapping entry (`key`, `value`).",
        examples=[["emea", "apac"]],
    )


class Target(_Model):
    provider: str = Field(
        description="The platform the schedules live on: an installed provider (`reconciler providers`).",
        json_schema_extra=_installed_providers,
    )
    workspace: str | None = Field(None, description="Provider scope, when the provider has one.")
    api: str | None = Field(None, description="API revision, for providers that have several.")
    namespace: str | None = Field(
        None, description="temporal: the namespace (default: TEMPORAL_NAMESPACE, else `default`)."
    )
    taskQueue: str | None = Field(
        None,
        description="temporal: the task queue the scheduled workflows start on (options.taskQueue overrides).",
    )

    @field_validator("provider")
    @classmethod
    def _provider_installed(cls, value: str) -> str:
        installed = plugin.names()
        if value not in installed:
            # worded by reconciler.bundle.structure as "'provider' must be one of <expected>, got '<value>'"
            expected = ", ".join(f"'{name}'" for name in installed)
            raise PydanticCustomError(
                "literal_error",
                "Input should be {expected}",
                {"expected": f"the installed providers ({expected}; a plugin package adds more)"},
            )
        return value


class MoneySpec(_Model):
    """Money as a mapping; also written as text, "0.40 USD"."""

    amount: int | float | str = Field(description="A non-negative decimal amount.", examples=["500", 0.4])
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="An ISO 4217 code.", examples=["USD"])


class BundleLimits(_Model):
    """A budget for this bundle's schedules together, over the 30 days from now (docs/costs.md)."""

    maxRunsPerDay: int | None = Field(None, ge=1, description="Most runs on the busiest UTC day.")
    maxMonthlyCost: str | MoneySpec | None = Field(
        None,
        description='Most cost in 30 days, from the Costs document\'s perRun ("500 USD").',
        examples=["500 USD"],
    )
    maxConcurrent: int | None = Field(
        None, ge=1, description="Most runs at once (from the Costs document's duration.typical)."
    )


class BundleSpec(_Model):
    """A bundle: one owner key, one target, and the schedules it owns."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        title="reconciler bundle",
        json_schema_extra={"$comment": "Generated by `reconciler schema`; do not edit by hand."},
    )

    apiVersion: Literal["reconciler/v1"] = Field(description="Bundle format version.")
    kind: Literal["Bundle"]
    bundleKey: str = Field(
        pattern=BUNDLE_KEY_PATTERN,
        description="Owns every schedule below: lower-case letters, digits and dashes, at most 63 characters.",
        examples=["support-digests"],
    )
    target: Target
    prune: Literal["archive", "delete", "none"] = Field(
        "archive", description="Fate of owned schedules that left the bundle."
    )
    movedFrom: str | None = Field(
        None,
        description="The file this bundle was applied from before it moved to this one, as a path from the "
        "repository root (e.g. bundles/old.yaml): its schedules are taken over and their ownership marker "
        "records this file from then on. Without it, schedules of this bundleKey applied from another file "
        "are refused.",
        examples=["bundles/old.yaml"],
    )
    pauses: Literal["respect", "heal"] = Field(
        "respect",
        description="A pause made on the platform, outside the bundle, of a schedule the bundle says is active: "
        "`respect` keeps it paused (the plan shows it and never resumes it), `heal` resumes it.",
    )
    respectFor: str | None = Field(
        None,
        description="With `pauses: respect`, how long a pause made outside the bundle is kept (a duration such "
        "as 72h, counted from when the platform says the schedule last changed); after that the plan resumes it.",
        examples=["72h"],
    )
    drift: Literal["heal", "report"] = Field(
        "heal",
        description="Fields changed on the platform since the last apply while the bundle did not change them: "
        "`heal` restores the bundle's values, `report` leaves them as they are and lists them.",
    )
    limits: BundleLimits | None = Field(
        None, description="A budget for this bundle's schedules together; a breach fails validate and plan."
    )
    vars: dict[str, Any] | None = Field(None, description="Template variables; `--var key=value` overrides.")
    defaults: Defaults | None = None
    schedules: list[Schedule] = Field(default_factory=list)
