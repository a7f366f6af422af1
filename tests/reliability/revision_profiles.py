"""Every provider revision the reliability tests drive, as data: how to serve its sandbox, a valid schedule
in a few variants, and an independent reading of what lives on the platform (plain HTTP, not the
reconciler's own parsing), so a duplicate or a missing schedule cannot hide behind the code under test.

Used by the crash-safety and the concurrent-apply tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.sandbox_server import API_KEY

KEY = "rel"
START = "2026-12-01T00:00:00Z"
END = "2027-06-01T00:00:00Z"


@dataclass(frozen=True)
class Entry:
    """One schedule on the platform as a person would read it: who owns it, and whether it fires."""

    agent: str
    owner: str | None
    name: str | None
    firing: bool
    platform_id: str


@dataclass(frozen=True)
class Variant:
    """What a schedule looks like in one bundle: `version` changes its timing and message; `recreate`
    asks for the change the provider can only make by delete + create (where it has one)."""

    name: str
    agent: int  # index into the profile's agents
    version: int = 1
    paused: bool = False
    recreate: bool = False


@dataclass(frozen=True)
class Profile:
    id: str
    provider: str
    api: str | None  # the sandbox's --api
    workspace: str | None  # the sandbox's --workspace
    agents: tuple[str, str]  # as bundles name them
    target: dict[str, Any]
    key_env: str
    schedule: Callable[[Variant, str], dict[str, Any]]  # (variant, agent id) -> bundle schedule
    inventory: Callable[[httpx.Client, tuple[str, ...]], list[Entry]]  # everything live, read by hand
    recreates: bool  # an update with `recreate` is a delete + create on this revision

    @property
    def sandbox_agents(self) -> tuple[str, ...]:
        return tuple(a for a in self.agents if a != "default")  # oz's `default` is no agent identity

    @property
    def serve_args(self) -> tuple[str, ...]:
        return (
            *(("--api", self.api) if self.api else ()),
            *(("--workspace", self.workspace) if self.workspace else ()),
            "--agents",
            ",".join(self.sandbox_agents),
        )

    def live(self, client: httpx.Client) -> list[Entry]:
        return self.inventory(client, self.agents)

    def bundle(self, variants: list[Variant], prune: str = "archive") -> dict[str, Any]:
        return {
            "apiVersion": "reconciler/v1",
            "kind": "Bundle",
            "bundleKey": KEY,
            "target": self.target,
            "prune": prune,
            "schedules": [self.schedule(v, self.agents[v.agent]) for v in variants],
        }

    def write(self, path: Path, variants: list[Variant], prune: str = "archive") -> str:
        path.write_text(json.dumps(self.bundle(variants, prune)))  # JSON is YAML
        return str(path)


def client_for(url: str, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A plain HTTP client for a sandbox (a server's URL, or an in-process app's transport)."""
    return httpx.Client(base_url=url, transport=transport, headers={"Authorization": f"Bearer {API_KEY}"})


def _get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    response.raise_for_status()
    return response.json()


def _state(variant: Variant) -> dict[str, str]:
    return {"state": "paused"} if variant.paused else {}


# -- cadenya --------------------------------------------------------------------------------------------
WS = "ws_rel"


def _cadenya_schedule(v: Variant, agent: str) -> dict[str, Any]:
    return {
        "name": v.name,
        "agent": agent,
        "when": {"cron": f"0 {7 + v.version} * * mon-fri", "timezone": "Europe/Berlin"},
        "input": {"message": f"{v.name} v{v.version}"},
        **_state(v),
    }


def _cadenya_inventory(client: httpx.Client, agents: tuple[str, ...]) -> list[Entry]:
    found = []
    for agent in agents:
        items = _get(client, f"/v1/workspaces/{WS}/agents/{agent}/schedules", limit=1000)["items"]
        for item in items:
            meta = item["metadata"]
            found.append(
                Entry(
                    agent,
                    meta.get("bundleKey"),
                    meta.get("name"),
                    item["state"] == "STATE_ACTIVE",
                    meta["id"],
                )
            )
    return found


# -- agentex --------------------------------------------------------------------------------------------
def _agentex_legacy_schedule(v: Variant, agent: str) -> dict[str, Any]:
    return {
        "name": v.name,
        "agent": agent,
        "when": {"cron": f"0 {7 + v.version} * * 1-5"},
        "options": {
            "workflow_name": f"{v.name}-wf",
            "task_queue": agent,
            "workflow_params": {"v": v.version},
        },
        **_state(v),
    }


def _agentex_runs_schedule(v: Variant, agent: str) -> dict[str, Any]:
    return {
        "name": v.name,
        "agent": agent,
        "when": {"cron": f"0 {7 + v.version} * * 1-5", "timezone": "Europe/Berlin"},
        "input": {"message": f"{v.name} v{v.version}"},
        **_state(v),
    }


def _split_agentex(name: str) -> tuple[str | None, str | None]:
    owner, sep, rest = name.partition("--")
    return (owner, rest) if sep and owner and rest else (None, None)


def _agentex_legacy_inventory(client: httpx.Client, agents: tuple[str, ...]) -> list[Entry]:
    found = []
    for agent in agents:
        for item in _get(client, f"/agents/{agent}/schedules", page_size=1000)["schedules"]:
            owner, name = _split_agentex(item["name"])
            found.append(Entry(agent, owner, name, item["state"] == "ACTIVE", item["name"]))
    return found


def _agentex_runs_inventory(client: httpx.Client, agents: tuple[str, ...]) -> list[Entry]:
    found = []
    for agent in agents:
        for item in _get(client, f"/agents/{agent}/schedules", limit=1000)["run_schedules"]:
            owner, name = _split_agentex(item["name"])
            found.append(Entry(agent, owner, name, not item["paused"], item["id"]))
    return found


