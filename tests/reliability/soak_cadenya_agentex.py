"""The soak's cadenya and agentex revisions (legacy and run-schedules): the sandbox, the bundle's timings
and options with the wire values they must give, and an independent reader (official SDKs where they exist)."""

from __future__ import annotations

from typing import Any

from tests.reliability.soak_platform import (
    END,
    START,
    WINDOW,
    WS,
    Choice,
    Clients,
    Platform,
    Row,
    as_utc,
    prefixed,
    snapshot,
)

# --- cadenya: official SDK ------------------------------------------------------------------------------
CADENYA_LABEL = "reconciler.dev/bundle"


def _ranges(ranges: Any) -> tuple[tuple[int, int, int], ...] | None:
    return None if not ranges else tuple((r.start, r.end, r.step) for r in ranges)


def _read_cadenya(c: Clients) -> list[Row]:
    rows = []
    sdk = c.cadenya
    for agent in c.platform.agents:
        for s in sdk.agents.schedules.list(agent, limit=100):
            labels = dict(s.metadata.labels or {})
            schedule = s.spec.schedule
            if schedule.intervals:
                timing: Any = ("every", tuple((i.every, i.offset) for i in schedule.intervals))
            else:
                timing = (
                    "calendars",
                    tuple(
                        tuple(
                            _ranges(getattr(calendar, f))
                            for f in ("second", "minute", "hour", "day_of_month", "month", "day_of_week")
                        )
                        for calendar in schedule.calendars or []
                    ),
                )
            state = {"STATE_ACTIVE": "active", "STATE_PAUSED": "paused", "STATE_ARCHIVED": "archived"}
            owner = labels.pop(CADENYA_LABEL, None)
            # The rest of the marker (the name and source it was written for, secret records) is not the
            # bundle's labels: only those are compared.
            labels = {k: v for k, v in labels.items() if not k.startswith("reconciler.dev/")}
            rows.append(
                Row(
                    owner=owner,
                    name=s.metadata.name,
                    agent=agent,
                    state=state.get(s.state, s.state),
                    timing=(*timing, schedule.timezone),
                    message=s.spec.first_user_message,
                    option=(s.spec.overlap_policy, tuple(sorted(labels.items()))),
                    snapshot=snapshot({"metadata": repr(s.metadata), "spec": repr(s.spec), "state": s.state}),
                    path=f"/v1/workspaces/{WS}/agents/{agent}/schedules/{s.metadata.id}",
                )
            )
    return rows


def _stranger_cadenya(c: Clients) -> None:
    sdk = c.cadenya
    sdk.agents.schedules.create(
        c.platform.agents[0],
        metadata={"name": "stranger"},
        spec={"schedule": {"intervals": [{"every": "7200s"}], "timezone": "UTC"}, "initialMessage": "hi"},
    )


_WEEKDAYS_9 = (((0, 0, 1),), ((0, 0, 1),), ((9, 9, 1),), None, None, ((1, 5, 1),))
_DAILY_7_30 = (((0, 0, 1),), ((30, 30, 1),), ((7, 7, 1),), None, None, None)

CADENYA = Platform(
    id="cadenya",
    provider="cadenya",
    serve_args=("--workspace", WS, "--agents", "agent-a,agent-b"),
    key_env="CADENYA_API_KEY",
    agents=("agent-a", "agent-b"),
    target={"workspace": WS},
    timings=(
        Choice({"every": "1h"}, ("every", (("3600s", None),), "UTC")),
        Choice({"every": "6h", "offset": "15m"}, ("every", (("21600s", "900s"),), "UTC")),
        Choice(
            {"cron": "0 9 * * mon-fri", "timezone": "Europe/Berlin"},
            ("calendars", (_WEEKDAYS_9,), "Europe/Berlin"),
        ),
        Choice({"cron": "30 7 * * *"}, ("calendars", (_DAILY_7_30,), "UTC")),
    ),
    options=(
        Choice({}, (None, ())),
        Choice({"options": {"overlapPolicy": "OVERLAP_POLICY_ALLOW"}}, ("OVERLAP_POLICY_ALLOW", ())),
        Choice({"labels": {"tier": "gold"}}, (None, (("tier", "gold"),))),
    ),
    read=_read_cadenya,
    make_stranger=_stranger_cadenya,
)


