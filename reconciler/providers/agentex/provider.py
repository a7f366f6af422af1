"""Agentex over HTTP, both revisions: `target.api` unset or `legacy` (the original API), or `run-schedules`.

Schedules are listed per agent (agents in page-number pages), concurrently, at the largest page; legacy
list items carry no spec, so each owned schedule is then read by name. Ownership is the name
`<bundleKey>--<name>`. Archiving is pausing (an owned paused schedule the bundle no longer declares is
`archived`). Legacy updates are delete + create under the same name, the create retried and looked up by
name; if it still fails, the error says the schedule is lost and how to recreate it (the next apply does).
A DELETE that timed out and was repeated may land after the create: `recheck_rewrites` (late_delete.py).
Run schedules keep the applied record in `task_metadata` and change it with the state in one PATCH.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.sensitive import digest_at, digest_like
from reconciler.errors import (
    ConfigError,
    ConflictError,
    ProviderError,
    RejectedError,
    TemporaryError,
    TransportError,
)
from reconciler.plan.live import LiveSchedule
from reconciler.plan.normalise import comparable, desired_shape, live_shape, normalise
from reconciler.providers.agentex import late_delete, legacy, names, runs
from reconciler.providers.base import Provider, Recheck
from reconciler.providers.bounded_map import bounded_map
from reconciler.providers.capabilities import capabilities_for
from reconciler.providers.http import ApiClient, segment

REVISIONS = ("legacy", "run-schedules")
PAGE_SIZE = 1000  # the schedule lists' maximum (`page_size` legacy, `limit` run schedules)
AGENT_PAGE = 50  # GET /agents' default `limit`; its maximum is not documented, so never ask for more
RECREATE_ATTEMPTS = 3


class LostScheduleError(ProviderError):
    """A legacy update deleted the schedule and could not create it again."""


class AgentexProvider(Provider):
    name = "agentex"

    def __init__(
        self,
        client: ApiClient,
        bundle: Bundle,
        digest_key: bytes,
        *,
        environ: Mapping[str, str] | None = None,
        parallelism: int = 8,
    ) -> None:
        super().__init__(client, bundle, digest_key, environ=environ, parallelism=parallelism)
        api = bundle.target.get("api") or "legacy"
        if api not in REVISIONS:
            raise ConfigError(
                f"bundle '{bundle.key}': agentex has no API revision '{api}'; set target.api to legacy "
                "(the default: the original Temporal schedules) or run-schedules"
            )
        self.legacy = api == "legacy"
        # Run schedules keep the record of what was applied in task_metadata, and one PATCH changes the state
        # and the record together. Legacy schedules have no field for it (see the README).
        self.records_applied = not self.legacy
        # Run schedules rename in place: one PATCH of `name` (unique among the agent's active schedules) and
        # the marker in `task_metadata`, same row, same id and counters. Legacy: the name is the identity and
        # there is no update route, so a rename is a create of the new name and the removal of the old one.
        self.renames_in_place = not self.legacy
        if self.legacy:  # no field to record which workflow_params are secret: export writes none
            self.unrecorded_secrets = (("options", "workflow_params"),)
        self.capabilities = capabilities_for("agentex", None if self.legacy else api)
        self._declared = {(s.agent, s.name): s for s in bundle.schedules}
        self._missing: set[str] = set()  # agents whose schedule list answered 404 (see missing_agents)
        self._created = late_delete.CreatedByName()  # legacy: what a late DELETE of its name could remove

    def display_name(self, name: str) -> str:
        return names.platform_name(self.bundle.key, name)

    def source_token(self, path: str) -> str:
        return "" if self.legacy else path  # run schedules: in task_metadata; legacy: no room

    def update_reason(self, desired: DesiredSchedule, live: LiveSchedule) -> str:
        if not self.legacy:
            return ""
        if live.owner is None:
            return f"'{live.remote_id}' deleted, then created as '{self.display_name(desired.name)}'"
        if self._differences(desired, live) <= {"state"}:
            return ""
        return "delete and create: the legacy API has no update"

    # -- reading -------------------------------------------------------------------------------------
    def list_live(self) -> list[LiveSchedule]:
        return self._owned(live=False)

    def read_activity(self) -> list[LiveSchedule]:
        """Legacy: `list_live` (its read by name carries the counters). Run schedules: the same lists with
        `include_live=true` (at most 200 rows enriched a list; past that, counters unavailable)."""
        return self._owned(live=not self.legacy)

    def _owned(self, *, live: bool) -> list[LiveSchedule]:
        agents = sorted(set(self._agent_ids()) | {agent for agent, _ in self._declared})
        lives = self._read(agents, lambda item, agent: self._wanted(item, agent), live=live)
        return [self._as_seen(found) for found in lives]

    def missing_agents(self, agents: set[str]) -> set[str]:
        return agents & self._missing  # every agent the bundle names was listed by `list_live`

    def list_all(self, agent: str | None = None) -> list[LiveSchedule]:
        """Every schedule (of one agent, or of all), whoever owns it: what `export` reads."""
        agents = [agent] if agent else sorted(set(self._agent_ids()))
        return self._read(agents, lambda item, agent: True, fallback=False)

    def find_owned(self, desired: DesiredSchedule) -> LiveSchedule | None:
        live = self._get(desired.agent, self.display_name(desired.name))
        return None if live is None else self._as_seen(live)

    def as_live(self, desired: DesiredSchedule) -> LiveSchedule:
        if self.legacy:
            item = legacy.echo(legacy.create_body(self.bundle.key, desired), desired.agent)
            return self._as_seen(legacy.live_from_wire(item, desired.agent))
        body = runs.create_body(self.bundle.key, desired, self.source, self.record_of(desired))
        item = runs.echo(body, desired.agent)
        return runs.live_from_wire(item, desired.agent)

    def _wanted(self, item: dict[str, Any], agent: str) -> bool:
        """Worth reading in full for `list_live`: ours by name, or a look-alike the planner must see: a
        declared bundle name under another bundle's key, or alone (no owner) where it says `adopt: true`."""
        platform = str(item.get("name", ""))
        owner, name = names.split(platform)
        if owner == self.bundle.key or (agent, owner, name) in self.rename_claims:
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
                found = bounded_map(pool, lambda key: self._get(*key), wanted, window)
                lives = [live for live in found if live is not None]
            else:
                chosen.reverse()
                lives = []
                while chosen:
                    agent, item = chosen.pop()
                    lives.append(runs.live_from_wire(item, agent))
            by_name = bounded_map(pool, lambda key: self._get(*key), unseen, window)
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
        wanted = {(agent, self.display_name(name)) for agent, name in self._declared}
        wanted |= {(agent, names.platform_name(owner, name)) for agent, owner, name in self.rename_claims}
        return sorted((agent, name) for agent, name in wanted if agent in full and (agent, name) not in seen)

    def _list_agent(self, agent: str, *, live: bool = False) -> tuple[list[dict[str, Any]], bool]:
        """An agent's schedule list, and whether it may have been cut short by the page size. `live`: run
        schedules with their counters (`include_live`)."""
        params = {"page_size": str(PAGE_SIZE)} if self.legacy else {"limit": str(PAGE_SIZE)}
        if live:
            params["include_live"] = "true"
        try:
            body = self.client.request("GET", self._schedules(agent), params=params).json()
        except RejectedError as exc:
            if exc.status == 404:  # an agent the bundle names but the platform lacks: nothing live yet
                self._missing.add(agent)
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

    def _get(self, agent: str, platform_name: str) -> LiveSchedule | None:
        path = self._by_name(agent, platform_name)
        response = self.client.request("GET", path, expected=(200, 404))
        if response.status_code == 404:
            return None
        item = response.json()
        return legacy.live_from_wire(item, agent) if self.legacy else runs.live_from_wire(item, agent)

    def _as_seen(self, live: LiveSchedule) -> LiveSchedule:
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
            if desired is None and self.renames_in_place:
                desired = self.rename_claims.get((live.agent, live.owner, live.name))
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
        if (live.agent, live.owner, live.name) in self.rename_claims:
            return live  # another bundle's, that a `renamedFrom` takes over: as it is, never a look-alike
        declared = self._declared.get(
            (live.agent, live.display_name if live.owner is None else live.name or "")
        )
        if declared is not None and (live.owner is not None or declared.adopt):
            return replace(live, display_name=self.display_name(declared.name))
        return live

    # -- writing -------------------------------------------------------------------------------------
    def create(self, desired: DesiredSchedule) -> LiveSchedule:
        body = self._body(desired)
        try:
            item = self.client.request("POST", self._schedules(desired.agent), json=body).json()
        except RejectedError as exc:
            # Run schedules answer a taken name with 400, not 409 (the seed): when the name is indeed taken,
            # it is the same conflict, so the applier looks the schedule up instead of failing (two applies
            # racing to create it).
            if not self.legacy and exc.status == 400 and self._get(desired.agent, body["name"]) is not None:
                raise ConflictError(str(exc), status=exc.status) from exc
            raise
        if self.legacy:
            self._created.add(body["name"], desired)
        return self._from(item, desired.agent)

    def recheck_rewrites(self) -> list[Recheck]:
        if not self.legacy:  # run schedules are addressed by id: a new one has an id no earlier request named
            return []
        created, find = self._created, self.find_owned
        return late_delete.recheck(self.client, created, self._by_name, find, self._create_checked)

    def update(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        if not self.legacy:
            # One PATCH of the fields that differ: `paused` and the record in `task_metadata` included, so a
            # pause or a resume changes the state and the record in one request, atomically.
            return self._patch(desired, live)
        differs = self._differences(desired, live)
        marker_current = not live.incomplete_marker and (not self.source or live.source == self.source)
        if not differs and marker_current:
            return live
        if differs == {"state"} and marker_current:
            return self.pause(live) if desired.state == "paused" else self.resume(live)
        return self._replace(desired, live)

    def adopt(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        """Take over an unowned schedule: it gets the owned name (and the bundle's settings)."""
        if not self.legacy:
            return self._patch(desired, live)
        # Remove the old one first, then create the owned one, as an update does. A crash between the two
        # leaves neither, which the next apply creates (the bundle declares it); the other order would leave
        # both, the old one firing beside ours, and nothing in a later plan would remove it.
        self.client.request("DELETE", self._by_name(live.agent, live.remote_id), expected=(200, 204, 404))
        why = "renamed into the bundle (the legacy API cannot rename)"
        return self._create_checked(desired, after_delete=why)

    def pause(self, live: LiveSchedule) -> LiveSchedule:
        return self._verb(live, "pause") if self.legacy else self._set_state(live, paused=True)

    def resume(self, live: LiveSchedule) -> LiveSchedule:
        return self._verb(live, "unpause") if self.legacy else self._set_state(live, paused=False)

    def archive(self, live: LiveSchedule) -> LiveSchedule:
        return replace(self.pause(live), state="archived")

    def delete(self, live: LiveSchedule) -> None:
        self.client.request("DELETE", self._path(live), expected=(200, 204, 404))

    def _verb(self, live: LiveSchedule, verb: str) -> LiveSchedule:
        # Pausing a paused schedule (resuming an active one) is a no-op on both revisions: safe to repeat.
        item = self.client.request("POST", f"{self._path(live)}/{verb}", json={}, idempotent=True).json()
        return self._from(item, live.agent)

    def _set_state(self, live: LiveSchedule, *, paused: bool) -> LiveSchedule:
        """Run schedules: one PATCH of `paused` and the record's state (an archive is the reconciler's pause:
        the record must not read as an operator's). Setting them twice gives the same row: safe to repeat."""
        patch = runs.state_patch(live, paused)
        item = self.client.request("PATCH", self._path(live), json=patch, idempotent=True).json()
        return self._from(item, live.agent)

    def _patch(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        patch = runs.changes(self._body(desired), live)
        if not patch:
            return live
        # Setting fields to given values twice gives the same row: safe to repeat.
        item = self.client.request("PATCH", self._path(live), json=patch, idempotent=True).json()
        return self._from(item, live.agent)

    def _replace(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        """Legacy update: delete, then create under the same name, never leaving it silently gone."""
        self.delete(live)
        return self._create_checked(desired, after_delete="updated (the legacy API has no update)")

    def _create_checked(self, desired: DesiredSchedule, *, after_delete: str = "") -> LiveSchedule:
        """Create, retrying; a lost answer or a 409 is looked up by name and accepted if it is ours as meant.

        `after_delete` says why the schedule was just deleted, if it was: failing then loses it, and the
        error says so (`LostScheduleError`).
        """
        failure: ProviderError | None = None
        for attempt in range(RECREATE_ATTEMPTS):
            try:
                return self.create(desired)
            except ProviderError as exc:
                failure = exc
                if not (
                    exc.outcome_unknown or isinstance(exc, ConflictError | TemporaryError | TransportError)
                ):
                    break  # the platform refused the body itself: repeating it cannot help
            found = self._lookup(desired)
            if found is not None:
                if not self._differences(desired, found):
                    return found
                self.delete(found)  # our name, not what we meant (a half-applied earlier run): replace it
            if attempt + 1 < RECREATE_ATTEMPTS:
                time.sleep(min(0.5 * 2**attempt, 4.0))
        assert failure is not None
        if not after_delete:
            raise failure
        # The cause's status: a create the platform refuses as written fails the same way next time.
        raise LostScheduleError(self._lost_message(desired, failure, after_delete), status=failure.status)

    def _lookup(self, desired: DesiredSchedule) -> LiveSchedule | None:
        try:
            return self.find_owned(desired)
        except ProviderError:
            return None

    def _lost_message(self, desired: DesiredSchedule, cause: ProviderError, why: str) -> str:
        where = self._schedules(desired.agent)
        return legacy.lost_message(desired, self._body(desired), cause, why, where, RECREATE_ATTEMPTS)

    def _differences(self, desired: DesiredSchedule, live: LiveSchedule) -> set[str]:
        """The fields that differ, compared as the planner compares them: secrets by digest (where the
        marker records them, exactly those fields), so a change of the record alone is written too."""
        normalised = self.normalise(desired)
        want = comparable(normalised, self.digest_key)
        seen = self._as_seen(live)
        shape = live_shape(seen)
        if seen.secret_paths is not None:
            shape = digest_at(shape, seen.secret_paths, self.digest_key)
        else:
            shape = digest_like(desired_shape(normalised), shape, self.digest_key)
        have = normalise(shape)
        return {key for key in set(want) | set(have) if want.get(key) != have.get(key)}

    def _body(self, desired: DesiredSchedule) -> dict[str, Any]:
        if self.legacy:
            return legacy.create_body(self.bundle.key, desired)
        return runs.create_body(self.bundle.key, desired, self.source, self.record_of(desired))

    def _from(self, item: dict[str, Any], agent: str) -> LiveSchedule:
        live = legacy.live_from_wire(item, agent) if self.legacy else runs.live_from_wire(item, agent)
        return self._as_seen(live)

    # -- paths ---------------------------------------------------------------------------------------
    def _schedules(self, agent: str) -> str:
        return f"/agents/{segment(agent)}/schedules"

    def _by_name(self, agent: str, platform_name: str) -> str:
        middle = "" if self.legacy else "/name"
        return f"{self._schedules(agent)}{middle}/{segment(platform_name)}"

    def _path(self, live: LiveSchedule) -> str:
        """Legacy schedules are addressed by name, run schedules by id."""
        return f"{self._schedules(live.agent)}/{segment(live.remote_id)}"