# -- orq ------------------------------------------------------------------------------------------------
def _orq_schedule(v: Variant, agent: str) -> dict[str, Any]:
    return {
        "name": v.name,
        "agent": agent,
        "when": {"cron": f"0 {7 + v.version} * * 1-5"},
        "input": {"message": f"{v.name} v{v.version}"},
        **_state(v),
    }


def _orq_display_name_schedule(v: Variant, agent: str) -> dict[str, Any]:
    return {**_orq_schedule(v, agent), "when": {"cron": f"0 {7 + v.version} * * 1"}}  # weekly: one weekday


def _orq_inventory(client: httpx.Client, agents: tuple[str, ...]) -> list[Entry]:
    found = []
    for agent in agents:
        for item in _get(client, f"/v3/agents/{agent}/schedules")["schedules"] or []:
            meta = (item.get("payload") or {}).get("metadata") or {}
            owner, name = meta.get("reconciler.dev/bundle"), meta.get("reconciler.dev/name")
            found.append(Entry(agent, owner, name, bool(item["is_active"]), item["_id"]))
    return found


# -- oz -------------------------------------------------------------------------------------------------
OZ_TEAM = "team_rel"


def _oz_schedule(v: Variant, agent: str) -> dict[str, Any]:
    # `recreate` moves the schedule from the team to the caller: scope is fixed at creation (delete + create).
    return {
        "name": v.name,
        "agent": agent,
        "when": {"cron": f"0 {7 + v.version} * * 1-5"},
        "input": {"message": f"{v.name} v{v.version}"},
        **({"options": {"team": False}} if v.recreate else {}),
        **_state(v),
    }


def _oz_inventory(client: httpx.Client, agents: tuple[str, ...]) -> list[Entry]:
    found = []
    for item in _get(client, "/agent/schedules")["schedules"]:
        meta = item.get("metadata") or {}
        found.append(
            Entry(
                item.get("agent_uid") or "default",
                meta.get("reconciler.bundle"),
                meta.get("reconciler.name"),
                bool(item["enabled"]),
                item["id"],
            )
        )
    return found


# -- tbd-agents -----------------------------------------------------------------------------------------
TBD_LOGIN = "octocat"


def _tbd_schedule(v: Variant, agent: str) -> dict[str, Any]:
    # Every variant but `recreate` has an `end`: removing it is a delete + create (PATCH cannot clear it).
    window = {"start": START} if v.recreate else {"start": START, "end": END}
    return {
        "name": v.name,
        "agent": agent,
        "when": {"every": f"{v.version}h", **window},
        "input": {"message": f"{v.name} v{v.version}"},
        **_state(v),
    }


def _tbd_inventory(client: httpx.Client, agents: tuple[str, ...]) -> list[Entry]:
    found = []
    for item in _get(client, "/api/scheduled-agents"):
        base = str(item["name"]).removesuffix(" (archived)")
        owner, sep, name = base.partition(":")
        owned = bool(sep and owner and name)
        found.append(
            Entry(
                item["workflow_id"],
                owner if owned else None,
                name if owned else None,
                bool(item["enabled"]),
                item["id"],
            )
        )
    return found


PROFILES: tuple[Profile, ...] = (
    Profile(
        "cadenya",
        "cadenya",
        None,
        WS,
        ("agent_a", "agent_b"),
        {"provider": "cadenya", "workspace": WS},
        "CADENYA_API_KEY",
        _cadenya_schedule,
        _cadenya_inventory,
        recreates=False,
    ),
    Profile(
        "agentex-legacy",
        "agentex",
        "legacy",
        None,
        ("agent-a", "agent-b"),
        {"provider": "agentex"},
        "AGENTEX_SDK_API_KEY",
        _agentex_legacy_schedule,
        _agentex_legacy_inventory,
        recreates=True,  # every update is a delete + create
    ),
    Profile(
        "agentex-run-schedules",
        "agentex",
        "run-schedules",
        None,
        ("agent-a", "agent-b"),
        {"provider": "agentex", "api": "run-schedules"},
        "AGENTEX_SDK_API_KEY",
        _agentex_runs_schedule,
        _agentex_runs_inventory,
        recreates=False,
    ),
    Profile(
        "orq",
        "orq",
        None,
        None,
        ("digest", "support_bot"),
        {"provider": "orq"},
        "ORQ_API_KEY",
        _orq_schedule,
        _orq_inventory,
        recreates=False,
    ),
    Profile(
        "orq-display-name",
        "orq",
        "display-name",
        None,
        ("digest", "support_bot"),
        {"provider": "orq", "api": "display-name"},
        "ORQ_API_KEY",
        _orq_display_name_schedule,
        _orq_inventory,
        recreates=False,
    ),
    Profile(
        "oz",
        "oz",
        None,
        OZ_TEAM,
        ("default", "agent_ops"),  # `default`: no agent identity, so the schedule may leave the team
        {"provider": "oz"},
        "WARP_API_KEY",
        _oz_schedule,
        _oz_inventory,
        recreates=True,  # team -> personal
    ),
    Profile(
        "tbd-agents",
        "tbd-agents",
        None,
        TBD_LOGIN,
        ("wf_docs", "wf_ops"),
        {"provider": "tbd-agents"},
        "TBD_AGENTS_TOKEN",
        _tbd_schedule,
        _tbd_inventory,
        recreates=True,  # removing `end`
    ),
)
PROFILE_IDS = [p.id for p in PROFILES]
