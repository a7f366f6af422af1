"""Every provider revision the reliability, end-to-end and conformance tests drive, as data: a conformance-kit
`Platform` (reconciler.testing) per revision, with how to serve its sandbox, a valid schedule in a few
variants, an independent reading of what lives on the platform (plain HTTP, not the reconciler's own
parsing), and an operator's hand-made schedule, so a duplicate or a missing schedule cannot hide behind the
code under test.

Used by the conformance kit's runs (tests/conformance), the crash-safety and the concurrent-apply tests.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.testing import BUNDLE_KEY, Entry, Platform, PlatformServer, Variant, serve_sandbox
from reconciler.testing import client_for as _client_for
from tests.sandbox_server import API_KEY

KEY = BUNDLE_KEY
START = "2026-12-01T00:00:00Z"
END = "2027-06-01T00:00:00Z"


@dataclass(frozen=True, kw_only=True)
class Profile(Platform):
    """A built-in revision: its Platform plus how its sandbox is served (`reconciler sandbox serve`)."""

    api: str | None  # the sandbox's --api
    workspace: str | None  # the sandbox's --workspace
    key_env: str

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

    def serve(self) -> AbstractContextManager[PlatformServer]:
        return serve_sandbox(self.provider, *self.serve_args, api_key=API_KEY)

    def change_by_hand(self, client: httpx.Client, entry: Entry, text: str) -> None:
        # The operator's edits live with the day-two tests that also make them; imported here on use
        # because that module imports this one.
        from tests.e2e.day_two import operator_edit_message

        operator_edit_message(self, client, entry, text)

    def can_change_by_hand(self) -> bool:
        return True


def client_for(url: str, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A plain HTTP client for a sandbox (a server's URL, or an in-process app's transport)."""
    return _client_for(url, transport, {"Authorization": f"Bearer {API_KEY}"})


def _ok(response: httpx.Response) -> None:
    assert response.is_success, f"{response.request.method} {response.request.url}: {response.text}"


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


def _cadenya_by_hand(client: httpx.Client, agent: str, name: str) -> None:
    spec = {"schedule": {"intervals": [{"every": "3600s"}], "timezone": "UTC"}, "initialMessage": "hi"}
    _ok(
        client.post(
            f"/v1/workspaces/{WS}/agents/{agent}/schedules", json={"metadata": {"name": name}, "spec": spec}
        )
    )


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


def _agentex_legacy_by_hand(client: httpx.Client, agent: str, name: str) -> None:
    body = {"name": name, "workflow_name": "w", "task_queue": "q", "interval_seconds": 3600}
    _ok(client.post(f"/agents/{agent}/schedules", json=body))


def _agentex_runs_by_hand(client: httpx.Client, agent: str, name: str) -> None:
    body = {"name": name, "initial_input": {"content": "hi"}, "interval_seconds": 3600}
    _ok(client.post(f"/agents/{agent}/schedules", json=body))


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


def _orq_by_hand(client: httpx.Client, agent: str, name: str) -> None:
    # orq's seed revision has no name field: `name` only tells the two hand-made ones apart by their input
    body = {"type": "interval", "expression": "@every 2h", "payload": {"input": name}}
    _ok(client.post(f"/v3/agents/{agent}/schedules", json=body))


def _orq_display_name_by_hand(client: httpx.Client, agent: str, name: str) -> None:
    body = {"display_name": name, "type": "cron", "expression": "0 0 8 * * *", "payload": {"input": "hi"}}
    _ok(client.post(f"/v3/agents/{agent}/schedules", json=body))


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


def _oz_by_hand(client: httpx.Client, agent: str, name: str) -> None:
    body = {"name": name, "cron_schedule": "0 * * * *", "prompt": "hi"}
    _ok(client.post("/agent/schedules", json=body | ({} if agent == "default" else {"agent_uid": agent})))


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


def _tbd_by_hand(client: httpx.Client, agent: str, name: str) -> None:
    body = {
        "name": name,
        "workflow_id": agent,
        "prompt": "theirs",
        "interval_value": 2,
        "interval_unit": "hours",
        "start_at": START,
    }
    _ok(client.post("/api/scheduled-agents", json=body))


