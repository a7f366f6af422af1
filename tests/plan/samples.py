"""Plans with one step of every kind, built through the real planner, for the explainer and plan-file tests."""

from __future__ import annotations

from reconciler.bundle.desired import Bundle
from reconciler.bundle.sensitive import Sensitive
from reconciler.plan.combined import plan_all
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import Plan
from tests.plan.factories import NOW, bundle, desired, reported

SECRET = "hunter2-correct-horse"  # must never appear in any output
OLD_SECRET = "old-battery-staple"


def support_pair() -> tuple[Bundle, list[LiveSchedule]]:
    token = Sensitive(SECRET)
    schedules = [
        desired(
            "weekday-briefing",
            input={
                "message": "Morning briefing for EMEA",
                "data": {"region": "EMEA"},
                "secrets": {"token": token},
            },
            line=12,
        ),
        desired(
            "digest-emea",
            when={"every": "6h", "offset": "15m", "timezone": "UTC"},
            input={"message": "Digest for emea", "secrets": {"token": token}},
            labels={"team": "support", "tier": "1"},
            line=24,
        ),
        desired("digest-apac", state="paused", line=30),
        desired("nightly-report", line=36),
        desired("old-report", line=40),
        desired("handmade", adopt=True, labels={"team": "support", "owner": "ops"}, line=44),
        desired("unchanged", line=50),
    ]
    by_name = {s.name: s for s in schedules}
    live = [
        reported(
            desired(
                "digest-emea",
                when={"every": "4h", "timezone": "UTC"},
                input={"message": "Digest for EMEA", "secrets": {"token": Sensitive(OLD_SECRET)}},
                labels={"team": "support", "legacy": "yes"},
            ),
            "sch_02",
        ),
        reported(desired("digest-apac"), "sch_03"),
        reported(desired("nightly-report", state="paused"), "sch_04"),
        reported(by_name["old-report"], "sch_05", state="archived"),
        reported(desired("handmade"), "sch_06", owner=None),
        reported(by_name["unchanged"], "sch_07"),
        reported(desired("retired"), "sch_08"),
        reported(desired("someone-elses"), "sch_09", owner="billing"),
    ]
    return bundle(*schedules), live


def sample_plan() -> Plan:
    """One bundle: create, update (with a secret), pause, resume, restore, adopt, archive, noop."""
    pair = support_pair()
    return plan_all([pair], now=NOW)


def two_bundle_plan() -> Plan:
    """Two bundles: the sample, and one whose `prune: delete` removes a schedule; a third without changes."""
    gone = reported(desired("weekly-cleanup", agent="agent_y"), "sch_20", owner="ops-tasks")
    ops = bundle(desired("hourly-sync", agent="agent_y"), key="ops-tasks", prune="delete")
    same = desired("audit", agent="agent_z")
    quiet = bundle(same, key="audit-trail")
    return plan_all(
        [
            support_pair(),
            (ops, [gone]),
            (quiet, [reported(same, "sch_30", owner="audit-trail")]),
        ],
        now=NOW,
    )
