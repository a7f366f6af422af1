"""What a provider author fills in to run the conformance kit: a `Platform` (how bundles for it look, how to
start its server, and how to read and change it by hand without the reconciler's own provider code).

The kit asserts through `inventory`, not through reconciler's parsing, so a duplicate, a missing schedule or
a foreign schedule that was touched cannot hide behind the code under test.
"""

from __future__ import annotations

import functools
import json
import ssl
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import certifi
import httpx

BUNDLE_KEY = "rel"

# The scenarios of the contract, by the names `Platform.cannot` uses to skip one (with the reason the
# provider documents).
SCENARIOS = (
    "apply",
    "update",
    "pause",
    "archive",
    "delete",
    "empty",
    "foreign",
    "adopt",
    "two-bundles",
    "drift",
    "faults",
    "crash",
    "stale-plan",
    "export",
    "export-owned",  # the owned half of the export round trip
    "hashed",  # `H` in a cron: validate, plan (beside the concrete value), apply, export, plan: no change
    "export-original",  # the export names the `H` it was written as (the marker records it)
)
HASHED_WHEN = {"cron": "H 9 * * mon-fri"}


@dataclass(frozen=True)
class Entry:
    """One schedule on the platform as a person would read it: who owns it, and whether it fires."""

    agent: str
    owner: str | None  # the bundleKey that owns it; None for a schedule the reconciler does not own
    name: str | None  # its name in that bundle
    firing: bool
    platform_id: str  # the platform's own id (as it appears in the platform's URLs)


@dataclass(frozen=True)
class Variant:
    """What a schedule looks like in one bundle: `version` changes its timing and message; `recreate`
    asks for the change the provider can only make by delete + create (where it has one)."""

    name: str
    agent: int  # index into the platform's agents
    version: int = 1
    paused: bool = False
    recreate: bool = False


class PlatformServer(Protocol):
    """A running server for one platform: a `reconciler sandbox serve` subprocess or a real server."""

    @property
    def url(
        self,
    ) -> str: ...  # the platform's base URL: the inventory reads it, the kit's proxy forwards to it

    @property
    def env(self) -> dict[str, str]: ...  # every variable the CLI needs to reach it (URL, key, ...)

    @property
    def url_env(self) -> str: ...  # which of `env` holds the URL (the kit points it at its proxy)

    @property
    def headers(self) -> dict[str, str]: ...  # what the inventory's plain HTTP client sends (auth)

    def reset(self) -> None: ...  # empty the platform: every scenario starts from nothing


ServerStarter = Callable[[], AbstractContextManager[PlatformServer]]
Inventory = Callable[[httpx.Client, tuple[str, ...]], list[Entry]]
HandEdit = Callable[[httpx.Client, Entry, str], None]
HandCreate = Callable[[httpx.Client, str, str], None]


