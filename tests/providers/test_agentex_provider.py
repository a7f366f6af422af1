"""Agentex provider: exact wire round trips for both revisions, ownership by name, and a legacy update
(delete + create) that survives faults between its two requests, or says the schedule is lost and lets the
next apply recreate it. Runs against the in-process sandbox, with faults injected at chosen requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.bundle.desired import Bundle
from reconciler.bundle.validate import load_bundles
from reconciler.errors import ConfigError
from reconciler.providers.agentex import legacy, names, runs
from reconciler.providers.agentex import provider as agentex_provider
from reconciler.providers.agentex.provider import AgentexProvider, LostScheduleError
from reconciler.providers.http import ApiClient, RetryPolicy
from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport
from reconciler.timing import Timing, TimingError, next_fire_times, parse_cron
from reconciler.timing.cron import ALL_DAYS, ALL_WEEKDAYS
from reconciler.timing.temporal_cron import parse_temporal_cron
from tests.providers import planning

LEGACY_OPTIONS = {"workflow_name": "wf", "task_queue": "q"}


def load(
    tmp_path: Path, schedules: list[dict[str, Any]], api: str | None = None, key: str = "team"
) -> Bundle:
    target: dict[str, Any] = {"provider": "agentex", **({"api": api} if api else {})}
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": key,
        "target": target,
        "schedules": schedules,
    }
    path = tmp_path / f"{key}.yaml"
    path.write_text(json.dumps(document))
    loaded = load_bundles([str(path)])
    assert not loaded.diagnostics, loaded.diagnostics
    return loaded.bundles[0]


class Faults(httpx.BaseTransport):
    """Fails or loses the next schedule creates that follow a DELETE, as told."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.armed = False
        self.fail = 0  # creates answered 503 without being executed
        self.lose = 0  # creates executed, then the connection drops
        self.log: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.log.append(f"{request.method} {request.url.path}")
        if request.method == "DELETE":
            self.armed = True
        if self.armed and request.method == "POST" and request.url.path.endswith("/schedules"):
            if self.fail:
                self.fail -= 1
                return httpx.Response(503, json={"message": "unavailable", "code": 503, "data": None})
            if self.lose:
                self.lose -= 1
                self.inner.handle_request(request).read()
                raise httpx.RemoteProtocolError("connection closed before the response")
        return self.inner.handle_request(request)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agentex_provider.time, "sleep", lambda _: None)


@pytest.fixture(params=["legacy", "run-schedules"])
def app(request: pytest.FixtureRequest) -> Iterator[SandboxApp]:
    built = build_app(SandboxConfig(provider="agentex", api=request.param, agents=("agent-a", "agent-b")))
    yield built
    built.close()


@pytest.fixture
def faults(app: SandboxApp) -> Faults:
    return Faults(in_process_transport(app))


def open_provider(bundle: Bundle, transport: httpx.BaseTransport) -> AgentexProvider:
    client = ApiClient(
        "http://sandbox",
        api_key="sandbox-key",
        transport=transport,
        retry=RetryPolicy(base_delay=0, jitter=False),
        sleep=lambda _: None,
    )
    return AgentexProvider(client, bundle, b"reconciler")


