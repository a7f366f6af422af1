"""How one live schedule is brought to its desired one: the step (noop, update, pause/resume, restore) and
the comparison behind it (secrets by digest, ignored fields, drift left alone), on the working state of one
`plan_bundle` call, with the keyed fingerprint of every live schedule that state considered.

Pure: live schedules come in as values. Which live schedules a bundle owns is decided in `planner`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from dataclasses import replace
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.sensitive import digest_at, digest_like, holds_sensitive
from reconciler.errors import Diagnostic
from reconciler.plan.diff import field_changes
from reconciler.plan.ignore import ignored_form, keep_ignored
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import Action, ActionKind, Change
from reconciler.plan.normalise import (
    canonical_json,
    comparable,
    comparable_live,
    desired_shape,
    live_shape,
    normalise,
)
from reconciler.plan.options import DisplayName, RestoreMode, Scope, UpdateReason, no_reason
from reconciler.plan.origins import TimingOf, leave_alone, with_origins


class ScheduleSteps:
    """The working state of one `plan_bundle` call (it never outlives it), and the step for one live schedule."""

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
