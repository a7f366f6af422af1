"""What the controller knows after each reconcile: one frozen value the metrics, the notifications and the
status page all read, so the three never disagree about a bundle.

Pure data: the controller's loop builds a new Snapshot after every reconcile and hands it on; nothing here
touches the network, files or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# What the last reconcile of a bundle found, worst first:
# - invalid: the watched ref's version fails validation; the last good version stays applied
# - failed: an apply step failed (the message is in `failures`)
# - drift: live schedules differ from the bundle and the policy is `report` (with `heal` they are fixed)
# - pending: a change is waiting (a new commit seen, not yet applied)
# - ok: live state matches the bundle
# - unknown: not reconciled yet (before the first full read)
BundleResult = Literal["invalid", "failed", "drift", "pending", "ok", "unknown"]
RESULTS: tuple[BundleResult, ...] = ("invalid", "failed", "drift", "pending", "ok", "unknown")

DriftPolicy = Literal["heal", "report"]


@dataclass(frozen=True)
class BundleStatus:
    key: str  # the bundle's bundleKey
    path: str  # the bundle's file, relative to the watched folder
    provider: str
    result: BundleResult = "unknown"
    policy: DriftPolicy = "heal"
    commit: str | None = None  # the commit whose version of this bundle is applied (the last good one)
    last_reconcile: datetime | None = None  # when the last reconcile of this bundle ended (UTC)
    last_success: datetime | None = None  # when a reconcile last ended ok (or healed everything)
    schedules: int = 0  # schedules the bundle declares
    drifted: tuple[str, ...] = ()  # schedule names whose live state differs from the bundle
    paused_outside: tuple[str, ...] = ()  # schedules paused on the platform, not by the bundle (break-glass)
    failures: tuple[str, ...] = ()  # user-facing messages of the apply steps that failed
    invalid: str | None = None  # the validation error at file:line, when result is "invalid"
    verdicts: dict[str, str] = field(default_factory=dict)  # schedule name -> `status` verdict, when judged
    next_hour_fires: dict[str, int] = field(default_factory=dict)  # agent -> fires expected in the next hour


@dataclass(frozen=True)
class Snapshot:
    source: str  # the repository URL or folder being watched (credentials removed)
    ref: str | None  # the watched ref; None for a plain folder
    commit: str | None  # the ref's commit last fetched; None for a plain folder
    started: datetime  # when the controller started (UTC)
    ready: bool = False  # true after the first full read of every bundle's live state
    bundles: tuple[BundleStatus, ...] = ()
    shard: tuple[int, int] | None = None  # (i, N) when this replica owns one shard of the bundles
