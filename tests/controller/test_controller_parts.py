"""The controller's small parts a user sees through: metric routes, the URL it shows, its options, its log."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconciler.cli.controller import _share
from reconciler.controller.git import public_url
from reconciler.controller.logs import Secrets, configure, fields
from reconciler.controller.metrics import ControllerMetrics, route_of
from reconciler.controller.server import parse_listen
from reconciler.controller.snapshot import BundleStatus, Snapshot
from reconciler.errors import ConfigError


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/v1/workspaces/ws_e2e/agents/agent_a/schedules", "/v1/workspaces/{id}/agents/{id}/schedules"),
        (
            "/v1/workspaces/ws/agents/a/schedules/sch_123:pause",
            "/v1/workspaces/{id}/agents/{id}/schedules/{id}:pause",
        ),
        (
            "/api/v1/namespaces/default/schedules/team.briefing/update",
            "/api/v1/namespaces/{id}/schedules/{id}/update",
        ),
        ("/agent/schedules/secret-token-in-path", "/agent/schedules/{id}"),
        ("/v3/agents/x/schedules/y:sk_live_123", "/v3/agents/{id}/schedules/{id}"),
    ],
)
def test_a_route_keeps_the_apis_words_and_hides_every_id(path: str, route: str) -> None:
    assert route_of(path) == route


def test_the_repository_url_is_shown_without_its_credentials() -> None:
    assert (
        public_url("https://x-access-token:ghp_secret@github.com/org/s.git") == "https://github.com/org/s.git"
    )
    assert public_url("/srv/schedules") == "/srv/schedules"


@pytest.mark.parametrize(("text", "share"), [("10%", 0.1), ("0%", 0.0), ("0.25", 0.25)])
def test_jitter_is_a_share(text: str, share: float) -> None:
    assert _share(text) == pytest.approx(share)


@pytest.mark.parametrize("text", ["150%", "-1%", "lots"])
def test_a_jitter_that_is_not_a_share_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="--jitter"):
        _share(text)


def test_listen_takes_host_and_port() -> None:
    assert parse_listen("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_listen(":9000") == ("0.0.0.0", 9000)
    with pytest.raises(ConfigError, match="--listen"):
        parse_listen("8080")


def test_json_log_lines_are_one_object_each_with_secrets_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    secrets = Secrets()
    secrets.add({"hunter2-token"})
    configure("json", secrets)
    try:
        logging.getLogger("reconciler.controller").error(
            "could not apply: token hunter2-token refused",
            extra=fields("reconciled", bundle="team", applied=0),
        )
    finally:
        logging.getLogger("reconciler").handlers.clear()
    [line] = stream.getvalue().splitlines()
    document = json.loads(line)
    assert (document["event"], document["bundle"], document["level"]) == ("reconciled", "team", "error")
    assert "hunter2" not in line and "(sensitive)" in document["message"]


def test_metrics_follow_the_snapshot_and_a_bundle_that_left_takes_its_series_along() -> None:
    metrics = ControllerMetrics()
    now = datetime.now(UTC)
    one = BundleStatus(
        "a",
        "a.yaml",
        "cadenya",
        "drift",
        "report",
        drifted=("x", "y"),
        last_success=now,
        next_hour_fires={"agent_a": 4},
    )
    metrics.update(
        Snapshot("repo", "main", "c1", now, True, (one, BundleStatus("b", "b.yaml", "cadenya", "ok")))
    )
    metrics.update(Snapshot("repo", "main", "c2", now, True, (one,)))
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for s in family.samples
    }
    assert samples[("reconciler_drifted_schedules", (("bundle", "a"),))] == 2
    assert (
        samples[("reconciler_expected_fires_next_hour", (("agent", "agent_a"), ("provider", "cadenya")))] == 4
    )
    assert not any(dict(labels).get("bundle") == "b" for _, labels in samples)
