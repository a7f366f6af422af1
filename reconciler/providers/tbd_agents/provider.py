"""TBD Agents over HTTP: one global list, create, PATCH of what changed, enable/disable, archive, delete.

The name `<bundleKey>:<name>` is the only marker the server can keep, and names are not unique there:
two live schedules with one owned name are duplicates, which the planner resolves (the oldest is kept).
Removing `end` is a delete and create, since a PATCH cannot clear `end_at`; the plan says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import cached_property
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.plan.live import LiveSchedule
from reconciler.providers.base import Provider
from reconciler.providers.capabilities import CAPABILITIES
from reconciler.providers.http import segment
from reconciler.providers.tbd_agents import wire

SCHEDULES = "/api/scheduled-agents"
WORKFLOWS = "/api/workflows"
RECREATE = (
    "recreate: tbd-agents cannot clear `end` (PATCH ignores null), so the schedule is deleted and created "
    "again; its next fire is one interval after the apply"
)
REREGISTER = "the timing change re-registers it with Beat: its next fire is one interval after the apply"


class TbdAgentsProvider(Provider):
    name = "tbd-agents"
    unique_names = False  # two live schedules may share a name: racing creates make twins
    capabilities = CAPABILITIES["tbd-agents"]
    # The name is the only marker the server keeps (`<bundleKey>:<name>`): nothing can record that a prompt
    # reads secret(), so `export` writes no owned schedule's prompt.
    unrecorded_secrets = (("input", "message"),)
    # A rename (or a move between bundles) is a PATCH of `name` alone, with whatever else changed: the name is
    # the whole marker, so both change in one request; Beat keeps its entry, and the cadence its phase.
    renames_in_place = True

    def display_name(self, name: str) -> str:
        return wire.platform_name(self.bundle.key, name)

    # -- reading -------------------------------------------------------------------------------------
    def _items(self) -> Iterator[dict[str, Any]]:
        """Every schedule of the one list, in its order; each item is let go once the next is asked for, so
        the decoded list shrinks while the live schedules read from it grow. (Not json_items' decoding one
        at a time, as Oz's: with TBD Agents' small items it held the text longer than it saved, and an
        `apply` of 10,000 creates peaked 6 MB higher.)"""
        items = list(self.client.request("GET", SCHEDULES).json())
        items.reverse()
        while items:
            yield items.pop()

    def list_live(self) -> list[LiveSchedule]:
        """Ours, and look-alikes of declared schedules shown under the owned name they collide with: the
        bundle name under another bundle's key (refused: the owner lives in the name, so without this a
        bundle whose key changed would create every schedule again beside the old one, and both would
        fire), and the bare bundle name with no owner where the schedule says `adopt: true`."""
        declared = {(s.agent, s.name): s for s in self.bundle.schedules}
        found = []
        for item in self._items():
            live = wire.live_from_wire(item)
            if live.owner == self.bundle.key:
                found.append(self._as_bundle_sees(live))
                continue
            if self.claimed_by(live) is not None:  # another bundle's, that `renamedFrom` takes over
                found.append(self._as_bundle_sees(live))
                continue
            desired = declared.get((live.agent, live.display_name if live.owner is None else live.name or ""))
            if desired is not None and (live.owner is not None or desired.adopt):
                found.append(
                    self._as_bundle_sees(replace(live, display_name=self.display_name(desired.name)))
                )
        return found

    @cached_property
    def _declared(self) -> dict[tuple[str, str], DesiredSchedule]:
        """The bundle's schedules by (agent, platform name), first of any repeats: one lookup per listed
        schedule, where a walk of the bundle for each made reading 10,000 schedules cost ~15 s of CPU."""
        declared: dict[tuple[str, str], DesiredSchedule] = {}
        for schedule in self.bundle.schedules:
            declared.setdefault((schedule.agent, self.display_name(schedule.name)), schedule)
        return declared

    def _as_bundle_sees(self, live: LiveSchedule) -> LiveSchedule:
        """A schedule the bundle declares, compared on what matters: a secret prompt by its digest, and a
        schedule Beat disabled at the end of its window in the state the bundle asks (it never fires again
        either way, so re-enabling it would only make it disable itself again)."""
        candidates = [(live.agent, live.display_name)]
        if live.owner is not None and live.name is not None:  # owned: by its own name, archived or not
            candidates.insert(0, (live.agent, self.display_name(live.name)))
        desired = self.claimed_by(live) or next(
            (self._declared[c] for c in candidates if c in self._declared), None
        )
        if desired is None:
            return live
        live_input = live.input
        if isinstance(desired.input.get("message"), Sensitive) and "message" in live_input:
            digest = Sensitive(str(live_input["message"])).digest(self.digest_key)
            live_input = {**live_input, "message": digest}
        state = live.state
        if state == "paused" and wire.ended(live.raw):
            state = desired.state
        if live_input is live.input and state == live.state:
            return live  # most schedules: nothing to see differently, and no copy of each kept
        return replace(live, input=live_input, state=state)

    def missing_agents(self, agents: set[str]) -> set[str]:
        """A schedule's agent is a workflow of the caller's (the server answers 404 for any other): one list of
        them, read only when the plan would create something."""
        if not agents:
            return set()
        workflows = self.client.request("GET", WORKFLOWS).json()
        if not isinstance(workflows, list):
            return set()  # not the shape we know: the creates' own answers will tell
        return agents - {str(w.get("id")) for w in workflows if isinstance(w, dict)}

    def list_all(self, agent: str | None = None) -> list[LiveSchedule]:
        lives = [wire.live_from_wire(item) for item in self._items()]
        return [live for live in lives if agent is None or live.agent == agent]

    def find_owned(self, desired: DesiredSchedule) -> LiveSchedule | None:
        for item in self._items():
            live = wire.live_from_wire(item)
            if (live.owner, live.name, live.agent) == (self.bundle.key, desired.name, desired.agent) and (
                live.state != "archived"
            ):
                return live
        return None

    def as_live(self, desired: DesiredSchedule) -> LiveSchedule:
        item = {**wire.create_body(self.bundle.key, desired), "id": "", "enabled": desired.state == "active"}
        return wire.live_from_wire(item)

    def update_reason(self, desired: DesiredSchedule, live: LiveSchedule) -> str:
        if wire.needs_recreate(desired, live.raw):
            return RECREATE
        body = wire.patch_body(self.bundle.key, desired, live.raw)
        if body.keys() & {"interval_value", "start_at", "end_at"}:
            return REREGISTER
        return ""

    # -- writing -------------------------------------------------------------------------------------
    def create(self, desired: DesiredSchedule) -> LiveSchedule:
        body = wire.create_body(self.bundle.key, desired)
        item = self.client.request("POST", SCHEDULES, json=body).json()
        live = wire.live_from_wire(item)
        return self.pause(live) if desired.state == "paused" else live

    def update(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        if wire.needs_recreate(desired, live.raw):
            # Delete first: if the create then fails, the next plan creates it; the other order could
            # leave two, and the duplicate rule would keep the old one, end and all.
            self.delete(live)
            return self.create(desired)
        item = live.raw
        body = wire.patch_body(self.bundle.key, desired, item)
        if body:
            # Setting the same fields to the same values twice gives the same schedule: safe to retry.
            item = self.client.request("PATCH", self._path(live), json=body, idempotent=True).json()
        return self._converge_state(desired, wire.live_from_wire(item))

    def adopt(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        return self.update(desired, live)

    def _converge_state(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        enabled = bool(live.raw.get("enabled"))
        if desired.state == "paused" and enabled:
            return self.pause(live)
        if desired.state == "active" and not enabled and not wire.ended(live.raw):
            return self._toggle(live, "enable")
        return live

    def pause(self, live: LiveSchedule) -> LiveSchedule:
        return self._toggle(self._unarchive(live), "disable")

    def resume(self, live: LiveSchedule) -> LiveSchedule:
        return self._toggle(self._unarchive(live), "enable")

    def _unarchive(self, live: LiveSchedule) -> LiveSchedule:
        """An archived schedule under its owned name again (still disabled): the first step of a restore."""
        if live.state != "archived" or not live.owner or not live.name:
            return live
        body = {"name": wire.platform_name(live.owner, live.name)}
        item = self.client.request("PATCH", self._path(live), json=body, idempotent=True).json()
        return wire.live_from_wire(item)

    def archive(self, live: LiveSchedule) -> LiveSchedule:
        live = self._toggle(live, "disable")  # stop it firing first; the name then says why
        if live.owner and live.name:
            body = {"name": wire.platform_name(live.owner, live.name, archived=True)}
            item = self.client.request("PATCH", self._path(live), json=body, idempotent=True).json()
            live = wire.live_from_wire(item)
        return live

    def delete(self, live: LiveSchedule) -> None:
        self.client.request("DELETE", self._path(live), expected=(200, 204, 404))

    def _toggle(self, live: LiveSchedule, verb: str) -> LiveSchedule:
        # Already in that state: the server answers the schedule unchanged, so repeating is safe.
        item = self.client.request("PATCH", f"{self._path(live)}/{verb}", idempotent=True).json()
        return wire.live_from_wire(item)

    def _path(self, live: LiveSchedule) -> str:
        return f"{SCHEDULES}/{segment(live.remote_id)}"
