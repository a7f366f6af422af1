"""The safety rules: which live schedules a bundle owns, and the steps that bring them to the bundle.

Third step of planning, after `normalise` and `diff`: ownership, matching, adoption, duplicates, pruning and
the empty-bundle guard are decided here and nowhere else. Pure: live schedules come in as values.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any, Literal

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.sensitive import digest_at, digest_like, holds_sensitive
from reconciler.errors import Diagnostic
from reconciler.plan.diff import field_changes
from reconciler.plan.errors import EmptyBundleError, PlanError
from reconciler.plan.ignore import ignored_form, keep_ignored
from reconciler.plan.live import LiveSchedule
from reconciler.plan.markers import applied_elsewhere, completing_marker, other_files_problem
from reconciler.plan.model import Action, ActionKind, BundlePlan, Change
from reconciler.plan.normalise import (
    DEFAULT_DIGEST_KEY,
    canonical_json,
    comparable,
    comparable_live,
    desired_shape,
    live_shape,
    normalise,
)
from reconciler.plan.origins import TimingOf, leave_alone, with_origins

RestoreMode = Literal["resume", "create"]
DisplayName = Callable[[str], str]
# Why an update or adoption is carried out as it is, when the diff alone does not say (a provider's words).
UpdateReason = Callable[[DesiredSchedule, LiveSchedule], str]

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
    planner = _BundlePlanner(
        bundle, display_name, restore_archived, digest_key, update_reason, unknown_agents, timing_of, now
    )
    planner.scope = scope
    planner.run(live)
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
                    f"bundle '{bundle.key}' has no schedules, but it owns {len(removing)} live schedule(s) that "
                    f"`prune: {verb}` would {verb}. An emptied file must not {verb} everything by accident: "
                    "if that is what you want, run again with --allow-empty.",
                )
            ]
        )
    return BundlePlan(
        bundle_key=bundle.key,
        provider=bundle.provider,
        target=dict(bundle.target),
        created_at=_timestamp(now),
        actions=tuple(actions),
        live_fingerprint=planner.fingerprint(),
    )


class _BundlePlanner:
    """The working state of one `plan_bundle` call; it never outlives it."""

    def __init__(
        self,
        bundle: Bundle,
        display_name: DisplayName,
        restore: RestoreMode,
        digest_key: bytes,
        update_reason: UpdateReason = no_reason,
        unknown_agents: frozenset[str] = frozenset(),
        timing_of: TimingOf | None = None,
        now: datetime | None = None,
    ) -> None:
        self.bundle = bundle
        self.timing_of = timing_of
        self.now = now or datetime.now(UTC)
        self.scope = Scope()
        self.unknown_agents = unknown_agents
        self.update_reason = update_reason
        self.display_name = display_name
        self.restore = restore
        self.digest_key = digest_key
        self.actions: list[Action] = []
        self.problems: list[Diagnostic] = []
        self.from_other_files: list[LiveSchedule] = []  # owned, acted on, and applied from another file
        # The live schedules the plan depends on (owned + colliding) with their shape's JSON, by id().
        self.considered: dict[int, tuple[LiveSchedule, str]] = {}
        self._forms: dict[int, dict[str, Any]] = {}

    def _who(self, agent: str) -> str:
        """The agent as part of a schedule's identity: itself, or "" where the platform's identity is the
        name alone (Scope.agents_in_identity)."""
        return agent if self.scope.agents_in_identity else ""

    def run(self, live: Sequence[LiveSchedule]) -> None:
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
        for desired in sorted(self.bundle.schedules, key=lambda d: d.renamed_from is None):
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

    def _consider(self, item: LiveSchedule) -> str:
        """Record `item` as something the plan depends on; its shape as canonical JSON."""
        key = id(item)
        seen = self.considered.get(key)
        if seen is None:
            seen = self.considered[key] = (item, canonical_json(live_shape(item)))
        return seen[1]

    def _form(self, item: LiveSchedule) -> dict[str, Any]:
        key = id(item)
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = comparable_live(item)
        return form

    def _seen(self, item: LiveSchedule, desired: DesiredSchedule) -> dict[str, Any]:
        """`item` compared with `desired`: where the bundle holds a secret, the platform's value by digest.

        Platforms return what a secret was written into in clear (a prompt, a data value, an option), while
        the bundle's side is its digest; compared as they are, the secret would show as changed on every plan.
        Where the platform's marker records which fields hold secrets, those (and only those) are compared by
        digest: a value the bundle now reads from secret() but the marker does not list yet is an update,
        which records it (`export` must never write it).
        """
        if item.secret_paths is not None:
            if not item.secret_paths:
                return self._form(item)
            return normalise(digest_at(live_shape(item), item.secret_paths, self.digest_key))
        wanted = desired_shape(desired)
        if not holds_sensitive(wanted):
            return self._form(item)
        return normalise(digest_like(wanted, live_shape(item), self.digest_key))

    def _converge(self, desired: DesiredSchedule, matches: list[LiveSchedule]) -> None:
        keep, *extras = matches if len(matches) == 1 else sorted(matches, key=keep_first)
        self._check_source(keep)
        self.actions.append(self._completing_marker(self._step(desired, keep), keep))
        for extra in extras:
            # A create whose answer was lost, then retried: keep one, remove the others. An archived extra is
            # already harmless, and touching it again on every run would gain nothing.
            if extra.state != "archived":
                self._remove(extra, "duplicate", "delete" if self.bundle.prune == "delete" else "archive")

    def _step(self, desired: DesiredSchedule, live: LiveSchedule) -> Action:
        have_json = self._consider(live)
        if live.state == "archived":
            want = comparable(desired, self.digest_key)
            if self.restore == "create":
                changes = field_changes({}, want)
                return self._action("create", desired, None, changes, "restore archived", live)
            changes = field_changes(self._seen(live, desired), want)
            # Restored straight into the bundle's state: one re-added as paused must never run in between.
            restored_as: ActionKind = "pause" if desired.state == "paused" else "resume"
            return self._action(restored_as, desired, live.remote_id, changes, "restore archived", live)
        # Two strings settle the common unchanged case before either side is normalised or walked; equal
        # JSON of the raw shapes implies equal canonical forms. (Not where the marker records secrets: the
        # raw shape holds them in clear, so a value that stopped being a secret would look unchanged.)
        want_json = canonical_json(desired_shape(desired), self.digest_key)
        if not live.secret_paths and want_json == have_json:
            return self._action("noop", desired, live.remote_id, (), "", live)
        # Where it does, the same test on the platform's side with those fields as their digests, as `_seen`
        # compares them: an unchanged schedule holding a secret is settled without normalising or walking.
        if live.secret_paths and want_json == canonical_json(
            digest_at(live_shape(live), live.secret_paths, self.digest_key)
        ):
            return self._action("noop", desired, live.remote_id, (), "", live)
        seen, want = self._seen(live, desired), comparable(desired, self.digest_key)
        ignored: tuple[Change, ...] = ()
        if desired.ignore:  # fields left to the platform: compared as the platform has them, written as such
            want, ignored = ignored_form(want, seen, desired.ignore)
            desired = keep_ignored(desired, live, desired.ignore, self.timing_of)
        changes = field_changes(seen, want)
        if not changes:  # only noise differed: server defaults, empty values, spellings of one value
            return replace(self._action("noop", desired, live.remote_id, (), "", live), ignored=ignored)
        changes = with_origins(changes, desired, live, want, seen, self.digest_key)
        desired, changes, kept, notes = leave_alone(
            self.bundle, desired, live, changes, self.now, self.digest_key, self.timing_of
        )
        reason = "; ".join(notes)
        kind: ActionKind = "noop"
        if changes and all(change.path == "state" for change in changes):
            kind = "pause" if desired.state == "paused" else "resume"
        elif changes:
            kind = "update"
            reason = "; ".join(text for text in (self.update_reason(desired, live), *notes) if text)
        action = self._action(kind, desired, live.remote_id, changes, reason, live, kept)
        return replace(action, ignored=ignored)

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

    @staticmethod
    def _action(
        kind: ActionKind,
        desired: DesiredSchedule,
        remote_id: str | None,
        changes: tuple[Change, ...],
        reason: str,
        live: LiveSchedule | None,
        kept: tuple[Change, ...] = (),
    ) -> Action:
        if desired.written:
            changes = tuple(replace(c, written=written_for(desired.written, c.path)) for c in changes)
        return Action(
            kind, desired.name, desired.agent, remote_id, changes, reason, kept, desired=desired, live=live
        )

    def _problem(self, desired: DesiredSchedule, message: str) -> None:
        self.problems.append(
            Diagnostic(desired.file, desired.line, 0, f"schedule '{desired.name}': {message}")
        )

    def fingerprint(self) -> str:
        """HMAC-SHA256 (the digest key) over every considered live schedule in remote_id order: it changes
        when any of them does.

        Unowned schedules that collide with nothing are left out, so their churn never makes a plan stale.
        Keyed, because live values include what platforms return in clear, secrets too: an unkeyed hash in a
        plan file would let anyone who knows the other fields (the bundle, the plan) test guesses of one.
        """
        mac = hmac.new(self.digest_key, digestmod=hashlib.sha256)
        # Line by line into the MAC, in (remote_id, identity, shape) order: the text is never built whole
        # (at 10,000 schedules it and its bytes were the largest thing a plan held at its end). Lines are
        # made for one remote_id at a time, so only ties (duplicates of one id) are sorted by their text.
        by_id = sorted(self.considered.values(), key=lambda pair: pair[0].remote_id)
        for _, group in itertools.groupby(by_id, key=lambda pair: pair[0].remote_id):
            for identity, shape in sorted((_identity(item), shape) for item, shape in group):
                mac.update(f"[{identity},{shape}]\n".encode())
        return "sha256:" + mac.hexdigest()


def written_for(written: dict[str, str], path: str) -> str:
    """What the bundle wrote for the field at `path` where `H` or `spread` chose its value; "" elsewhere."""
    if path in written:
        return written[path]
    # A provider may compare calendars as the one cron they equal (Temporal): the spread is still beside it.
    if path == "when.cron" and "when.calendars" in written:
        return f"calendars, {written['when.calendars']}"
    return ""


def _identity(item: LiveSchedule) -> str:
    return _quoted(item.remote_id, item.owner, item.name, item.display_name)


def _quoted(*values: str | None) -> str:
    # JSON strings joined by commas: unambiguous, and much cheaper than encoding a list per schedule.
    return ",".join("null" if value is None else encode_basestring(value) for value in values)


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
