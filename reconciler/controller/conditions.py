"""What is wrong now, and which messages tell the people watching: the conditions a Snapshot shows, and the
transitions between what receivers were last told and what is true now, deduplicated and rate-limited.

Pure: `Announcer.step` takes the snapshot and "now" and returns the messages to post; the notifier
(notify.py) does the posting. The rules (docs/controller-notifications.md):

- a condition is (event, bundle, schedule); its details (which schedules drifted, the error) do not make it
  another condition, so a bundle that stays drifted is announced once, however its list changes;
- a new condition: one "firing" message; a condition gone: one "resolved" message; still there: nothing;
- at most one message per condition per `min_interval`: a change inside the interval waits, and is dropped
  if the condition flips back before it is due (a flapping condition sends at most one message per
  interval, and never a stale one);
- at most GLOBAL_PER_MINUTE messages in any 60 seconds, for all conditions together: the rest wait for a
  later step, oldest change first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from reconciler.controller.snapshot import BundleStatus, Snapshot
from reconciler.status.verdicts import ATTENTION

Event = Literal["drift", "apply_failed", "validation_failed", "verdict_changed"]
EVENTS: tuple[Event, ...] = ("validation_failed", "apply_failed", "drift", "verdict_changed")
State = Literal["firing", "resolved"]

# Slack accepts about one message a second per webhook in bursts; 20 a minute keeps a fleet-wide incident
# (every bundle failing at once) readable in a channel and well inside that limit.
GLOBAL_PER_MINUTE = 20
_MINUTE = timedelta(minutes=1)
_SHOWN = 5  # failure messages or schedule names written out in one message; the rest are counted
NOT_JUDGED = "not judged"  # the "old" verdict of a schedule never judged before


@dataclass(frozen=True)
class Condition:
    event: Event
    bundle: str  # bundleKey
    schedule: str = ""  # the schedule, for verdict_changed; "" for a condition of the whole bundle
    path: str = ""  # the bundle's file, relative to the watched folder
    schedules: tuple[str, ...] = ()  # the schedules concerned (drifted ones, or the judged one)
    details: tuple[str, ...] = ()  # failure messages, the validation error at file:line, or the verdict
    policy: str = ""  # the bundle's drift policy, for drift

    @property
    def key(self) -> tuple[Event, str, str]:
        return (self.event, self.bundle, self.schedule)


@dataclass(frozen=True)
class Message:
    event: Event
    state: State
    bundle: str
    path: str
    schedules: tuple[str, ...]
    details: tuple[str, ...]
    text: str  # one plain sentence, the whole message for a person
    commit: str | None  # the watched ref's commit when the change was seen
    time: datetime


def conditions(snapshot: Snapshot) -> dict[tuple[Event, str, str], Condition]:
    """Every condition the snapshot shows, by key."""
    found: dict[tuple[Event, str, str], Condition] = {}
    for bundle in snapshot.bundles:
        for condition in _of_bundle(bundle):
            found[condition.key] = condition
    return found


def _of_bundle(bundle: BundleStatus) -> Iterable[Condition]:
    key, path = bundle.key, bundle.path
    if bundle.invalid is not None or bundle.result == "invalid":
        yield Condition("validation_failed", key, path=path, details=(bundle.invalid or "invalid",))
    if bundle.failures or bundle.result == "failed":
        yield Condition("apply_failed", key, path=path, details=bundle.failures)
    if bundle.drifted:
        yield Condition("drift", key, path=path, schedules=bundle.drifted, policy=bundle.policy)
    for name, verdict in sorted(bundle.verdicts.items()):
        if verdict in ATTENTION:
            yield Condition("verdict_changed", key, name, path, (name,), (verdict,))


@dataclass
class Announcer:
    """What receivers were last told, per condition, and when; `step` brings them up to date."""

    min_interval: timedelta = timedelta(minutes=1)
    per_minute: int = GLOBAL_PER_MINUTE
    told: dict[tuple[Event, str, str], Condition] = field(default_factory=dict)  # announced as firing
    last_sent: dict[tuple[Event, str, str], datetime] = field(default_factory=dict)
    # when each change not yet announced was first seen
    since: dict[tuple[Event, str, str], datetime] = field(default_factory=dict)
    sent: deque[datetime] = field(default_factory=deque)  # times of the messages of the last minute
    settled: dict[tuple[str, str], str] = field(default_factory=dict)  # (bundle, schedule) -> verdict

    def step(self, snapshot: Snapshot, now: datetime) -> list[Message]:
        current = conditions(snapshot)
        for key in current.keys() & self.told.keys():
            self.told[key] = current[key]  # the latest details, for the resolved message ("missed → ok")
        self.last_sent = {k: t for k, t in self.last_sent.items() if now - t < self.min_interval}
        changed = [k for k in current if k not in self.told] + [k for k in self.told if k not in current]
        for key in list(self.since):
            if key not in changed:
                del self.since[key]  # it flipped back before it was announced: nothing to say
        for key in changed:
            self.since.setdefault(key, now)
        while self.sent and now - self.sent[0] >= _MINUTE:
            self.sent.popleft()
        messages = []
        for key in sorted(changed, key=lambda k: (self.since[k], EVENTS.index(k[0]), k[1], k[2])):
            last = self.last_sent.get(key)
            if last is not None and now - last < self.min_interval:
                continue  # this condition spoke less than min_interval ago: wait
            if len(self.sent) >= self.per_minute:
                break  # the global cap: the rest wait for a later step, oldest change first
            if key in current:
                messages.append(self._firing(current[key], snapshot.commit, now))
                self.told[key] = current[key]
            else:
                messages.append(self._resolved(self.told.pop(key), snapshot, now))
            self.last_sent[key] = now
            del self.since[key]
            self.sent.append(now)
        self._remember_verdicts(snapshot)
        return messages

    def _firing(self, condition: Condition, commit: str | None, now: datetime) -> Message:
        where = condition.bundle
        if condition.event == "validation_failed":
            text = f"{where}: the watched ref fails validation: {condition.details[0]} (the last good version stays applied)"
        elif condition.event == "apply_failed":
            text = f"{where}: apply failed: {_listed(condition.details, '; ')}"
        elif condition.event == "drift":
            action = "being healed" if condition.policy == "heal" else "reported, not changed (policy report)"
            count = len(condition.schedules)
            text = f"{where}: drift found in {count} schedule(s): {_listed(condition.schedules)} — {action}"
        else:
            old = self.settled.get((condition.bundle, condition.schedule), NOT_JUDGED)
            change = f"{old} → {condition.details[0]}"
            text = f"{where}/{condition.schedule}: {change}"
            condition = replace(condition, details=(change,))
        return _message(condition, "firing", text, commit, now)

    def _resolved(self, told: Condition, snapshot: Snapshot, now: datetime) -> Message:
        where = told.bundle
        status = next((b for b in snapshot.bundles if b.key == told.bundle), None)
        gone = status is None
        details: tuple[str, ...] = ()
        if told.event == "verdict_changed":
            new = status.verdicts.get(told.schedule, NOT_JUDGED) if status is not None else "gone"
            details = (f"{told.details[0]} → {new}",)
            text = f"{where}/{told.schedule}: {details[0]}"
        elif gone:
            text = f"{where}: the bundle is no longer watched"
        elif told.event == "validation_failed":
            text = f"{where}: the watched ref validates again"
        elif told.event == "apply_failed":
            text = f"{where}: applies again"
        else:
            text = f"{where}: no drift any more"
        resolved = Condition(told.event, told.bundle, told.schedule, told.path, told.schedules, details)
        return _message(resolved, "resolved", text, snapshot.commit, now)

    def _remember_verdicts(self, snapshot: Snapshot) -> None:
        """The last verdict not needing attention, per schedule: the "old" side of the next firing message,
        whichever step the rate limit lets it out in."""
        watched = {bundle.key for bundle in snapshot.bundles}
        # a bundle no longer watched is forgotten; a schedule not judged this time keeps its last verdict
        self.settled = {key: old for key, old in self.settled.items() if key[0] in watched}
        for bundle in snapshot.bundles:
            for name, verdict in bundle.verdicts.items():
                if verdict not in ATTENTION:
                    self.settled[(bundle.key, name)] = verdict


def _message(condition: Condition, state: State, text: str, commit: str | None, now: datetime) -> Message:
    return Message(
        condition.event,
        state,
        condition.bundle,
        condition.path,
        condition.schedules,
        condition.details,
        text,
        commit,
        now,
    )


def _listed(items: tuple[str, ...], separator: str = ", ") -> str:
    if not items:
        return "no message"
    shown = separator.join(items[:_SHOWN])
    return shown + (f" (+{len(items) - _SHOWN} more)" if len(items) > _SHOWN else "")
