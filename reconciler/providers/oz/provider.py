"""Warp Oz over HTTP: one global list, create, read-modify-write PUT, pause, resume, archive, delete.

Every schedule the caller sees comes back from one `GET /agent/schedules` (no pagination). A PUT replaces
the whole schedule, so each write first reads the live item and sends back what the bundle does not
manage (`agent_config` set elsewhere) unchanged. Archive = disabled + the `reconciler.archived` marker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from functools import cached_property
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.errors import BundleError
from reconciler.plan.live import LiveSchedule
from reconciler.providers.base import Provider
from reconciler.providers.capabilities import CAPABILITIES
from reconciler.providers.http import segment
from reconciler.providers.json_items import list_items
from reconciler.providers.oz import wire

SCHEDULES = "/agent/schedules"


class OzProvider(Provider):
    name = "oz"
    unique_names = False  # two live schedules may share a name: racing creates make twins
    capabilities = CAPABILITIES["oz"]
    # The record is the metadata key `reconciler.applied`; a PUT carries it with `enabled`, so a pause or a
    # resume and its record are one write: no order to get wrong.
    records_applied = True
    # A rename (or a move between bundles) is the same read-modify-write PUT: `name` and the marker change with
    # the rest, on the same id; history is kept (README.md).
    renames_in_place = True

    def source_token(self, path: str) -> str:
        """The path itself, or its digest where it is longer than a metadata value may be."""
        if len(path.encode()) <= wire.METADATA_VALUE_MAX_BYTES:
            return path
        return "sha256-" + hashlib.sha256(path.encode()).hexdigest()[:16]

    # -- reading -------------------------------------------------------------------------------------
    def _items(self) -> Iterator[dict[str, Any]]:
        """The one list's schedules, decoded one at a time (each let go once read: the decoded list of 10,000
        was the peak of a plan's memory)."""
        return list_items(self.client.request("GET", SCHEDULES).content, "schedules")

    def list_live(self) -> list[LiveSchedule]:
        names = {s.name for s in self.bundle.schedules}
        found = []
        for item in self._items():
            live = wire.live_from_wire(item)
            if live.owner == self.bundle.key or (live.owner is None and live.display_name in names):
                found.append(self._as_bundle_sees(live))
            elif live.display_name in names:
                found.append(live)  # another bundle's: the planner reports the collision
            elif self.claimed_by(live) is not None:
                found.append(self._as_bundle_sees(live))  # another bundle's, that `renamedFrom` takes over
        return found

    @cached_property
    def _declared(self) -> dict[tuple[str, str], DesiredSchedule]:
        """The bundle's schedules by (agent, name), first of any repeats: one lookup per listed schedule, where
        a walk of the bundle for each made reading 10,000 schedules cost ~10 s of CPU."""
        declared: dict[tuple[str, str], DesiredSchedule] = {}
        for schedule in self.bundle.schedules:
            declared.setdefault((schedule.agent, schedule.name), schedule)
        return declared

    def _as_bundle_sees(self, live: LiveSchedule) -> LiveSchedule:
        """The live schedule compared on what the bundle manages: an `agent_config` the bundle does not
        set is kept by every write, so it is no difference. (A secret prompt is compared by digest through
        the marker's record of secret fields: `wire.SECRETS`.)"""
        key = live.name if live.owner is not None else live.display_name
        desired = self.claimed_by(live) or self._declared.get((live.agent, key or ""))
        if desired is None:
            return live
        options = dict(live.options)
        if "agent_config" not in desired.options:
            options.pop("agent_config", None)
        return replace(live, options=options)

    def list_all(self, agent: str | None = None) -> list[LiveSchedule]:
        lives = [wire.live_from_wire(item) for item in self._items()]
        return [live for live in lives if agent is None or live.agent == agent]

    def find_owned(self, desired: DesiredSchedule) -> LiveSchedule | None:
        for item in self._items():
            live = wire.live_from_wire(item)
            if (
                live.owner == self.bundle.key
                and live.name == desired.name
                and live.display_name == desired.name  # a copy of the marker names another schedule
                and live.agent == desired.agent
                and live.state != "archived"
            ):
                return live
        return None

    def normalise(self, desired: DesiredSchedule) -> DesiredSchedule:
        problems = wire.problems(desired)
        if problems:
            raise BundleError(problems)
        return super().normalise(desired)

    def as_live(self, desired: DesiredSchedule) -> LiveSchedule:
        item = {**wire.body_for(self.bundle.key, desired, source=self.source), "id": ""}
        if desired.options.get("team") is False:
            item["scope"] = {"type": "User"}
        return wire.live_from_wire(item)

    def update_reason(self, desired: DesiredSchedule, live: LiveSchedule) -> str:
        # The listed scope is `options.team` (False: personal); raw keeps no more of the item than agent_config.
        if desired.options.get("team", True) != live.options.get("team", True):
            return "recreate: oz cannot move a schedule between team and personal scope"
        if "agent_config" not in desired.options and live.raw.get("agent_config"):
            return "read-modify-write PUT: keeps agent_config set outside the bundle"
        return "read-modify-write PUT"

    # -- writing -------------------------------------------------------------------------------------
    def create(self, desired: DesiredSchedule) -> LiveSchedule:
        body = wire.body_for(self.bundle.key, desired, source=self.source, record=self.record_of(desired))
        if "team" in desired.options:
            body["team"] = desired.options["team"]
        return wire.live_from_wire(self.client.request("POST", SCHEDULES, json=body).json())

    def update(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        current = self._get(live)  # read-modify-write: the plan's copy may be older than the platform
        if self._team_changes(desired, current):
            self.delete(live)  # scope is fixed at creation: delete first, so a failure leaves no twin
            return self.create(desired)
        body = wire.body_for(
            self.bundle.key,
            desired,
            live_config=current.get("agent_config"),
            source=self.source,
            record=self.record_of(desired),
        )
        # One PUT: the fields, `enabled` and the record change together (a pause or a resume included).
        return wire.live_from_wire(self.client.request("PUT", self._path(live), json=body).json())

    def adopt(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        return self.update(desired, live)

    def pause(self, live: LiveSchedule) -> LiveSchedule:
        if live.state == "archived":
            return self._restore(live, enabled=False)
        return self._verb(live, "pause")

    def resume(self, live: LiveSchedule) -> LiveSchedule:
        if live.state == "archived":
            return self._restore(live, enabled=True)
        return self._verb(live, "resume")

    def _restore(self, live: LiveSchedule, *, enabled: bool) -> LiveSchedule:
        """Out of the archive, straight into the state asked for: the marker goes, `enabled` is set."""
        current = self._get(live)
        metadata = {k: v for k, v in (current.get("metadata") or {}).items() if k != wire.ARCHIVED}
        return self._put(live, wire.put_body(current, metadata=metadata, enabled=enabled))

    def archive(self, live: LiveSchedule) -> LiveSchedule:
        current = self._get(live)
        metadata = {**(current.get("metadata") or {}), wire.ARCHIVED: "true"}
        return self._put(live, wire.put_body(current, metadata=metadata, enabled=False))

    def delete(self, live: LiveSchedule) -> None:
        self.client.request("DELETE", self._path(live), expected=(200, 204, 404))

    # -- helpers -------------------------------------------------------------------------------------
    def _team_changes(self, desired: DesiredSchedule, item: dict[str, Any]) -> bool:
        return bool(item) and desired.options.get("team", True) != wire.team_of(item)

    def _get(self, live: LiveSchedule) -> dict[str, Any]:
        item: dict[str, Any] = self.client.request("GET", self._path(live)).json()
        return item

    def _put(self, live: LiveSchedule, body: dict[str, Any]) -> LiveSchedule:
        return wire.live_from_wire(self.client.request("PUT", self._path(live), json=body).json())

    def _verb(self, live: LiveSchedule, verb: str) -> LiveSchedule:
        # Asking for the state a schedule is already in is a no-op: repeating is safe.
        item = self.client.request("POST", f"{self._path(live)}/{verb}", idempotent=True).json()
        return wire.live_from_wire(item)

    def _path(self, live: LiveSchedule) -> str:
        return f"{SCHEDULES}/{segment(live.remote_id)}"
