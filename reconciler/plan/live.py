"""What a provider reports as live, already translated back into the bundle's vocabulary.

Providers produce `LiveSchedule`s; the planner compares them with `DesiredSchedule`s. Keeping both sides in
the bundle's own terms is what lets a diff read `when.cron: "0 8 * * 1-5" -> "0 9 * * 1-5"`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.plan.record import AppliedRecord

LiveState = Literal["active", "paused", "archived"]


@dataclass(frozen=True, slots=True)
class Skip:
    """A fire the platform says it did not run: when (None where it does not say) and why, in its words."""

    at: str | None  # RFC 3339, UTC
    reason: str


@dataclass(frozen=True, slots=True)
class Activity:
    """What the platform reports about a schedule's fires, in one vocabulary: what `status` judges.

    Every field is None (or empty) where the platform has no such counter; `counters` names the platform's
    own fields that were read, so a report can say where a figure comes from (or which is missing).
    """

    counters: tuple[str, ...]  # the platform's field names read, e.g. ("info.totalFires", "info.lastFireAt")
    total_fires: int | None = None  # the platform's fire counter
    # When that counter started counting (creation, or its last reset), RFC 3339; None = not known. A counter
    # that started inside a status window counts exactly the fires observed in it.
    counted_since: str | None = None
    last_fire: str | None = None  # RFC 3339, UTC
    next_fire: str | None = None  # the platform's own next fire time, RFC 3339, UTC
    skipped: tuple[Skip, ...] = ()  # fires the platform says it skipped or missed (times where known)
    missed: int | None = None  # a count of missed fires, where the platform gives one without times
    last_error: str | None = None  # the platform's last error starting a run
    # False: the platform had no live data for this schedule this time (e.g. Agentex past 200 rows).
    available: bool = True


@dataclass(frozen=True, slots=True)
class LiveSchedule:
    remote_id: str  # the provider's id (or name, where the name is the identity)
    agent: str
    name: str | None  # the bundle-side name from the ownership marker; None when the marker is absent
    owner: str | None  # the bundleKey of the ownership marker; None = owned by no one
    state: LiveState
    when: dict[str, Any]  # same normal form as DesiredSchedule.when; {} when not expressible
    input: dict[str, Any]  # message / data; secrets as their digests ("hmac-sha256:...")
    labels: dict[str, str]  # user labels only, without the provider's ownership label
    options: dict[str, Any]
    protected: bool = False  # the marker says `protect: true` was set when it was last applied
    display_name: str = ""  # the name as the platform shows it (may carry a prefix)
    # What this version records in the ownership marker that this schedule's marker lacks (an older version
    # wrote it, or a write was cut short), as the plan step's reason: the plan updates it to record it.
    incomplete_marker: str = ""
    # The file the marker says this schedule was applied from (the platform's token for its repository
    # path); None where the marker has no such record (an older version, or a platform without room).
    source: str | None = None
    # The fields the ownership marker records as holding a value from secret() (`("input", "message")`):
    # compared by digest, and never written by `export`. None where the platform has no place to record
    # them; the planner then compares by digest wherever the bundle holds a secret.
    secret_paths: frozenset[tuple[str | int, ...]] | None = None
    # What the marker says this reconciler last applied (the state it set and a keyed digest of each field
    # group); None where the marker has no such record (an older version, or a platform without room).
    applied: AppliedRecord | None = None
    # When the platform says the schedule last changed, and by whom (its own words), where it says so: what a
    # pause made outside the bundle is shown with.
    changed_at: str | None = None
    changed_by: str | None = None
    # What the bundle wrote where `H` or `spread` chose the value, as the marker recorded it at the last write
    # (`{"when.cron": "H 9 * * mon-fri"}`): what `export` names beside the concrete value. Never compared.
    written: dict[str, str] = field(default_factory=dict, compare=False)
    # The platform's fire counters, filled by `Provider.read_activity` (and by `list_live` where the list
    # returns them at no extra cost); None where none were read.
    activity: Activity | None = field(default=None, compare=False, repr=False)
    # The parts of the wire object the provider reads again (for updates, read-backs, activity); a provider
    # keeps only those parts where it can: one is held per live schedule for the whole run.
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
