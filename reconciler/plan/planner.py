"""The safety rules: which live schedules a bundle owns, and the steps that bring them to the bundle.

Third step of planning, after `normalise` and `diff`: ownership, matching, adoption, duplicates, pruning and
the empty-bundle guard are decided here and nowhere else. Pure: live schedules come in as values.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Literal

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.errors import Diagnostic
from reconciler.plan.diff import field_changes
from reconciler.plan.errors import EmptyBundleError, PlanError
from reconciler.plan.live import LiveSchedule
from reconciler.plan.markers import applied_elsewhere, completing_marker, other_files_problem
from reconciler.plan.model import Action, ActionKind, BundlePlan, Change
from reconciler.plan.normalise import DEFAULT_DIGEST_KEY, comparable
from reconciler.plan.options import DisplayName, RestoreMode, Scope, UpdateReason, as_is, no_reason
from reconciler.plan.origins import TimingOf
from reconciler.plan.steps import ScheduleSteps

# Creates, adopts and updates first, then state changes, prunes last (Argo CD's PruneLast): a failed apply
# then never leaves the platform with schedules removed but their replacements missing.
# Renames come first of all: a new schedule may take the name another one is leaving.
_STEPS: tuple[ActionKind, ...] = (
    "rename",
    "create",
    "adopt",
    "update",
    "pause",
    "resume",
    "archive",
    "delete",
    "noop",
)
_ORDER = {kind: rank for rank, kind in enumerate(_STEPS)}


def plan_bundle(
    bundle: Bundle,
    live: Sequence[LiveSchedule],
    *,
    display_name: DisplayName = as_is,
    restore_archived: RestoreMode = "resume",
    update_reason: UpdateReason = no_reason,
    allow_empty: bool = False,
    digest_key: bytes = DEFAULT_DIGEST_KEY,
    unknown_agents: frozenset[str] = frozenset(),
    timing_of: TimingOf | None = None,
    scope: Scope = Scope(),
    now: datetime,
) -> BundlePlan:
    """The steps that converge `live` (everything the provider listed for the target) to `bundle`.

    `display_name` is how the provider shows a bundle name (e.g. with a `<bundleKey>--` prefix);
    `restore_archived` is how it brings back an archived schedule; `update_reason` says how it carries out
    an update or adoption (e.g. "recreate: ..."), shown as the step's reason; `unknown_agents` are agents
    the provider found the platform does not have; `timing_of` reads a live `when` back into timing (to leave a
    drifted one as it is under `drift: report`). Raises `PlanError` listing every collision (and every
    create for an unknown agent) at once, and `EmptyBundleError` when an empty bundle would prune everything
    without `allow_empty`.
    """
    planning = BundlePlanning(
        bundle,
        display_name=display_name,
        restore_archived=restore_archived,
        update_reason=update_reason,
        digest_key=digest_key,
        unknown_agents=unknown_agents,
        timing_of=timing_of,
        scope=scope,
        now=now,
    )
    planning.add(live)
    return planning.finish(allow_empty=allow_empty)


class BundlePlanning:
    """`plan_bundle` fed the live state in parts: a part that holds every live schedule of some agents has
    those agents' schedules planned at once, while the parts of the other agents are still being read.

    Where a schedule's agent is part of its identity (`Scope.agents_in_identity`), everything the rules
    compare is one agent's: a desired schedule matches, adopts, renames from or collides with live schedules
    of its own agent only, and what an agent's part leaves unmatched is pruned. So planning agent by agent
    gives exactly the plan of the whole (`finish` sorts the steps and takes the fingerprint over everything,
    as `plan_bundle` does). A part without agents (a platform that lists every schedule at once), and every
    part where the agent is not part of the identity, waits for `finish`, which plans all that is left.
    """

    def __init__(
        self,
        bundle: Bundle,
        *,
        display_name: DisplayName = as_is,
        restore_archived: RestoreMode = "resume",
        update_reason: UpdateReason = no_reason,
        digest_key: bytes = DEFAULT_DIGEST_KEY,
        unknown_agents: frozenset[str] = frozenset(),
        timing_of: TimingOf | None = None,
        scope: Scope = Scope(),
        now: datetime,
    ) -> None:
        self.bundle, self.now = bundle, now

        def planner() -> _BundlePlanner:
            made = _BundlePlanner(
                bundle,
                display_name,
                restore_archived,
                digest_key,
                update_reason,
                unknown_agents,
                timing_of,
                now,
            )
            made.scope = scope
            return made

        self._new_planner = planner
        self._planner = planner()
        self._seen: list[LiveSchedule] = []  # every part so far, should the whole have to be planned again
        self._waiting: list[LiveSchedule] = []  # parts left to `finish`
        self._unplanned: dict[
            str, list[DesiredSchedule]
        ] = {}  # the bundle's schedules by agent, till planned
        self._done: set[str] = set()  # the agents whose part was planned
        self._whole = False  # a part broke its promise: `finish` plans everything at once instead
        for desired in bundle.schedules:
            self._unplanned.setdefault(desired.agent, []).append(desired)

    def add(self, live: Sequence[LiveSchedule], agents: Collection[str] | None = None) -> None:
        """A part of the live state: with `agents`, all that will be read of those agents' schedules."""
        self._seen.extend(live)
        if self._whole:
            return
        if agents is None or not self._planner.scope.agents_in_identity:
            self._waiting.extend(live)
            return
        if any(agent in self._done for agent in agents) or any(item.agent not in agents for item in live):
            # A platform that files a schedule under another agent than the list it came in (or lists an
            # agent twice): what was planned part by part may be wrong, so the whole is planned at `finish`.
            self._whole = True
            return
        schedules = [d for agent in agents for d in self._unplanned.pop(agent, [])]
        self._done.update(agents)
        self._planner.run(live, schedules)

    def finish(self, *, allow_empty: bool = False) -> BundlePlan:
        """The plan: what is left planned against the parts without agents; `PlanError`, `EmptyBundleError` as
        `plan_bundle` raises them."""
        bundle = self.bundle
        if self._whole:
            planner = self._new_planner()
            planner.run(self._seen, bundle.schedules)
        else:
            planner = self._planner
            planner.run(self._waiting, [d for schedules in self._unplanned.values() for d in schedules])
        self._seen, self._waiting, self._unplanned = [], [], {}
        planner.refuse_other_files()
        if planner.problems:
            raise PlanError(planner.problems)
        actions = sorted(planner.actions, key=lambda a: (_ORDER[a.kind], a.name, a.agent, a.remote_id or ""))
        removing = [a for a in actions if a.kind in ("archive", "delete")]
        if not bundle.schedules and removing and not allow_empty:
            verb = bundle.prune
            raise EmptyBundleError(
                [
                    Diagnostic(
                        bundle.file,
                        bundle.line,
                        0,
                        f"bundle '{bundle.key}' has no schedules, but it owns {len(removing)} live schedule(s) "
                        f"that `prune: {verb}` would {verb}. An emptied file must not {verb} everything by "
                        "accident: if that is what you want, run again with --allow-empty.",
                    )
                ]
            )
        return BundlePlan(
            bundle_key=bundle.key,
            provider=bundle.provider,
            target=dict(bundle.target),
            created_at=_timestamp(self.now),
            actions=tuple(actions),
            live_fingerprint=planner.fingerprint(),
        )


