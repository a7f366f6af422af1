"""One scenario's view of a platform: write bundles, run the CLI against the server (directly or through the
kit's proxy), and read the platform independently."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.testing.cli import Run, run_cli, run_killable
from reconciler.testing.platform import Entry, Platform, PlatformServer, Variant, client_for
from reconciler.testing.proxy import Faults, InterruptingProxy, KillPoint


@dataclass
class Harness:
    platform: Platform
    server: PlatformServer
    workdir: Path
    # Each step through `reconciler.cli.main` in this process (see reconciler.testing.cli); False: a real
    # `python -m reconciler` subprocess per step, as the scenario that proves the entry point uses.
    in_process: bool = True

    # -- bundles and the CLI ---------------------------------------------------------------------------
    def write(
        self,
        variants: list[Variant],
        prune: str = "archive",
        key: str | None = None,
        name: str = "bundle.yaml",
    ) -> str:
        return self.platform.write(self.workdir / name, variants, prune, key)

    def write_hashed(self, variants: list[Variant], name: str = "bundle.yaml") -> str:
        return self.platform.write_hashed(self.workdir / name, variants)

    def env(self, proxy: InterruptingProxy | None = None) -> dict[str, str]:
        env = dict(self.server.env)
        if proxy is not None:
            env[self.server.url_env] = proxy.url
        return env

    def cli(self, *args: str, proxy: InterruptingProxy | None = None) -> Run:
        return run_cli(*args, env=self.env(proxy), in_process=self.in_process)

    def apply(self, *args: str, proxy: InterruptingProxy | None = None) -> Run:
        run = self.cli("apply", "--auto-approve", *args, proxy=proxy)
        assert run.code == 0, f"apply failed ({run.code})\n{run.out}\n{run.err}"
        return run

    def apply_killed_at(self, proxy: InterruptingProxy, kill: KillPoint, *args: str) -> Run:
        proxy.arm(kill)
        try:
            return run_killable("apply", "--auto-approve", *args, env=self.env(proxy), kill_on=proxy.tripped)
        finally:
            proxy.release()

    def plan_json(self, *paths: str) -> dict[str, Any]:
        run = self.cli("plan", "--format", "json", *paths)
        assert run.code == 0, f"plan failed ({run.code})\n{run.err}"
        return json.loads(run.out)  # type: ignore[no-any-return]

    def changes(self, *paths: str) -> list[tuple[str, str]]:
        """(action, name) of every change a plan of `paths` holds, sorted."""
        plan = self.plan_json(*paths)
        return sorted(
            (a["action"], a["name"]) for b in plan["bundles"] for a in b["actions"] if a["action"] != "noop"
        )

    def assert_no_changes(self, *paths: str) -> None:
        run = self.cli("plan", "--detailed-exitcode", *paths)
        assert run.code == 0, f"a fresh plan still has changes ({run.code})\n{run.out}\n{run.err}"
        assert "No changes" in run.out, run.out

    @contextmanager
    def proxy(self, faults: Faults | None = None) -> Iterator[InterruptingProxy]:
        forwarder = InterruptingProxy(self.server.url, faults=faults)
        try:
            yield forwarder
        finally:
            forwarder.close()

    # -- the platform, read and changed by hand --------------------------------------------------------
    def live(self) -> list[Entry]:
        with client_for(self.server.url, headers=self.server.headers) as client:
            return self.platform.live(client)

    def owned(self, key: str | None = None) -> dict[str, Entry]:
        """The live schedules `key` owns, by name; fails on a duplicate (two live schedules, one name)."""
        owner = key or self.platform.bundle_key
        mine = [e for e in self.live() if e.owner == owner]
        names = [e.name for e in mine]
        twins = sorted({n for n in names if n is not None and names.count(n) > 1})
        assert not twins, f"duplicates of {twins} for bundle {owner!r}: {mine}"
        return {e.name or "": e for e in mine}

    def firing(self, key: str | None = None) -> dict[str, bool]:
        return {name: entry.firing for name, entry in self.owned(key).items()}

    def change_by_hand(self, entry: Entry, text: str) -> None:
        with client_for(self.server.url, headers=self.server.headers) as client:
            self.platform.change_by_hand(client, entry, text)

    def make_foreign(self, agent: int, name: str) -> Entry:
        """A schedule made by hand on the platform, owned by no bundle; returns it as the inventory reads it."""
        before = {e.platform_id for e in self.live()}
        with client_for(self.server.url, headers=self.server.headers) as client:
            self.platform.make_foreign(client, self.platform.agents[agent], name)
        made = [e for e in self.live() if e.platform_id not in before]
        assert len(made) == 1 and made[0].owner is None, f"the hand-made schedule reads as {made}"
        return made[0]


def touched(requests: list[str], platform_id: str) -> list[str]:
    """The requests (as "METHOD /path") that wrote to the schedule with this id: any path segment equal to it."""
    return [r for r in requests if not r.startswith("GET ") and platform_id in r.split(" ")[1].split("/")]
