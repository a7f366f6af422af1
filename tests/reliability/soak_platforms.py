"""The seven provider revisions the fault soak drives, each as the platform itself shows its schedules.

For every revision: the sandbox to start, how the model's schedules are written in a bundle, and an
independent reader of the live state, with the platform's official SDK where one exists (cadenya,
agentex-client 0.17 for the legacy revision, orq-ai-sdk 4.12 for the seed revision, oz-agent-sdk) and plain
HTTP elsewhere. The reader never uses reconciler code: it decodes ownership, names and archive marks by the
platform's documented rules (README, "Connecting to a platform"), so a bug in the providers cannot hide
itself. Each timing and option the model may pick comes with the wire value the platform must then hold,
written out by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
from agentex import Agentex
from cadenya import Cadenya
from orq_ai_sdk import Orq
from oz_agent_sdk import OzAPI

from tests.reliability.soak_model import MESSAGES, Sched, Shape
from tests.sandbox_server import API_KEY

KEY = "soak"  # the bundle under test
OTHER = "other"  # another bundle, applied beside it, whose schedule must never change
START = "2026-12-01T00:00:00Z"
END = "2030-06-01T00:00:00Z"


@dataclass(frozen=True)
class Row:
    """One live schedule as the platform shows it, decoded by the platform's rules."""

    owner: str | None  # the bundle key the ownership marker names; None = no one's
    name: str  # the bundle-side name (the platform name for an unowned schedule)
    agent: str
    state: str  # active | paused | archived (as the platform marks archived: see Platform.archived)
    timing: Any
    message: Any
    option: Any
    snapshot: str = field(default="", compare=False, repr=False)  # all the platform said but fire times
    path: str = field(default="", compare=False, repr=False)  # the schedule's own URL (DELETE cleans up)


@dataclass(frozen=True)
class Choice:
    """A value the model may pick: what the bundle says, and what the platform must then show."""

    bundle: dict[str, Any]
    wire: Any


class Clients:
    """One client of each kind per sandbox, made when first needed and kept: the soak reads thousands of times."""

    def __init__(self, url: str, platform: Platform) -> None:
        self.url = url
        self.platform = platform
        self._made: dict[str, Any] = {}

    def _get(self, kind: str, make: Callable[[], Any]) -> Any:
        if kind not in self._made:
            self._made[kind] = make()
        return self._made[kind]

    @property
    def http(self) -> httpx.Client:
        url = self.url
        return self._get(
            "http",
            lambda: httpx.Client(base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10),
        )

    @property
    def cadenya(self) -> Cadenya:
        return self._get(
            "cadenya",
            lambda: Cadenya(api_key=API_KEY, base_url=self.url, workspace_id=WS, max_retries=0),
        )

    @property
    def agentex(self) -> Agentex:
        return self._get("agentex", lambda: Agentex(api_key=API_KEY, base_url=self.url, max_retries=0))

    @property
    def orq(self) -> Orq:
        return self._get("orq", lambda: Orq(api_key=API_KEY, server_url=self.url))

    @property
    def oz(self) -> OzAPI:
        return self._get("oz", lambda: OzAPI(api_key=API_KEY, base_url=self.url, max_retries=0))

    def close(self) -> None:
        for client in self._made.values():
            getattr(client, "close", lambda: None)()
        self._made.clear()


Reader = Callable[[Clients], list[Row]]


class Reachable(Protocol):
    url: str  # the server's own URL


