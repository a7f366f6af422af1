"""The plan file read back, and the stale-plan check `apply --plan` relies on."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from reconciler.errors import StalePlanError
from reconciler.plan.combined import plan_all
from reconciler.plan.errors import PlanFileError
from reconciler.plan.explain import to_json
from reconciler.plan.model import Plan
from reconciler.plan.serialise import ensure_same, plan_from_json, same_actions
from tests.plan.factories import NOW, bundle, desired, reported
from tests.plan.samples import sample_plan, support_pair, two_bundle_plan


def through_file(plan: Plan) -> Plan:
    return plan_from_json(json.loads(json.dumps(to_json(plan))))


@pytest.mark.parametrize("make", [sample_plan, two_bundle_plan])
def test_a_saved_plan_reads_back_equal(make: Any) -> None:
    plan = make()
    loaded = through_file(plan)
    assert loaded == plan
    assert all(a.desired is None and a.live is None for b in loaded.bundles for a in b.actions)
    assert same_actions(loaded, plan) == []
    assert to_json(loaded) == to_json(plan)


def test_a_plan_is_stale_when_the_live_state_changed() -> None:
    saved = through_file(sample_plan())
    bundle_, live = support_pair()
    live[5] = replace(live[5], labels={"team": "ops"})  # someone edited "unchanged" in the platform's UI
    fresh = plan_all([(bundle_, live)], now=NOW)
    problems = same_actions(saved, fresh)
    assert (
        "bundle 'support-digests': the live schedules changed since the plan was made (live fingerprint differs)"
        in problems
    )
    assert any("noop unchanged (agent_x, sch_07) would now be update" in p for p in problems)
    with pytest.raises(StalePlanError, match="stale"):
        ensure_same(saved, fresh)


def test_differences_name_each_action() -> None:
    schedule, other = desired("a"), desired("b")
    saved = plan_all(
        [(bundle(schedule, other), [reported(desired("a", input={"message": "x"}), "sch_1")])], now=NOW
    )
    fresh = plan_all(
        [
            (
                bundle(schedule),
                [reported(desired("a", input={"message": "y"}), "sch_1"), reported(desired("gone"), "sch_2")],
            )
        ],
        now=NOW,
    )
    problems = same_actions(saved, fresh)
    assert "bundle 'support-digests': + create b (agent_x) is no longer planned" in problems
    assert (
        "bundle 'support-digests': - archive gone (agent_x, sch_2) is now planned, and was not in the saved plan"
        in problems
    )
    assert (
        "bundle 'support-digests': ~ update a (agent_x, sch_1) now changes differently: input.message"
        in problems
    )


def test_bundles_added_removed_or_retargeted() -> None:
    one = plan_all([(bundle(key="one"), [])], now=NOW)
    two = plan_all([(bundle(key="two"), [])], now=NOW)
    assert same_actions(one, two) == [
        "bundle 'one' is in the saved plan but not among the bundles given now",
        "bundle 'two' is not in the saved plan",
    ]
    moved = Plan((replace(one.bundles[0], target={"workspace": "ws_2"}),))
    assert same_actions(one, moved) == [
        "bundle 'one': the target changed from cadenya {'workspace': 'ws_1'} to cadenya {'workspace': 'ws_2'}"
    ]


def test_created_at_alone_does_not_make_a_plan_stale() -> None:
    plan = sample_plan()
    later = Plan(tuple(replace(b, created_at="2030-01-01T00:00:00Z") for b in plan.bundles))
    assert same_actions(plan, later) == []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "expected a JSON object"),
        ({"bundle_key": "x"}, "it has no format_version \\(this reconciler reads 2\\)"),
        ({"format_version": 3}, "format_version 3 is not supported: this reconciler reads format_version 2"),
        ({"format_version": "2"}, 'format_version "2" is not supported'),
        ({"format_version": 2}, "'bundles' must be a list"),
        ({"format_version": 2, "bundles": {}}, "'bundles' must be a list"),
        ({"format_version": 2, "bundles": [{"bundle_key": "x"}]}, "missing 'provider'"),
        ({"format_version": 2, "bundles": [{"bundle_key": 1}]}, "expected text"),
        ({"format_version": 2, "bundles": ["text"]}, "not a valid reconciler plan"),
        ({"format_version": 2, "bundles": [[1, 2]]}, "not a valid reconciler plan"),
    ],
)
def test_a_file_that_is_not_a_plan_is_refused_clearly(document: Any, message: str) -> None:
    with pytest.raises(PlanFileError, match=message):
        plan_from_json(document, file="plan.json")


def test_a_version_1_plan_is_refused_naming_the_version_expected() -> None:
    """Version 1 put a single bundle's fields at the top level: read as version 2 it would be an empty plan."""
    old = {"format_version": 1, **to_json(sample_plan())["bundles"][0]}
    with pytest.raises(
        PlanFileError, match="format_version 1 is not supported: this reconciler reads format_version 2"
    ):
        plan_from_json(old, file="plan.json")


def test_an_unknown_action_is_refused() -> None:
    document = to_json(sample_plan())
    document["bundles"][0]["actions"][0]["action"] = "explode"
    with pytest.raises(PlanFileError, match="unknown action 'explode'"):
        plan_from_json(document)