@dataclass(frozen=True, kw_only=True)
class Platform:
    """One provider revision, as the conformance kit drives it."""

    id: str  # a test id, e.g. "orq-display-name"
    provider: str  # `target.provider`
    target: dict[str, Any]  # the bundle's `target` (with `api` for a non-default revision)
    agents: tuple[str, str]  # two agents, as bundles name them, that exist on a fresh server
    schedule: Callable[[Variant, str], dict[str, Any]]  # (variant, agent) -> a valid bundle schedule
    inventory: Inventory  # everything live, read independently (plain HTTP or the vendor's SDK)
    server: ServerStarter | None = None  # starts the server (see `reconciler.testing.servers`)
    edit_by_hand: HandEdit | None = None  # change a live schedule's message as an operator would
    create_by_hand: HandCreate | None = None  # (client, agent, name): a schedule nobody's bundle owns
    # a hand-made schedule with a bundle schedule's name makes the plan refuse until `adopt: true` (else the
    # plan creates the bundle's own beside it)
    collides_by_name: bool = False
    # the name a bundle adopts a hand-made schedule under: (entry, the name it was made with) -> name;
    # None: that name (a platform whose schedules have no name says which one it derives)
    adopt_name: Callable[[Entry, str], str] | None = None
    export_args: tuple[str, ...] | None = None  # `reconciler export` flags; None: derived from `target`
    recreates: bool = False  # an update with `recreate` is a delete + create on this revision
    # Adopting a hand-made schedule deletes it and creates the bundle's own (a platform whose ids cannot
    # change, such as Temporal); None: as `recreates`.
    adopt_recreates: bool | None = None
    cannot: Mapping[str, str] = field(default_factory=dict)  # scenario -> why the provider cannot
    bundle_key: str = BUNDLE_KEY
    # The `when` (with `H`) the `hashed` scenario gives every schedule (the schedule's own timezone kept).
    hashed_when: Mapping[str, Any] = field(default_factory=lambda: dict(HASHED_WHEN))

    def __post_init__(self) -> None:
        unknown = sorted(set(self.cannot) - set(SCENARIOS))
        if unknown:  # a typo would silently run a scenario the provider meant to skip
            raise ValueError(f"platform {self.id!r}: cannot names no scenario {unknown}; known: {SCENARIOS}")

    def serve(self) -> AbstractContextManager[PlatformServer]:
        if self.server is None:
            raise NotImplementedError(f"platform {self.id!r} says nothing about how to start its server")
        return self.server()

    def live(self, client: httpx.Client) -> list[Entry]:
        return self.inventory(client, self.agents)

    def change_by_hand(self, client: httpx.Client, entry: Entry, text: str) -> None:
        if self.edit_by_hand is None:
            raise NotImplementedError(f"platform {self.id!r} has no hand-edit hook")
        self.edit_by_hand(client, entry, text)

    def make_foreign(self, client: httpx.Client, agent: str, name: str) -> None:
        if self.create_by_hand is None:
            raise NotImplementedError(f"platform {self.id!r} has no hand-create hook")
        self.create_by_hand(client, agent, name)

    def adoption_name(self, entry: Entry, made_as: str) -> str:
        return self.adopt_name(entry, made_as) if self.adopt_name is not None else made_as

    def can_change_by_hand(self) -> bool:
        return self.edit_by_hand is not None

    def can_make_foreign(self) -> bool:
        return self.create_by_hand is not None

    def export_flags(self) -> tuple[str, ...]:
        if self.export_args is not None:
            return self.export_args
        flags = ["--provider", self.provider]
        for key in ("workspace", "api"):
            if key in self.target:
                flags += [f"--{key}", str(self.target[key])]
        return tuple(flags)

    def bundle(
        self, variants: list[Variant], prune: str = "archive", key: str | None = None
    ) -> dict[str, Any]:
        return {
            "apiVersion": "reconciler/v1",
            "kind": "Bundle",
            "bundleKey": key or self.bundle_key,
            "target": self.target,
            "prune": prune,
            "schedules": [self.schedule(v, self.agents[v.agent]) for v in variants],
        }

    def write(
        self, path: Path, variants: list[Variant], prune: str = "archive", key: str | None = None
    ) -> str:
        path.write_text(json.dumps(self.bundle(variants, prune, key)))  # JSON is YAML
        return str(path)

    def write_hashed(self, path: Path, variants: list[Variant]) -> str:
        """The bundle of `variants`, each schedule's timing replaced by `hashed_when` (its timezone kept)."""
        bundle = self.bundle(variants)
        for schedule in bundle["schedules"]:
            zone = (schedule.get("when") or {}).get("timezone")
            schedule["when"] = {**self.hashed_when, **({"timezone": zone} if zone else {})}
        path.write_text(json.dumps(bundle))
        return str(path)


def client_for(
    url: str, transport: httpx.BaseTransport | None = None, headers: Mapping[str, str] | None = None
) -> httpx.Client:
    """A plain HTTP client for a platform's server (its URL, or an in-process app's transport)."""
    return httpx.Client(
        base_url=url, transport=transport, headers=dict(headers or {}), timeout=30, verify=trusted_tls()
    )


@functools.cache
def trusted_tls() -> ssl.SSLContext:
    """One verifying TLS context for all of the kit's clients: each new one would read certifi's store again
    (40-200 ms), and a scenario opens a client for every inventory read and every sandbox reset."""
    return ssl.create_default_context(cafile=certifi.where())
