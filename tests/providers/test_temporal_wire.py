"""Temporal wire translation, without a server: what a schedule is written as and read back as, the marker's two
halves, and what `validate` refuses before any request. (The real server's read-back is in
tests/e2e/test_temporal.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.validate import load_bundles
from reconciler.providers.temporal import wire

TARGET = {"provider": "temporal", "taskQueue": "agents"}


def document(schedules: list[dict[str, Any]], target: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "team",
        "target": target or TARGET,
        "schedules": schedules,
    }


def problems(tmp_path: Path, schedules: list[dict[str, Any]], target: dict[str, Any] | None = None) -> str:
    path = tmp_path / "b.yaml"
    path.write_text(json.dumps(document(schedules, target)))
    return "\n".join(str(d) for d in load_bundles([str(path)]).diagnostics)


def desired(tmp_path: Path, **fields: Any) -> DesiredSchedule:
    schedule = {"name": "s", "agent": "wf", "when": {"cron": "0 9 * * *"}, **fields}
    path = tmp_path / "b.yaml"
    path.write_text(json.dumps(document([schedule])))
    loaded = load_bundles([str(path)])
    assert not loaded.diagnostics, loaded.diagnostics
    return loaded.bundles[0].schedules[0]


def read_back(item: DesiredSchedule, **marker: Any) -> Any:
    schedule = wire.schedule_for("team", item, task_queue="agents", record="", **marker)
    return wire.live_from_wire("team--s", schedule, wire.identity_memo("team", "s"), {}, task_queue="agents")


@pytest.mark.parametrize(
    "when",
    [
        {"cron": "0 9 * * mon-fri", "timezone": "Europe/Berlin"},
        {"cron": "30 8 1,15 * 1"},  # both day fields: Vixie's OR, as two AND calendars
        {"cron": ["0 0 1 * *", "*/20 6-8 * * *"], "timezone": "America/New_York"},
        {"cron": "15 30 4 * * *"},  # seconds first
        {"every": "6h", "offset": "15m"},
        {"every": "90m", "start": "2027-01-01T00:00:00Z", "end": "2027-06-30T00:00:00Z"},
        {"calendars": [{"minute": [{"start": 0, "end": 45, "step": 15}], "year": [{"start": 2027}]}]},
    ],
)
def test_every_timing_reads_back_as_written(tmp_path: Path, when: dict[str, Any]) -> None:
    item = desired(tmp_path, when=when)
    assert read_back(item).when == item.when


def test_a_calendar_a_cron_says_exactly_reads_back_as_that_cron(tmp_path: Path) -> None:
    """As on Cadenya: both sides of a plan are normalised through this read-back, so it never shows a change."""
    weekend = {"calendars": [{"hour": [{"start": 10}], "dayOfWeek": [{"start": 0}, {"start": 6}]}]}
    assert read_back(desired(tmp_path, when=weekend)).when == {"timezone": "UTC", "cron": "0 10 * * */6"}


def test_a_cron_with_both_day_fields_is_two_calendars_on_the_wire(tmp_path: Path) -> None:
    spec = wire.spec_for(desired(tmp_path, when={"cron": "30 8 1,15 * 1"}))
    calendars = spec["structuredCalendar"]
    assert len(calendars) == 2 and {c["comment"] for c in calendars} == {"cron: 30 8 1,15 * 1"}


def test_options_map_onto_policies_and_read_back(tmp_path: Path) -> None:
    options = {
        "overlap": "cancel_other",
        "catchupWindow": "10m",
        "pauseOnFailure": True,
        "jitter": "45s",
        "taskQueue": "gpu",
        "workflowIdPrefix": "nightly",
        "notes": "owned by the platform team",
    }
    item = desired(tmp_path, options=options)
    schedule = wire.schedule_for("team", item, task_queue="agents")
    assert schedule["policies"] == {
        "overlapPolicy": "SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER",
        "catchupWindow": "600s",
        "pauseOnFailure": True,
    }
    assert schedule["spec"]["jitter"] == "45s"
    assert schedule["action"]["startWorkflow"]["taskQueue"] == {"name": "gpu"}
    assert read_back(item).options == options


def test_server_defaults_are_no_difference(tmp_path: Path) -> None:
    item = desired(tmp_path, options={"overlap": "skip"})
    schedule = wire.schedule_for("team", item, task_queue="agents")
    schedule["policies"]["catchupWindow"] = "31536000s"  # what Temporal returns when none was set
    schedule["action"]["startWorkflow"]["taskQueue"]["kind"] = "TASK_QUEUE_KIND_NORMAL"
    live = wire.live_from_wire("team--s", schedule, {}, {}, task_queue="agents")
    assert live.options == {}


def test_input_is_the_workflows_one_argument(tmp_path: Path) -> None:
    item = desired(tmp_path, input={"message": "go", "data": {"region": "emea"}})
    start = wire.schedule_for("team", item, task_queue="agents")["action"]["startWorkflow"]
    assert start["input"] == [{"message": "go", "data": {"region": "emea"}}]
    assert start["workflowType"] == {"name": "wf"} and start["workflowId"] == "team--s"


@pytest.mark.parametrize("args", [[1, 2], [{"by": "hand"}], ["text"]])
def test_other_arguments_read_as_args_which_no_bundle_writes(args: list[Any]) -> None:
    schedule = {"action": {"startWorkflow": {"workflowType": {"name": "etl"}, "input": args}}}
    assert wire.live_from_wire("etl", schedule, {}, {}, task_queue="q").input == {"args": args}


def test_the_marker_names_the_owner_and_records_what_was_applied(tmp_path: Path) -> None:
    item = desired(tmp_path)
    schedule = wire.schedule_for(
        "team", item, task_queue="agents", record="active." + ".".join(["0" * 10] * 4)
    )
    live = wire.live_from_wire("team--s", schedule, wire.identity_memo("team", "s"), {}, task_queue="agents")
    assert (live.owner, live.name, live.state) == ("team", "s", "active")
    assert live.applied is not None and live.applied.state == "active" and not live.incomplete_marker


def test_archived_is_paused_with_the_marker_saying_so(tmp_path: Path) -> None:
    live = read_back(desired(tmp_path), archived=True)
    assert live.state == "archived" and live.raw["schedule"]["state"]["paused"]


def test_a_marker_copied_onto_another_schedule_is_not_ours(tmp_path: Path) -> None:
    schedule = wire.schedule_for("team", desired(tmp_path), task_queue="agents")
    copy = wire.live_from_wire("hand-made", schedule, {}, {}, task_queue="agents")
    assert copy.owner is None and copy.name is None


def test_halves_of_the_marker_that_disagree_are_no_marker(tmp_path: Path) -> None:
    schedule = wire.schedule_for("team", desired(tmp_path), task_queue="agents")
    live = wire.live_from_wire("team--s", schedule, wire.identity_memo("other", "s"), {}, task_queue="agents")
    assert live.owner is None


@pytest.mark.parametrize(
    ("schedules", "target", "expected"),
    [
        (
            [{"name": "s", "agent": "wf", "when": {"cron": "0 9 * * *"}}],
            {"provider": "temporal"},
            "target.taskQueue",
        ),
        (
            [{"name": "s", "agent": "wf", "when": {"cron": "0 9 * * *"}, "options": {"overlap": "queue"}}],
            None,
            "overlap",
        ),
        (
            [{"name": "s", "agent": "wf", "when": {"cron": "0 9 * * *"}, "options": {"catchupWindow": "5s"}}],
            None,
            "catch-up window",
        ),
        (
            [
                {
                    "name": "s",
                    "agent": "wf",
                    "when": {"cron": "0 9 * * *"},
                    "options": {"pauseOnFailure": "yes"},
                }
            ],
            None,
            "pauseOnFailure",
        ),
        ([{"name": "s", "agent": "wf", "when": {"at": "2027-01-01T00:00:00Z"}}], None, "'at'"),
        (
            [{"name": "s", "agent": "wf", "when": {"cron": "0 9 * * *"}, "labels": {"team": "a"}}],
            None,
            "labels",
        ),
        (
            [{"name": "s", "agent": "wf", "when": {"cron": "0 9 * * *"}, "options": {"retries": 3}}],
            None,
            "unknown temporal option",
        ),
        (
            [{"name": "s", "agent": "wf", "when": {"cron": "0 9 * * *"}}],
            {"provider": "oz", "namespace": "prod"},
            "target.namespace",
        ),
        (
            [{"name": "s", "agent": "wf", "when": {"calendars": [{"year": [{"start": 1999}]}]}}],
            None,
            "from 2000 to 2100",
        ),
    ],
)
def test_validate_refuses_what_temporal_would_refuse_or_not_keep(
    tmp_path: Path, schedules: list[dict[str, Any]], target: dict[str, Any] | None, expected: str
) -> None:
    assert expected in problems(tmp_path, schedules, target)


def test_a_valid_bundle_has_no_problems(tmp_path: Path) -> None:
    schedule = {
        "name": "s",
        "agent": "wf",
        "when": {"every": "1h"},
        "options": {"overlap": "buffer_all", "catchupWindow": "1h", "jitter": "5m"},
    }
    assert problems(tmp_path, [schedule], {**TARGET, "namespace": "agents-prod"}) == ""
