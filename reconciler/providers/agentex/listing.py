"""Reading Agentex schedules, both revisions: what the provider (provider.py) lists, reads by name and shows
the planner; the provider writes, and hands every read to the `Listing` it holds.

Agents come in page-number pages; each agent's schedules are listed concurrently, at the largest page.
Legacy list items carry no spec, so each schedule worth reading is then read by name, and so is each
declared schedule a truncated list could have hidden. `Listing.as_seen` is what the planner is shown of a
live schedule: archived when owned, paused and no longer declared; a look-alike under the owned name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from reconciler.errors import ProviderError, RejectedError
from reconciler.plan.live import LiveSchedule
from reconciler.providers.agentex import legacy, names, runs
from reconciler.providers.base import Provider
from reconciler.providers.bounded_map import bounded_map
from reconciler.providers.http import segment

PAGE_SIZE = 1000  # the schedule lists' maximum (`page_size` legacy, `limit` run schedules)
AGENT_PAGE = 50  # GET /agents' default `limit`; its maximum is not documented, so never ask for more


def schedules_path(agent: str) -> str:
    return f"/agents/{segment(agent)}/schedules"


def by_name_path(agent: str, platform_name: str, *, legacy: bool) -> str:
    middle = "" if legacy else "/name"
    return f"{schedules_path(agent)}{middle}/{segment(platform_name)}"


class Listing:
    """The reads of one provider's bundle on one revision. Thread-safe, as the provider is."""

    def __init__(self, provider: Provider, *, legacy: bool) -> None:
        # The provider, not a copy of its claims: `rename_claims` is computed the first time it is asked.
        self._provider = provider
        self.client = provider.client
        self.bundle = provider.bundle
        self.parallelism = provider.parallelism
        self.legacy = legacy
        self._declared = {(s.agent, s.name): s for s in provider.bundle.schedules}
        self.missing: set[str] = set()  # agents whose schedule list answered 404 (see missing_agents)

    def owned(self, *, live: bool) -> list[LiveSchedule]:
        """What `list_live` reports; `live`: run schedules with their counters (`include_live`)."""
        agents = sorted(set(self._agent_ids()) | {agent for agent, _ in self._declared})
        lives = self._read(agents, lambda item, agent: self._wanted(item, agent), live=live)
        return [self.as_seen(found) for found in lives]

    def every(self, agent: str | None = None) -> list[LiveSchedule]:
        """Every schedule (of one agent, or of all), whoever owns it: what `export` reads."""
        agents = [agent] if agent else sorted(set(self._agent_ids()))
        return self._read(agents, lambda item, agent: True, fallback=False)

    def get(self, agent: str, platform_name: str) -> LiveSchedule | None:
        path = by_name_path(agent, platform_name, legacy=self.legacy)
        response = self.client.request("GET", path, expected=(200, 404))
        if response.status_code == 404:
            return None
        item = response.json()
        return legacy.live_from_wire(item, agent) if self.legacy else runs.live_from_wire(item, agent)

    def as_seen(self, live: LiveSchedule) -> LiveSchedule:
        """What the planner should see: archived = owned, paused and no longer declared; write-only
        options as the bundle has them; a look-alike under the owned name it collides with.

        The owner lives in the name, so `team-old--x` and `team-new--x` are two platform names: without
        this, a bundle whose key changed would create every schedule again beside the old one (both fire).
        Shown as `team-new--x`, the planner refuses it as another bundle's, as on every other platform. An
        unowned `x` is shown so only where the schedule says `adopt: true`, and is adopted."""
        if live.owner == self.bundle.key and live.name is not None:
            desired = self._declared.get((live.agent, live.name))
            # A name a `renamedFrom` leaves reads in its own state, not archived: the rename takes the row as
            # it is. Not on legacy, where the old schedule stays behind archived once the new one is created.
            if desired is None and self._provider.renames_in_place:
                desired = self._provider.rename_claims.get((live.agent, live.owner, live.name))
            if desired is None:
                # Archive is a pause here; a paused leaver whose record says the reconciler left it active was
                # paused by someone else: it reads paused, so the prune archives it (writing the record) and
                # adding it back restores it.
                operators = live.applied is not None and live.applied.state == "active"
                return replace(live, state="archived") if live.state == "paused" and not operators else live
            if self.legacy:
                kept = {
                    k: desired.options[k] for k in legacy.WRITE_ONLY if desired.options.get(k) is not None
                }
                if all(live.options.get(k) == v for k, v in kept.items()):
                    return live  # as the bundle has them already: no copy of each schedule kept
                return replace(live, options={**live.options, **kept})
            return live
        if (live.agent, live.owner, live.name) in self._provider.rename_claims:
            return live  # another bundle's, that a `renamedFrom` takes over: as it is, never a look-alike
        declared = self._declared.get(
            (live.agent, live.display_name if live.owner is None else live.name or "")
        )
        if declared is not None and (live.owner is not None or declared.adopt):
            return replace(live, display_name=self._provider.display_name(declared.name))
        return live

    def _wanted(self, item: dict[str, Any], agent: str) -> bool:
        """Worth reading in full for `list_live`: ours by name, or a look-alike the planner must see: a
        declared bundle name under another bundle's key, or alone (no owner) where it says `adopt: true`."""
        platform = str(item.get("name", ""))
        owner, name = names.split(platform)
        if owner == self.bundle.key or (agent, owner, name) in self._provider.rename_claims:
            return True
        declared = self._declared.get((agent, platform if owner is None else name or ""))
        return declared is not None and (owner is not None or declared.adopt)

    def _read(
        self,
        agents: list[str],
        keep: Callable[[dict[str, Any], str], bool],
        *,
        fallback: bool = True,
        live: bool = False,
    ) -> list[LiveSchedule]:
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            listed = list(pool.map(lambda agent: self._list_agent(agent, live=live), agents))
            chosen = [
                (agent, item)
                for agent, (items, _) in zip(agents, listed, strict=True)
                for item in items
                if keep(item, agent)
            ]
            unseen = self._unseen(agents, listed) if fallback else []
            for items, _ in listed:
                items.clear()  # only the chosen items are held from here on, each let go once read
            window = 4 * self.parallelism  # enough to keep the pool busy, not a future per schedule at once
            if self.legacy:  # list items carry no spec: read each chosen schedule by name
                wanted = [(agent, str(item["name"])) for agent, item in chosen]
                chosen.clear()
                found = bounded_map(pool, lambda key: self.get(*key), wanted, window)
                lives = [live for live in found if live is not None]
            else:
                chosen.reverse()
                lives = []
                while chosen:
                    agent, item = chosen.pop()
                    lives.append(runs.live_from_wire(item, agent))
            by_name = bounded_map(pool, lambda key: self.get(*key), unseen, window)
            lives += [live for live in by_name if live is not None]
        return lives

    def _unseen(
        self, agents: list[str], listed: list[tuple[list[dict[str, Any]], bool]]
    ) -> list[tuple[str, str]]:
        """Declared schedules (and those a `renamedFrom` names) a possibly truncated list could have hidden:
        read them by name instead.

        Legacy: the server caps the namespace's listing before it keeps the agent's rows, so once the
        lists together reach the cap any agent's page may be short. Run schedules: an agent whose page is
        full may have more (there is no cursor).
        """
        seen = {
            (agent, str(item.get("name")))
            for agent, (items, _) in zip(agents, listed, strict=True)
            for item in items
        }
        if self.legacy:
            full = set(agents) if sum(len(items) for items, _ in listed) >= PAGE_SIZE else set()
        else:
            full = {agent for agent, (_, truncated) in zip(agents, listed, strict=True) if truncated}
        wanted = {(agent, self._provider.display_name(name)) for agent, name in self._declared}
        claims = self._provider.rename_claims
        wanted |= {(agent, names.platform_name(owner, name)) for agent, owner, name in claims}
        return sorted((agent, name) for agent, name in wanted if agent in full and (agent, name) not in seen)

    def _list_agent(self, agent: str, *, live: bool = False) -> tuple[list[dict[str, Any]], bool]:
        """An agent's schedule list, and whether it may have been cut short by the page size. `live`: run
        schedules with their counters (`include_live`)."""
        params = {"page_size": str(PAGE_SIZE)} if self.legacy else {"limit": str(PAGE_SIZE)}
        if live:
            params["include_live"] = "true"
        try:
            body = self.client.request("GET", schedules_path(agent), params=params).json()
        except RejectedError as exc:
            if exc.status == 404:  # an agent the bundle names but the platform lacks: nothing live yet
                self.missing.add(agent)
                return [], False
            raise
        items = list(body.get("schedules" if self.legacy else "run_schedules") or [])
        return items, int(body.get("total", len(items))) >= PAGE_SIZE or len(items) >= PAGE_SIZE

    def _agent_ids(self) -> Iterator[str]:
        page = 1
        while True:
            params = {"limit": str(AGENT_PAGE), "page_number": str(page)}
            agents = self.client.request("GET", "/agents", params=params).json()
            if not isinstance(agents, list):
                raise ProviderError(f"GET /agents answered {type(agents).__name__}, not a list of agents")
            for agent in agents:
                if isinstance(agent, dict) and agent.get("id"):
                    yield str(agent["id"])
            if len(agents) < AGENT_PAGE:
                return
            page += 1