@dataclass(frozen=True)
class Platform:
    id: str
    provider: str
    serve_args: tuple[str, ...]
    key_env: str
    agents: tuple[str, ...]
    timings: tuple[Choice, ...]
    options: tuple[Choice, ...]  # merged into the schedule (options:, labels:)
    read: Reader
    make_stranger: Callable[[Clients], None]  # an unowned schedule on agents[0]
    target: dict[str, Any] = field(default_factory=dict)
    archived: str = "archived"  # the state an archived schedule shows: "archived", or "paused" where
    # archiving is pausing (agentex, orq)
    message_wire: Callable[[str], Any] = lambda text: text
    message_in_options: bool = False  # agentex legacy has no input: the message rides in workflow_params
    option_allowed: tuple[tuple[bool, ...], ...] = ()

    def clients(self, server: Reachable) -> Clients:
        """The readers of the server (reached directly, never through the fault switch)."""
        return Clients(server.url, self)

    @property
    def shape(self) -> Shape:
        return Shape(len(self.agents), len(self.timings), len(self.options), self.option_allowed)

    @property
    def renames_in_place(self) -> bool:
        """Whether a `renamedFrom` keeps the live schedule (else: a create and the old one archived)."""
        return self.id != "agentex-legacy"

    @property
    def agents_in_identity(self) -> bool:
        """Whether the agent is part of a schedule's identity (else, as on Temporal, a name moved to another
        agent is the same schedule, updated in place)."""
        return self.id != "temporal"

    @property
    def records_applied(self) -> bool:
        """Whether the marker has room for the record of the last apply, so a pause made by hand is kept."""
        return self.id not in ("agentex-legacy", "tbd-agents")

    def pause_by_hand(self, clients: Clients, row: Row) -> None:
        """Pause a schedule as an operator would in the platform's UI (its own pause route)."""
        http = clients.http
        if self.provider == "cadenya":
            response = http.post(row.path + ":pause")
        elif self.provider in ("agentex", "oz"):
            response = http.post(row.path + "/pause")
        elif self.provider == "orq":
            response = http.patch(row.path, json={"is_active": False})
        else:
            response = http.patch(row.path + "/disable")
        response.raise_for_status()

    def schedule(self, name: str, sched: Sched) -> dict[str, Any]:
        message = MESSAGES[sched.message]
        doc: dict[str, Any] = {"name": name, "agent": self.agents[sched.agent]}
        if sched.renamed_from is not None:
            doc["renamedFrom"] = sched.renamed_from
        doc["when"] = dict(self.timings[sched.timing].bundle)
        if sched.paused:
            doc["state"] = "paused"
        extra = self.options[sched.option].bundle
        options = dict(extra.get("options") or {})
        if self.message_in_options:
            options["workflow_params"] = {"message": message}
        else:
            doc["input"] = {"message": message}
        if options:
            doc["options"] = options
        if extra.get("labels"):
            doc["labels"] = dict(extra["labels"])
        return doc

    def document(self, key: str, prune: str, schedules: dict[str, Sched]) -> dict[str, Any]:
        return {
            "apiVersion": "reconciler/v1",
            "kind": "Bundle",
            "bundleKey": key,
            "target": {"provider": self.provider, **self.target},
            "prune": prune,
            "schedules": [self.schedule(name, sched) for name, sched in schedules.items()],
        }

    def expected(self, name: str, sched: Sched, *, archived: bool = False) -> Row:
        state = self.archived if archived else ("paused" if sched.paused else "active")
        return Row(
            owner=KEY,
            name=name,
            agent=self.agents[sched.agent],
            state=state,
            timing=self.timings[sched.timing].wire,
            message=self.message_wire(MESSAGES[sched.message]),
            option=self.options[sched.option].wire,
        )


def _without_fire_times(value: Any) -> Any:
    """The platform's object minus what moves with the clock alone (next fire times)."""
    if isinstance(value, dict):
        return {k: _without_fire_times(v) for k, v in sorted(value.items()) if "next" not in k.lower()}
    if isinstance(value, list):
        return [_without_fire_times(v) for v in value]
    return value


def _snapshot(value: Any) -> str:
    return repr(_without_fire_times(value))


def _utc(value: Any) -> str | None:
    """An instant as `YYYY-MM-DDTHH:MM:SSZ` whatever the platform's spelling (naive = UTC)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _prefixed(platform_name: str, separator: str) -> tuple[str | None, str]:
    owner, sep, name = platform_name.partition(separator)
    return (owner, name) if sep and owner and name else (None, platform_name)


# --- cadenya: official SDK ------------------------------------------------------------------------------
WS = "ws_soak"
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
                    snapshot=_snapshot(
                        {"metadata": repr(s.metadata), "spec": repr(s.spec), "state": s.state}
                    ),
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
            owner, name = _prefixed(s.name, "--")
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
                        _utc(s.spec.start_at),
                        _utc(s.spec.end_at),
                    ),
                    message=message,
                    option=(s.action.workflow_name, s.action.task_queue),
                    snapshot=_snapshot(s.model_dump(mode="json")),
                    path=f"/agents/{agent}/schedules/{s.name}",
                )
            )
    return rows


def _stranger_agentex_legacy(c: Clients) -> None:
    sdk = c.agentex
    sdk.agents.schedules.create(
        c.platform.agents[0], name="stranger", workflow_name="w", task_queue="q", interval_seconds=7200
    )


_WINDOW = {"start": START, "end": END}
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
        Choice({"every": "2h", **_WINDOW}, ((), (7200,), START, END)),
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
            owner, name = _prefixed(s["name"], "--")
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
                        _utc(s.get("start_at")),
                        _utc(s.get("end_at")),
                    ),
                    message=(s.get("initial_input") or {}).get("content"),
                    option=(s.get("description"), s.get("task_params")),
                    snapshot=_snapshot(s),
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
        Choice({"every": "2h", **_WINDOW}, (None, 7200, "UTC", START, END)),
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
        snapshot=_snapshot(s),
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
                snapshot=_snapshot(s.model_dump(mode="json")),
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
        owner, name = _prefixed(platform_name.removesuffix(ARCHIVED_SUFFIX), ":")
        if owner is None:
            name, archived = platform_name, False
        state = "active" if s["enabled"] else ("archived" if archived else "paused")
        rows.append(
            Row(
                owner=owner,
                name=name,
                agent=s["workflow_id"],
                state=state,
                timing=(s["interval_value"], s["interval_unit"], _utc(s["start_at"]), _utc(s.get("end_at"))),
                message=s.get("prompt"),
                option=None,
                snapshot=_snapshot(s),
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
        Choice({"every": "1h", **_WINDOW}, (1, "hours", START, END)),  # removing `end` is delete + create
    ),
    options=(Choice({}, None),),
    read=_read_tbd,
    make_stranger=_stranger_tbd,
)

PLATFORMS = (CADENYA, AGENTEX_LEGACY, AGENTEX_RUNS, ORQ, ORQ_DISPLAY_NAME, OZ, TBD_AGENTS)
