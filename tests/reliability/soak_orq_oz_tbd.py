"""The soak's orq (seed revision, and display names), oz and TBD Agents revisions: the sandbox, the bundle's
timings and options with the wire values they must give, and an independent reader (official SDKs where they
exist, plain HTTP elsewhere)."""

from __future__ import annotations

from typing import Any

from tests.reliability.soak_platform import (
    END,
    START,
    WINDOW,
    Choice,
    Clients,
    Platform,
    Row,
    as_utc,
    prefixed,
    snapshot,
)

# --- orq seed revision: official SDK 4.12 ---------------------------------------------------------------
ORQ_BUNDLE, ORQ_NAME = "reconciler.dev/bundle", "reconciler.dev/name"


def _orq_row(s: dict[str, Any], agent: str, *, display_name: bool) -> Row:
    metadata = dict((s.get("payload") or {}).get("metadata") or {})
    owner, name = metadata.get(ORQ_BUNDLE), metadata.get(ORQ_NAME)
    shown = s.get("display_name")
    if owner is None or name is None:
        owner, name = None, str(shown or s.get("_id") or s.get("id"))
    elif display_name and shown != name:
        name = f"{name} (shown as {shown!r})"  # the display-name revision shows the bundle name
    return Row(
        owner=owner,
        name=name,
        agent=agent,
        state="active" if s.get("is_active") else "paused",
        timing=(s.get("type"), s.get("expression")),
        message=(s.get("payload") or {}).get("input"),
        option=s.get("agent_tag"),
        snapshot=snapshot(s),
        path=f"/v3/agents/{agent}/schedules/{s.get('_id') or s.get('id')}",
    )


def _read_orq(c: Clients) -> list[Row]:
    sdk = c.orq
    return [
        _orq_row(s.model_dump(mode="json", by_alias=True), agent, display_name=False)
        for agent in c.platform.agents
        for s in sdk.schedules.list(agent_key=agent).schedules or []
    ]


def _stranger_orq(c: Clients) -> None:
    sdk = c.orq
    sdk.schedules.create(
        agent_key=c.platform.agents[0], type_="interval", expression="@every 2h", payload={"input": "hi"}
    )


_ORQ_OPTIONS = (
    Choice({}, None),
    Choice({"options": {"agent_tag": "v1"}}, "v1"),
    Choice({"options": {"agent_tag": "v2"}}, "v2"),
)
ORQ = Platform(
    id="orq",
    provider="orq",
    serve_args=("--agents", "digest,support_bot"),
    key_env="ORQ_API_KEY",
    agents=("digest", "support_bot"),
    timings=(
        Choice({"every": "1h"}, ("interval", "@every 1h")),
        Choice({"every": "6h"}, ("interval", "@every 6h")),
        Choice({"cron": "0 9 * * mon-fri"}, ("cron", "0 0 9 * * 1-5")),
        Choice({"cron": "30 7 * * *"}, ("cron", "0 30 7 * * *")),
    ),
    options=_ORQ_OPTIONS,
    read=_read_orq,
    make_stranger=_stranger_orq,
    archived="paused",
)


# --- orq display-name revision: plain HTTP (the seed's SDK predates it) --------------------------------
def _read_orq_display_name(c: Clients) -> list[Row]:
    rows = []
    http = c.http
    for agent in c.platform.agents:
        response = http.get(f"/v3/agents/{agent}/schedules")
        response.raise_for_status()
        rows += [_orq_row(s, agent, display_name=True) for s in response.json()["schedules"]]
    return rows


def _stranger_orq_display_name(c: Clients) -> None:
    http = c.http
    body = {
        "display_name": "stranger",
        "type": "cron",
        "expression": "0 0 8 * * *",
        "payload": {"input": "hi"},
    }
    http.post(f"/v3/agents/{c.platform.agents[0]}/schedules", json=body).raise_for_status()


ORQ_DISPLAY_NAME = Platform(
    id="orq-display-name",
    provider="orq",
    serve_args=("--api", "display-name", "--agents", "digest,support_bot"),
    key_env="ORQ_API_KEY",
    agents=("digest", "support_bot"),
    target={"api": "display-name"},
    timings=(
        Choice({"cron": "0 * * * *"}, ("cron", "0 0 * * * *")),
        Choice({"cron": "0 9 * * *"}, ("cron", "0 0 9 * * *")),
        Choice({"cron": "0 9 * * 1"}, ("cron", "0 0 9 * * 1")),
        Choice({"cron": "0 18 * * 5"}, ("cron", "0 0 18 * * 5")),
    ),
    options=_ORQ_OPTIONS,
    read=_read_orq_display_name,
    make_stranger=_stranger_orq_display_name,
    archived="paused",
)


