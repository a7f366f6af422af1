"""Planning one bundle at the tests' fixed clock, and reading the plan's steps: shared by the planner's tests."""

from __future__ import annotations

from typing import Any

from reconciler.plan.model import Action, BundlePlan
from reconciler.plan.planner import plan_bundle
from tests.plan.factories import NOW


def plan(*args: Any, **kwargs: Any) -> BundlePlan:
    return plan_bundle(*args, now=NOW, **kwargs)


def steps(result: BundlePlan) -> list[tuple[str, str, str | None]]:
    return [(a.kind, a.name, a.remote_id) for a in result.actions]


def changed(action: Action) -> dict[str, tuple[Any, Any]]:
    return {c.path: (c.before, c.after) for c in action.changes}
