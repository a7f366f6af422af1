"""Planning a provider's bundle against what the provider lists, and applying that plan, as `apply` does in
one process: shared by the provider tests that drive an in-process sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.apply.executor import ApplyReport, execute
from reconciler.bundle.desired import Bundle
from reconciler.plan.model import BundlePlan
from reconciler.plan.planner import plan_bundle
from reconciler.providers.base import Provider


def plan(provider: Provider) -> BundlePlan:
    """The plan for the provider's bundle, normalised as the planner compares it, against what is live."""
    bundle = provider.bundle
    schedules = tuple(provider.normalise(s) for s in bundle.schedules)
    normalised = Bundle(bundle.key, bundle.provider, bundle.target, bundle.prune, schedules)
    return plan_bundle(
        normalised,
        provider.list_live(),
        display_name=provider.display_name,
        update_reason=provider.update_reason,
        now=datetime.now(UTC),
    )


def apply(provider: Provider) -> ApplyReport:
    """That plan, carried out (two workers, so steps run side by side)."""
    return execute(plan(provider), provider, parallelism=2)
