"""What the fault soak needs to know of a provider revision (`Platform`), the rows its independent reader
returns, and the helpers those readers share. The revisions themselves: soak_platforms.py."""

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
WINDOW = {"start": START, "end": END}
WS = "ws_soak"  # cadenya's workspace


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


# What a schedule's own firing changes (the sandboxes fire in real time): a history that crosses a full hour
# sees another bundle's hourly schedule fire, which is not a change anyone made to it.
FIRE_BOOKKEEPING = frozenset({"trigger_count", "num_actions_taken", "num_actions_missed", "task_count"})


def _moves_with_the_clock(key: str) -> bool:
    lowered = key.lower()
    return "next" in lowered or lowered.startswith("last_") or lowered in FIRE_BOOKKEEPING


def without_fire_times(value: Any) -> Any:
    """The platform's object minus what moves with the clock alone: next fire times, and what firing
    records (when it last fired, how often)."""
    if isinstance(value, dict):
        return {k: without_fire_times(v) for k, v in sorted(value.items()) if not _moves_with_the_clock(k)}
    if isinstance(value, list):
        return [without_fire_times(v) for v in value]
    return value


def snapshot(value: Any) -> str:
    return repr(without_fire_times(value))


def as_utc(value: Any) -> str | None:
    """An instant as `YYYY-MM-DDTHH:MM:SSZ` whatever the platform's spelling (naive = UTC)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def prefixed(platform_name: str, separator: str) -> tuple[str | None, str]:
    owner, sep, name = platform_name.partition(separator)
    return (owner, name) if sep and owner and name else (None, platform_name)