# --- oz: official SDK ------------------------------------------------------------------------------------
def _read_oz(c: Clients) -> list[Row]:
    rows = []
    oz = c.oz
    for s in oz.agent.schedules.list().schedules:
        metadata = dict(s.metadata or {})
        owner, name = metadata.get("reconciler.bundle"), metadata.get("reconciler.name")
        if owner is None or name is None:
            owner, name = None, s.name
        elif s.name != name:
            name = f"{name} (named {s.name!r})"
        state = "active" if s.enabled else "paused"
        if not s.enabled and metadata.get("reconciler.archived") == "true":
            state = "archived"
        rows.append(
            Row(
                owner=owner,
                name=name,
                agent=s.agent_uid or "default",
                state=state,
                timing=s.cron_schedule,
                message=s.prompt,
                option=(metadata.get("reconciler.mode"), s.scope.type if s.scope else None),
                snapshot=snapshot(s.model_dump(mode="json")),
                path=f"/agent/schedules/{s.id}",
            )
        )
    return rows


def _stranger_oz(c: Clients) -> None:
    oz = c.oz
    oz.agent.schedules.create(name="stranger", cron_schedule="0 */2 * * *", prompt="hi")


OZ = Platform(
    id="oz",
    provider="oz",
    serve_args=("--workspace", "team_soak", "--agents", "agent_ops"),
    key_env="WARP_API_KEY",
    agents=("default", "agent_ops"),
    timings=(
        Choice({"every": "1h"}, "0 * * * *"),
        Choice({"every": "6h", "offset": "15m"}, "15 */6 * * *"),
        Choice({"cron": "0 9 * * mon-fri"}, "0 9 * * 1-5"),
        Choice({"cron": "30 7 * * *"}, "30 7 * * *"),
    ),
    options=(
        Choice({}, (None, "Team")),
        Choice({"options": {"mode": "plan"}}, ("plan", "Team")),
        Choice({"options": {"team": False}}, (None, "User")),  # personal: a delete + create to change
    ),
    option_allowed=((True, True, True), (True, True, False)),  # an agent identity needs a team schedule
    read=_read_oz,
    make_stranger=_stranger_oz,
)


# --- tbd-agents: no SDK, plain HTTP ----------------------------------------------------------------------
ARCHIVED_SUFFIX = " (archived)"


def _read_tbd(c: Clients) -> list[Row]:
    http = c.http
    response = http.get("/api/scheduled-agents")
    response.raise_for_status()
    items = response.json()
    rows = []
    for s in items:
        platform_name = str(s["name"])
        archived = platform_name.endswith(ARCHIVED_SUFFIX)
        owner, name = prefixed(platform_name.removesuffix(ARCHIVED_SUFFIX), ":")
        if owner is None:
            name, archived = platform_name, False
        state = "active" if s["enabled"] else ("archived" if archived else "paused")
        rows.append(
            Row(
                owner=owner,
                name=name,
                agent=s["workflow_id"],
                state=state,
                timing=(
                    s["interval_value"],
                    s["interval_unit"],
                    as_utc(s["start_at"]),
                    as_utc(s.get("end_at")),
                ),
                message=s.get("prompt"),
                option=None,
                snapshot=snapshot(s),
                path=f"/api/scheduled-agents/{s['id']}",
            )
        )
    return rows


def _stranger_tbd(c: Clients) -> None:
    http = c.http
    body = {
        "name": "stranger",
        "workflow_id": c.platform.agents[0],
        "prompt": "hi",
        "interval_value": 2,
        "interval_unit": "hours",
        "start_at": START,
    }
    http.post("/api/scheduled-agents", json=body).raise_for_status()


TBD_AGENTS = Platform(
    id="tbd-agents",
    provider="tbd-agents",
    serve_args=("--workspace", "octocat", "--agents", "wf_docs,wf_ops"),
    key_env="TBD_AGENTS_TOKEN",
    agents=("wf_docs", "wf_ops"),
    timings=(
        Choice({"every": "1h", "start": START}, (1, "hours", START, None)),
        Choice({"every": "90m", "start": START}, (90, "minutes", START, None)),
        Choice({"every": "1d", "start": START}, (1, "days", START, None)),
        Choice({"every": "1h", **WINDOW}, (1, "hours", START, END)),  # removing `end` is delete + create
    ),
    options=(Choice({}, None),),
    read=_read_tbd,
    make_stranger=_stranger_tbd,
)