# --- agentex legacy: official SDK 0.17 ------------------------------------------------------------------
def _read_agentex_legacy(c: Clients) -> list[Row]:
    rows = []
    sdk = c.agentex
    for agent in c.platform.agents:
        for item in sdk.agents.schedules.list(agent, page_size=1000).schedules:
            s = sdk.agents.schedules.retrieve(item.name, agent_id=agent)
            owner, name = prefixed(s.name, "--")
            params = s.action.workflow_params
            message = params[0].get("message") if params else None
            rows.append(
                Row(
                    owner=owner,
                    name=name,
                    agent=agent,
                    state={"ACTIVE": "active", "PAUSED": "paused"}.get(s.state, s.state),
                    timing=(
                        tuple(s.spec.cron_expressions or ()),
                        tuple(s.spec.intervals_seconds or ()),
                        as_utc(s.spec.start_at),
                        as_utc(s.spec.end_at),
                    ),
                    message=message,
                    option=(s.action.workflow_name, s.action.task_queue),
                    snapshot=snapshot(s.model_dump(mode="json")),
                    path=f"/agents/{agent}/schedules/{s.name}",
                )
            )
    return rows


def _stranger_agentex_legacy(c: Clients) -> None:
    sdk = c.agentex
    sdk.agents.schedules.create(
        c.platform.agents[0], name="stranger", workflow_name="w", task_queue="q", interval_seconds=7200
    )


AGENTEX_LEGACY = Platform(
    id="agentex-legacy",
    provider="agentex",
    serve_args=("--agents", "agent-a,agent-b"),
    key_env="AGENTEX_SDK_API_KEY",
    agents=("agent-a", "agent-b"),
    timings=(
        Choice({"every": "1h"}, ((), (3600,), None, None)),
        Choice({"every": "6h"}, ((), (21600,), None, None)),
        Choice({"cron": "0 9 * * mon-fri"}, (("0 9 * * 1-5",), (), None, None)),
        Choice({"every": "2h", **WINDOW}, ((), (7200,), START, END)),
    ),
    options=(
        Choice({"options": {"workflow_name": "wf-main", "task_queue": "q-main"}}, ("wf-main", "q-main")),
        Choice({"options": {"workflow_name": "wf-alt", "task_queue": "q-main"}}, ("wf-alt", "q-main")),
        Choice({"options": {"workflow_name": "wf-main", "task_queue": "q-alt"}}, ("wf-main", "q-alt")),
    ),
    read=_read_agentex_legacy,
    make_stranger=_stranger_agentex_legacy,
    archived="paused",
    message_in_options=True,
)


# --- agentex run-schedules: plain HTTP (its SDK, 0.28, lives in a virtualenv of its own) ---------------
def _read_agentex_runs(c: Clients) -> list[Row]:
    rows = []
    http = c.http
    for agent in c.platform.agents:
        response = http.get(f"/agents/{agent}/schedules", params={"limit": 1000})
        response.raise_for_status()
        for s in response.json()["run_schedules"]:
            owner, name = prefixed(s["name"], "--")
            rows.append(
                Row(
                    owner=owner,
                    name=name,
                    agent=agent,
                    state="paused" if s["paused"] else "active",
                    timing=(
                        s.get("cron_expression"),
                        s.get("interval_seconds"),
                        s.get("timezone"),
                        as_utc(s.get("start_at")),
                        as_utc(s.get("end_at")),
                    ),
                    message=(s.get("initial_input") or {}).get("content"),
                    option=(s.get("description"), s.get("task_params")),
                    snapshot=snapshot(s),
                    path=f"/agents/{agent}/schedules/{s['id']}",
                )
            )
    return rows


def _stranger_agentex_runs(c: Clients) -> None:
    http = c.http
    body = {"name": "stranger", "initial_input": {"content": "hi"}, "interval_seconds": 7200}
    http.post(f"/agents/{c.platform.agents[0]}/schedules", json=body).raise_for_status()


AGENTEX_RUNS = Platform(
    id="agentex-run-schedules",
    provider="agentex",
    serve_args=("--api", "run-schedules", "--agents", "agent-a,agent-b"),
    key_env="AGENTEX_SDK_API_KEY",
    agents=("agent-a", "agent-b"),
    target={"api": "run-schedules"},
    timings=(
        Choice({"every": "1h"}, (None, 3600, "UTC", None, None)),
        Choice({"every": "6h"}, (None, 21600, "UTC", None, None)),
        Choice(
            {"cron": "0 9 * * mon-fri", "timezone": "Europe/Berlin"},
            ("0 9 * * 1-5", None, "Europe/Berlin", None, None),
        ),
        Choice({"every": "2h", **WINDOW}, (None, 7200, "UTC", START, END)),
    ),
    options=(
        Choice({}, (None, None)),
        Choice({"options": {"description": "nightly run"}}, ("nightly run", None)),
        Choice({"options": {"task_params": {"region": "emea"}}}, (None, {"region": "emea"})),
    ),
    read=_read_agentex_runs,
    make_stranger=_stranger_agentex_runs,
    archived="paused",
)