class _BundlePlanner(ScheduleSteps):
    """The ownership rules over one `plan_bundle` call's working state: which live schedules are ours, which
    desired schedule each matches, renames, adoption, duplicates and pruning."""

    def _who(self, agent: str) -> str:
        """The agent as part of a schedule's identity: itself, or "" where the platform's identity is the
        name alone (Scope.agents_in_identity)."""
        return agent if self.scope.agents_in_identity else ""

    def run(self, live: Sequence[LiveSchedule], schedules: Sequence[DesiredSchedule]) -> None:
        """Plan `schedules` against `live`, which holds every live schedule they could match (all of their
        agents'), and prune what of `live` is ours but matched by none."""
        who = self._who
        owned: dict[tuple[str, str], list[LiveSchedule]] = {}
        others: dict[tuple[str, str], list[LiveSchedule]] = {}
        elsewhere: dict[
            tuple[str, str, str], list[LiveSchedule]
        ] = {}  # other bundles', by (key, agent, name)
        for item in live:
            if self._ours(item):
                owned.setdefault((who(item.agent), item.name or ""), []).append(item)
                self._consider(item)
            else:
                others.setdefault((who(item.agent), item.display_name), []).append(item)
                if item.owner is not None and item.name is not None:
                    elsewhere.setdefault((item.owner, who(item.agent), item.name), []).append(item)
        selected = self.scope.selected
        # Renames first: the old identity is taken before a new schedule may reuse its name.
        for desired in sorted(schedules, key=lambda d: d.renamed_from is None):
            if not selected(desired.name):
                owned.pop((who(desired.agent), desired.name), None)  # outside the selection: left as it is
                continue
            matches = owned.pop((who(desired.agent), desired.name), None)
            if matches:
                self._converge(desired, matches)
            elif desired.renamed_from is not None and (old := self._renamed(desired, owned, elsewhere)):
                self._rename(desired, old)
            else:
                self._place(desired, others.get((who(desired.agent), self.display_name(desired.name)), []))
        claimed = {(who(agent), name) for agent, name in self.scope.claimed}
        for (agent, name), items in owned.items():  # owned, but no longer in the bundle
            if not selected(name) or (agent, name) in claimed:
                continue  # outside the selection, or taken over by another bundle of this run
            for item in items:
                self._prune(item)

    def _renamed(
        self,
        desired: DesiredSchedule,
        owned: dict[tuple[str, str], list[LiveSchedule]],
        elsewhere: dict[tuple[str, str, str], list[LiveSchedule]],
    ) -> list[LiveSchedule]:
        """The live schedule(s) `renamedFrom` names: this bundle's own, or another bundle's (a move)."""
        assert desired.renamed_from is not None
        key, old = desired.renamed_from
        if key == self.bundle.key:
            return owned.pop((self._who(desired.agent), old), None) or []
        found = elsewhere.pop((key, self._who(desired.agent), old), None) or []
        for item in found:
            self._consider(item)
        return found

    def _rename(self, desired: DesiredSchedule, matches: list[LiveSchedule]) -> None:
        keep, *extras = sorted(matches, key=keep_first)
        for extra in extras:
            if extra.state != "archived":
                self._remove(extra, "duplicate", "delete" if self.bundle.prune == "delete" else "archive")
        old = keep.name or ""
        if not self.scope.renames_in_place:
            # Both halves, as one change: the create of the new name, then (pruned last) the old one removed.
            how = f"renamed from {old}: recreate (the platform cannot rename)"
            changes = field_changes({}, comparable(desired, self.digest_key))
            self.actions.append(self._action("create", desired, None, changes, how, None))
            kind: Literal["archive", "delete"] = "delete" if self.bundle.prune == "delete" else "archive"
            self.actions.append(
                Action(kind, old, keep.agent, keep.remote_id, (), f"renamed to {desired.name}", live=keep)
            )
            return
        step = self._step(desired, keep)
        moved = (Change("bundleKey", keep.owner, self.bundle.key),) if keep.owner != self.bundle.key else ()
        renamed = (Change("name", old, desired.name), *moved, *step.changes)
        self.actions.append(replace(step, kind="rename", changes=renamed))

    def _ours(self, item: LiveSchedule) -> bool:
        # The marker must also name this very schedule: a marker copied by hand onto another schedule carries
        # our key but not its identity, and must not make that schedule ours (Flux's copied-label GC bug).
        return (
            item.owner == self.bundle.key
            and item.name is not None
            and item.display_name == self.display_name(item.name)
        )

    def _converge(self, desired: DesiredSchedule, matches: list[LiveSchedule]) -> None:
        keep, *extras = matches if len(matches) == 1 else sorted(matches, key=keep_first)
        self._check_source(keep)
        self.actions.append(self._completing_marker(self._step(desired, keep), keep))
        for extra in extras:
            # A create whose answer was lost, then retried: keep one, remove the others. An archived extra is
            # already harmless, and touching it again on every run would gain nothing.
            if extra.state != "archived":
                self._remove(extra, "duplicate", "delete" if self.bundle.prune == "delete" else "archive")

    def _completing_marker(self, action: Action, live: LiveSchedule) -> Action:
        return completing_marker(self.bundle, action, live)

    def _check_source(self, item: LiveSchedule) -> None:
        if applied_elsewhere(self.bundle, item):
            self.from_other_files.append(item)

    def refuse_other_files(self) -> None:
        if self.from_other_files:
            self.problems.append(other_files_problem(self.bundle, self.from_other_files))

    def _place(self, desired: DesiredSchedule, lookalikes: list[LiveSchedule]) -> None:
        """A desired schedule the bundle does not own yet: create it, or adopt / refuse a look-alike."""
        if not lookalikes:
            if desired.agent in self.unknown_agents:
                self._problem(
                    desired,
                    f"{self.bundle.provider} has no agent '{desired.agent}' (checked while planning), so creating "
                    "this schedule would fail: correct the agent id, or create the agent first.",
                )
                return
            changes = field_changes({}, comparable(desired, self.digest_key))
            self.actions.append(self._action("create", desired, None, changes, "", None))
            return
        shown = self.display_name(desired.name)
        unowned: list[LiveSchedule] = []
        for item in lookalikes:
            self._consider(item)
            where = f"the live schedule '{shown}' ({item.remote_id}) of agent {item.agent}"
            if item.owner is None:
                unowned.append(item)
            elif item.owner != self.bundle.key:
                self._problem(
                    desired,
                    f"the live schedule '{item.name}' ({item.remote_id}) of agent {item.agent} belongs to bundle "
                    f"'{item.owner}'. A bundle never takes over another bundle's schedules, archived or not: "
                    f"rename this schedule, or delete it from '{item.owner}' first (`prune: delete`). Changing "
                    "a bundleKey: see docs/safety.md.",
                )
            else:
                marker = f"for '{item.name}'" if item.name is not None else "without a schedule name"
                self._problem(
                    desired,
                    f"{where} carries this bundle's ownership marker {marker}, which does not match its name "
                    "(was the marker copied by hand?). Correct or remove that marker on the platform, or rename "
                    "this schedule.",
                )
        if not unowned:
            return
        if not desired.adopt:
            ids = ", ".join(item.remote_id for item in unowned)
            self._problem(
                desired,
                f"a live schedule named '{shown}' of agent {desired.agent} already exists ({ids}) and has no "
                "owner. Add `adopt: true` to this schedule to take it over, or rename one of them.",
            )
        elif len(unowned) > 1:
            ids = ", ".join(sorted(item.remote_id for item in unowned))
            self._problem(
                desired,
                f"{len(unowned)} live schedules named '{shown}' of agent {desired.agent} have no owner ({ids}); "
                "`adopt: true` takes over exactly one: delete or rename the others first.",
            )
        else:
            item = unowned[0]
            changes = field_changes(self._seen(item, desired), comparable(desired, self.digest_key))
            reason = self.update_reason(desired, item)
            self.actions.append(self._action("adopt", desired, item.remote_id, changes, reason, item))

    def _prune(self, item: LiveSchedule) -> None:
        policy = self.bundle.prune
        if item.state == "archived" and policy != "delete":
            return  # already where `archive` would put it; `none` keeps it as it is
        if policy == "none":
            self.actions.append(self._kept(item, "not in the bundle; prune: none"))
        else:
            self._remove(item, "not in the bundle", policy)

    def _remove(self, item: LiveSchedule, reason: str, kind: Literal["archive", "delete"]) -> None:
        self._check_source(item)
        if item.protected:  # the marker's flag survives the schedule leaving the YAML (Pulumi's `protect`)
            self.actions.append(self._kept(item, f"{reason}; protected"))
        else:
            self.actions.append(
                Action(kind, item.name or "", item.agent, item.remote_id, (), reason, desired=None, live=item)
            )

    @staticmethod
    def _kept(item: LiveSchedule, reason: str) -> Action:
        return Action(
            "noop", item.name or "", item.agent, item.remote_id, (), reason, desired=None, live=item
        )

    def _problem(self, desired: DesiredSchedule, message: str) -> None:
        self.problems.append(
            Diagnostic(desired.file, desired.line, 0, f"schedule '{desired.name}': {message}")
        )


def keep_first(item: LiveSchedule) -> tuple[bool, int, int, str]:
    """Which of several live schedules with one owned identity to keep: sort by this, keep the first.

    Not archived first, then the oldest: ids are numeric on some platforms ("9" < "10"), text that sorts
    by creation on others (ULIDs, ObjectIds). The applier settles twins from concurrent creates by the
    same rule, so a plan and an apply never disagree on which one stays.
    """
    rid = item.remote_id
    return (item.state == "archived", 0 if rid.isdigit() else 1, int(rid) if rid.isdigit() else 0, rid)


def _timestamp(now: datetime) -> str:
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)  # a naive clock in a pure function can only mean UTC
    return now.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
