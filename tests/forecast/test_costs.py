"""Costs documents, the load forecast and budgets: fast counting equals the engine, a breach fails
validate with file:line, plan shows the runs and cost change (text, markdown PR comment, JSON)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.forecast import firecount
from reconciler.gitops.comment import comment_body
from reconciler.timing import Timing

BUNDLE = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: demo
target: {provider: cadenya, workspace: ws}
schedules:
  - name: brief
    agent: agent_1
    when: {every: 5m}
  - name: daily
    agent: agent_1
    when: {cron: "0 9 * * *"}
"""
COSTS = """\
apiVersion: reconciler/v1
kind: Costs
agents:
  agent_1:
    perRun: "0.40 USD"
    duration: {typical: 4m, p95: 11m}
    limits: {maxRunsPerDay: LIMIT}
"""


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The embedded sandbox keeps its state under the working directory: each test has its own.
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args], cwd=tmp_path, capture_output=True, text=True
    )


def _write(tmp_path: Path, limit: int) -> None:
    (tmp_path / "bundle.yaml").write_text(BUNDLE)
    (tmp_path / "costs.yaml").write_text(COSTS.replace("LIMIT", str(limit)))


def test_fast_counting_equals_the_engine() -> None:
    rng = random.Random(21)
    for _ in range(150):
        zone = rng.choice(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
        provider = rng.choice(["temporal", "cadenya", "orq"])
        start = int(datetime(2026, rng.randrange(1, 13), rng.randrange(1, 28), tzinfo=UTC).timestamp())
        start += rng.randrange(86400)
        end = start + 30 * 86400
        cron = rng.choice(
            [
                f"{rng.randrange(60)} {rng.randrange(24)} * * *",
                "*/7 3 * * 1-5",
                "0 9 1,15 * mon",
                "30 */3 * * *",
            ]
        )
        every = rng.choice([300, 3600, 5400, 86400])
        for timing in (Timing(cron=(cron,), timezone=zone), Timing(every=every, offset=rng.randrange(every))):
            fast = list(firecount.fire_instants(timing, provider, None, start, end))
            assert fast == list(firecount._engine(timing, provider, None, start, end)), (timing, provider)


def test_a_budget_breach_fails_validate_at_the_schedule_naming_the_limit(tmp_path: Path) -> None:
    _write(tmp_path, 200)
    text = _cli(tmp_path, "validate", ".")
    assert text.returncode == 1
    assert "bundle.yaml:6:" in text.stdout  # the every-5m schedule contributes most
    assert "costs.yaml:7:" in text.stdout and "maxRunsPerDay 200" in text.stdout
    github = _cli(tmp_path, "validate", "--format", "github", ".")
    assert github.returncode == 1
    assert "::error file=bundle.yaml,line=6," in github.stdout


def test_within_budget_is_valid_and_costs_yaml_is_not_a_broken_bundle(tmp_path: Path) -> None:
    _write(tmp_path, 400)
    result = _cli(tmp_path, "validate", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_bad_costs_document_is_located(tmp_path: Path) -> None:
    _write(tmp_path, 400)
    (tmp_path / "costs.yaml").write_text(COSTS.replace('"0.40 USD"', '"0.40 dollars"').replace("LIMIT", "9"))
    result = _cli(tmp_path, "validate", ".")
    assert result.returncode == 1
    assert "costs.yaml:5:" in result.stdout


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_plan_shows_the_runs_and_cost_change(tmp_path: Path, fmt: str) -> None:
    _write(tmp_path, 400)
    result = _cli(tmp_path, "plan", "--sandbox", "--format", fmt, ".")
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        load = json.loads(result.stdout)["load"]
        agent = load["agents"][0]
        assert agent["runs_per_day"] == {"before": 0, "after": 289}
        assert agent["monthly_cost"]["change"] == [{"amount": "3468.00", "currency": "USD"}]
        return
    assert "+8,670 runs/month, ≈ +3,468.00 USD/month" in result.stdout
    if fmt == "markdown":
        assert "≈ +3,468.00 USD/month" in comment_body(result.stdout)


def test_a_budget_breach_stops_apply_before_anything_is_applied(tmp_path: Path) -> None:
    _write(tmp_path, 200)
    result = _cli(tmp_path, "apply", "--sandbox", "--auto-approve", ".")
    assert result.returncode == 1
    assert "maxRunsPerDay" in result.stdout + result.stderr
    _write(tmp_path, 400)
    after = _cli(tmp_path, "plan", "--sandbox", ".")
    assert "2 to create" in after.stdout  # nothing was created by the refused apply
