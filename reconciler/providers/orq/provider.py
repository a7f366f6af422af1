"""orq.ai over HTTP: list a bundle's schedules per agent, create, update, pause, resume, archive, delete.

Schedules are listed per agent (the agent's `key` is the path parameter) and only whole (no filter, no
pages), so `list_live` pages through `/v2/agents` (200 a page, the maximum) and lists every agent's
schedules concurrently. orq has no archive: `archive` deactivates, and an owned inactive schedule that
left the bundle reads back as `archived`, so pruning it again is never planned.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.errors import ConfigError, ReconcilerError, RejectedError
from reconciler.plan.live import LiveSchedule
from reconciler.plan.record import parse_record
from reconciler.providers.base import LivePart, Provider
from reconciler.providers.capabilities import capabilities_for
from reconciler.providers.http import ApiClient, segment
from reconciler.providers.orq import wire

AGENT_PAGE = 200  # /v2/agents accepts 1..200


class OrqProvider(Provider):
    name = "orq"
    unique_names = False  # two live schedules may share a name: racing creates make twins
    # The marker (`payload.metadata`) keeps the applied record; a PATCH takes `payload` with `is_active`, so
    # a pause or resume and its record are one request (see `update`).
    records_applied = True
    # A rename is one PATCH: the marker's name and bundle key in `payload.metadata` (and `display_name` on the
    # display-name revision), never the expression unless it changed, so the id, `trigger_count` and the
    # interval's phase are kept (see the README).
    renames_in_place = True

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
        revision = bundle.target.get("api") or wire.SEED
        if revision not in wire.REVISIONS:
            raise ConfigError(
                f"bundle '{bundle.key}': orq has no API revision '{revision}'; use target.api "
                f"'{wire.DISPLAY_NAME}' (the current API) or leave it out (the original API, '{wire.SEED}')"
            )
        self.revision = revision
        self.capabilities = capabilities_for("orq", None if revision == wire.SEED else revision)
        self.ctx = wire.Context(bundle.key, revision, digest_key, self.source)
        self._in_bundle: wire.InBundle = {(s.agent, s.name): s.state for s in bundle.schedules}
        for s in bundle.schedules:  # a name a `renamedFrom` leaves reads in its state, not as archived
            if s.renamed_from is not None and s.renamed_from[0] == bundle.key:
                self._in_bundle.setdefault((s.agent, s.renamed_from[1]), s.state)
        self._missing: set[str] = set()  # agents whose schedule list answered 404 (see missing_agents)

    def source_token(self, path: str) -> str:
        return path  # payload.metadata holds any string

    # -- reading -------------------------------------------------------------------------------------
    def list_live(self) -> list[LiveSchedule]:
        return self._read()

    def list_live_parts(self, emit: LivePart) -> None:
        self._read(emit)  # agent by agent: each agent's list is one part

    def read_ahead(self, agents: frozenset[str]) -> None:
        # Each listed agent's list, as `_list_agent` asks for it; not that of an agent the platform lacks (its
        # 404 is an error, which reads do not share: the real read would send it again). `agents` plays no
        # part: orq lists an agent whole, whether the bundle names it or not.
        def listing(agent: str) -> None:
            with contextlib.suppress(ReconcilerError):  # sent again by the real read, which reports it
                self.client.request("GET", self._schedules(agent))

        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            list(pool.map(listing, sorted(set(self._agent_keys()))))

    def _read(self, emit: LivePart | None = None) -> list[LiveSchedule]:
        wanted = {s.agent for s in self.bundle.schedules}
        agents = sorted(set(self._agent_keys()) | wanted)

        def one(agent: str) -> list[LiveSchedule]:
            found = self._list_agent(agent, self._in_bundle)
            kept = found if agent in wanted else [live for live in found if live.owner == self.bundle.key]
            if emit is not None:
                emit(kept, (agent,))
            return kept

        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            return [live for found in pool.map(one, agents) for live in found]

    def list_twins(self, agents: set[str]) -> list[LiveSchedule]:
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            found = pool.map(lambda agent: self._list_agent(agent, self._in_bundle), sorted(agents))
            return [live for lives in found for live in lives]

    def missing_agents(self, agents: set[str]) -> set[str]:
        return agents & self._missing  # every agent the bundle names was listed by `list_live`

    def list_all(self, agent: str | None = None) -> list[LiveSchedule]:
        """Every schedule (or one agent's), whoever owns it, with its platform state: what `export` reads."""
        agents = [agent] if agent else sorted(set(self._agent_keys()))
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            return [live for found in pool.map(lambda a: self._list_agent(a, None), agents) for live in found]

    def _agent_keys(self) -> Iterator[str]:
        after = ""
        while True:
            params: dict[str, Any] = {"limit": AGENT_PAGE, **({"starting_after": after} if after else {})}
            body = self.client.request("GET", "/v2/agents", params=params).json()
            data = body.get("data") or []
            for agent in data:
                if agent.get("key"):
                    yield str(agent["key"])
            if not body.get("has_more") or not data or not data[-1].get("_id"):
                return
            after = str(data[-1]["_id"])

    def _list_agent(self, agent: str, in_bundle: wire.InBundle | None) -> list[LiveSchedule]:
        try:
            body = self.client.request("GET", self._schedules(agent)).json()
        except RejectedError as exc:
            if exc.status == 404:  # an agent the bundle names but the platform lacks: nothing live yet
                self._missing.add(agent)
                return []
            raise
        items = body.get("schedules") or []
        for item in items:  # the agent's key set on the item itself: a copy of each would be read and dropped
            item.setdefault("agent_key", agent)
        return [wire.live_from_wire(self.ctx, item, in_bundle=in_bundle) for item in items]

    def find_owned(self, desired: DesiredSchedule) -> LiveSchedule | None:
        for live in self._list_agent(desired.agent, self._in_bundle):
            if (
                live.owner == self.bundle.key
                and live.name == desired.name
                and live.display_name == desired.name  # a copy of the marker names another schedule
                and live.state != "archived"
            ):
                return live
        return None

    def as_live(self, desired: DesiredSchedule) -> LiveSchedule:
        body = wire.create_body(self.ctx, desired)  # no record: only `when` and `options` are read back
        item = {**body, "_id": "", "agent_key": desired.agent, "is_active": desired.state == "active"}
        return wire.live_from_wire(self.ctx, item)

    # -- writing -------------------------------------------------------------------------------------
    def create(self, desired: DesiredSchedule) -> LiveSchedule:
        # The record is written with the create, saying `paused` already where the bundle asks it: the
        # schedule is created active (the create takes no `is_active`) and paused by the next PATCH, so a
        # crash in between leaves record=paused on an active schedule, never the reverse.
        body = wire.create_body(self.ctx, desired, self.record_of(desired))
        item = self.client.request("POST", self._schedules(desired.agent), json=body, expected=(200, 201))
        live = wire.live_from_wire(self.ctx, item.json())
        if self.revision == wire.SEED:
            # The original API has no names: the marker records the schedule's own id, which only exists now
            # (one PATCH, which also pauses it when asked; a payload change leaves the cadence alone).
            return self.update(desired, live)
        return self.pause(live) if desired.state == "paused" else live

    def update(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        """One PATCH: the fields that differ, the payload with the marker and its applied record, and
        `is_active` where the state changes. So a pause or resume routed here (records_applied) changes the
        state and the record together, atomically: no crash can leave one without the other."""
        body = wire.patch_body(self.ctx, desired, live.raw, self.record_of(desired))
        # Setting fields to the values they then have is a no-op on orq (no generation bump): safe to retry.
        return self._patch(live, body)

    def adopt(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        return self.update(desired, live)

    def pause(self, live: LiveSchedule) -> LiveSchedule:
        """Without a desired schedule (archive, restore paths): the state alone; the marker is left as is."""
        return self._patch(live, {"is_active": False})

    def resume(self, live: LiveSchedule) -> LiveSchedule:
        return self._patch(live, {"is_active": True})

    def archive(self, live: LiveSchedule) -> LiveSchedule:
        """orq has no archive: the schedule is deactivated and keeps its payload. Its record then says
        `paused` (the same PATCH: one request), so that once re-added to the bundle (where it reads as
        paused, not archived) it is restored rather than taken for a pause made outside the bundle."""
        body: dict[str, Any] = {"is_active": False}
        payload = _payload_recording_paused(live.raw)
        if payload is not None:
            body["payload"] = payload
        return self._patch(live, body)

    def delete(self, live: LiveSchedule) -> None:
        self.client.request("DELETE", self._schedule(live), expected=(200, 204, 404))

    def _patch(self, live: LiveSchedule, body: dict[str, Any]) -> LiveSchedule:
        item = self.client.request("PATCH", self._schedule(live), json=body, idempotent=True).json()
        return wire.live_from_wire(self.ctx, item, in_bundle=self._in_bundle)

    # -- paths ---------------------------------------------------------------------------------------
    @staticmethod
    def _schedules(agent: str) -> str:
        return f"/v3/agents/{segment(agent)}/schedules"

    def _schedule(self, live: LiveSchedule) -> str:
        return f"{self._schedules(live.agent)}/{segment(live.remote_id)}"


def _payload_recording_paused(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The live payload, its record saying `paused`; None where it need not or must not be resent: no record
    (or one saying paused already), or a secret variable in it (write-only: it reads back without its value,
    and what orq does with a secret resent that way is not documented)."""
    payload = dict(raw.get("payload") or {})
    metadata = dict(payload.get("metadata") or {})
    record = parse_record(str(metadata.get(wire.RECORD_KEY) or ""))
    if record is None or record.state == "paused":
        return None
    variables = payload.get("variables") or {}
    if any(isinstance(v, dict) and v.get("secret") is True for v in variables.values()):
        return None
    metadata[wire.RECORD_KEY] = record.with_state("paused").text()
    return {**payload, "metadata": metadata}
