"""Oz wire translation: exact both ways, `every` through its cron, markers only when whole, what a
read-modify-write PUT keeps, and the problems `plan` reports before any request."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.validate import load_bundles
from reconciler.providers.oz import wire


def desired(tmp_path: Path, when: dict[str, Any], **extra: Any) -> DesiredSchedule:
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "team",
        "target": {"provider": "oz"},
        "schedules": [{"name": "s", "agent": "default", "when": when, "input": {"message": "go"}, **extra}],
    }
    path = tmp_path / "b.yaml"
    path.write_text(json.dumps(document))
    loaded = load_bundles([str(path)], environ={"TOKEN": "clear-text-token"})
    assert not loaded.diagnostics, loaded.diagnostics
    return loaded.bundles[0].schedules[0]


def item_for(schedule: DesiredSchedule, **extra: Any) -> dict[str, Any]:
    item = {**wire.body_for("team", schedule), "id": "u-1", "scope": {"type": "Team", "uid": "t"}, **extra}
    item.pop("mode", None)  # the item does not carry `mode`
    return json.loads(json.dumps(item))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "when",
    [
        {"cron": "0 9 * * 1-5"},
        {"cron": "*/15 8-18 * * *"},
        {"every": "1h"},
        {"every": "6h"},
        {"every": "1d"},
        {"every": "1h", "offset": "15m"},
        {"every": "30m", "offset": "5m"},
        {"every": "7d", "offset": "1d2h"},
    ],
)
def test_read_back_equals_the_bundle(tmp_path: Path, when: dict[str, Any]) -> None:
    schedule = desired(tmp_path, when)
    live = wire.live_from_wire(item_for(schedule))
    assert {k: v for k, v in live.when.items()} == {k: v for k, v in schedule.when.items() if k != "timezone"}
    assert (live.owner, live.name, live.agent, live.state) == ("team", "s", "default", "active")
    assert live.input == {"message": "go"}


def test_every_is_sent_as_its_exact_cron(tmp_path: Path) -> None:
    body = wire.body_for("team", desired(tmp_path, {"every": "6h", "offset": "15m"}))
    assert body["cron_schedule"] == "15 */6 * * *"
    assert body["metadata"][wire.EVERY] == "6h+15m"


def test_a_cron_edited_elsewhere_reads_back_as_the_cron(tmp_path: Path) -> None:
    schedule = desired(tmp_path, {"every": "6h"})
    live = wire.live_from_wire(item_for(schedule, cron_schedule="0 7 * * mon-fri"))
    assert live.when == {"cron": "0 7 * * 1-5"}  # canonical spelling, so the diff shows meaning


def test_half_a_marker_is_no_marker(tmp_path: Path) -> None:
    schedule = desired(tmp_path, {"every": "1h"})
    item = item_for(schedule)
    del item["metadata"][wire.BUNDLE]
    live = wire.live_from_wire(item)
    assert live.owner is None and live.name is None and live.display_name == "s"


def test_labels_agent_state_and_options(tmp_path: Path) -> None:
    schedule = desired(
        tmp_path,
        {"cron": "0 9 * * *"},
        agent="agent_ops",
        labels={"team": "ops"},
        protect=True,
        state="paused",
        options={"mode": "plan", "agent_config": {"skills": ["o/r:a", "o/r:b"]}},
    )
    body = wire.body_for("team", schedule)
    assert body["agent_uid"] == "agent_ops" and body["enabled"] is False and body["mode"] == "plan"
    assert body["metadata"] == {
        "team": "ops",
        wire.BUNDLE: "team",
        wire.NAME: "s",
        wire.PROTECT: "true",
        wire.MODE: "plan",
    }
    echoed = {"skills": ["o/r:a", "o/r:b"], "skill_spec": "o/r:a"}  # what Oz answers
    live = wire.live_from_wire(item_for(schedule, agent_config=echoed))
    assert live.agent == "agent_ops" and live.state == "paused" and live.protected
    assert live.labels == {"team": "ops"}
    assert live.options == {"mode": "plan", "agent_config": {"skills": ["o/r:a", "o/r:b"]}}


def test_archived_needs_the_marker_and_disabled(tmp_path: Path) -> None:
    schedule = desired(tmp_path, {"every": "1h"})
    metadata = {**wire.metadata_for("team", schedule), wire.ARCHIVED: "true"}
    assert wire.live_from_wire(item_for(schedule, metadata=metadata, enabled=False)).state == "archived"
    assert wire.live_from_wire(item_for(schedule, metadata=metadata, enabled=True)).state == "active"


def test_personal_scope_reads_as_team_false(tmp_path: Path) -> None:
    schedule = desired(tmp_path, {"every": "1h"})
    live = wire.live_from_wire(item_for(schedule, scope={"type": "User", "uid": "u"}))
    assert live.options == {"team": False}


def test_a_listed_schedule_keeps_of_its_item_only_an_agent_config(tmp_path: Path) -> None:
    """Every write reads the schedule afresh (GET before PUT): a listed schedule keeps no copy of the item
    (metadata, history, who changed it), only the `agent_config` that says why an update is planned as it is
    once the bundle's view dropped it; the scope is read at once, as `team`."""
    schedule = desired(tmp_path, {"every": "1h"})
    history = {"last_ran": "2026-01-01T08:00:00Z", "next_run": "2026-01-01T09:00:00Z"}
    config = {"environment_id": "env_1"}
    item = item_for(
        schedule,
        scope={"type": "User", "uid": "u"},
        history=history,
        agent_config=config,
        updated_by={"email": "a@b"},
    )
    live = wire.live_from_wire(item)
    assert live.raw == {"agent_config": config}
    assert live.options["team"] is False and live.changed_by == "a@b"
    assert live.activity is not None and live.activity.next_fire == "2026-01-01T09:00:00Z"
    assert wire.live_from_wire(item_for(schedule, history=history)).raw == {}