def schedules_for(app: SandboxApp, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Schedules valid on the app's revision."""
    if app.sandbox.api == "legacy":
        return [{**s, "options": {**LEGACY_OPTIONS, **s.get("options", {})}} for s in items]
    return [{**s, "input": {"message": s["name"]}} for s in items]


def apply(provider: AgentexProvider) -> list[str | None]:
    return [o.error for o in planning.apply(provider).outcomes]


def api_of(app: SandboxApp) -> str | None:
    return None if app.sandbox.api == "legacy" else "run-schedules"


# -- pure translation ----------------------------------------------------------------------------------
def test_names_split_at_the_first_separator() -> None:
    assert names.split("team--nightly") == ("team", "nightly")
    assert names.split("team--a--b") == ("team", "a--b")
    assert names.split("nightly") == (None, None)
    assert names.split("--x") == (None, None)


@pytest.mark.parametrize(
    "when",
    [
        {"cron": "0 9 * * mon-fri"},
        {"cron": "*/15 8-18 * * *"},
        {"cron": "@daily"},
        {"cron": "0 9 */2 * 1"},  # both partial, but ANDed in Vixie too (a field starts with '*')
        {"cron": "0 9 1-31 * 1"},  # OR with a full side: every day
        {"every": "90m"},
        {"every": "1d", "start": "2026-12-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"},
    ],
)
@pytest.mark.parametrize("api", [None, "run-schedules"])
def test_read_back_equals_the_bundle(tmp_path: Path, when: dict[str, Any], api: str | None) -> None:
    extra = {"options": LEGACY_OPTIONS} if api is None else {"input": {"message": "hi"}}
    bundle = load(tmp_path, [{"name": "s", "agent": "a", "when": when, **extra}], api)
    provider = open_provider(bundle, httpx.MockTransport(lambda r: httpx.Response(500)))
    [schedule] = bundle.schedules
    assert provider.as_live(schedule).when == schedule.when
    assert provider.normalise(schedule) == schedule


def test_legacy_body_and_read_back(tmp_path: Path) -> None:
    bundle = load(
        tmp_path,
        [
            {
                "name": "s",
                "agent": "a",
                "when": {"cron": "0 9 * * 1-5"},
                "state": "paused",
                "options": {**LEGACY_OPTIONS, "workflow_params": {"x": 1}, "execution_timeout_seconds": 60},
            }
        ],
    )
    [schedule] = bundle.schedules
    body = legacy.create_body("team", schedule)
    assert body == {
        "name": "team--s",
        "workflow_name": "wf",
        "task_queue": "q",
        "workflow_params": {"x": 1},
        "execution_timeout_seconds": 60,
        "cron_expression": "0 9 * * 1-5",
        "paused": True,
    }
    item = legacy.echo(body, "a")
    assert item["action"]["workflow_params"] == [{"x": 1}]  # what the server returns: the args list
    back = legacy.live_from_wire(item, "a")
    assert (back.owner, back.name, back.state, back.remote_id) == ("team", "s", "paused", "team--s")
    assert back.options == {"workflow_name": "wf", "task_queue": "q", "workflow_params": {"x": 1}}


def test_run_schedule_patch_holds_only_what_changed(tmp_path: Path) -> None:
    base = {
        "name": "s",
        "agent": "a",
        "when": {"cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"},
        "input": {"message": "hi"},
        "options": {"description": "d"},
    }
    old = load(tmp_path, [base], "run-schedules").schedules[0]
    live = runs.live_from_wire(runs.echo(runs.create_body("team", old), "a") | {"id": "u1"}, "a")
    new = load(tmp_path, [{**base, "when": {"every": "2h"}, "options": {}}], "run-schedules").schedules[0]
    assert runs.changes(runs.create_body("team", new), live) == {
        "description": None,
        "interval_seconds": 7200,
        "timezone": "UTC",
    }
    protected = load(tmp_path, [{**base, "protect": True}], "run-schedules").schedules[0]
    body = runs.create_body("team", protected)
    assert body["task_metadata"] == {runs.PROTECT_KEY: True, runs.NAME_KEY: "s"}
    back = runs.live_from_wire(runs.echo(body, "a"), "a")
    assert back.protected and "task_metadata" not in back.options


def test_a_hand_written_temporal_cron_reads_back_as_what_it_does() -> None:
    item = {
        "name": "team--s",
        "state": "ACTIVE",
        "action": {"workflow_name": "wf", "task_queue": "q"},
        "spec": {"cron_expressions": ["0 9 1 * 1"], "intervals_seconds": []},
    }
    assert legacy.live_from_wire(item, "a").when == {"timezone": "UTC", "cron": "0 9 */31 * 1"}
    item["spec"] = {"cron_expressions": ["0 9 * * * 2027"], "intervals_seconds": []}  # a year: no cron
    assert "calendars" in legacy.live_from_wire(item, "a").when
    item["spec"] = {"cron_expressions": ["0 9 * * 1"], "intervals_seconds": [60]}  # both: shown whole
    assert legacy.live_from_wire(item, "a").when["intervals"] == [60]


def test_unknown_revision_is_a_config_error(tmp_path: Path) -> None:
    bundle = load(tmp_path, [{"name": "s", "agent": "a", "when": {"every": "1h"}, "options": LEGACY_OPTIONS}])
    bundle = Bundle(bundle.key, bundle.provider, {"api": "v3"}, bundle.prune, bundle.schedules)
    with pytest.raises(ConfigError, match="run-schedules"):
        open_provider(bundle, httpx.MockTransport(lambda r: httpx.Response(500)))


# -- against the sandbox -------------------------------------------------------------------------------
def test_apply_twice_is_a_no_op_and_only_owned_schedules_are_listed(
    tmp_path: Path, app: SandboxApp, faults: Faults
) -> None:
    items = schedules_for(app, [{"name": "x", "agent": "agent-a", "when": {"every": "1h"}}])
    provider = open_provider(load(tmp_path, items, api_of(app)), faults)
    # Another bundle's schedule on the same agent, under another name (under the same name it would be a
    # collision, refused: see tests/e2e/test_bundle_key_change.py).
    theirs = schedules_for(app, [{"name": "y", "agent": "agent-a", "when": {"every": "1h"}}])
    other = open_provider(load(tmp_path, theirs, api_of(app), key="other"), faults)
    assert apply(provider) == [None] and apply(other) == [None]
    assert apply(provider) == []  # nothing to do
    [mine] = provider.list_live()
    assert (mine.owner, mine.name, mine.display_name) == ("team", "x", "team--x")


def test_a_listed_schedule_keeps_only_what_its_writes_read(
    tmp_path: Path, app: SandboxApp, faults: Faults
) -> None:
    """Legacy keeps nothing of the item (an update is a delete and a create, an archive a pause); run
    schedules keep the fields a PATCH may send, not the row's ids, times and counters. An archive (its record
    written from the kept task_metadata) and an update read from what is kept still do what they did."""
    items = schedules_for(app, [{"name": "x", "agent": "agent-a", "when": {"every": "1h"}}])
    provider = open_provider(load(tmp_path, items, api_of(app)), faults)
    assert apply(provider) == [None]
    [listed] = provider.list_live()
    if app.sandbox.api == "legacy":
        assert listed.raw == {}
    else:
        assert set(listed.raw) <= set(runs.FIELDS) and "task_metadata" in listed.raw
        assert not listed.raw.keys() & {"id", "agent_id", "created_at", "updated_at"}
    archived = provider.archive(listed)
    assert archived.state in ("paused", "archived")  # archived where the bundle no longer declares it
    if app.sandbox.api != "legacy":
        assert archived.applied is not None and archived.applied.state == "paused"
    edited = schedules_for(app, [{"name": "x", "agent": "agent-a", "when": {"every": "2h"}}])
    provider = open_provider(load(tmp_path, edited, api_of(app)), faults)
    assert all(error is None for error in apply(provider))
    [after] = provider.list_live()
    assert (after.state, after.when.get("every"), after.remote_id) == ("active", "2h", listed.remote_id)


def test_faults_between_the_delete_and_the_create_are_retried(
    tmp_path: Path, app: SandboxApp, faults: Faults
) -> None:
    if app.sandbox.api != "legacy":
        pytest.skip("run schedules are PATCHed in place: no delete + create")
    items = schedules_for(
        app, [{"name": "x", "agent": "agent-a", "when": {"every": "1h"}, "state": "paused"}]
    )
    assert apply(open_provider(load(tmp_path, items), faults)) == [None]
    items[0]["when"] = {"every": "2h"}
    faults.fail, faults.lose = 1, 1  # the first create is refused, the second committed but its answer lost
    provider = open_provider(load(tmp_path, items), faults)
    assert apply(provider) == [None]
    creates = [line for line in faults.log if line == "POST /agents/agent-a/schedules"]
    assert len(creates) == 3 and faults.log.count("DELETE /agents/agent-a/schedules/team--x") == 1
    [live] = provider.list_live()
    assert live.when["every"] == "2h" and live.state == "paused"  # updated, still paused, once
    assert apply(provider) == []


def test_a_create_that_keeps_failing_reports_the_schedule_lost_and_the_next_apply_recreates_it(
    tmp_path: Path, app: SandboxApp, faults: Faults
) -> None:
    if app.sandbox.api != "legacy":
        pytest.skip("run schedules are PATCHed in place: no delete + create")
    items = schedules_for(
        app, [{"name": "x", "agent": "agent-a", "when": {"every": "1h"}, "state": "paused"}]
    )
    assert apply(open_provider(load(tmp_path, items), faults)) == [None]
    items[0]["when"] = {"every": "2h"}
    faults.fail = 99
    provider = open_provider(load(tmp_path, items), faults)
    [error] = apply(provider)
    assert error is not None and "LOST" in error and "next `reconciler apply` creates it again" in error
    assert "'interval_seconds': 7200" in error and "'paused': True" in error  # what to recreate it with
    assert provider.list_live() == []
    faults.fail = 0
    assert apply(provider) == [None]
    [live] = provider.list_live()
    assert live.when["every"] == "2h" and live.state == "paused"


def test_lost_schedule_error_is_a_provider_error() -> None:
    assert issubclass(LostScheduleError, agentex_provider.ProviderError)


_FIELDS = (
    ["0", "*/15", "5,35", "10-20/5", "*"],
    ["9", "*/6", "8-18", "*", "0"],
    ["*", "1", "1,15", "*/2", "10-20", "31", "1-31"],
    ["*", "1-6", "*/3", "2", "jan,jul"],
    ["*", "1-5", "0", "mon,wed", "*/2", "7", "0-6"],
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.tuples(*(st.sampled_from(choices) for choices in _FIELDS)))
def test_every_cron_validate_lets_through_fires_the_same_on_temporal(fields: tuple[str, ...]) -> None:
    """What the provider sends (the canonical cron) means on Temporal what the bundle's cron means."""
    text = " ".join(fields)
    try:
        expr = parse_cron(text)
    except TimingError:
        return  # e.g. the 31st of February only: refused by validate
    if expr.day_or and expr.days_of_month != ALL_DAYS and expr.days_of_week != ALL_WEEKDAYS:
        return  # refused by validate: Temporal would AND what the bundle ORs
    calendar = parse_temporal_cron(expr.canonical).calendar
    assert calendar is not None
    after = datetime(2026, 1, 1, tzinfo=UTC)
    bundle_means = next_fire_times(Timing(cron=(text,)), after, 25)
    temporal_does = next_fire_times(Timing(calendars=(calendar,)), after, 25, provider="agentex")
    assert temporal_does == bundle_means, (text, expr.canonical)
