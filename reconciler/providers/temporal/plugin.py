"""The Temporal provider's plugin descriptor (entry point `reconciler.providers`: temporal). Pure data.

Its "sandbox" is no emulator: a real Temporal dev server (`reconciler.sandbox.temporal_dev`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.providers.capabilities import Capabilities
from reconciler.providers.plugin import Connection, ProviderPlugin, Report, Sandbox, TargetField


def check_rules(data: Mapping[str, Any], caps: Capabilities, report: Report) -> None:
    """The plugin's rule check: Temporal's option and calendar rules (`reconciler.providers.temporal.rules`)."""
    from reconciler.providers.temporal import rules

    rules.check_options(data, report)
    rules.check_years(data, report)


PLUGIN = ProviderPlugin(
    name="temporal",
    provider="reconciler.providers.temporal.provider:TemporalProvider",
    capabilities=(
        Capabilities(
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
                (
                    "overlap",
                    ("skip", "buffer_one", "buffer_all", "cancel_other", "terminate_other", "allow_all"),
                ),
            ),
            unsupported=(
                (
                    "input.secrets",
                    "temporal returns a schedule's input to anyone who can describe it: keep secrets in your "
                    "worker's environment or a secret store",
                ),
                (
                    "labels",
                    "temporal schedules have no labels (a schedule's memo cannot change after creation)",
                ),
            ),
            note="temporal takes crons (translated exactly into calendars), calendars and intervals with an "
            "offset, in any zone, with start and end",
        ),
    ),
    connection=Connection(
        "TEMPORAL_HTTP_ADDRESS",
        None,
        "TEMPORAL_API_KEY",
        key_required=False,
        address_env="TEMPORAL_ADDRESS",
        ca_env="TEMPORAL_TLS_CA_PATH",
        cert_env="TEMPORAL_TLS_CERT_PATH",
        key_env="TEMPORAL_TLS_KEY_PATH",
    ),
    target_fields=(
        TargetField("namespace", "the namespace (default: TEMPORAL_NAMESPACE, else `default`)"),
        TargetField(
            "taskQueue",
            "the task queue the scheduled workflows start on (options.taskQueue overrides)",
            required="temporal needs target.taskQueue: the task queue your agent's worker polls (a schedule "
            "may override it with options.taskQueue)",
        ),
    ),
    rules="reconciler.providers.temporal.plugin:check_rules",
    forecast_family="temporal",
    sandbox=Sandbox(
        start="reconciler.sandbox.temporal_dev:dev_server",
        note="`temporal server start-dev` (the [temporal] extra): `reconciler sandbox serve --provider temporal`",
    ),
    docs="Temporal schedules over a Temporal server's HTTP API (self-hosted, Temporal Cloud or the dev server)",
)
