"""Agentex over HTTP, both revisions: `target.api` unset or `legacy` (the original API), or `run-schedules`.

Schedules are listed per agent (agents in page-number pages), concurrently, at the largest page; legacy
list items carry no spec, so each owned schedule is then read by name (listing.py). Ownership is the name
`<bundleKey>--<name>`. Archiving is pausing (an owned paused schedule the bundle no longer declares is
`archived`). Legacy updates are delete + create under the same name, the create retried and looked up by
name; if it still fails, the error says the schedule is lost and how to recreate it (the next apply does).
A DELETE that timed out and was repeated may land after the create: `recheck_rewrites` (late_delete.py).
Run schedules keep the applied record in `task_metadata` and change it with the state in one PATCH.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
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
from reconciler.providers.agentex.listing import Listing, by_name_path, schedules_path
from reconciler.providers.base import Provider, Recheck
from reconciler.providers.capabilities import capabilities_for
from reconciler.providers.http import ApiClient, segment

REVISIONS = ("legacy", "run-schedules")
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
        self._listing = Listing(self, legacy=self.legacy)  # every read, and what the planner is shown
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
        return self._listing.owned(live=False)

    def read_activity(self) -> list[LiveSchedule]:
        """Legacy: `list_live` (its read by name carries the counters). Run schedules: the same lists with
        `include_live=true` (at most 200 rows enriched a list; past that, counters unavailable)."""
        return self._listing.owned(live=not self.legacy)

    def missing_agents(self, agents: set[str]) -> set[str]:
        return agents & self._listing.missing  # every agent the bundle names was listed by `list_live`

    def list_all(self, agent: str | None = None) -> list[LiveSchedule]:
        """Every schedule (of one agent, or of all), whoever owns it: what `export` reads."""
        return self._listing.every(agent)

    def find_owned(self, desired: DesiredSchedule) -> LiveSchedule | None:
        live = self._listing.get(desired.agent, self.display_name(desired.name))
        return None if live is None else self._listing.as_seen(live)

    def as_live(self, desired: DesiredSchedule) -> LiveSchedule:
        if self.legacy:
            item = legacy.echo(legacy.create_body(self.bundle.key, desired), desired.agent)
            return self._listing.as_seen(legacy.live_from_wire(item, desired.agent))
        body = runs.create_body(self.bundle.key, desired, self.source, self.record_of(desired))
        item = runs.echo(body, desired.agent)
        return runs.live_from_wire(item, desired.agent)

    # -- writing -------------------------------------------------------------------------------------
    def create(self, desired: DesiredSchedule) -> LiveSchedule:
        body = self._body(desired)
        try:
            item = self.client.request("POST", schedules_path(desired.agent), json=body).json()
        except RejectedError as exc:
            # Run schedules answer a taken name with 400, not 409 (the seed): when the name is indeed taken,
            # it is the same conflict, so the applier looks the schedule up instead of failing (two applies
            # racing to create it).
            if (
                not self.legacy
                and exc.status == 400
                and self._listing.get(desired.agent, body["name"]) is not None
            ):
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
        where = schedules_path(desired.agent)
        return legacy.lost_message(desired, self._body(desired), cause, why, where, RECREATE_ATTEMPTS)

    def _differences(self, desired: DesiredSchedule, live: LiveSchedule) -> set[str]:
        """The fields that differ, compared as the planner compares them: secrets by digest (where the
        marker records them, exactly those fields), so a change of the record alone is written too."""
        normalised = self.normalise(desired)
        want = comparable(normalised, self.digest_key)
        seen = self._listing.as_seen(live)
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
        return self._listing.as_seen(live)

    # -- paths ---------------------------------------------------------------------------------------
    def _by_name(self, agent: str, platform_name: str) -> str:
        return by_name_path(agent, platform_name, legacy=self.legacy)

    def _path(self, live: LiveSchedule) -> str:
        """Legacy schedules are addressed by name, run schedules by id."""
        return f"{schedules_path(live.agent)}/{segment(live.remote_id)}"
