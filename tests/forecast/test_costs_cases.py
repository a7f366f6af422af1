"""Costs documents and budgets, the cases a user meets: calendar shows concurrent runs, self-overlaps and
predicted skips (text and JSON); a bundle's own limits; a second Costs document, unknown fields and mixed
currencies are errors at file:line; skip-type overlap policies predict skips."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from reconciler.bundle.money import Money
from reconciler.forecast.costs import AgentCosts, CostBook, Durations
from reconciler.forecast.fires import ScheduleRef
from reconciler.forecast.load import forecast_load
from reconciler.forecast.planload import changes_runs
from reconciler.forecast.semantics import Semantics
from reconciler.plan.model import Action, BundlePlan, Change, Plan
from reconciler.timing import Timing
from tests.conftest import run_cli

BUNDLE = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: demo
target: {provider: cadenya, workspace: ws}
LIMITS
schedules:
  - name: brief
    agent: agent_1
    when: {every: 5m}
  - name: daily
    agent: agent_2
    when: {cron: "0 9 * * *"}
"""
COSTS = """\
apiVersion: reconciler/v1
kind: Costs
agents:
  agent_1:
    perRun: "0.40 USD"
    duration: {typical: 7m, p95: 11m}
"""
WINDOW = ("--from", "2026-06-01T00:00:00Z", "--days", "2")


def _write(tmp_path: Path, *, limits: str = "", costs: str = COSTS) -> None:
    (tmp_path / "bundle.yaml").write_text(BUNDLE.replace("LIMITS\n", limits))
    (tmp_path / "costs.yaml").write_text(costs)


