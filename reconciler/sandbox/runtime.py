"""The running sandbox (`Sandbox`) and the contract each emulated provider fulfils (`Provider`).

`app.build_app` creates one `Sandbox` and hands it to the provider's routes and to the shared admin
routes; the provider alone knows its wire format, error shape, resources and fire-time rules.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from reconciler.sandbox.clock import Clock
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.faults import TrafficState
from reconciler.sandbox.stats import Stats
from reconciler.sandbox.store import Json, Store

if TYPE_CHECKING:
    from fastapi import APIRouter


class ApiError(Exception):
    """A refusal the provider renders in its own error shape (`Provider.error_body`)."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class Provider(ABC):
    name: ClassVar[str]
    revisions: ClassVar[tuple[str, ...]]  # API revisions served; the first is the default
    default_workspace: ClassVar[str]

    @abstractmethod
    def add_routes(self, sandbox: Sandbox, router: APIRouter) -> None:
        """Add the vendor's routes to the app's own router (not an included one: the stats layer reads
        route templates from the app router's flat route list)."""

    @abstractmethod
    def error_body(self, status: int, message: str) -> bytes:
        """The vendor's JSON error body for an HTTP status (401s, faults, admin errors included)."""

    @abstractmethod
    def env_vars(self, base_url: str, api_key: str, workspace: str) -> dict[str, str]:
        """What a user exports so the vendor's SDK (and the reconciler) talk to this sandbox."""

    @abstractmethod
    def ensure_workspace(self, sandbox: Sandbox, workspace: str) -> None:
        """Create the workspace (or whatever scopes the provider's agents) unless it exists."""

    @abstractmethod
    def ensure_agent(
        self, sandbox: Sandbox, agent_id: str, workspace: str, name: str | None, labels: dict[str, str]
    ) -> tuple[Json, bool]:
        """Create the agent (and its workspace) unless it exists; returns (vendor JSON, created)."""

    @abstractmethod
    def fire_due(self, sandbox: Sandbox, now: datetime) -> int:
        """Count every fire of every schedule up to `now`; returns how many fires that was."""


@dataclass(frozen=True)
class RunProfile:
    """How the runs an agent's fires start behave, as a test set them (`POST /_sandbox/runs`): each run
    lasts `duration` seconds (a fire while the schedule's previous run still runs overlaps it: platforms
    with a skip policy skip it), and `error`, when set, is the error every start fails with."""

    duration: float = 0.0
    error: str | None = None


@dataclass
class Sandbox:
    config: SandboxConfig
    provider: Provider
    api: str  # the API revision served
    workspace: str  # the default workspace
    store: Store
    stats: Stats = field(default_factory=Stats)
    traffic: TrafficState = field(init=False)
    clock: Clock = field(init=False)

    def __post_init__(self) -> None:
        self.traffic = TrafficState(self.config.traffic)
        self.clock = Clock(self.store, self.kind("clock"))

    def kind(self, resource: str) -> str:
        """Store kinds and meta keys are namespaced by provider, so one file can serve several."""
        return f"{self.provider.name}.{resource}"

    def seed(self) -> None:
        """Create the configured workspace and agents; idempotent, so a reopened file is left as it was."""
        self.provider.ensure_workspace(self, self.workspace)
        for agent in self.config.agents:
            self.provider.ensure_agent(self, agent, self.workspace, None, {})

    def run_profile(self, agent: str) -> RunProfile:
        """How runs of `agent` behave; by default they start fine and end at once (nothing overlaps)."""
        raw = self.store.meta_get(self.kind("runs"))
        found = json.loads(raw).get(agent) if raw else None
        return RunProfile(float(found["duration"]), found.get("error")) if found else RunProfile()

    def set_run_profile(self, agent: str, profile: RunProfile) -> None:
        raw = self.store.meta_get(self.kind("runs"))
        profiles = json.loads(raw) if raw else {}
        profiles[agent] = {"duration": profile.duration, "error": profile.error}
        self.store.meta_set(self.kind("runs"), json.dumps(profiles, sort_keys=True))

    def reset(self) -> None:
        """Back to a fresh start: no schedules, seeded agents only, real time, zeroed stats and faults."""
        self.store.wipe(self.provider.name)
        self.stats.clear()
        self.traffic.configure(self.config.traffic)
        self.seed()
