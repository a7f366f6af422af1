"""What the crash and concurrency tests share: bundle histories, the apply environment pointed at a proxy
in front of the sandbox, an in-process plan, and the convergence check."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from reconciler.cli.session import Options, open_session
from reconciler.plan.model import Plan
from reconciler.testing import PlatformServer
from tests.reliability.revision_profiles import KEY, Entry, Profile, Variant, client_for
from tests.sandbox_server import API_KEY, Server


@dataclass(frozen=True)
class Step:
    """One commit of a bundle's history."""

    name: str
    variants: tuple[Variant, ...]
    prune: str = "archive"
    args: tuple[str, ...] = ()


V = Variant
STEPS: tuple[Step, ...] = (
    Step("create", (V("a", 0), V("b", 0, paused=True), V("c", 1))),
    # a: a change that is a delete + create where the revision has one; b: resumed and changed; c: paused
    Step("update", (V("a", 0, version=2, recreate=True), V("b", 0, version=2), V("c", 1, paused=True))),
    Step("remove", (V("b", 0, version=2), V("d", 1))),  # a and c archived, d created
)
LONGER_STEPS: tuple[Step, ...] = (
    *STEPS,
    Step("restore", (V("a", 0, version=2, recreate=True), V("b", 0, version=2), V("d", 1, version=2))),
    Step("delete", (V("b", 0, version=2, paused=True),), prune="delete", args=("--allow-delete",)),
)


AnyServer = Server | PlatformServer  # a `reconciler sandbox serve`, or a real server (Temporal's dev server)


def env_for(profile: Profile, server: AnyServer, url: str) -> dict[str, str]:
    """The variables apply needs, with the base URL pointing at `url` (a proxy in front of the server). A
    sandbox: its URL and the API key; a real server without a key (Temporal): every variable it names."""
    url_var = getattr(server, "url_env", "") or next(
        k for k in server.env if k.endswith(("_BASE_URL", "_SERVER_URL"))
    )
    if not profile.key_env:
        return {**server.env, url_var: url}
    return {url_var: url, profile.key_env: API_KEY}


def write_step(profile: Profile, step: Step, path: Path) -> str:
    return profile.write(path, list(step.variants), step.prune)


def plan_in_process(env: dict[str, str], path: str) -> Plan:
    """The plan `reconciler plan` would print, made in this process (the same session code, over HTTP)."""
    with mock.patch.dict(os.environ, env):
        session = open_session(Options((path,)))
    session.close()
    return session.plan


def changing(plan: Plan) -> int:
    return sum(1 for b in plan.bundles for a in b.actions if a.kind != "noop")


def describe(plan: Plan) -> str:
    steps = [f"{a.kind} {a.name} ({a.reason})" for b in plan.bundles for a in b.actions if a.kind != "noop"]
    return "; ".join(steps) or "no changes"


@dataclass
class Expectation:
    """What the platform must hold after a step converged: every schedule ever created by the history,
    exactly once; declared ones firing as declared, removed ones archived (not firing) or deleted."""

    declared: dict[str, bool] = field(default_factory=dict)  # name -> firing
    archived: set[str] = field(default_factory=set)

    def advance(self, step: Step) -> None:
        names = {v.name for v in step.variants}
        left = (set(self.declared) | self.archived) - names
        self.archived = set() if step.prune == "delete" else left
        self.declared = {v.name: not v.paused for v in step.variants}


def owned(profile: Profile, server: AnyServer) -> list[Entry]:
    with client_for(server.url) as client:
        return [e for e in profile.live(client) if e.owner == KEY]


def assert_converged(
    profile: Profile, server: AnyServer, env: dict[str, str], path: str, want: Expectation, trace: str
) -> None:
    entries = owned(profile, server)
    by_name: dict[str, list[Entry]] = {}
    for entry in entries:
        by_name.setdefault(entry.name or "", []).append(entry)
    shown = ", ".join(f"{e.name}@{e.agent}:{'on' if e.firing else 'off'}" for e in entries)
    context = f"\n{trace}\nlive: {shown}"
    duplicates = {name: len(items) for name, items in by_name.items() if len(items) > 1}
    assert not duplicates, f"duplicates {duplicates}{context}"
    expected = set(want.declared) | want.archived
    assert set(by_name) == expected, f"expected {sorted(expected)}, live {sorted(by_name)}{context}"
    for name, firing in want.declared.items():
        assert by_name[name][0].firing == firing, f"{name} should {'' if firing else 'not '}fire{context}"
    for name in want.archived:
        assert not by_name[name][0].firing, f"{name} was removed from the bundle but still fires{context}"
    plan = plan_in_process(env, path)
    assert not plan.has_changes, f"a further apply would still: {describe(plan)}{context}"
