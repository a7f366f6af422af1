"""A provider's `update_reason` becomes the reason of update and adopt steps (only theirs), so a plan says
how a change will be carried out (a read-modify-write PUT, a delete-and-create)."""

from __future__ import annotations

from dataclasses import replace

from reconciler.bundle.desired import DesiredSchedule
from reconciler.plan.combined import plan_all
from reconciler.plan.live import LiveSchedule
from reconciler.plan.planner import plan_bundle
from tests.plan.factories import NOW, bundle, desired, reported


def why(d: DesiredSchedule, live: LiveSchedule) -> str:
    return f"recreate {d.name} ({live.remote_id})"


def test_updates_and_adoptions_carry_the_providers_reason() -> None:
    edited, adopted, same = desired("edited"), desired("adopted", adopt=True), desired("same")
    live = [
        reported(replace(edited, input={"message": "old"}), "r1"),
        reported(adopted, "r2", owner=None),
        reported(same, "r3"),
    ]
    plan = plan_bundle(bundle(edited, adopted, same), live, update_reason=why, now=NOW)
    reasons = {a.name: (a.kind, a.reason) for a in plan.actions}
    assert reasons == {
        "edited": ("update", "recreate edited (r1)"),
        "adopted": ("adopt", "recreate adopted (r2)"),
        "same": ("noop", ""),
    }


def test_without_a_reason_function_nothing_changes() -> None:
    edited = desired("edited")
    live = [reported(replace(edited, input={"message": "old"}), "r1")]
    [action] = plan_all([(bundle(edited), live)], now=NOW).bundles[0].actions
    assert (action.kind, action.reason) == ("update", "")
    [action] = plan_all([(bundle(edited), live)], now=NOW, update_reason_for=lambda b: why).bundles[0].actions
    assert action.reason == "recreate edited (r1)"
