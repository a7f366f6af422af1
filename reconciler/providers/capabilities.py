"""What each platform can express exactly: checked by `validate` before any request is made.

Pure data (docs/providers.md describes it per platform); the provider packages use the same table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    provider: str
    forms: frozenset[str]  # timing forms it accepts: cron, every, at, calendars
    utc_only: bool = False
    cron_seconds: bool = True  # may a cron have a seconds field?
    min_cadence_seconds: int = 0  # the shortest gap between two fires it allows (one-offs exempt)
    max_name_length: int | None = None  # for platforms where the marker lives in the name
    name_separator: str = ""  # bundleKey + separator + name, when the marker is in the name
    every_units: tuple[int, ...] = ()  # `every` must be a whole number of one of these (seconds)
    every_offset: bool = True  # can an `every` carry an `offset`?
    cron_list: bool = True  # may `cron` be a list (several crons on one schedule)?
    cron_pattern: str | None = None  # the cron, 6 canonical fields (seconds first), must match this
    # How its cron engine combines day-of-month and day-of-week (reconciler.timing.dialects): a cron the
    # engine fires on other days than the bundle means (Vixie) is refused. `cron_dialect_documented` False:
    # the platform does not say; `validate` then refuses what the likely engines disagree on.
    cron_dialect: str = "vixie"
    cron_dialect_documented: bool = True
    unsupported: tuple[tuple[str, str], ...] = ()  # (schedule field, why / what instead) it has no place for
    required_options: tuple[str, ...] = ()  # `options:` keys every schedule must set
    every_as_cron: bool = False  # takes cron only: an `every` must have one exact 5-field UTC cron
    requires_start: bool = False
    start_ignored: bool = False  # the platform does not wait for `start` (it counts from registration)
    needs_workspace: bool = False
    name_pattern: str | None = None  # what the platform allows in the (prefixed) name
    window: bool = True  # can it hold `start` / `end`?
    options: tuple[str, ...] = ()  # the `options:` keys it understands
    option_choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # options whose value is one of a list
    note: str = ""
    revision: str = ""  # the API revision (target.api) these are for, when the provider has several
    calendar_years: bool = True  # can a calendar name years? (Cadenya's Calendar has no year field)
    at_must_be_future: bool = False  # the platform refuses a one-off whose time has passed


_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_AGENTEX_LEGACY_OPTIONS = ("workflow_name", "task_queue", "workflow_params", "execution_timeout_seconds")
_AGENTEX_NO_INPUT = (
    "agentex legacy schedules start a Temporal workflow and pass it only options.workflow_params: put "
    "what the agent needs there"
)

CAPABILITIES: dict[str, Capabilities] = {
    "cadenya": Capabilities(
        "cadenya",
        frozenset({"cron", "every", "calendars"}),
        needs_workspace=True,
        window=False,
        calendar_years=False,
        options=("overlapPolicy", "userData", "variationId"),
        option_choices=(("overlapPolicy", ("OVERLAP_POLICY_SKIP", "OVERLAP_POLICY_ALLOW")),),
        note="cadenya has calendars and intervals; a cron is translated exactly into calendars",
    ),
    "agentex": Capabilities(
        "agentex",
        frozenset({"cron", "every"}),
        utc_only=True,
        cron_seconds=False,
        every_offset=False,
        cron_list=False,
        cron_dialect="temporal",
        max_name_length=64,
        name_separator="--",
        name_pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
        options=_AGENTEX_LEGACY_OPTIONS,
        required_options=("workflow_name", "task_queue"),
        unsupported=(
            ("input.message", _AGENTEX_NO_INPUT),
            ("input.data", _AGENTEX_NO_INPUT),
            ("input.secrets", _AGENTEX_NO_INPUT),
            ("labels", "agentex schedules have no labels"),
            (
                "protect",
                "agentex legacy schedules have nowhere to keep the `protect` flag; use `prune: none`",
            ),
        ),
        note="agentex legacy schedules take one 5-field UTC cron or an interval (no offset), run on Temporal",
    ),
    "agentex/run-schedules": Capabilities(
        "agentex",
        frozenset({"cron", "every"}),
        cron_seconds=False,
        every_offset=False,
        cron_list=False,
        cron_dialect="temporal",
        max_name_length=64,
        name_separator="--",
        name_pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
        options=("author", "description", "task_params", "task_metadata"),
        option_choices=(("author", ("user", "agent")),),
        unsupported=(
            (
                "input.data",
                "agentex run schedules take a message only; put structured input in options.task_params",
            ),
            ("input.secrets", "agentex returns every field it stores, so a secret would not stay secret"),
            ("labels", "agentex schedules have no labels; options.task_metadata is copied onto each task"),
        ),
        note="agentex run schedules take one 5-field cron or an interval (no offset), run on Temporal",
        revision="run-schedules",
    ),
    "orq": Capabilities(
        "orq",
        frozenset({"cron", "every", "at"}),
        utc_only=True,
        min_cadence_seconds=_HOUR,
        every_offset=False,
        cron_list=False,
        cron_dialect="robfig",
        window=False,
        options=("agent_tag", "memory_entity_id", "metadata"),
        at_must_be_future=True,
        note="orq takes one UTC cron, an `every` (counted from creation, no offset) or an `at`, "
        "and fires at most once an hour",
    ),
    "orq/display-name": Capabilities(
        "orq",
        frozenset({"cron"}),
        utc_only=True,
        min_cadence_seconds=_HOUR,
        cron_list=False,
        cron_dialect="robfig",
        cron_pattern=r"^0 0 (\*|1?[0-9]|2[0-3]) \* \* (\*|[0-6])$",
        window=False,
        options=("agent_tag", "memory_entity_id", "metadata"),
        note="orq (display-name API) takes one UTC cron that fires hourly on the hour ('0 * * * *'), daily "
        "('0 9 * * *') or weekly ('0 9 * * 1'): minute 0, one hour or '*', one weekday or '*'",
        revision="display-name",
    ),
    "oz": Capabilities(
        "oz",
        frozenset({"cron", "every"}),
        utc_only=True,
        cron_seconds=False,
        cron_list=False,
        cron_dialect="robfig",
        cron_dialect_documented=False,
        every_as_cron=True,
        window=False,
        options=("agent_config", "mode", "team"),
        option_choices=(("mode", ("normal", "plan", "orchestrate")),),
        unsupported=(
            ("input.data", "oz runs a prompt only: write what the agent needs into input.message"),
            ("input.secrets", "oz runs a prompt only, and returns it to anyone who can list schedules"),
        ),
        note="oz takes one 5-field UTC cron; an `every` is accepted only where a cron expresses it exactly",
    ),
    "tbd-agents": Capabilities(
        "tbd-agents",
        frozenset({"every"}),
        utc_only=True,
        every_units=(_MINUTE, _HOUR, _DAY),
        requires_start=True,
        start_ignored=True,
        name_separator=":",
        every_offset=False,
        unsupported=(
            ("input.data", "tbd-agents runs a prompt only: write what the agent needs into input.message"),
            (
                "input.secrets",
                "tbd-agents runs a prompt only, and returns it to anyone who can list schedules",
            ),
            ("labels", "tbd-agents schedules have no labels (their name is the only marker)"),
            (
                "protect",
                "tbd-agents has nowhere to keep the `protect` flag (the name is the only marker); "
                "use `prune: none`",
            ),
        ),
        note="tbd-agents takes `every` in whole minutes, hours or days (7d is 7 days), counted from when the "
        "schedule is registered, and needs a `start`",
    ),
    "temporal": Capabilities(
        "temporal",
        frozenset({"cron", "every", "calendars"}),
        name_separator="--",
        options=(
            "taskQueue",
            "workflowIdPrefix",
            "overlap",
            "catchupWindow",
            "pauseOnFailure",
            "jitter",
            "notes",
        ),
        option_choices=(
            ("overlap", ("skip", "buffer_one", "buffer_all", "cancel_other", "terminate_other", "allow_all")),
        ),
        unsupported=(
            (
                "input.secrets",
                "temporal returns a schedule's input to anyone who can describe it: keep secrets in your "
                "worker's environment or a secret store",
            ),
            ("labels", "temporal schedules have no labels (a schedule's memo cannot change after creation)"),
        ),
        note="temporal takes crons (translated exactly into calendars), calendars and intervals with an "
        "offset, in any zone, with start and end",
    ),
}


def capabilities_for(provider: str, api: str | None = None) -> Capabilities:
    return CAPABILITIES.get(f"{provider}/{api}") or CAPABILITIES[provider]
