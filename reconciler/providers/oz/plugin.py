"""The Warp Oz provider's plugin descriptor (entry point `reconciler.providers`: oz). Pure data."""

from __future__ import annotations

from reconciler.providers.capabilities import Capabilities
from reconciler.providers.plugin import Connection, ProviderPlugin, Sandbox

PLUGIN = ProviderPlugin(
    name="oz",
    provider="reconciler.providers.oz.provider:OzProvider",
    capabilities=(
        Capabilities(
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
    ),
    connection=Connection("OZ_API_BASE_URL", "https://app.warp.dev/api/v1", "WARP_API_KEY"),
    rules="reconciler.providers.rules:check_oz",
    forecast_family="oz",
    sandbox=Sandbox(emulator="reconciler.sandbox.oz.provider:OzProvider"),
    docs="Warp Oz scheduled agents; reconciler/providers/oz/README.md",
)
