"""provider: temporal end to end: the real CLI against a real Temporal server (`temporal server start-dev`).

No emulator: what the server stores and does is Temporal's own. Live state is read and changed with the
official `temporalio` SDK over gRPC, as a person running Temporal would, never through reconciler's code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Schedule, ScheduleActionStartWorkflow, ScheduleIntervalSpec

from reconciler.sandbox.temporal_dev import DevServer
from tests.conftest import Run, run_cli
from tests.e2e.temporal_sdk import Temporal

QUEUE = "agents"


@pytest.fixture
def temporal(temporal_server: DevServer) -> Iterator[Temporal]:
    sdk = Temporal(temporal_server)
    sdk.delete_all()  # every test starts from an empty namespace
    yield sdk


def bundle(
    tmp_path: Path, schedules: list[dict[str, Any]], key: str = "ops", file: str = "", **extra: Any
) -> str:
    """The bundle's file (`file`, or `<key>.yaml`): one file per bundleKey, as the marker requires; a test
    that needs two versions of it writes the second one over the first."""
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": key,
        "target": {"provider": "temporal", "taskQueue": QUEUE},
        **extra,
        "schedules": schedules,
    }
    path = tmp_path / (file or f"{key}.yaml")
    path.write_text(json.dumps(document))
    return str(path)


BRIEFING = {
    "name": "briefing",
    "agent": "briefing-agent",
    "when": {"cron": "15 9 * * mon-fri", "timezone": "Europe/Berlin"},
    "input": {"message": "Morning briefing", "data": {"team": "support"}},
    "options": {"overlap": "buffer_one", "catchupWindow": "10m", "pauseOnFailure": True, "jitter": "30s"},
}
DIGEST = {
    "name": "digest",
    "agent": "digest-agent",
    "when": {"every": "6h", "offset": "15m"},
    "input": {"message": "Digest"},
}
WEEKEND = {
    "name": "weekend",
    "agent": "digest-agent",
    "when": {"calendars": [{"hour": [{"start": 10}], "dayOfWeek": [{"start": 0}, {"start": 6}]}]},
    "state": "paused",
}


def cli(server: DevServer, *args: str) -> Run:
    return run_cli(
        *args, env={"TEMPORAL_HTTP_ADDRESS": server.http_url, "TEMPORAL_NAMESPACE": server.namespace}
    )


def test_apply_writes_what_temporal_runs_and_a_second_plan_is_empty(
    temporal: Temporal, temporal_server: DevServer, tmp_path: Path
) -> None:
    path = bundle(tmp_path, [BRIEFING, DIGEST, WEEKEND])
    assert cli(temporal_server, "validate", path).code == 0
    applied = cli(temporal_server, "apply", "--auto-approve", path)
    assert applied.code == 0, applied.err
    again = cli(temporal_server, "plan", "--detailed-exitcode", path)
    assert again.code == 0, again.out + again.err

    assert temporal.ids(["ops--briefing", "ops--digest", "ops--weekend"]) == [
        "ops--briefing",
        "ops--digest",
        "ops--weekend",
    ]
    briefing = temporal.describe("ops--briefing").schedule
    action = briefing.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow == "briefing-agent" and action.task_queue == QUEUE
    assert action.args[0].data is not None  # type: ignore[union-attr]
    spec = briefing.spec
    assert spec.time_zone_name == "Europe/Berlin" and spec.jitter == timedelta(seconds=30)
    assert [c.comment for c in spec.calendars] == ["cron: 15 9 * * 1-5"]
    calendar = spec.calendars[0]
    assert [r.start for r in calendar.hour] == [9] and [r.start for r in calendar.minute] == [15]
    assert (calendar.day_of_week[0].start, calendar.day_of_week[0].end) == (1, 5)
    assert briefing.policy.catchup_window == timedelta(minutes=10) and briefing.policy.pause_on_failure
    assert briefing.policy.overlap.name == "BUFFER_ONE"

    digest = temporal.describe("ops--digest").schedule.spec.intervals[0]
    assert (digest.every, digest.offset) == (timedelta(hours=6), timedelta(minutes=15))
    weekend = temporal.describe("ops--weekend").schedule.state
    assert weekend.paused and "ops" in (weekend.note or "")


def test_the_server_runs_the_args_the_bundle_gives(
    temporal: Temporal, temporal_server: DevServer, tmp_path: Path
) -> None:
    path = bundle(tmp_path, [DIGEST])
    assert cli(temporal_server, "apply", "--auto-approve", path).code == 0
    described = temporal.describe("ops--digest")
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    payload = json.loads(action.args[0].data)  # type: ignore[union-attr]
    assert payload == {"message": "Digest"}
    assert described.info.next_action_times  # Temporal computed its own next fires from the spec


def test_a_pause_made_in_temporal_is_kept_then_healed_on_request(
    temporal: Temporal, temporal_server: DevServer, tmp_path: Path
) -> None:
    path = bundle(tmp_path, [DIGEST])
    assert cli(temporal_server, "apply", "--auto-approve", path).code == 0
    temporal.pause("ops--digest", "incident 42: hold the digests")
    plan = cli(temporal_server, "plan", path)
    assert "paused outside the bundle" in plan.out and "kept paused" in plan.out
    assert cli(temporal_server, "apply", "--auto-approve", path).code == 0
    assert temporal.describe("ops--digest").schedule.state.paused  # respected

    healing = bundle(tmp_path, [DIGEST], pauses="heal")
    assert cli(temporal_server, "apply", "--auto-approve", healing).code == 0
    assert not temporal.describe("ops--digest").schedule.state.paused


def test_removed_is_archived_and_readded_is_restored_without_a_twin(
    temporal: Temporal, temporal_server: DevServer, tmp_path: Path
) -> None:
    full = bundle(tmp_path, [BRIEFING, DIGEST])
    assert cli(temporal_server, "apply", "--auto-approve", full).code == 0
    shorter = bundle(tmp_path, [BRIEFING])  # the same file, with digest removed
    plan = cli(temporal_server, "plan", shorter)
    assert "1 to archive" in plan.out, plan.out
    assert cli(temporal_server, "apply", "--auto-approve", shorter).code == 0
    archived = temporal.describe("ops--digest").schedule.state
    assert archived.paused and "archived" in (archived.note or "")
    assert cli(temporal_server, "plan", "--detailed-exitcode", shorter).code == 0  # archived stays archived

    full = bundle(tmp_path, [BRIEFING, DIGEST])  # and added back
    assert cli(temporal_server, "apply", "--auto-approve", full).code == 0
    assert not temporal.describe("ops--digest").schedule.state.paused
    assert temporal.ids(["ops--briefing", "ops--digest"]) == ["ops--briefing", "ops--digest"]
    assert cli(temporal_server, "plan", "--detailed-exitcode", full).code == 0


def test_a_change_made_in_temporal_is_drift_and_apply_restores_the_bundle(
    temporal: Temporal, temporal_server: DevServer, tmp_path: Path
) -> None:
    path = bundle(tmp_path, [DIGEST])
    assert cli(temporal_server, "apply", "--auto-approve", path).code == 0

    def every_hour(schedule: Schedule) -> None:
        schedule.spec.intervals = [ScheduleIntervalSpec(every=timedelta(hours=1))]

    temporal.update("ops--digest", every_hour)
    drift = cli(temporal_server, "plan", "--drift-only", "--format", "json", path)
    assert drift.code == 2, drift.out + drift.err
    (step,) = json.loads(drift.out)["schedules"]
    assert step["name"] == "digest" and {c["origin"] for c in step["changes"]} == {"drift"}
    assert cli(temporal_server, "apply", "--auto-approve", path).code == 0
    interval = temporal.describe("ops--digest").schedule.spec.intervals[0]
    assert interval.every == timedelta(hours=6)


def test_foreign_schedules_are_never_touched_and_one_with_our_id_needs_adopt(
    temporal: Temporal, temporal_server: DevServer, tmp_path: Path
) -> None:
    temporal.create_foreign("nightly-etl", "etl")
    temporal.create_foreign("ops--digest", "digest-agent")  # made by hand under the id the bundle would use
    path = bundle(tmp_path, [DIGEST], prune="delete")
    refused = cli(temporal_server, "plan", path)
    assert refused.code == 1 and "ops--digest" in refused.err + refused.out

    adopting = bundle(tmp_path, [{**DIGEST, "adopt": True}], prune="delete")
    plan = cli(temporal_server, "plan", adopting)
    assert "input.args" in plan.out  # the hand-made arguments are shown being replaced
    assert cli(temporal_server, "apply", "--auto-approve", "--allow-delete", adopting).code == 0
    assert temporal.ids(["nightly-etl", "ops--digest"]) == ["nightly-etl", "ops--digest"]
    # Adopted in place, it has no identity memo (Temporal sets a memo only at creation): the bundle still
    # finds it when it leaves, by its id and the marker its update wrote.
    emptied = bundle(tmp_path, [], prune="delete")
    assert (
        cli(temporal_server, "apply", "--auto-approve", "--allow-delete", "--allow-empty", emptied).code == 0
    )
    assert temporal.ids(["nightly-etl"]) == ["nightly-etl"]
    etl = temporal.describe("nightly-etl").schedule
    assert isinstance(etl.action, ScheduleActionStartWorkflow) and etl.action.task_queue == "other"
    assert not etl.state.paused
    assert cli(temporal_server, "plan", "--detailed-exitcode", adopting).code == 0


def test_a_rename_creates_the_new_id_and_archives_the_old(
    temporal: Temporal, temporal_server: DevServer, tmp_path: Path
) -> None:
    assert cli(temporal_server, "apply", "--auto-approve", bundle(tmp_path, [DIGEST])).code == 0
    renamed = bundle(tmp_path, [{**DIGEST, "name": "summary", "renamedFrom": "digest"}])
    assert cli(temporal_server, "apply", "--auto-approve", renamed).code == 0
    assert temporal.ids(["ops--digest", "ops--summary"]) == ["ops--digest", "ops--summary"]
    assert temporal.describe("ops--digest").schedule.state.paused
    assert not temporal.describe("ops--summary").schedule.state.paused
    assert cli(temporal_server, "plan", "--detailed-exitcode", renamed).code == 0


def test_export_round_trip(temporal: Temporal, temporal_server: DevServer, tmp_path: Path) -> None:
    path = bundle(tmp_path, [BRIEFING, DIGEST, WEEKEND])
    assert cli(temporal_server, "apply", "--auto-approve", path).code == 0
    temporal.create_foreign("nightly-etl", "etl")  # its arguments are not a message and data: left out
    out = tmp_path / "exported.yaml"
    exported = cli(
        temporal_server, "export", "--provider", "temporal", "--bundle-key", "ops", "--out", str(out)
    )
    assert exported.code == 0, exported.err
    assert "nightly-etl" in exported.err and "input" in exported.err
    assert "nightly-etl" not in out.read_text()
    taken_over = json.loads(cli(temporal_server, "plan", "--format", "json", str(out)).out)
    # The exported file is a new home for the schedules (movedFrom): the marker records it, nothing else changes.
    steps = taken_over["bundles"][0]["actions"]
    assert {step["name"] for step in steps} == {"briefing", "digest", "weekend"}
    assert all(step["changes"] == [] for step in steps), steps
    assert cli(temporal_server, "apply", "--auto-approve", str(out)).code == 0
    again = cli(temporal_server, "plan", "--detailed-exitcode", str(out))
    assert again.code == 0, again.out + again.err


def test_deleting_needs_allow_delete(temporal: Temporal, temporal_server: DevServer, tmp_path: Path) -> None:
    assert cli(temporal_server, "apply", "--auto-approve", bundle(tmp_path, [BRIEFING, DIGEST])).code == 0
    pruning = bundle(tmp_path, [BRIEFING], prune="delete")
    refused = cli(temporal_server, "apply", "--auto-approve", pruning)
    assert refused.code != 0 and "--allow-delete" in refused.err + refused.out
    assert temporal.ids(["ops--briefing", "ops--digest"]) == ["ops--briefing", "ops--digest"]
    assert cli(temporal_server, "apply", "--auto-approve", "--allow-delete", pruning).code == 0
    assert temporal.ids(["ops--briefing"]) == ["ops--briefing"]


def test_status_reads_temporals_counters(
    temporal: Temporal, temporal_server: DevServer, tmp_path: Path
) -> None:
    path = bundle(tmp_path, [DIGEST])
    assert cli(temporal_server, "apply", "--auto-approve", path).code == 0
    temporal.run(lambda client: client.get_schedule_handle("ops--digest").trigger())
    deadline = time.monotonic() + 15  # the scheduler records the run it started a moment later
    while not temporal.describe("ops--digest").info.recent_actions and time.monotonic() < deadline:
        time.sleep(0.1)
    report = cli(temporal_server, "status", "--format", "json", path)
    assert report.code in (0, 2), report.err
    (schedule,) = json.loads(report.out)["schedules"]
    assert schedule["name"] == "digest" and schedule["verdict"] == "ok"
    assert schedule["observed"] == 1 and schedule["last_fire"]  # the run the trigger started


def test_temporal_fires_every_timing_form_when_reconciler_says(
    temporal: Temporal, temporal_server: DevServer, tmp_path: Path
) -> None:
    """What the server will run (its own next action times) against reconciler's forecast, per form."""
    schedules = [
        {**BRIEFING, "options": {}},  # a cron, sent as calendars
        {**DIGEST},  # an interval with a phase
        {**WEEKEND, "state": "active"},  # calendars as written
        {"name": "either-day", "agent": "x", "when": {"cron": "30 6 1 * 5", "timezone": "Australia/Sydney"}},
        {"name": "seconds", "agent": "x", "when": {"cron": "15 */20 * * * *"}},
    ]
    path = bundle(tmp_path, schedules)
    assert cli(temporal_server, "apply", "--auto-approve", path).code == 0
    report = json.loads(cli(temporal_server, "status", "--format", "json", path).out)
    for schedule in report["schedules"]:
        assert schedule["platform_next_fire"], schedule  # Temporal will fire it
        assert schedule["next_fire"] == schedule["platform_next_fire"], schedule
    for schedule_id in temporal.ids():
        ours = temporal.describe(schedule_id).info.next_action_times
        assert len(ours) >= 3, schedule_id