# Where the name is the whole marker, nothing records what `H` was written as: export writes the concrete value
# alone (docs/bundle-format.md#h-and-spread).
NO_ROOM_FOR_ORIGINAL = "the name is the whole ownership marker: no field records what `H` was written as"

PROFILES: tuple[Profile, ...] = (
    Profile(
        id="cadenya",
        provider="cadenya",
        api=None,
        workspace=WS,
        agents=("agent_a", "agent_b"),
        target={"provider": "cadenya", "workspace": WS},
        key_env="CADENYA_API_KEY",
        schedule=_cadenya_schedule,
        inventory=_cadenya_inventory,
        create_by_hand=_cadenya_by_hand,
        collides_by_name=True,
    ),
    Profile(
        id="agentex-legacy",
        provider="agentex",
        api="legacy",
        workspace=None,
        agents=("agent-a", "agent-b"),
        target={"provider": "agentex"},
        key_env="AGENTEX_SDK_API_KEY",
        schedule=_agentex_legacy_schedule,
        inventory=_agentex_legacy_inventory,
        create_by_hand=_agentex_legacy_by_hand,
        recreates=True,  # every update is a delete + create
        cannot={"export-original": NO_ROOM_FOR_ORIGINAL},
    ),
    Profile(
        id="agentex-run-schedules",
        provider="agentex",
        api="run-schedules",
        workspace=None,
        agents=("agent-a", "agent-b"),
        target={"provider": "agentex", "api": "run-schedules"},
        key_env="AGENTEX_SDK_API_KEY",
        schedule=_agentex_runs_schedule,
        inventory=_agentex_runs_inventory,
        create_by_hand=_agentex_runs_by_hand,
    ),
    Profile(
        id="orq",
        provider="orq",
        api=None,
        workspace=None,
        agents=("digest", "support_bot"),
        target={"provider": "orq"},
        key_env="ORQ_API_KEY",
        schedule=_orq_schedule,
        inventory=_orq_inventory,
        create_by_hand=_orq_by_hand,
        collides_by_name=True,  # with the name derived from its id
        adopt_name=lambda entry, _: f"orq-{entry.platform_id.lower()}",  # no names: one from the id
    ),
    Profile(
        id="orq-display-name",
        provider="orq",
        api="display-name",
        workspace=None,
        agents=("digest", "support_bot"),
        target={"provider": "orq", "api": "display-name"},
        key_env="ORQ_API_KEY",
        schedule=_orq_display_name_schedule,
        inventory=_orq_inventory,
        create_by_hand=_orq_display_name_by_hand,
        collides_by_name=True,
        hashed_when={"cron": "0 H * * *"},  # its crons are hourly, daily or weekly at minute 0
    ),
    Profile(
        id="oz",
        provider="oz",
        api=None,
        workspace=OZ_TEAM,
        agents=("default", "agent_ops"),  # `default`: no agent identity, so the schedule may leave the team
        target={"provider": "oz"},
        key_env="WARP_API_KEY",
        schedule=_oz_schedule,
        inventory=_oz_inventory,
        create_by_hand=_oz_by_hand,
        collides_by_name=True,
        recreates=True,  # team -> personal
    ),
    Profile(
        id="tbd-agents",
        provider="tbd-agents",
        api=None,
        workspace=TBD_LOGIN,
        agents=("wf_docs", "wf_ops"),
        target={"provider": "tbd-agents"},
        key_env="TBD_AGENTS_TOKEN",
        schedule=_tbd_schedule,
        inventory=_tbd_inventory,
        create_by_hand=_tbd_by_hand,
        recreates=True,  # removing `end`
        cannot={
            "export-owned": "the server keeps no record of which prompt came from secret(), so export writes "
            "an owned schedule's prompt as a secret() placeholder (docs/secrets.md, Export)",
            "export-original": NO_ROOM_FOR_ORIGINAL,
            "hashed": "tbd-agents runs only intervals counted from `start`, with no offset: neither `H` nor "
            "`spread` has a value to choose (validate says so)",
        },
    ),
)
PROFILE_IDS = [p.id for p in PROFILES]
