"""The Scale Agentex provider's plugin descriptor (entry point `reconciler.providers`: agentex). Pure data."""

from __future__ import annotations

from reconciler.providers.capabilities import Capabilities
from reconciler.providers.plugin import Connection, ProviderPlugin, Sandbox

_AGENTEX_LEGACY_OPTIONS = ("workflow_name", "task_queue", "workflow_params", "execution_timeout_seconds")
_AGENTEX_NO_INPUT = (
    "agentex legacy schedules start a Temporal workflow and pass it only options.workflow_params: put "
    "what the agent needs there"
)

PLUGIN = ProviderPlugin(
    name="agentex",
    provider="reconciler.providers.agentex.provider:AgentexProvider",
    capabilities=(
        Capabilities(
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
        Capabilities(
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
                (
                    "labels",
                    "agentex schedules have no labels; options.task_metadata is copied onto each task",
                ),
            ),
            note="agentex run schedules take one 5-field cron or an interval (no offset), run on Temporal",
            revision="run-schedules",
        ),
    ),
    connection=Connection("AGENTEX_BASE_URL", "https://agentex.sgp.scale.com", "AGENTEX_SDK_API_KEY"),
    revisions=("legacy", "run-schedules"),
    rules="reconciler.providers.rules:check_agentex",
    forecast_family="agentex",
    sandbox=Sandbox(emulator="reconciler.sandbox.agentex.provider:AgentexProvider"),
    docs="Scale Agentex schedules (legacy Temporal schedules, or run schedules); reconciler/providers/agentex/README.md",
)