def test_a_gRPC_address_is_refused_with_the_variable_to_set(tmp_path: Path) -> None:
    path = bundle(tmp_path, [DIGEST])
    result = run_cli("plan", path, env={"TEMPORAL_ADDRESS": "localhost:7233", "TEMPORAL_HTTP_ADDRESS": ""})
    assert result.code == 1
    assert "TEMPORAL_HTTP_ADDRESS" in result.err and "7233" in result.err


def test_there_is_no_embedded_sandbox_and_the_error_says_what_to_run(tmp_path: Path) -> None:
    result = run_cli("plan", "--sandbox", bundle(tmp_path, [DIGEST]))
    assert result.code == 1 and "Traceback" not in result.err
    assert "reconciler sandbox serve --provider temporal" in result.err


def test_exported_hand_made_schedules_are_adopted_under_the_bundles_ids(
    temporal: Temporal, temporal_server: DevServer, tmp_path: Path
) -> None:
    temporal.create_foreign("standup", "standup-agent", {"message": "Stand-up notes"})
    temporal.create_foreign(
        "team--hourly", "hourly-agent", {"message": "Hourly"}
    )  # already the bundle's id form
    out = tmp_path / "team.yaml"
    exported = cli(
        temporal_server, "export", "--provider", "temporal", "--bundle-key", "team", "--out", str(out)
    )
    assert exported.code == 0, exported.err
    plan = json.loads(cli(temporal_server, "plan", "--format", "json", str(out)).out)
    steps = {(a["action"], a["name"]) for a in plan["bundles"][0]["actions"]}
    assert steps == {("adopt", "standup"), ("adopt", "hourly")}
    assert cli(temporal_server, "apply", "--auto-approve", str(out)).code == 0
    # `standup` recreated under the bundle's id (Temporal cannot rename); `team--hourly` adopted in place
    assert temporal.ids(["team--hourly", "team--standup"]) == ["team--hourly", "team--standup"]
    standup = temporal.describe("team--standup").schedule.action
    assert isinstance(standup, ScheduleActionStartWorkflow) and standup.task_queue == "other"
    assert cli(temporal_server, "plan", "--detailed-exitcode", str(out)).code == 0