def test_calendar_text_shows_concurrent_runs_cost_and_self_overlap(tmp_path: Path) -> None:
    _write(tmp_path)
    result = run_cli("calendar", *WINDOW, ".", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "Concurrent runs per hour (UTC)" in result.out
    assert "at most 2 at once, first Mon 2026-06-01 00:05" in result.out  # 7-minute runs every 5 minutes
    assert "Cost of the runs in the window: 230.40 USD" in result.out  # 576 runs x 0.40
    assert "2 run(s) of agents without a perRun are not in the cost" in result.out
    # Cadenya skips a fire while the previous run runs: every second fire of a 7-minute run every 5 minutes.
    assert "demo/brief: fires 5m apart, p95 11m; cadenya skips" in result.out
    assert "288 predicted skip(s) in the window" in result.out


def test_calendar_json_carries_the_load_and_costs_file_may_be_given_apart(tmp_path: Path) -> None:
    _write(tmp_path)
    (tmp_path / "costs.yaml").rename(tmp_path / "prices.yml.txt")
    plain = run_cli("calendar", *WINDOW, "--format", "json", "bundle.yaml", cwd=tmp_path)
    assert json.loads(plain.out)["load"] is None  # no Costs document: nothing invented
    result = run_cli(
        "calendar", *WINDOW, "--format", "json", "--costs", "prices.yml.txt", "bundle.yaml", cwd=tmp_path
    )
    assert result.code == 0, result.err
    load = json.loads(result.out)["load"]
    assert load["peak_concurrent"] == 2 and load["peak_at"] == "2026-06-01T00:05:00Z"
    assert load["concurrent"][0][0] == 2 and len(load["concurrent"]) == 2
    assert load["cost"]["USD"][0][9] == "4.80"  # 12 runs of agent_1 at 09:00-10:00
    assert load["unpriced_runs"][0][9] == 1  # agent_2's daily run has no price
    assert load["overlaps"] == [
        {
            "schedule": "demo/brief",
            "shortest_gap_seconds": 300,
            "p95_seconds": 660,
            "skip_policy": True,
            "predicted_skips": 288,
        }
    ]


def test_a_second_costs_document_is_an_error_at_its_kind(tmp_path: Path) -> None:
    _write(tmp_path)
    (tmp_path / "more-costs.yaml").write_text(COSTS)
    result = run_cli("validate", ".", cwd=tmp_path)
    assert result.code == 1
    assert "more-costs.yaml:2:" in result.out + result.err
    assert "a second Costs document" in result.out + result.err


@pytest.mark.parametrize(
    ("costs", "where"),
    [
        (COSTS.replace("    perRun", "    perRum: 1\n    perRun"), "costs.yaml:5:"),  # a typo is not ignored
        (COSTS + "    limits: {maxMonthlyCost: 100 EUR}\n", "costs.yaml:7:"),  # USD per run, EUR budget
        (COSTS + "currency: USD\n", "costs.yaml:7:"),  # unknown top-level field
    ],
    ids=["unknown-agent-field", "mixed-currencies", "unknown-top-field"],
)
def test_a_bad_costs_document_fails_validate_at_the_line(tmp_path: Path, costs: str, where: str) -> None:
    _write(tmp_path, costs=costs)
    result = run_cli("validate", ".", cwd=tmp_path)
    assert result.code == 1
    assert where in result.out + result.err, result.out + result.err


def test_a_bundle_limit_breach_fails_validate_at_the_schedule_and_stops_apply(tmp_path: Path) -> None:
    _write(tmp_path, limits="limits: {maxRunsPerDay: 100}\n")
    text = run_cli("validate", ".", cwd=tmp_path)
    assert text.code == 1
    assert (
        "bundle.yaml:7:" in text.out and "limit at bundle.yaml:5:" in text.out
    )  # the schedule, and the limit
    github = run_cli("validate", "--format", "github", ".", cwd=tmp_path)
    assert "::error file=bundle.yaml,line=7," in github.out
    refused = run_cli("apply", "--sandbox", "--auto-approve", ".", cwd=tmp_path)
    assert refused.code == 1
    _write(tmp_path, limits="limits: {maxRunsPerDay: 1000}\n")
    after = run_cli("plan", "--sandbox", ".", cwd=tmp_path)
    assert after.code in (0, 2) and "2 to create" in after.out  # the refused apply created nothing


def test_a_bundle_limit_that_cannot_be_checked_is_an_error_at_the_limit(tmp_path: Path) -> None:
    # agent_2 has neither a perRun nor a duration: the bundle's cost and concurrency cannot be forecast
    _write(tmp_path, limits='limits: {maxMonthlyCost: "100 USD", maxConcurrent: 3}\n')
    result = run_cli("validate", ".", cwd=tmp_path)
    assert result.code == 1
    assert "bundle.yaml:5:" in result.out and "needs the perRun of agent_2" in result.out
    assert "needs the duration of agent_2" in result.out
    _write(tmp_path, limits="limits: {maxRunsPerDay: 1000}\n")
    assert run_cli("validate", ".", cwd=tmp_path).code == 0  # runs need no prices


START = datetime(2026, 6, 1, tzinfo=UTC)


def _forecast_skips(provider: str, options: dict[str, str]) -> int:
    timing = Timing(every=300)
    ref = ScheduleRef("b", "s", "a", provider, {}, "active", timing, {}, "b.yaml", 1, options)
    book = CostBook({"a": AgentCosts("a", Money(Decimal(1), "USD"), Durations(420, 660))})
    forecast = forecast_load([(ref, Semantics(provider, None, True, ()))], book, START, days=1)
    (load,) = forecast.schedules
    assert load.overlaps_itself
    return load.predicted_skips


@pytest.mark.parametrize(
    ("provider", "options", "skips"),
    [
        ("temporal", {}, 144),  # overlap: skip is Temporal's default
        ("temporal", {"overlap": "skip"}, 144),
        ("temporal", {"overlap": "allow_all"}, 0),
        ("cadenya", {}, 144),  # OVERLAP_POLICY_SKIP is Cadenya's default
        ("cadenya", {"overlapPolicy": "OVERLAP_POLICY_SKIP"}, 144),
        ("cadenya", {"overlapPolicy": "OVERLAP_POLICY_ALLOW"}, 0),
        ("orq", {}, 0),  # no overlap policy: runs go side by side
    ],
)
def test_skip_type_overlap_policies_predict_the_dropped_fires(
    provider: str, options: dict[str, str], skips: int
) -> None:
    # 7-minute runs every 5 minutes: each run swallows the next fire, so half of 288 fires a day are dropped.
    assert _forecast_skips(provider, options) == skips


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_a_saved_plan_carries_and_shows_the_load(tmp_path: Path, fmt: str) -> None:
    _write(tmp_path)
    planned = run_cli("plan", "--sandbox", "--out", "plan.json", ".", cwd=tmp_path)
    assert planned.code == 0, planned.err
    shown = run_cli("show", "--format", fmt, "plan.json", cwd=tmp_path)
    assert shown.code == 0, shown.err
    if fmt == "json":
        agents = json.loads(shown.out)["load"]["agents"]
        assert agents[0]["runs_per_month"] == {"before": 0, "after": 8640}
        assert agents[0]["monthly_cost"]["change"] == [{"amount": "3456.00", "currency": "USD"}]
    else:
        assert "+8,640 runs/month, ≈ +3,456.00 USD/month" in shown.out


def test_a_saved_plan_with_a_broken_load_is_refused(tmp_path: Path) -> None:
    _write(tmp_path)
    assert run_cli("plan", "--sandbox", "--out", "plan.json", ".", cwd=tmp_path).code == 0
    document = json.loads((tmp_path / "plan.json").read_text())
    document["load"]["agents"][0]["runs_per_day"]["after"] = "many"
    (tmp_path / "plan.json").write_text(json.dumps(document))
    shown = run_cli("show", "plan.json", cwd=tmp_path)
    assert shown.code != 0
    assert "plan.json" in shown.out + shown.err and "'load'" in shown.out + shown.err


def _plan_of(*actions: Action) -> Plan:
    return Plan((BundlePlan("demo", "cadenya", {}, "2026-06-01T00:00:00Z", actions, "sha256:x"),))


@pytest.mark.parametrize(
    ("action", "changes"),
    [
        (Action("noop", "a", "agent_1", "id1"), False),
        (Action("update", "a", "agent_1", "id1", (Change("input.message", "old", "new"),)), False),
        (Action("update", "a", "agent_1", "id1", (Change("when.cron", "0 9 * * *", "0 10 * * *"),)), True),
        (Action("update", "a", "agent_2", "id1", (Change("agent", "agent_1", "agent_2"),)), True),
        (Action("create", "a", "agent_1", None), True),
        (Action("pause", "a", "agent_1", "id1"), True),
        (Action("archive", "a", "agent_1", "id1"), True),
    ],
)
def test_only_steps_that_can_change_runs_or_cost_ask_for_the_load(action: Action, changes: bool) -> None:
    # A text or markdown plan whose steps cannot change any runs shows no load section and skips the two
    # 30-day forecasts (seconds at 10,000 schedules); JSON and saved plans always carry it.
    assert changes_runs(_plan_of(Action("noop", "b", "agent_1", "id2"), action)) is changes
