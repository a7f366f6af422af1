"""The controller's loop: poll the source, read a new commit's bundles, reconcile every owned bundle each
interval, publish a Snapshot after each reconcile (metrics, notifications and the status page read it).

What it keeps warm between intervals: the validated bundles (validated again only when the commit changes,
or, for a plain folder, read again and compared), and one provider (its HTTP connections) per bundle.
One reconcile per bundle at a time: a round hands each bundle to one worker and waits for the round to end.
A bundle whose new version fails validation keeps its last good version (reported `invalid` at file:line);
a bundle whose file is gone from the ref is reported and left alone: its schedules stay as they are, nothing
is archived (pruning a removed bundle is opt-in, as in Argo CD and Flux: docs/controller.md).
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconciler.bundle.desired import Bundle
from reconciler.cli.session import Options, _claims, digest_key, open_providers
from reconciler.controller.git import Source
from reconciler.controller.logs import Secrets, fields
from reconciler.controller.metrics import ControllerMetrics
from reconciler.controller.reconcile import (
    Result,
    Stop,
    next_hour_fires,
    normalised,
    read_folder,
    reconcile,
    relative,
)
from reconciler.controller.shards import shard_of
from reconciler.controller.snapshot import BundleResult, BundleStatus, Snapshot
from reconciler.errors import ReconcilerError
from reconciler.providers.base import Provider
from reconciler.providers.registry import CONNECTIONS

log = logging.getLogger("reconciler.controller")
FORECAST_EVERY = timedelta(minutes=5)  # the next hour's fires, counted again at most this often per bundle


@dataclass(frozen=True)
class Settings:
    options: Options  # connection options as `plan`/`apply` take them (paths unused: the source gives them)
    interval: float  # seconds between rounds
    jitter: float = 0.1  # a round waits interval × (1 ± jitter), so replicas and bundles drift apart
    shard: tuple[int, int] | None = None
    allow_delete: bool = False
    status_every: int = 12  # judge `status` verdicts every Nth round (0: never): it reads the fire counters


@dataclass
class Entry:
    """What the controller knows of one bundle key."""

    bundle: Bundle | None  # the last good version; None while it never validated
    status: BundleStatus
    provider: Provider | None = None
    read_once: bool = False  # one full read of its live state done (or it can never be read: invalid)
    gone: bool = False  # its file left the ref
    forecast_at: datetime | None = None
    prepared: Bundle | None = None  # `bundle` normalised by its provider, once per version (kept warm)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Controller:
    def __init__(
        self,
        source: Source,
        settings: Settings,
        metrics: ControllerMetrics,
        secrets: Secrets,
        publish: Callable[[Snapshot], None] = lambda snapshot: None,
    ) -> None:
        self.source = source
        self.settings = settings
        self.metrics = metrics
        self.secrets = secrets
        self.publish = publish
        self.stop = Stop()
        self.entries: dict[str, Entry] = {}
        self.secret_values: set[str] = set()  # the bundles' secret() values: clients redact them
        self.commit: str | None = None
        self.read_done = False  # the source was read once: before that, not ready whatever else holds
        self.started = datetime.now(UTC)
        self.rounds = 0
        self._snapshot_lock = threading.Lock()
        self.snapshot = Snapshot(source.url, source.ref, None, self.started, shard=settings.shard)

    def run(self) -> None:
        """Rounds until `stop`: the steps in flight finish, no new one starts."""
        while not self.stop.requested:
            try:
                self.round()
            except Exception:  # a bug in one round must not end the controller: logged, tried next interval
                log.exception("the round failed", extra=fields("round_failed"))
            spread = self.settings.interval * self.settings.jitter
            self.stop.event.wait(max(0.0, self.settings.interval + random.uniform(-spread, spread)))
        log.info("stopped", extra=fields("stopped"))

    def round(self) -> None:
        try:
            revision = self.source.poll()
        except ReconcilerError as exc:
            log.error("%s", exc, extra=fields("fetch_failed"))
        else:
            if revision.commit is None or revision.commit != self.commit:
                self._read(revision.folder, revision.commit)
        self.rounds += 1
        due = [k for k, e in self.entries.items() if e.bundle is not None and not e.gone]
        if due:
            with ThreadPoolExecutor(max_workers=min(4, len(due)), thread_name_prefix="bundle") as pool:
                list(pool.map(self._reconcile_one, due))
        self._publish()

    def _owns(self, key: str) -> bool:
        shard = self.settings.shard
        return shard is None or shard_of(key, shard[1]) == shard[0]

    def _read(self, folder: Path, commit: str | None) -> None:
        """Validate every bundle of the new commit; changed ones get a fresh provider."""
        options = self.settings.options
        reading = read_folder(folder, options.vars, allow_empty=options.allow_empty)
        self.secrets.add(reading.secrets)
        self.secret_values |= reading.secrets
        by_file = {e.status.path: k for k, e in self.entries.items()}
        changed: list[Bundle] = []
        for key, bundle in reading.bundles.items():
            if not self._owns(key):
                continue
            entry = self.entries.get(key)
            path = relative(folder, bundle.file)
            if entry is None or entry.bundle != bundle:
                changed.append(bundle)
            status = BundleStatus(
                key, path, bundle.provider, policy=bundle.drift, schedules=len(bundle.schedules)
            )
            if entry is None:
                self.entries[key] = Entry(bundle, replace(status, commit=commit))
            else:
                entry.gone = False
                entry.status = replace(
                    entry.status,
                    path=path,
                    invalid=None,
                    commit=commit,
                    policy=bundle.drift,
                    schedules=len(bundle.schedules),
                )
                entry.bundle = bundle
        for path, problems in reading.invalid.items():
            key = by_file.get(path, path)
            if not self._owns(key) or key in reading.bundles:
                continue
            entry = self.entries.setdefault(
                key, Entry(None, BundleStatus(key, path, "unknown"), read_once=True)
            )
            # the last good version's next reconcile reports it (result invalid); one that never validated, now
            entry.status = replace(entry.status, invalid=problems)
            if entry.bundle is None:
                entry.status = replace(entry.status, result="invalid")
            log.error("%s", problems, extra=fields("invalid", bundle=key, commit=commit, file=path))
        for key, entry in self.entries.items():
            if key not in reading.bundles and entry.status.path not in reading.invalid and not entry.gone:
                entry.gone, entry.read_once = True, True
                message = (
                    f"{entry.status.path} is no longer in the watched folder: its schedules are left as they are "
                    "(nothing archived); delete the schedules with a bundle that declares none, or restore the file"
                )
                entry.status = replace(entry.status, result="invalid", invalid=message)
                log.warning("%s", message, extra=fields("bundle_removed", bundle=key, commit=commit))
        self._open(changed)
        self.commit = commit
        self.read_done = True
        if changed or commit is not None:
            log.info(
                "read %d bundle(s), %d changed, %d invalid",
                len(reading.bundles),
                len(changed),
                len(reading.invalid),
                extra=fields("read", commit=commit),
            )

    def _open(self, bundles: list[Bundle]) -> None:
        """Fresh providers for the bundles that changed (a changed target or endpoint needs a new client)."""
        if not bundles:
            return
        options = self.settings.options
        for bundle in bundles:
            old = self.entries[bundle.key].provider
            if old is not None:
                old.client.close()
            self.entries[bundle.key].provider = None
            self.entries[bundle.key].prepared = None
        try:
            opened = open_providers(bundles, options, self.secret_values)
        except ReconcilerError as exc:
            for bundle in bundles:
                entry = self.entries[bundle.key]
                entry.status = replace(entry.status, result="failed", failures=(str(exc),))
            log.error("%s", exc, extra=fields("connect_failed"))
            return
        for name in {bundle.provider for bundle in bundles}:  # the API keys, for the log's redaction
            connection = CONNECTIONS.get(name)
            self.secrets.add([os.environ.get(connection.api_key_env, "")] if connection else [])
        for key, provider in opened.items():
            self.entries[key].provider = provider
            self.metrics.track(provider.client, self.entries[key].status.provider)

    def _reconcile_one(self, key: str) -> None:
        entry = self.entries[key]
        if self.stop.requested or not entry.lock.acquire(blocking=False):
            return
        try:
            self._reconcile_locked(key, entry)
        finally:
            entry.lock.release()
        self._publish()

    def _reconcile_locked(self, key: str, entry: Entry) -> None:
        bundle, provider = entry.bundle, entry.provider
        if bundle is None or provider is None:
            return
        options = self.settings.options
        claims = _claims([e.bundle for e in self.entries.values() if e.bundle is not None], options)
        now = datetime.now(UTC)
        try:
            if entry.prepared is None:
                entry.prepared = normalised(bundle, provider)
            result = reconcile(
                entry.prepared,
                provider,
                options,
                digest_key(),
                self.stop,
                claims.get(key, frozenset()),
                allow_delete=self.settings.allow_delete,
            )
        except ReconcilerError as exc:
            self.metrics.reconciles.labels(key, "failed").inc()
            entry.status = replace(entry.status, result="failed", failures=(str(exc),), last_reconcile=now)
            log.error("%s", exc, extra=fields("read_failed", bundle=key))
            return
        entry.read_once = True
        self._record(key, entry, result, bundle)

    def _record(self, key: str, entry: Entry, result: Result, bundle: Bundle) -> None:
        now = datetime.now(UTC)
        outcome: BundleResult = "failed" if result.failures else "drift" if result.drifted else "ok"
        if result.stopped and outcome == "ok":
            outcome = "pending"
        self.metrics.reconciles.labels(key, outcome).inc()
        for kind, _ in result.failures:
            self.metrics.step_failures.labels(key, kind).inc()
        if result.healed:
            self.metrics.healed.labels(key).inc(len(result.healed))
        fires = entry.status.next_hour_fires
        if entry.forecast_at is None or now - entry.forecast_at >= FORECAST_EVERY:
            fires, entry.forecast_at = next_hour_fires(bundle, now), now
        verdicts = self._verdicts(bundle, entry) if self._judging() else entry.status.verdicts
        shown: BundleResult = "invalid" if entry.status.invalid else outcome
        news = shown != entry.status.result  # a result that changed is worth a line even with nothing applied
        entry.status = replace(
            entry.status,
            result=shown,
            last_reconcile=now,
            last_success=now if outcome == "ok" else entry.status.last_success,
            drifted=result.drifted,
            paused_outside=result.paused_outside,
            failures=tuple(message for _, message in result.failures),
            next_hour_fires=fires,
            verdicts=verdicts,
        )
        extra = fields(
            "reconciled",
            bundle=key,
            result=shown,
            applied=result.applied,
            drifted=list(result.drifted),
            healed=list(result.healed),
        )
        if result.failures:
            log.error(
                "%d step(s) failed: %s",
                len(result.failures),
                "; ".join(m for _, m in result.failures),
                extra=extra,
            )
        elif result.applied or result.healed or news:
            log.info("%d step(s) applied", result.applied, extra=extra)
        else:
            log.debug("no changes", extra=extra)

    def _judging(self) -> bool:
        every = self.settings.status_every
        return every > 0 and (self.rounds - 1) % every == 0

    def _verdicts(self, bundle: Bundle, entry: Entry) -> dict[str, str]:
        from reconciler.cli.status import judged
        from reconciler.status.verdicts import Window

        if entry.provider is None:
            return entry.status.verdicts
        try:
            live = entry.provider.read_activity()
        except ReconcilerError as exc:
            log.warning("%s", exc, extra=fields("status_failed", bundle=bundle.key))
            return entry.status.verdicts
        window = Window(datetime.now(UTC), timedelta(hours=24), timedelta(minutes=10))
        return {s.name: s.verdict for s in judged(bundle, live, window)}

    def _publish(self) -> None:
        with self._snapshot_lock:
            statuses = tuple(sorted((e.status for e in self.entries.values()), key=lambda s: s.key))
            ready = self.read_done and all(e.read_once for e in self.entries.values())
            self.snapshot = Snapshot(
                self.source.url,
                self.source.ref,
                self.commit,
                self.started,
                ready,
                statuses,
                self.settings.shard,
            )
            self.metrics.update(self.snapshot)
            self.publish(self.snapshot)

    def bundles(self) -> list[Bundle]:
        return [e.bundle for e in self.entries.values() if e.bundle is not None and not e.gone]

    def close(self) -> None:
        for entry in self.entries.values():
            if entry.provider is not None:
                entry.provider.client.close()
