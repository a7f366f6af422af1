"""What the planner is told beyond the bundle: the scope a plan may touch, and how a provider shows names,
restores archived schedules and explains its updates. Pure values and defaults, shared by `planner` and `steps`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from reconciler.bundle.desired import DesiredSchedule
from reconciler.plan.live import LiveSchedule

RestoreMode = Literal["resume", "create"]
DisplayName = Callable[[str], str]
# Why an update or adoption is carried out as it is, when the diff alone does not say (a provider's words).
UpdateReason = Callable[[DesiredSchedule, LiveSchedule], str]


def as_is(name: str) -> str:
    return name


def _everything(name: str) -> bool:
    return True


@dataclass(frozen=True)
class Scope:
    """What a plan may touch beyond the bundle's own declarations (docs/refactoring.md).

    `selected(name)`: whether `--only`/`--exclude` let the plan touch the schedule of that bundle name (one
    outside the selection is neither changed nor pruned); `claimed`: live schedules of this bundle that
    another bundle of the same run takes over (`renamedFrom: {bundleKey, name}`), as (agent, name): never
    pruned here; `renames_in_place`: whether the provider can rename a live schedule (else a rename is a
    create and the removal of the old one); `agents_in_identity`: whether a schedule's agent is part of its
    identity on the platform (else, as on Temporal, whose schedule id is the name alone, moving a schedule to
    another agent is an update of the same schedule, not a create and a removal)."""

    selected: Callable[[str], bool] = _everything
    claimed: frozenset[tuple[str, str]] = frozenset()
    renames_in_place: bool = True
    agents_in_identity: bool = True


def no_reason(desired: DesiredSchedule, live: LiveSchedule) -> str:
    return ""
