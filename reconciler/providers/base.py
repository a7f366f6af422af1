"""What every platform adapter does: read the live schedules a bundle may own, and change them.

The applier and the CLI only ever talk to this interface; each platform's package is the one place that
knows its wire format and where it keeps the ownership marker.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.sensitive import resealed
from reconciler.bundle.source import repository_path
from reconciler.errors import ConfigError
from reconciler.plan.live import LiveSchedule
from reconciler.plan.normalise import applied_record
from reconciler.providers.capabilities import Capabilities
from reconciler.providers.http import ApiClient

# A part of the live state as it is read: its schedules, and the agents whose every schedule it holds (None:
# no such promise). See `Provider.list_live_parts`.
LivePart = Callable[[list[LiveSchedule], Collection[str] | None], None]


@dataclass(frozen=True)
class Recheck:
    """How the end-of-apply check of one schedule went (`Provider.recheck_rewrites`): `error` if it is
    still missing, else `note` says what was done (empty: it was there)."""

    agent: str
    name: str  # the bundle's name
    error: str | None = None
    note: str = ""


class Provider(ABC):
    """One bundle's view of one platform. Implementations are thread-safe: the applier calls them
    from several worker threads at once."""

    name: str
    capabilities: Capabilities
    restore_archived: str = "resume"  # how an archived schedule that came back to the bundle is restored
    # Whether the platform refuses a second live schedule under an owned identity (409 or the like). Where
    # it does not, two applies racing to create one schedule both succeed, and the applier removes the twin.
    unique_names: bool = True
    # Fields where a bundle may put a value from secret() that the platform's marker has no place to record as
    # secret (the platform returns it in clear): `export` writes a `secret()` placeholder there, for every
    # schedule the reconciler owns, rather than a value it cannot tell apart from a secret.
    unrecorded_secrets: tuple[tuple[str, ...], ...] = ()
    # Whether the marker keeps the record of what was last applied (reconciler.plan.record): the state the
    # reconciler set and a digest per field group. Where it does, pause and resume steps go through
    # `update`, which writes the record with the state, in an order a crash cannot turn into a pause that
    # looks like an operator's: the record says `paused` before the schedule is paused, and `active` only
    # after it was resumed.
    records_applied: bool = False
    # Whether `update(desired, live)` can rename a live schedule in place (desired.name != live.name, or a
    # schedule taken over from another bundle: live.owner != bundle key), keeping its id and fire history.
    # Where it cannot, the planner plans a create of the new name and the removal of the old one.
    renames_in_place: bool = False
    # Whether a live schedule's agent is part of its identity. Where it is not (Temporal: the schedule id is
    # the bundle name alone, the agent a field of its action), moving a schedule to another agent is planned
    # as an update of the same schedule, and `update` must be able to change the agent.
    agents_in_identity: bool = True
    # Whether `as_live(desired)` reads `when` back from `desired.timing` alone and `options` from
    # `desired.options` alone. Where it does, `normalise` translates each distinct (timing, options) once
    # rather than once per schedule (10,000 generated schedules share a few dozen).
    read_back_from_timing_and_options: bool = False

    def __init__(
        self,
        client: ApiClient,
        bundle: Bundle,
        digest_key: bytes,
        *,
        environ: Mapping[str, str] | None = None,
        parallelism: int = 8,
    ) -> None:
        self.client = client
        self.bundle = bundle
        self.digest_key = digest_key
        self.environ: Mapping[str, str] = environ or {}  # provider-specific defaults, e.g. a workspace id
        self.parallelism = parallelism

    @cached_property
    def source(self) -> str:
        """The token the ownership marker records for the bundle's file, or "" where there is none."""
        return self.source_token(repository_path(self.bundle.file)) if self.bundle.file else ""

    def source_token(self, path: str) -> str:
        """How the marker records the repository path `path` (the bundle's file): "" where the platform has
        no room for it (then a bundle moved between files, or one key in two files, is not detected)."""
        return ""

    def display_name(self, name: str) -> str:
        """The name the platform shows for the bundle-side `name` (some platforms carry the owner in it)."""
        return name

    def update_reason(self, desired: DesiredSchedule, live: LiveSchedule) -> str:
        """How `update`/`adopt` will carry the change out, when the diff alone does not say (a full-object
        PUT that keeps fields the bundle does not set, a delete-and-create): shown as the plan step's reason."""
        return ""

    @abstractmethod
    def list_live(self) -> list[LiveSchedule]:
        """Every live schedule this bundle owns, plus unowned ones whose identity a desired schedule
        claims; with the fewest requests the API allows."""

    def list_live_parts(self, emit: LivePart) -> None:
        """What `list_live` reports, handed to `emit(schedules, agents)` in parts as they are read (from any
        thread): with `agents`, every schedule of those agents, so that the plan of those agents can start
        while the rest is still being read; without (None), any schedules at all. By default one part of
        everything; providers that list agent by agent override it."""
        emit(self.list_live(), None)

    def read_ahead(self, agents: frozenset[str]) -> None:
        """Send the GETs of `list_live_parts` for a bundle whose schedules name `agents`, and decode nothing.

        Called on a worker thread while the bundle's schedules are still being checked, on a provider opened
        for the bundle's key, platform and target alone (no schedules yet). Its client shares its answers
        with the read the plan makes once the bundle is valid (`SharedReads`): that read then finds them
        sent, or in flight. Only GETs whose every parameter is known from the target and `agents` can be
        sent ahead. A GET the real read does not make costs one request, and a failure here costs nothing
        (the real read sends it again and reports what it gets). By default nothing is sent."""
        return None  # optional: most providers' reads need the declared schedules themselves

    @cached_property
    def rename_claims(self) -> dict[tuple[str, str, str], DesiredSchedule]:
        """The bundle's schedules by the (agent, bundleKey, name) their `renamedFrom` names: the live schedules
        a listing must return as they are (another bundle's included), to be renamed in place."""
        claims: dict[tuple[str, str, str], DesiredSchedule] = {}
        for schedule in self.bundle.schedules:
            if schedule.renamed_from is not None:
                claims.setdefault((schedule.agent, *schedule.renamed_from), schedule)
        return claims

    def claimed_by(self, live: LiveSchedule) -> DesiredSchedule | None:
        """The desired schedule whose `renamedFrom` names `live`, if any."""
        if live.owner is None or live.name is None:
            return None
        return self.rename_claims.get((live.agent, live.owner, live.name))

    def record_of(self, desired: DesiredSchedule) -> str:
        """The text of the applied record the marker must hold once `desired` is applied."""
        return applied_record(desired, self.digest_key).text()

    def read_activity(self) -> list[LiveSchedule]:
        """What `list_live` reports, with `activity` (the platform's fire counters) filled in: what `status`
        reads. Override where the counters need another list parameter or a per-schedule read."""
        return self.list_live()

    def missing_agents(self, agents: set[str]) -> set[str]:
        """Which of `agents` (those the plan would create schedules for) the platform does not have, where its
        API can tell: the planner refuses those creates at the schedule's line, rather than planning a create
        that must fail. Called after `list_live`. By default nothing is known: the create's answer tells."""
        return set()

    def list_twins(self, agents: set[str]) -> list[LiveSchedule]:
        """What `list_live` reports, at least for `agents`: read after a create phase to find twins that a
        concurrent apply created (platforms without unique names). Override where listing fewer agents
        saves requests."""
        return self.list_live()

    def recheck_rewrites(self) -> list[Recheck]:
        """Called once an apply's steps are done: the schedules this apply created under an identity that
        an unanswered DELETE had addressed (`ApiClient.unanswered`), each looked up again, and created once
        more if that DELETE ran on the platform after the create. By default there are none: a platform
        that addresses schedules by an id it assigns gives a created schedule a new id, which no earlier
        request can name."""
        return []

    def list_all(self, agent: str | None = None) -> list[LiveSchedule]:
        """Every live schedule in the target (or of one agent), whoever owns it: what `export` reads."""
        raise ConfigError(f"export is not supported for {self.name} yet")

    @abstractmethod
    def as_live(self, desired: DesiredSchedule) -> LiveSchedule:
        """The LiveSchedule the platform would report right after `desired` was applied: translate to
        the wire and back, so that both sides of a diff share one normal form."""

    def normalise(self, desired: DesiredSchedule) -> DesiredSchedule:
        """`desired` with `when` and `options` in the normal form a live read-back has (calendars back into
        cron, server defaults dropped), so an unchanged schedule never shows as a change."""
        when, options = self._read_back(desired)
        # A secret an option carried went out in clear and came back as text: it stays a secret.
        return replace(desired, when=when, options=resealed(options, desired.options))

    def _read_back(self, desired: DesiredSchedule) -> tuple[dict[str, Any], dict[str, Any]]:
        """The `when` and `options` of `as_live(desired)`, each schedule with its own copies."""
        key: tuple[Any, ...] | None = None
        if self.read_back_from_timing_and_options:
            try:  # options holding a secret are not JSON (and not shared); a Timing is hashable
                key = (desired.timing, json.dumps(desired.options, sort_keys=True))
                hash(key)
            except TypeError:
                key = None
        if key is None:
            read_back = self.as_live(desired)
            return read_back.when, read_back.options
        memo: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any]]] = self.__dict__.setdefault(
            "_read_backs", {}
        )
        known = memo.get(key)
        if known is None:
            read_back = self.as_live(desired)
            known = memo[key] = (read_back.when, read_back.options)
        return dict(known[0]), dict(known[1])

    @abstractmethod
    def create(self, desired: DesiredSchedule) -> LiveSchedule: ...

    @abstractmethod
    def update(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule: ...

    @abstractmethod
    def adopt(self, desired: DesiredSchedule, live: LiveSchedule) -> LiveSchedule:
        """Write the ownership marker onto an unowned schedule, and bring it in line with `desired`."""

    @abstractmethod
    def pause(self, live: LiveSchedule) -> LiveSchedule: ...

    @abstractmethod
    def resume(self, live: LiveSchedule) -> LiveSchedule: ...

    @abstractmethod
    def archive(self, live: LiveSchedule) -> LiveSchedule: ...

    @abstractmethod
    def delete(self, live: LiveSchedule) -> None: ...

    @abstractmethod
    def find_owned(self, desired: DesiredSchedule) -> LiveSchedule | None:
        """The live schedule carrying this bundle's marker for `desired`, if any: how a create whose
        response was lost is recognised instead of being sent twice."""
