"""The plan as a frozen value: small named steps that the executor runs and the explainer prints.

Built by `planner`, shown by `explain`, saved and reloaded by `serialise`; nothing mutates it after that,
so what `plan` shows is exactly what `apply` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from reconciler.bundle.desired import DesiredSchedule
from reconciler.plan.live import LiveSchedule

ActionKind = Literal["create", "update", "pause", "resume", "archive", "delete", "adopt", "rename", "noop"]
# The plan file's summary order (docs/plan-json.md); also the order of `BundlePlan.summary`.
KINDS: tuple[ActionKind, ...] = get_args(ActionKind)
CHANGING_KINDS = frozenset(KINDS) - {"noop"}


@dataclass(frozen=True, slots=True)
class Change:
    """One field, before and after, in canonical form; a sensitive change holds `(sensitive)` on both sides.

    Values are for showing and for comparing a saved plan with a fresh one: the executor writes `desired`.
    `None` means absent.
    """

    path: str  # dotted: `when.cron`, `input.message`, `labels.team`
    before: Any
    after: Any
    sensitive: bool = False
    # Where the difference comes from, judged by the record the marker keeps of the last apply
    # (reconciler.plan.record): "drift" (changed on the platform; the bundle did not change it), "pending"
    # (the bundle changed; the platform still has what was applied), "both", or "unknown" (no record: the
    # platform has no room for one, or an older version applied it). "" on creates and removals.
    origin: str = ""
    # What the bundle wrote where `H` or `spread` chose `after` (`H 9 * * mon-fri`); "" elsewhere. Shown beside
    # the value, never compared: the platform holds only the concrete value.
    written: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Action:
    """One step against one live schedule (or one schedule to create).

    `desired` and `live` are what the executor needs to carry the step out; they are never serialised and
    take no part in equality, so a plan reloaded from its file equals the plan that wrote it.
    """

    kind: ActionKind
    name: str  # as written in the bundle, never the provider-prefixed form
    agent: str
    remote_id: str | None  # None for a create
    changes: tuple[Change, ...] = ()
    reason: str = ""  # why a step that the diff alone does not explain: "duplicate", "restore archived", ...
    # Differences this step leaves as they are: the state of a schedule paused outside the bundle while
    # `pauses: respect` keeps it paused, and drifted fields under `drift: report`. Shown, never applied.
    kept: tuple[Change, ...] = ()
    # Differences in fields the bundle leaves to the platform (`ignore:`): never applied, listed on request.
    ignored: tuple[Change, ...] = ()
    desired: DesiredSchedule | None = field(default=None, compare=False, repr=False)
    live: LiveSchedule | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class BundlePlan:
    """Every step for one bundle against one target, and the fingerprint of the live state it was made from."""

    bundle_key: str
    provider: str
    target: dict[str, Any]
    created_at: str  # ISO 8601, UTC, "Z"
    actions: tuple[Action, ...]
    live_fingerprint: str  # "sha256:..."; a saved plan whose live state no longer has it is stale

    @property
    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        for action in self.actions:
            counts[action.kind] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        return any(action.kind != "noop" for action in self.actions)


@dataclass(frozen=True, slots=True)
class Plan:
    """One run's plans, one per bundle, in the order the bundles were given."""

    bundles: tuple[BundlePlan, ...]
    # `--only` / `--exclude` globs: a partial plan (schedules outside them are neither changed nor pruned).
    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.only or self.exclude)

    @property
    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        for bundle in self.bundles:
            for kind, count in bundle.summary.items():
                counts[kind] += count
        return counts

    @property
    def has_changes(self) -> bool:
        return any(bundle.has_changes for bundle in self.bundles)
