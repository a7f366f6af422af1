"""The Cadenya provider's plugin descriptor (entry point `reconciler.providers`: cadenya). Pure data."""

from __future__ import annotations

from reconciler.providers.capabilities import Capabilities
from reconciler.providers.plugin import Connection, ProviderPlugin, Sandbox, TargetField

PLUGIN = ProviderPlugin(
    name="cadenya",
    provider="reconciler.providers.cadenya.provider:CadenyaProvider",
    capabilities=(
        Capabilities(
            "cadenya",
            frozenset({"cron", "every", "calendars"}),
            needs_workspace=True,
            window=False,
            calendar_years=False,
            options=("overlapPolicy", "userData", "variationId"),
            option_choices=(("overlapPolicy", ("OVERLAP_POLICY_SKIP", "OVERLAP_POLICY_ALLOW")),),
            note="cadenya has calendars and intervals; a cron is translated exactly into calendars",
        ),
    ),
    connection=Connection("CADENYA_BASE_URL", "https://api.cadenya.com", "CADENYA_API_KEY"),
    target_fields=(TargetField("workspace", "the Cadenya workspace every request is scoped to"),),
    rules="reconciler.providers.rules:check_cadenya",
    forecast_family="cadenya",
    sandbox=Sandbox(emulator="reconciler.sandbox.cadenya.provider:CadenyaProvider"),
    docs="Cadenya agent schedules (calendars and intervals); reconciler/providers/cadenya/README.md",
)
