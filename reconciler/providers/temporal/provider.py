"""Temporal over its HTTP API: list, describe, create, update (the whole schedule, state included), delete.

`list_live` pages through the namespace's schedule list (it carries each schedule's creation-time memo, so
the bundle's own are known without reading the others), then describes, concurrently, every schedule the
bundle owns or names. A pause, a resume, an archive and a restore are one update each: spec, action,
policies, state and the marker's record change together, so no crash can split a state from its record.
Archive = paused, with a note, and `archived` in the marker.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import cached_property
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.errors import ProviderError, RejectedError
from reconciler.plan.live import LiveSchedule
from reconciler.providers.base import Provider
from reconciler.providers.capabilities import CAPABILITIES
from reconciler.providers.http import segment
from reconciler.providers.temporal import wire
from reconciler.providers.temporal.activity import activity_from_info

PAGE_SIZE = 1000
DEFAULT_NAMESPACE = "default"  # what Temporal's CLI and SDKs use when none is set


class TemporalProvider(Provider):
    name = "temporal"
    capabilities = CAPABILITIES["temporal"]
    records_applied = True  # the action memo's `applied`; one update writes it with the state
    # The schedule id is the identity and Temporal cannot change it: a rename creates the new id and
    # archives the old one.
    renames_in_place = False
    # The id is `<bundleKey>--<name>`: the agent (the workflow type) is a field of the action, which an update
    # changes in place.
    agents_in_identity = False

    @cached_property
    def namespace(self) -> str:
        return str(
            self.bundle.target.get("namespace") or self.environ.get("TEMPORAL_NAMESPACE") or DEFAULT_NAMESPACE
        )

    @cached_property
    def task_queue(self) -> str:
        return str(self.bundle.target.get("taskQueue") or "")

    def display_name(self, name: str) -> str:
        return wire.schedule_id(self.bundle.key, name)

    def source_token(self, path: str) -> str:
        return path  # a memo holds any text

    # -- reading -------------------------------------------------------------------------------------
    def list_live(self) -> list[LiveSchedule]:
        # Temporal's list is eventually consistent (a schedule created a moment ago may be missing from it):
        # the ids the bundle declares or claims are described whether listed or not; a describe is consistent.
        known = sorted(self._declared_ids | self._claimed_ids)
        return [self._as_bundle_sees(live) for live in self._read(self._wanted, also=known)]

    def read_activity(self) -> list[LiveSchedule]:
        """`list_live`: the describe every owned schedule gets carries Temporal's counters."""
        return [replace(live, activity=activity_from_info(live.raw["info"])) for live in self.list_live()]

    def list_all(self, agent: str | None = None) -> list[LiveSchedule]:
        lives = self._read(lambda entry: True)
        return [live for live in lives if agent is None or live.agent == agent]

    def find_owned(self, desired: DesiredSchedule) -> LiveSchedule | None:
        live = self._describe(self.display_name(desired.name))
        if live is None or live.owner != self.bundle.key or live.name != desired.name:
            return None
        return None if live.state == "archived" else live

    def as_live(self, desired: DesiredSchedule) -> LiveSchedule:
        schedule = self._schedule_for(desired)
        memo = wire.identity_memo(self.bundle.key, desired.name)
        return wire.live_from_wire(
            self.display_name(desired.name), schedule, memo, {}, task_queue=self.task_queue
        )

    def _wanted(self, entry: dict[str, Any]) -> bool:
        schedule_id = str(entry.get("scheduleId") or "")
        return (
            wire.owner_in_list(entry) == self.bundle.key
            # A schedule adopted in place has no identity memo (Temporal cannot add one): its id says whose
            # it may be, and its action memo (read by the describe) whether it is.
            or schedule_id.startswith(self.display_name(""))
            or schedule_id in self._declared_ids
            or schedule_id in self._claimed_ids
            or (schedule_id in self._adopting and wire.owner_in_list(entry) is None)
        )

    @cached_property
    def _adopting(self) -> dict[str, DesiredSchedule]:
        """Schedules with `adopt: true`, by their bare name: a schedule made elsewhere under that id (a
        Temporal id any team chose) is theirs to take over, recreated under the bundle's id."""
        return {s.name: s for s in self.bundle.schedules if s.adopt}

    @cached_property
    def _declared_ids(self) -> set[str]:
        return {self.display_name(s.name) for s in self.bundle.schedules}

    @cached_property
    def _claimed_ids(self) -> set[str]:
        return {wire.schedule_id(owner, name) for _, owner, name in self.rename_claims}

    def _read(
        self, wanted: Callable[[dict[str, Any]], bool], also: list[str] | None = None
    ) -> list[LiveSchedule]:
        listed = [
            str(entry["scheduleId"]) for entry in self._entries() if entry.get("scheduleId") and wanted(entry)
        ]
        ids = list(dict.fromkeys([*listed, *(also or [])]))
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            described = list(pool.map(self._describe, ids))
        return [live for live in described if live is not None]

    def _entries(self) -> Iterator[dict[str, Any]]:
        token = ""
        while True:
            params = {"maximumPageSize": str(PAGE_SIZE), **({"nextPageToken": token} if token else {})}
            body = self.client.request("GET", self._schedules(), params=params).json()
            yield from body.get("schedules") or []
            token = body.get("nextPageToken") or ""
            if not token:
                return

    def _describe(self, schedule_id: str) -> LiveSchedule | None:
        try:
            body = self.client.request("GET", self._path(schedule_id)).json()
        except RejectedError as exc:
            if exc.status == 404:  # deleted since the list, or never created
                return None
            raise
        return wire.live_from_wire(
            schedule_id,
            body.get("schedule") or {},
            body.get("memo") or {},
            body.get("info") or {},
            task_queue=self.task_queue,
        )

    @cached_property
    def _declared(self) -> dict[str, DesiredSchedule]:
        return {self.display_name(s.name): s for s in self.bundle.schedules}

    def _as_bundle_sees(self, live: LiveSchedule) -> LiveSchedule:
        """While paused, Temporal's note is the pause's: the bundle's `notes` are no difference then. An
        unowned schedule whose id is the bare name of a schedule to adopt shows under the bundle's id, so the
        planner offers it for adoption."""
        adopting = self._adopting.get(live.remote_id) if live.owner is None else None
        if adopting is not None and live.remote_id != self.display_name(adopting.name):
            live = replace(live, display_name=self.display_name(adopting.name))
        desired = self._declared.get(self.display_name(live.name) if live.name else live.display_name)
        if desired is None or live.state == "active":
            return live
        options = {k: v for k, v in live.options.items() if k != "notes"}
        if desired.options.get("notes"):
            options["notes"] = desired.options["notes"]
        return replace(live, options=options)

    # -- writing -------------------------------------------------------------------------------------
    def create(self, desired: DesiredSchedule) -> LiveSchedule:
        schedule_id = self.display_name(desired.name)
        schedule = self._schedule_for(desired, record=True)
        memo = wire.identity_memo(self.bundle.key, desired.name)
        # Temporal answers a repeat of the same request id with success: a retry cannot fail or duplicate.
        body = {"schedule": schedule, "memo": memo, "requestId": str(uuid.uuid4())}
        self.client.request("POST", self._path(schedule_id), json=body, idempotent=True)
        return self._echo(schedule_id, schedule, memo)

    def update(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        """Spec, action, policies, state and the marker's record in one request: replacing the whole schedule
        with the same value twice gives the same result, so it is safe to retry."""
        if (live.owner is not None and live.owner != self.bundle.key) or live.name not in (
            None,
            desired.name,
        ):
            raise RejectedError(
                f"schedule '{live.remote_id}' is another schedule's (its marker names "
                f"{live.owner}/{live.name}): temporal cannot rename a schedule in place"
            )
        schedule = self._schedule_for(desired, record=True)
        self._update(live.remote_id, schedule)
        return self._echo(live.remote_id, schedule, live.raw.get("memo") or {})

    def adopt(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        """Under the bundle's id: the marker is written by an update. Under another id (Temporal cannot change
        one): the schedule is deleted, then created under the bundle's id; delete first, so that a crash in
        between leaves no twin firing beside it (the next apply creates the one that is missing)."""
        if live.remote_id == self.display_name(desired.name):
            return self.update(desired, live)
        self.delete(live)
        try:
            return self.create(desired)
        except ProviderError as exc:
            raise ProviderError(
                f"schedule '{live.remote_id}' was deleted to be adopted as '{self.display_name(desired.name)}', "
                f"and creating that failed ({exc}): the next `reconciler apply` creates it",
                status=exc.status,
            ) from exc

    def update_reason(self, desired: DesiredSchedule, live: LiveSchedule) -> str:
        if live.owner is None and live.remote_id != self.display_name(desired.name):
            return (
                f"'{live.remote_id}' deleted, then created as '{self.display_name(desired.name)}': temporal cannot "
                "change a schedule's id (its run history stays with the old id)"
            )
        return ""

    def pause(self, live: LiveSchedule) -> LiveSchedule:
        return self._patch(live, "pause", f"paused by reconciler (bundle {self.bundle.key})")

    def resume(self, live: LiveSchedule) -> LiveSchedule:
        if live.state == "archived":
            return self._restore(live)
        return self._patch(live, "unpause", f"resumed by reconciler (bundle {self.bundle.key})")

    def archive(self, live: LiveSchedule) -> LiveSchedule:
        note = f"archived by reconciler: left bundle {self.bundle.key}"
        return self._marked(live, archived=True, note=note)

    def delete(self, live: LiveSchedule) -> None:
        self.client.request("DELETE", self._path(live.remote_id), expected=(200, 204, 404))

    # -- helpers -------------------------------------------------------------------------------------
    def _schedule_for(self, desired: DesiredSchedule, *, record: bool = False) -> dict[str, Any]:
        paused = desired.state == "paused"
        return wire.schedule_for(
            self.bundle.key,
            desired,
            task_queue=self.task_queue,
            source=self.source,
            record=self.record_of(desired) if record else "",
            note=f"paused by reconciler (bundle {self.bundle.key})" if paused else "",
        )

    def _restore(self, live: LiveSchedule) -> LiveSchedule:
        """Out of the archive: the marker loses `archived`, the schedule runs again."""
        return self._marked(live, archived=False, note=f"restored by reconciler (bundle {self.bundle.key})")

    def _marked(self, live: LiveSchedule, *, archived: bool, note: str) -> LiveSchedule:
        """The live schedule as it is, but for `archived` in its marker and its state (archived = paused): one
        update, so the marker and the state cannot part."""
        schedule = dict(live.raw.get("schedule") or {})
        start = dict((schedule.get("action") or {}).get("startWorkflow") or {})
        found = {k: v for k, v in (wire.marker_in(start.get("memo")) or {}).items() if k != "archived"}
        start["memo"] = {"fields": {wire.MEMO_KEY: {**found, **({"archived": True} if archived else {})}}}
        schedule["action"] = {"startWorkflow": start}
        schedule["state"] = {"paused": archived, "notes": note}
        self._update(live.remote_id, schedule)
        return self._echo(live.remote_id, schedule, live.raw.get("memo") or {})

    def _patch(self, live: LiveSchedule, verb: str, note: str) -> LiveSchedule:
        # Pausing a paused schedule (or unpausing an active one) changes nothing: safe to repeat.
        body = {"patch": {verb: note}, "requestId": str(uuid.uuid4())}
        self.client.request("POST", f"{self._path(live.remote_id)}/patch", json=body, idempotent=True)
        return replace(live, state="paused" if verb == "pause" else "active")

    def _update(self, schedule_id: str, schedule: dict[str, Any]) -> None:
        body = {"schedule": schedule, "requestId": str(uuid.uuid4())}
        self.client.request("POST", f"{self._path(schedule_id)}/update", json=body, idempotent=True)

    def _echo(self, schedule_id: str, schedule: dict[str, Any], memo: dict[str, Any]) -> LiveSchedule:
        """What a describe would now return (Temporal answers a write with no schedule)."""
        live = wire.live_from_wire(schedule_id, schedule, memo, {}, task_queue=self.task_queue)
        return self._as_bundle_sees(live)

    def _schedules(self) -> str:
        return f"/api/v1/namespaces/{segment(self.namespace)}/schedules"

    def _path(self, schedule_id: str) -> str:
        return f"{self._schedules()}/{segment(schedule_id)}"
