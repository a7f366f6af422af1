"""Every platform (and API revision) the secret-leak scenario runs against: how to serve it, its credentials,
and bundles that put a secret wherever that platform lets one go (valid, and invalid right next to it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

S = "{{ secret('TOKEN') }}"


@dataclass(frozen=True)
class Variant:
    """One platform (and API revision): how to serve it, its credentials, a bundle that uses secrets."""

    id: str
    provider: str
    serve: tuple[str, ...]
    key_env: str
    target: dict[str, str]
    schedule: dict[str, Any]  # uses TOKEN wherever this platform lets a secret go
    rejected_agent: str  # an agent the sandbox does not know: creating a schedule for it is refused (4xx)
    # A second agent's schedule with the secret only where the platform keeps it write-only (`input.secrets`
    # on cadenya and orq; elsewhere nowhere). A secret inside a message, data, a label or an option is stored
    # in clear by every platform; the ownership marker records where, so `export` (which reads the platform,
    # not a bundle) writes a placeholder there (or, where the platform has no room to record it, writes none
    # of the values of an owned schedule's field that may hold one).
    vault: dict[str, Any] = field(default_factory=dict)
    export: tuple[str, ...] = ()
    placeholders: int = 1  # at least this many `secret()` placeholders in the export


VARIANTS = (
    Variant(
        "cadenya",
        "cadenya",
        ("--workspace", "ws_leak", "--agents", "agent_a,agent_b"),
        "CADENYA_API_KEY",
        {"workspace": "ws_leak"},
        {
            "agent": "agent_a",
            "when": {"cron": "0 9 * * *"},
            "input": {"message": f"Brief {S}", "data": {"d": f"x-{S}"}, "secrets": {"token": S}},
            "labels": {"team": f"t{S}"},
            "options": {"userData": {"u": S}},
        },
        "agent_missing",
        {
            "agent": "agent_b",
            "when": {"cron": "0 10 * * *"},
            "input": {"message": "Vault", "secrets": {"token": S}},
        },
        ("--workspace", "ws_leak"),
        placeholders=6,
    ),
    Variant(
        "agentex-legacy",
        "agentex",
        ("--agents", "agent-a,agent-b"),
        "AGENTEX_SDK_API_KEY",
        {},
        {
            "agent": "agent-a",
            "when": {"cron": "0 9 * * *"},
            "options": {"workflow_name": "wf", "task_queue": "q", "workflow_params": {"token": S}},
        },
        "agent-missing",
        {
            "agent": "agent-b",
            "when": {"cron": "0 10 * * *"},
            "options": {"workflow_name": "v", "task_queue": "q"},
        },
    ),
    Variant(
        "agentex-run-schedules",
        "agentex",
        ("--api", "run-schedules", "--agents", "agent-a,agent-b"),
        "AGENTEX_SDK_API_KEY",
        {"api": "run-schedules"},
        {
            "agent": "agent-a",
            "when": {"cron": "0 9 * * *"},
            "input": {"message": f"Brief {S}"},
            "options": {"task_params": {"token": S}},
        },
        "agent-missing",
        {"agent": "agent-b", "when": {"cron": "0 10 * * *"}, "input": {"message": "Vault"}},
        ("--api", "run-schedules"),
        placeholders=2,
    ),
    Variant(
        "orq",
        "orq",
        ("--agents", "digest,vault"),
        "ORQ_API_KEY",
        {},
        {
            "agent": "digest",
            "when": {"cron": "0 9 * * *"},
            "input": {"message": f"Brief {S}", "data": {"d": f"x-{S}"}, "secrets": {"token": S}},
            "labels": {"team": S},
            "options": {"metadata": {"api": S}, "agent_tag": S},
        },
        "agent_missing",
        {
            "agent": "vault",
            "when": {"cron": "0 10 * * *"},
            "input": {"message": "Vault", "secrets": {"token": S}},
        },
        placeholders=7,
    ),
    Variant(
        "orq-display-name",
        "orq",
        ("--api", "display-name", "--agents", "digest,vault"),
        "ORQ_API_KEY",
        {"api": "display-name"},
        {
            "agent": "digest",
            "when": {"cron": "0 9 * * *"},
            "input": {"message": f"Brief {S}", "secrets": {"token": S}},
            "options": {"metadata": {"api": S}},
        },
        "agent_missing",
        {
            "agent": "vault",
            "when": {"cron": "0 10 * * *"},
            "input": {"message": "Vault", "secrets": {"token": S}},
        },
        ("--api", "display-name"),
        placeholders=4,
    ),
    Variant(
        "oz",
        "oz",
        ("--workspace", "team_leak", "--agents", "agent_ops"),
        "WARP_API_KEY",
        {},
        {
            "agent": "agent_ops",
            "when": {"cron": "0 9 * * *"},
            "input": {"message": f"Brief {S}"},
            "labels": {"team": S},
        },
        "agent_missing",
        {"agent": "default", "when": {"cron": "0 10 * * *"}, "input": {"message": "Vault"}},
        placeholders=2,
    ),
    Variant(
        "tbd-agents",
        "tbd-agents",
        ("--workspace", "leak", "--agents", "wf_docs,wf_ops"),
        "TBD_AGENTS_TOKEN",
        {},
        {
            "agent": "wf_docs",
            "when": {"every": "1d", "start": "2026-12-01T00:00:00Z"},
            "input": {"message": f"Brief {S}"},
        },
        "wf_missing",
        {
            "agent": "wf_ops",
            "when": {"every": "1d", "start": "2026-12-01T00:00:00Z"},
            "input": {"message": "Vault"},
        },
    ),
)


def bundle(variant: Variant, *schedules: dict[str, Any]) -> str:
    return json.dumps(
        {
            "apiVersion": "reconciler/v1",
            "kind": "Bundle",
            "bundleKey": "leak",
            "target": {"provider": variant.provider, **variant.target},
            "schedules": list(schedules),
        }
    )


def invalid_bundle(variant: Variant) -> str:
    """Wrong in several ways right next to the secret, so every error path has it at hand."""
    broken = json.loads(json.dumps(variant.schedule))
    broken["when"] = {**broken["when"], "cron": "61 * * * *"} if "cron" in broken["when"] else {"every": "7x"}
    return bundle(
        variant,
        {"name": "broken", **broken},
        {"name": f"bad name {S}", **variant.schedule},
        {"name": "agent-secret", **{**variant.schedule, "agent": S}},
        {"name": "unknown-field", "labelz": {"k": S}, **variant.schedule},
        {"name": "s1", **variant.schedule, "when": {"cron": S}},
    )
