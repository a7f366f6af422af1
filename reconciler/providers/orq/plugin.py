"""The orq.ai provider's plugin descriptor (entry point `reconciler.providers`: orq). Pure data."""

from __future__ import annotations

from reconciler.providers.capabilities import Capabilities
from reconciler.providers.plugin import Connection, ProviderPlugin, Sandbox

_HOUR = 3600

PLUGIN = ProviderPlugin(
    name="orq",
    provider="reconciler.providers.orq.provider:OrqProvider",
    capabilities=(
        Capabilities(
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
        Capabilities(
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
    ),
    connection=Connection("ORQ_SERVER_URL", "https://api.orq.ai", "ORQ_API_KEY"),
    revisions=("v3", "display-name"),
    rules="reconciler.providers.rules:check_orq",
    forecast_family="orq",
    sandbox=Sandbox(emulator="reconciler.sandbox.orq.provider:OrqProvider"),
    docs="orq.ai agent schedules (v3 or display-name API); reconciler/providers/orq/README.md",
)
