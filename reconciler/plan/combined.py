"""Several bundles planned in one go, their problems reported together: the planner's entry point for a
run of many bundles against values already read (the CLI plans bundle by bundle, as their reads finish)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from reconciler.bundle.desired import Bundle
from reconciler.plan.errors import EmptyBundleError, PlanError
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import BundlePlan, Plan
from reconciler.plan.normalise import DEFAULT_DIGEST_KEY
from reconciler.plan.options import DisplayName, RestoreMode, UpdateReason, as_is, no_reason
from reconciler.plan.planner import plan_bundle


def plan_all(
    pairs: Iterable[tuple[Bundle, Sequence[LiveSchedule]]],
    *,
    now: datetime,
    allow_empty: bool = False,
    digest_key: bytes = DEFAULT_DIGEST_KEY,
    display_name_for: Callable[[Bundle], DisplayName] = lambda bundle: as_is,
    restore_archived_for: Callable[[Bundle], RestoreMode] = lambda bundle: "resume",
    update_reason_for: Callable[[Bundle], UpdateReason] = lambda bundle: no_reason,
) -> Plan:
    """One plan for several bundles; the problems of every bundle are reported together.

    Display names and restore modes are per provider, hence the `*_for(bundle)` functions.
    """
    plans: list[BundlePlan] = []
    failures: list[PlanError] = []
    for bundle, live in pairs:
        try:
            plans.append(
                plan_bundle(
                    bundle,
                    live,
                    display_name=display_name_for(bundle),
                    restore_archived=restore_archived_for(bundle),
                    update_reason=update_reason_for(bundle),
                    allow_empty=allow_empty,
                    digest_key=digest_key,
                    now=now,
                )
            )
        except PlanError as exc:
            failures.append(exc)
    if failures:
        diagnostics = [d for failure in failures for d in failure.diagnostics]
        # Only "confirm with --allow-empty" is its own outcome; any real problem outranks it.
        if all(isinstance(failure, EmptyBundleError) for failure in failures):
            raise EmptyBundleError(diagnostics)
        raise PlanError(diagnostics)
    return Plan(bundles=tuple(plans))