def test_put_body_keeps_what_it_was_not_told_to_change() -> None:
    item = {
        "id": "u-1",
        "name": "theirs",
        "cron_schedule": "0 9 * * *",
        "enabled": True,
        "prompt": "p",
        "agent_config": {"skills": ["o/r:a"], "skill_spec": "o/r:a", "model_id": "m"},
        "agent_uid": "agent_ops",
        "metadata": {"k": "v"},
        "history": {"next_run": "2026-01-01T09:00:00Z"},
    }
    body = wire.put_body(item, enabled=False)
    assert body == {
        "name": "theirs",
        "cron_schedule": "0 9 * * *",
        "enabled": False,
        "prompt": "p",
        "metadata": {"k": "v"},
        "agent_config": {"skills": ["o/r:a"], "model_id": "m"},
        "agent_uid": "agent_ops",
    }


def test_the_live_agent_config_is_kept_unless_the_bundle_sets_one(tmp_path: Path) -> None:
    plain = desired(tmp_path, {"every": "1h"})
    assert wire.body_for("team", plain, live_config={"model_id": "m"})["agent_config"] == {"model_id": "m"}
    managed = desired(tmp_path, {"every": "1h"}, options={"agent_config": {"model_id": "x"}})
    assert wire.body_for("team", managed, live_config={"model_id": "m"})["agent_config"] == {"model_id": "x"}


