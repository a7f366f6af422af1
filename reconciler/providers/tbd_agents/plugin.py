"""The TBD Agents provider's plugin descriptor (entry point `reconciler.providers`: tbd-agents). Pure data."""

from __future__ import annotations

from reconciler.providers.capabilities import Capabilities
from reconciler.providers.plugin import Connection, ProviderPlugin, Sandbox

_MINUTE, _HOUR, _DAY = 60, 3600, 86400

PLUGIN = ProviderPlugin(
    name="tbd-agents",
    provider="reconciler.providers.tbd_agents.provider:TbdAgentsProvider",
    capabilities=(
        Capabilities(
            "tbd-agents",
            frozenset({"every"}),
            utc_only=True,
            every_units=(_MINUTE, _HOUR, _DAY),
            requires_start=True,
            start_ignored=True,
            name_separator=":",
            every_offset=False,
            unsupported=(
                (
                    "input.data",
                    "tbd-agents runs a prompt only: write what the agent needs into input.message",
                ),
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
    ),
    connection=Connection("TBD_AGENTS_BASE_URL", None, "TBD_AGENTS_TOKEN", key_required=False),
    forecast_family="tbd-agents",
    sandbox=Sandbox(emulator="reconciler.sandbox.tbd_agents.provider:TbdAgentsProvider"),
    docs="TBD Agents scheduled agents (intervals only); reconciler/providers/tbd_agents/README.md",
)
