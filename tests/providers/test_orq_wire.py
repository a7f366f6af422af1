"""orq wire translation: exact both ways, markers honoured only when whole, secrets never in clear, fired
one-offs and inactive leavers reported so the planner sees nothing to do; orq's limits checked by validate."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.bundle.validate import load_bundles
from reconciler.errors import ConfigError
from reconciler.plan.normalise import comparable, comparable_live
from reconciler.providers.orq import wire

KEY = b"test-key"
SEED = wire.Context("team", wire.SEED, KEY)
CURRENT = wire.Context("team", wire.DISPLAY_NAME, KEY)


def load(tmp_path: Path, schedules: list[dict[str, Any]], api: str | None = None) -> Any:
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "team",
        "target": {"provider": "orq", **({"api": api} if api else {})},
        "schedules": schedules,
    }
    path = tmp_path / "b.yaml"
    path.write_text(json.dumps(document))
    return load_bundles([str(path)], environ={"TOKEN": "clear-text-token"})


def desired(tmp_path: Path, when: dict[str, Any], api: str | None = None, **extra: Any) -> DesiredSchedule:
    loaded = load(tmp_path, [{"name": "s", "agent": "a", "when": when, **extra}], api)
    assert not loaded.diagnostics, loaded.diagnostics
    schedule: DesiredSchedule = loaded.bundles[0].schedules[0]
    return schedule


def served(ctx: wire.Context, schedule: DesiredSchedule, **item: Any) -> dict[str, Any]:
    """What the API would return for a create: secrets write-only, the rest as sent."""
    body = json.loads(json.dumps(wire.create_body(ctx, schedule)))
    variables = body["payload"].get("variables") or {}
    for name, value in variables.items():
        if isinstance(value, dict) and value.get("secret"):
            variables[name] = {"secret": True}
    return {"_id": "01J0000000000000000000000A", "agent_key": "a", "is_active": True, **body, **item}


@pytest.mark.parametrize(
    ("when", "kind", "expression"),
    [
        ({"cron": "0 9 * * mon-fri"}, "cron", "0 0 9 * * 1-5"),
        ({"cron": "30 0 */2 * * *"}, "cron", "30 0 */2 * * *"),
        ({"cron": "@weekly"}, "cron", "0 0 0 * * 0"),
        ({"every": "6h"}, "interval", "@every 6h"),
        ({"every": "1d12h"}, "interval", "@every 36h"),
        ({"every": "90m"}, "interval", "@every 1h30m"),
        ({"at": "2030-05-01T09:00:00Z"}, "once", "@at 2030-05-01T09:00:00Z"),
    ],
)
def test_timing_goes_out_in_orqs_forms_and_reads_back_exactly(
    tmp_path: Path, when: dict[str, Any], kind: str, expression: str
) -> None:
    schedule = desired(tmp_path, when)
    assert wire.timing_for(schedule) == (kind, expression)
    live = wire.live_from_wire(SEED, served(SEED, schedule))
    assert comparable_live(live)["when"] == comparable(schedule)["when"]


@pytest.mark.parametrize(
    ("kind", "expression", "when"),
    [
        ("cron", "0 0 9 * * mon-fri", {"cron": "0 9 * * 1-5"}),
        ("cron", "CRON_TZ=UTC 0 0 9 * * *", {"cron": "0 9 * * *"}),
        ("cron", "@daily", {"cron": "0 0 * * *"}),
        ("interval", "@every 3600s", {"every": "1h"}),
        ("interval", "@every 1.5h", {"every": "1h30m"}),
        ("once", "@at 2030-05-01T09:00:00+00:00", {"at": "2030-05-01T09:00:00Z"}),
        ("cron", "0 9 * * *", {"expression": "cron: 0 9 * * *"}),  # 5 fields: not orq's
        ("interval", "@every soon", {"expression": "interval: @every soon"}),
    ],
)
def test_expressions_written_elsewhere_read_back_in_the_bundles_terms(
    kind: str, expression: str, when: dict[str, Any]
) -> None:
    expected = {"timezone": "UTC", **when} if "expression" not in when else when
    assert wire.when_from_wire(kind, expression) == expected


def test_go_durations() -> None:
    assert [wire.go_duration(s) for s in (3600, 5400, 86400, 3661)] == ["1h", "1h30m", "24h", "1h1m1s"]
    assert wire.go_duration_seconds("1h30m") == 5400 and wire.go_duration_seconds("90m") == 5400
    assert wire.go_duration_seconds("1d") is None and wire.go_duration_seconds("") is None


def test_the_marker_input_and_options_round_trip(tmp_path: Path) -> None:
    schedule = desired(
        tmp_path,
        {"cron": "0 9 * * *"},
        input={"message": "Hello", "data": {"region": "EMEA", "n": 3}},
        labels={"team": "support"},
        options={"agent_tag": "v2", "memory_entity_id": "mem_1", "metadata": {"run_source": "daily"}},
        protect=True,
    )
    item = served(SEED, schedule)
    metadata = item["payload"]["metadata"]
    assert metadata["reconciler.dev/bundle"] == "team" and metadata["reconciler.dev/name"] == "s"
    assert metadata["reconciler.dev/protect"] == "true"
    assert all(isinstance(v, str) for v in metadata.values())  # SDK >= 4.13 types them as strings
    live = wire.live_from_wire(SEED, item)
    assert (live.owner, live.name, live.display_name, live.protected) == ("team", "s", "s", True)
    assert live.labels == {"team": "support"}
    assert live.options == {
        "agent_tag": "v2",
        "memory_entity_id": "mem_1",
        "metadata": {"run_source": "daily"},
    }
    assert live.input == {"message": "Hello", "data": {"region": "EMEA", "n": 3}}
    assert comparable_live(live) == comparable(schedule)


def test_secrets_go_out_as_secret_variables_and_come_back_as_digests(tmp_path: Path) -> None:
    schedule = desired(
        tmp_path,
        {"every": "2h"},
        input={"data": {"table": "orders"}, "secrets": {"token": "{{ secret('TOKEN') }}"}},
    )
    body = wire.create_body(SEED, schedule)
    assert body["payload"]["variables"]["token"] == {"secret": True, "value": "clear-text-token"}
    assert "clear-text-token" not in json.dumps(body["payload"]["metadata"])
    live = wire.live_from_wire(SEED, served(SEED, schedule))
    assert live.input["secrets"] == {"token": Sensitive("clear-text-token").digest(KEY)}
    assert "clear-text-token" not in repr(live.input) and "clear-text-token" not in json.dumps(live.raw)
    assert comparable_live(live) == comparable(schedule, KEY)
    other_key = wire.live_from_wire(wire.Context("team", wire.SEED, b"other"), served(SEED, schedule))
    assert comparable_live(other_key) == comparable(schedule, KEY)  # the digest stored, not recomputed


def test_a_secret_without_a_recorded_digest_shows_as_unknown() -> None:
    item = {
        "_id": "x",
        "agent_key": "a",
        "type": "interval",
        "expression": "@every 1h",
        "is_active": True,
        "payload": {
            "variables": {"token": {"secret": True}},
            "metadata": {"reconciler.dev/bundle": "team", "reconciler.dev/name": "s"},
        },
    }
    assert wire.live_from_wire(SEED, item).input == {"secrets": {"token": "hmac-sha256:unknown"}}


def test_half_a_marker_is_no_marker_and_unowned_seed_schedules_get_an_id_name() -> None:
    item = {"_id": "01ABC", "agent_key": "a", "type": "cron", "expression": "0 0 9 * * *", "is_active": True}
    half = {**item, "payload": {"metadata": {"reconciler.dev/bundle": "team"}}}
    live = wire.live_from_wire(SEED, half)
    assert (live.owner, live.name, live.display_name) == (None, None, "orq-01abc")
    named = wire.live_from_wire(CURRENT, {**item, "display_name": "Morning", "payload": {}})
    assert named.display_name == "Morning"


def test_data_and_secrets_may_not_share_a_variable(tmp_path: Path) -> None:
    both = {"data": {"x": 1}, "secrets": {"x": "{{ secret('TOKEN') }}"}}
    refused = load(
        tmp_path, [{"name": "s", "agent": "a", "when": {"every": "1h"}, "input": both}]
    ).diagnostics
    assert any("input.data sets 'x' too" in d.message and d.line > 0 for d in refused), refused
    schedule = replace(desired(tmp_path, {"every": "1h"}), input={"data": {"x": 1}, "secrets": {"x": "s"}})
    with pytest.raises(ConfigError, match="both set the orq variable"):  # the provider's own guard
        wire.create_body(SEED, schedule)


def test_reserved_and_non_string_metadata(tmp_path: Path) -> None:
    reserved = {"metadata": {"reconciler.dev/x": "y"}}
    refused = load(
        tmp_path, [{"name": "s", "agent": "a", "when": {"every": "1h"}, "options": reserved}]
    ).diagnostics
    assert any("hold the reconciler's ownership marker" in d.message and d.line > 0 for d in refused), refused
    numbers = {"metadata": {"n": 1}}
    schedule = [{"name": "s", "agent": "a", "when": {"cron": "0 9 * * *"}, "options": numbers}]
    assert not load(tmp_path, schedule).diagnostics  # the original API's metadata is any JSON
    refused = load(tmp_path, schedule, "display-name").diagnostics
    assert any("takes text values only" in d.message and d.line > 0 for d in refused), refused
    # the provider's own guards, for a schedule that did not come through validate
    valid = desired(tmp_path, {"cron": "0 9 * * *"})
    with pytest.raises(ConfigError, match="ownership marker"):
        wire.create_body(SEED, replace(valid, options=reserved))
    wire.create_body(SEED, replace(valid, options=numbers))
    with pytest.raises(ConfigError, match="must be strings"):
        wire.create_body(CURRENT, replace(valid, options=numbers))


def test_display_name_revision_sends_the_name(tmp_path: Path) -> None:
    schedule = desired(tmp_path, {"cron": "0 9 * * 1"}, "display-name")
    body = wire.create_body(CURRENT, schedule)
    assert (body["type"], body["expression"], body["display_name"]) == ("cron", "0 0 9 * * 1", "s")
    assert wire.live_from_wire(CURRENT, served(CURRENT, schedule)).display_name == "s"


def fired_once(**item: Any) -> dict[str, Any]:
    marker = {"reconciler.dev/bundle": "team", "reconciler.dev/name": "s"}
    return {
        "_id": "x",
        "agent_key": "a",
        "type": "once",
        "expression": "@at 2030-05-01T09:00:00Z",
        "is_active": False,
        "last_triggered_at": "2030-05-01T09:00:00Z",
        "trigger_count": 1,
        "payload": {"metadata": marker},
        **item,
    }


def test_state_fired_one_offs_and_inactive_leavers() -> None:
    in_bundle = {("a", "s"): "active"}
    state = lambda item, bundle=in_bundle: wire.live_from_wire(SEED, item, in_bundle=bundle).state  # noqa: E731
    assert state(fired_once()) == "active"  # done: what the bundle asks for is true
    assert state(fired_once(), {("a", "s"): "paused"}) == "paused"
    assert state(fired_once(), {}) == "archived"  # left the bundle, inactive: nothing to prune
    assert state(fired_once(last_triggered_at="2030-04-30T09:00:00Z")) == "paused"  # a run-now, not its fire
    assert state(fired_once(last_triggered_at=None)) == "paused"  # paused before its time
    assert state(fired_once(is_active=True)) == "active"
    foreign = fired_once(payload={"metadata": {"reconciler.dev/bundle": "else", "reconciler.dev/name": "s"}})
    assert state(foreign, {}) == "paused"
    assert wire.live_from_wire(SEED, fired_once()).state == "paused"  # export: the platform's own state


def test_patch_sends_only_what_changed(tmp_path: Path) -> None:
    schedule = desired(tmp_path, {"every": "6h"}, input={"message": "m"})
    raw = served(SEED, schedule)
    assert set(wire.patch_body(SEED, schedule, raw)) == {"payload"}  # payload always: secrets are unreadable
    moved = desired(tmp_path, {"every": "2h"}, input={"message": "m"}, state="paused")
    # The original API's marker records the schedule's own id (a copy of it carries the original's).
    marked = {**raw["payload"]["metadata"], wire.ID_KEY: raw["_id"]}
    assert wire.patch_body(SEED, moved, raw) == {
        "payload": {**raw["payload"], "metadata": marked},
        "expression": "@every 2h",
        "is_active": False,
    }
    pinned = {**raw, "agent_tag": "v2"}
    assert wire.patch_body(SEED, schedule, pinned)["agent_tag"] == ""  # unpin


def test_patch_leaves_a_fired_one_off_off_unless_it_is_rearmed(tmp_path: Path) -> None:
    schedule = desired(tmp_path, {"at": "2030-05-01T09:00:00Z"})
    raw = {**served(SEED, schedule), **{k: v for k, v in fired_once().items() if k != "payload"}}
    assert "is_active" not in wire.patch_body(SEED, schedule, raw)
    later = desired(tmp_path, {"at": "2030-06-01T09:00:00Z"})
    body = wire.patch_body(SEED, later, raw)
    assert (body["expression"], body["is_active"]) == ("@at 2030-06-01T09:00:00Z", True)


@pytest.mark.parametrize(
    ("when", "api", "message"),
    [
        ({"every": "30m"}, None, "orq allows at most one fire every 1h; got every 30m"),
        ({"cron": "*/30 * * * *"}, None, "fires more often than orq allows (at most once every 1h)"),
        ({"cron": "*/5 * * * * *"}, None, "fires more often than orq allows"),
        ({"cron": "0 9 * * *", "timezone": "Europe/Berlin"}, None, "orq runs schedules in UTC only"),
        ({"every": "6h", "offset": "15m"}, None, "orq has no interval offset"),
        ({"cron": ["0 9 * * *", "0 17 * * *"]}, None, "one cron per schedule"),
        ({"every": "2h", "start": "2030-01-01T00:00:00Z"}, None, "no 'start' window"),
        ({"calendars": [{"hour": [{"start": 9}]}]}, None, "cannot express 'calendars'"),
        ({"every": "1h"}, "display-name", "cannot express 'every'"),
        ({"at": "2030-01-01T00:00:00Z"}, "display-name", "cannot express 'at'"),
        ({"cron": "0 9 * * mon-fri"}, "display-name", "is not a shape orq accepts"),
        ({"cron": "0 */2 * * *"}, "display-name", "is not a shape orq accepts"),
        ({"cron": "30 9 * * *"}, "display-name", "is not a shape orq accepts"),
        ({"cron": "0 9 1 * *"}, "display-name", "is not a shape orq accepts"),
    ],
)
def test_validate_refuses_what_orq_cannot_express(
    tmp_path: Path, when: dict[str, Any], api: str | None, message: str
) -> None:
    loaded = load(tmp_path, [{"name": "s", "agent": "a", "when": when}], api)
    assert any(message in d.message for d in loaded.diagnostics), loaded.diagnostics


@pytest.mark.parametrize(
    "cron", ["0 * * * *", "0 9 * * *", "0 9 * * 1", "0 0 * * 0", "@daily", "@hourly", "0 23 * * 7"]
)
def test_display_name_accepts_hourly_daily_and_weekly(tmp_path: Path, cron: str) -> None:
    assert not load(
        tmp_path, [{"name": "s", "agent": "a", "when": {"cron": cron}}], "display-name"
    ).diagnostics