def test_secret_prompt_is_clear_only_in_the_request(tmp_path: Path) -> None:
    schedule = desired(tmp_path, {"every": "1h"}, input={"message": "{{ secret('TOKEN') }}"})
    assert wire.body_for("team", schedule)["prompt"] == "clear-text-token"
    assert "clear-text-token" not in json.dumps(wire.metadata_for("team", schedule))


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"labels": {"bad key": "v"}}, "label 'bad key'"),
        ({"labels": {"reconciler.x": "v"}}, "reconciler."),
        ({"labels": {f"k{i}": "v" for i in range(13)}}, "at most 12 labels"),
        ({"input": {}}, "oz needs input.message"),
        ({"options": {"team": "yes"}}, "options.team"),
        ({"agent": "agent_ops", "options": {"team": False}}, "team schedules only"),
        ({"options": {"agent_config": {"skill_spec": "a", "skills": ["a"]}}}, "not both"),
    ],
)
def test_problems_name_the_schedule_and_the_rule(
    tmp_path: Path, extra: dict[str, Any], fragment: str
) -> None:
    """`validate` refuses each at its field; the provider still refuses one that did not come through it."""
    document = {"name": "s", "agent": "default", "when": {"every": "1h"}, "input": {"message": "go"}, **extra}
    path = tmp_path / "v.yaml"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "reconciler/v1",
                "kind": "Bundle",
                "bundleKey": "team",
                "target": {"provider": "oz"},
                "schedules": [document],
            }
        )
    )
    refused = load_bundles([str(path)]).diagnostics
    assert any(fragment in d.message and d.line > 0 and d.col > 0 for d in refused), refused
    valid = desired(tmp_path, {"every": "1h"})
    schedule = replace(
        valid,
        agent=extra.get("agent", valid.agent),
        input=extra.get("input", valid.input),
        labels=extra.get("labels", valid.labels),
        options=extra.get("options", valid.options),
    )
    [problem] = wire.problems(schedule)
    assert "schedule 's'" in problem.message and fragment in problem.message
    assert problem.line > 0


def test_a_skill_needs_no_prompt(tmp_path: Path) -> None:
    schedule = desired(tmp_path, {"every": "1h"}, input={}, options={"agent_config": {"skill_spec": "o/r:s"}})
    assert wire.problems(schedule) == []


def _validate(tmp_path: Path, schedule: dict[str, Any]) -> list[str]:
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "team",
        "target": {"provider": "oz"},
        "schedules": [{"name": "s", "agent": "default", "input": {"message": "go"}, **schedule}],
    }
    path = tmp_path / "v.yaml"
    path.write_text(json.dumps(document))
    return [d.message for d in load_bundles([str(path)]).diagnostics]


@pytest.mark.parametrize(
    ("schedule", "fragment"),
    [
        ({"when": {"every": "90m"}}, "oz runs a cron only, and every 1h30m is not a whole number of hours"),
        ({"when": {"every": "45m"}}, "does not divide an hour"),
        ({"when": {"every": "2d"}}, "does not divide a day"),
        ({"when": {"every": "1h", "offset": "30s"}}, "whole minutes"),
        ({"when": {"cron": "30 0 9 * * *"}}, "no seconds field"),
        ({"when": {"cron": ["0 9 * * *", "0 17 * * *"]}}, "one cron per schedule"),
        ({"when": {"every": "1h", "start": "2026-01-01T00:00:00Z"}}, "no 'start' window"),
        ({"when": {"every": "1h", "timezone": "Europe/Berlin"}}, "UTC only"),
        ({"when": {"every": "1h"}, "input": {"data": {"k": "v"}}}, "has no place for 'input.data'"),
        ({"when": {"every": "1h"}, "options": {"agent_uid": "x"}}, "unknown oz option 'agent_uid'"),
        ({"when": {"every": "1h"}, "options": {"mode": "yolo"}}, "must be one of normal, plan, orchestrate"),
    ],
)
def test_validate_refuses_what_oz_cannot_express(
    tmp_path: Path, schedule: dict[str, Any], fragment: str
) -> None:
    messages = _validate(tmp_path, schedule)
    assert any(fragment in m for m in messages), messages


@pytest.mark.parametrize("every", ["1m", "5m", "20m", "1h", "3h", "8h", "12h", "1d", "7d"])
def test_validate_accepts_every_cadence_a_cron_can_hold(tmp_path: Path, every: str) -> None:
    assert _validate(tmp_path, {"when": {"every": every}}) == []
