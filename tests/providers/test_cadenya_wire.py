"""Cadenya wire translation: exact both ways, markers honoured only when whole, secrets never in clear."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.validate import load_bundles
from reconciler.providers.cadenya import wire

KEY = b"test-key"


def desired(tmp_path: Path, when: dict[str, Any], **extra: Any) -> DesiredSchedule:
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "team",
        "target": {"provider": "cadenya", "workspace": "ws"},
        "schedules": [{"name": "s", "agent": "a", "when": when, **extra}],
    }
    path = tmp_path / "b.yaml"
    path.write_text(json.dumps(document))
    loaded = load_bundles([str(path)], environ={"TOKEN": "clear-text-token"})
    assert not loaded.diagnostics, loaded.diagnostics
    return loaded.bundles[0].schedules[0]


def read_back(schedule: DesiredSchedule) -> Any:
    item = {
        "metadata": {**wire.metadata_for("team", schedule), "id": "asch_1"},
        "spec": wire.spec_for(schedule),
        "state": "STATE_ACTIVE",
    }
    return wire.live_from_wire(json.loads(json.dumps(item)), "a", KEY)


@pytest.mark.parametrize(
    "when",
    [
        {"cron": "0 9 * * mon-fri", "timezone": "Europe/Berlin"},
        {"cron": "30 4 1,15 * 5"},  # both day fields: two calendars, read back as one cron
        {"cron": ["0 9 * * 1-5", "30 4 1,15 * 5", "@daily"]},
        {"cron": "*/15 8-18 * * *"},
        {"every": "90m", "offset": "15m"},
        {"every": "1d", "timezone": "America/New_York"},
    ],
)
def test_read_back_equals_the_bundle(tmp_path: Path, when: dict[str, Any]) -> None:
    schedule = desired(tmp_path, when)
    assert read_back(schedule).when == schedule.when


def test_calendars_edited_in_the_ui_read_back_as_what_they_now_mean(tmp_path: Path) -> None:
    schedule = desired(tmp_path, {"cron": "0 9 * * 1-5"})
    spec = wire.spec_for(schedule)
    spec["schedule"]["calendars"][0]["hour"] = [{"start": 11, "end": 11, "step": 1}]
    live = wire.live_from_wire({"metadata": {"id": "x", "name": "s"}, "spec": spec}, "a", KEY)
    assert live.when["cron"] == "0 11 * * 1-5"


def test_half_a_marker_is_no_marker(tmp_path: Path) -> None:
    schedule = desired(tmp_path, {"every": "1h"})
    metadata = wire.metadata_for("team", schedule)
    metadata["labels"].pop(wire.BUNDLE_LABEL)
    live = wire.live_from_wire({"metadata": metadata, "spec": wire.spec_for(schedule)}, "a", KEY)
    assert live.owner is None and live.name is None


def test_secrets_travel_in_clear_only_in_the_request(tmp_path: Path) -> None:
    schedule = desired(tmp_path, {"every": "1h"}, input={"secrets": {"token": "{{ secret('TOKEN') }}"}})
    assert wire.spec_for(schedule)["data"] == {"token": "clear-text-token"}
    live = read_back(schedule)
    assert live.input["secrets"]["token"].startswith("hmac-sha256:")
    assert "clear-text-token" not in repr(live.input) + repr(live.labels)
    assert "clear-text-token" not in json.dumps(wire.metadata_for("team", schedule))


def test_server_default_overlap_policy_is_no_change(tmp_path: Path) -> None:
    schedule = desired(tmp_path, {"every": "1h"}, options={"overlapPolicy": "OVERLAP_POLICY_SKIP"})
    assert read_back(schedule).options == {}
    allow = desired(tmp_path, {"every": "1h"}, options={"overlapPolicy": "OVERLAP_POLICY_ALLOW"})
    assert read_back(allow).options == {"overlapPolicy": "OVERLAP_POLICY_ALLOW"}
