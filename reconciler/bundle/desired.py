"""What a validated, rendered bundle asks for: plain frozen values, the planner's "desired" side."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from reconciler.bundle.money import Limits
from reconciler.timing.spec import Timing

if TYPE_CHECKING:
    from reconciler.plan.record import AppliedRecord


@dataclass(frozen=True, slots=True)
class DesiredSchedule:
    name: str  # as written in the bundle, after for_each expansion
    agent: str
    state: Literal["active", "paused"]
    when: dict[str, Any]  # normalised, in the bundle's own vocabulary (what diffs show)
    timing: Timing  # the same, ready for fire-time computations and provider translations
    input: dict[str, Any]  # message / data / secrets; secret-derived values are `Sensitive`
    labels: dict[str, str]
    options: dict[str, Any]
    protect: bool = False
    adopt: bool = False
    file: str = ""
    line: int = 0
    # The (bundleKey, name) this schedule had before (`renamedFrom`): renamed in place, not created anew.
    renamed_from: tuple[str, str] | None = None
    ignore: tuple[str, ...] = ()  # field paths left to the platform after the create (`ignore:`)
    # What the bundle wrote where `H` or `spread` chose the value (`{"when.cron": "H 9 * * mon-fri"}`), shown
    # beside the concrete value in plans; not compared (the platform holds only the concrete value).
    written: dict[str, str] = field(default_factory=dict, compare=False)
    # What the ownership marker must record as applied, when the planner writes other values than the
    # bundle's (a pause made outside the bundle kept, drift left as it is under `drift: report`): the
    # bundle's own record, so the next plan still tells them apart. None: the record of this very value.
    record: AppliedRecord | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Bundle:
    key: str
    provider: str
    target: dict[str, Any]  # workspace, api: whatever scopes the provider
    prune: Literal["archive", "delete", "none"]
    schedules: tuple[DesiredSchedule, ...] = field(default=())
    file: str = ""
    line: int = 0
    # The file this bundle was applied from before it moved to `file` (`movedFrom`), as a path from the
    # repository root; "" when it did not move.
    moved_from: str = ""
    # Where the ownership marker records the file a schedule was applied from, the platform's token for
    # `file` (set when planning; "" where the platform has no room for it): see docs/safety.md.
    source: str = ""
    # Day-two policies (docs/drift.md): keep a pause made on the platform (`respect`, for at most
    # `respect_for` seconds when set) or resume it (`heal`); restore drifted fields (`heal`) or leave and list
    # them (`report`).
    pauses: Literal["respect", "heal"] = "respect"
    respect_for: int | None = None
    drift: Literal["heal", "report"] = "heal"
    # The bundle's own budget (`limits:`, docs/costs.md); empty when it sets none.
    limits: Limits = field(default_factory=Limits, compare=False)
