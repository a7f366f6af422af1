"""The controller's Prometheus metrics, in a registry of its own (nothing else in the process adds to it).

Gauges are set from each Snapshot, so /metrics, the notifications and the status page agree; counters are
bumped by the loop as reconciles end, and by the HTTP client's observer as requests end. A request's route
is its path with every segment that is not a known API word replaced by `{id}`: schedule ids, agent names,
workspaces and anything a URL might carry never become label values.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from reconciler.controller.snapshot import Snapshot
from reconciler.providers.http import ApiClient

# The fixed words of the platforms' paths (reconciler.providers.*): kept in routes, all else is `{id}`.
ROUTE_WORDS = frozenset(
    {
        "api",
        "agent",
        "agents",
        "schedules",
        "scheduled-agents",
        "workspaces",
        "namespaces",
        "workflows",
        "update",
        "patch",
        "pause",
        "unpause",
        "resume",
        "archive",
        "unarchive",
        "trigger",
        "matching-times",
    }
)
_VERSION = re.compile(r"^v\d+(alpha\d*|beta\d*)?$")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def route_of(path: str) -> str:
    """`/v3/agents/agent_a/schedules/sch_1:pause` -> `/v3/agents/{id}/schedules/{id}:pause`."""
    parts = []
    for segment in path.split("/"):
        name, colon, verb = segment.partition(":")
        kept = name if (name in ROUTE_WORDS or _VERSION.match(name) or not name) else "{id}"
        parts.append(kept + (":" + verb if colon and verb in ROUTE_WORDS else ""))
    return "/".join(parts) or "/"


class ControllerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.reconciles = Counter(
            "reconciler_reconciles",
            "Reconciles of a bundle, by how they ended.",
            ["bundle", "result"],
            registry=r,
        )
        self.step_failures = Counter(
            "reconciler_apply_step_failures", "Apply steps that failed.", ["bundle", "action"], registry=r
        )
        self.healed = Counter(
            "reconciler_drift_healed",
            "Drifted schedules put back as the bundle says (drift: heal).",
            ["bundle"],
            registry=r,
        )
        self.last_success = Gauge(
            "reconciler_last_success_timestamp_seconds",
            "When a reconcile of the bundle last ended ok (Unix time).",
            ["bundle"],
            registry=r,
        )
        self.drifted = Gauge(
            "reconciler_drifted_schedules",
            "Schedules with drift left as it is (drift: report).",
            ["bundle"],
            registry=r,
        )
        self.paused_outside = Gauge(
            "reconciler_paused_outside_bundle_schedules",
            "Schedules paused on the platform, not by the bundle (kept paused under pauses: respect).",
            ["bundle"],
            registry=r,
        )
        self.bundle_result = Gauge(
            "reconciler_bundle_result",
            "1 for the result of the bundle's last reconcile.",
            ["bundle", "result"],
            registry=r,
        )
        self.schedules = Gauge(
            "reconciler_schedules", "Schedules the bundle declares.", ["bundle"], registry=r
        )
        self.next_hour = Gauge(
            "reconciler_expected_fires_next_hour",
            "Fires expected in the next hour.",
            ["provider", "agent"],
            registry=r,
        )
        self.verdicts = Gauge(
            "reconciler_schedule_verdicts",
            "Schedules per `status` verdict, when judged.",
            ["bundle", "verdict"],
            registry=r,
        )
        self.ready = Gauge(
            "reconciler_ready", "1 after the first full read of every owned bundle.", registry=r
        )
        self.latency = Histogram(
            "reconciler_platform_request_seconds",
            "Platform requests (each attempt), by provider, route and method.",
            ["provider", "route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.request_errors = Counter(
            "reconciler_platform_request_errors",
            "Platform requests answered 4xx/5xx or not at all (status `none`).",
            ["provider", "route", "method", "status"],
            registry=r,
        )
        self._providers: weakref.WeakKeyDictionary[ApiClient, str] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def track(self, client: ApiClient, provider: str) -> None:
        """Count the requests of `client` under `provider`."""
        with self._lock:
            self._providers[client] = provider

    def observe_request(
        self, client: ApiClient, method: str, path: str, status: int | None, seconds: float
    ) -> None:
        provider = self._providers.get(client)
        if provider is None:
            return
        route = route_of(path)
        self.latency.labels(provider, route, method).observe(seconds)
        if status is None or status >= 400:
            self.request_errors.labels(provider, route, method, str(status).lower()).inc()

    def update(self, snapshot: Snapshot) -> None:
        """Every gauge as the snapshot says (bundles that left take their series with them)."""
        with self._lock:
            for gauge in (
                self.last_success,
                self.drifted,
                self.paused_outside,
                self.bundle_result,
                self.schedules,
            ):
                gauge.clear()
            self.next_hour.clear()
            self.verdicts.clear()
            fires: dict[tuple[str, str], int] = {}
            for status in snapshot.bundles:
                key = status.key
                self.bundle_result.labels(key, status.result).set(1)
                self.schedules.labels(key).set(status.schedules)
                self.drifted.labels(key).set(len(status.drifted))
                self.paused_outside.labels(key).set(len(status.paused_outside))
                if status.last_success is not None:
                    self.last_success.labels(key).set(status.last_success.timestamp())
                for agent, count in status.next_hour_fires.items():
                    fires[(status.provider, agent)] = fires.get((status.provider, agent), 0) + count
                for verdict, count in _counts(status.verdicts.values()).items():
                    self.verdicts.labels(key, verdict).set(count)
            for (provider, agent), count in fires.items():
                self.next_hour.labels(provider, agent).set(count)
            self.ready.set(1 if snapshot.ready else 0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _counts(values: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for value in values:
        found[value] = found.get(value, 0) + 1
    return found