SECRET = "canary-temporal-7c41e9"


def test_a_secret_message_never_shows_and_export_writes_a_placeholder(
    temporal: Temporal, temporal_server: DevServer, tmp_path: Path
) -> None:
    """Temporal returns a workflow's argument to anyone who can describe the schedule: the marker records
    which fields read secret(), so they are compared by digest and never written out by the reconciler."""
    secret_digest = {**DIGEST, "input": {"message": "Digest with {{ secret('TOKEN') }}"}}
    path = bundle(tmp_path, [secret_digest])
    env = {"TEMPORAL_HTTP_ADDRESS": temporal_server.http_url, "TOKEN": SECRET}
    saved = tmp_path / "plan.json"
    runs = [
        run_cli("plan", "--out", str(saved), path, env=env),
        run_cli("apply", "--auto-approve", str(saved), env=env),
        run_cli("plan", "--detailed-exitcode", "--format", "json", path, env=env),
    ]
    assert [run.code for run in runs] == [0, 0, 0], runs  # the last: compared by digest, no change
    out = tmp_path / "exported.yaml"
    exported = run_cli("export", "--provider", "temporal", "--bundle-key", "ops", "--out", str(out), env=env)
    assert exported.code == 0, exported.err
    for text in (*(run.out + run.err for run in [*runs, exported]), saved.read_text(), out.read_text()):
        assert SECRET not in text
    assert "secret(" in out.read_text()
    action = temporal.describe("ops--digest").schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert SECRET in json.loads(action.args[0].data)["message"]  # type: ignore[union-attr]  # the worker gets it
