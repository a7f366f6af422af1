"""What a provider reports as live, already translated back into the bundle's vocabulary.

Providers produce `LiveSchedule`s; the planner compares them with `DesiredSchedule`s. Keeping both sides in
the bundle's own terms is what lets a diff read `when.cron: "0 8 * * 1-5" -> "0 9 * * 1-5"`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

LiveState = Literal["active", "paused", "archived"]


@dataclass(frozen=True)
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
    raw: dict[str, Any] = field(
        default_factory=dict, compare=False, repr=False
    )  # the wire object, for updates
