"""Planning agent by agent, as each agent's listing arrives (`BundlePlanning`), gives exactly the plan of the
whole live state (`plan_bundle`): the same steps, the same fingerprint, the same refusals."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.bundle.desired import Bundle
from reconciler.plan.errors import PlanError
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import BundlePlan
from reconciler.plan.options import Scope
from reconciler.plan.planner import BundlePlanning, plan_bundle
from tests.plan.factories import KEY, NOW, bundle, desired, reported

AGENTS = ("agent_a", "agent_b", "agent_c")
NAMES = ("digest", "report", "sync", "backup")


@st.composite
def situations(draw: st.DrawFn) -> tuple[Bundle, list[LiveSchedule]]:
    """A bundle and a live state with most of what the rules decide: unchanged, edited and paused
    schedules, duplicates, schedules left out of the bundle, renames, look-alikes with and without an owner."""
    declared = draw(
        st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(AGENTS)), unique=True, max_size=6)
    )
    schedules = []
    for name, agent in declared:
        fields: dict[str, object] = {}
        if draw(st.booleans()):
            fields["adopt"] = True
        if draw(st.integers(0, 4)) == 0:
            fields["renamed_from"] = (KEY, f"old-{name}")
        schedules.append(desired(name, agent, **fields))
    live: list[LiveSchedule] = []
    ids = iter(range(1, 1000))

    def add(schedule: object, **changes: object) -> None:
        live.append(reported(schedule, str(next(ids)), **changes))  # type: ignore[arg-type]

    for schedule in schedules:
        kind = draw(st.sampled_from(("same", "edited", "paused", "twins", "absent", "unowned", "foreign")))
        if kind == "same":
            add(schedule)
        elif kind == "edited":
            add(schedule, input={"message": "edited on the platform"})
        elif kind == "paused":
            add(schedule, state="paused")
        elif kind == "twins":
            add(schedule)
            add(schedule, state=draw(st.sampled_from(("active", "archived"))))
        elif kind == "unowned":
            add(schedule, owner=None)
        elif kind == "foreign":
            add(schedule, owner="someone-else")
        if schedule.renamed_from is not None and draw(st.booleans()):
            add(replace(schedule, name=schedule.renamed_from[1]))
    for name, agent in draw(st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(AGENTS)), max_size=3)):
        if (name, agent) not in declared:  # ours on the platform, gone from the bundle: pruned
            add(desired(f"gone-{name}", agent), state=draw(st.sampled_from(("active", "archived"))))
    prune = draw(st.sampled_from(("archive", "delete", "none")))
    return bundle(*schedules, prune=prune), draw(st.permutations(live))


def whole(b: Bundle, live: list[LiveSchedule], scope: Scope) -> BundlePlan | list[object]:
    try:
        return plan_bundle(b, live, scope=scope, now=NOW)
    except PlanError as exc:
        return list(exc.diagnostics)


def in_parts(b: Bundle, live: list[LiveSchedule], scope: Scope, seed: int) -> BundlePlan | list[object]:
    """Agent by agent in a random order, some agents grouped into one part, as reads come back."""
    order = random.Random(seed).sample(AGENTS, len(AGENTS))
    parts = [order[:1], order[1:]] if seed % 2 else [[agent] for agent in order]
    planning = BundlePlanning(b, scope=scope, now=NOW)
    for agents in parts:
        planning.add([item for item in live if item.agent in agents], agents)
    try:
        return planning.finish()
    except PlanError as exc:
        return list(exc.diagnostics)


@settings(max_examples=300, deadline=None)
@given(situations(), st.integers(0, 1000))
def test_planning_agent_by_agent_gives_the_plan_of_the_whole(
    situation: tuple[Bundle, list[LiveSchedule]], seed: int
) -> None:
    b, live = situation
    scope = Scope(renames_in_place=bool(seed % 3))
    assert in_parts(b, live, scope, seed) == whole(b, live, scope)


def test_parts_of_a_platform_whose_identity_is_the_name_are_planned_together() -> None:
    # On Temporal the schedule id is the name alone: moving a schedule to another agent is an update of the
    # same schedule, which only a plan over both agents' parts can see.
    moved = desired("digest", "agent_b")
    live = [reported(desired("digest", "agent_a"), "7")]
    scope = Scope(agents_in_identity=False)
    planning = BundlePlanning(bundle(moved), scope=scope, now=NOW)
    planning.add([], ["agent_b"])
    planning.add(live, ["agent_a"])
    result = planning.finish()
    assert result == plan_bundle(bundle(moved), live, scope=scope, now=NOW)
    assert [(a.kind, a.remote_id) for a in result.actions] == [("update", "7")]


def test_a_part_that_holds_another_agents_schedule_has_the_whole_planned_again() -> None:
    # A platform that files a schedule under another agent than the list it came in: the agent's schedules
    # were planned without it, so the plan is made again from everything, as plan_bundle makes it.
    b = bundle(desired("digest", "agent_a"), desired("report", "agent_b"))
    stray = reported(desired("digest", "agent_a"), "1")
    on_b = reported(desired("report", "agent_b"), "2")
    planning = BundlePlanning(b, now=NOW)
    planning.add([], ["agent_a"])  # agent_a's own list: its schedule is not there (yet)
    planning.add([stray, on_b], ["agent_b"])  # ...but filed in agent_b's
    result = planning.finish()
    assert result == plan_bundle(b, [stray, on_b], now=NOW)
    assert {a.kind for a in result.actions} == {"noop"}  # nothing created twice


def test_an_agent_listed_twice_has_the_whole_planned_again() -> None:
    b = bundle(desired("digest", "agent_a"))
    first, again = reported(desired("digest", "agent_a"), "1"), reported(desired("digest", "agent_a"), "2")
    planning = BundlePlanning(b, now=NOW)
    planning.add([first], ["agent_a"])
    planning.add([again], ["agent_a"])
    assert planning.finish() == plan_bundle(b, [first, again], now=NOW)  # one kept, its twin archived
