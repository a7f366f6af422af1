"""Random bundle histories for the fault soak: a small model of a bundle and the edits made to it.

Pure: a history is a list of steps, each the whole bundle as it should be after the step's edits. Which
timings, messages and options a schedule may take is per platform (`soak_platforms.Platform`), by index, so one
strategy serves every provider. Hypothesis shrinks a failing history to its shortest, simplest form.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from hypothesis import strategies as st

NAMES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
MESSAGES = ("first message", "second message", "third message")
MAX_SCHEDULES = 5
Prune = Literal["archive", "delete"]


@dataclass(frozen=True)
class Sched:
    """One schedule of the bundle: indices into the platform's agents, timings and options."""

    agent: int
    timing: int
    message: int
    option: int
    paused: bool = False
    # The name this schedule had until this step (`renamedFrom`): set only in the step that renames it.
    renamed_from: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Faults:
    rate: float  # probability that a vendor request gets a fault (500/503/429/drop/lost)
    seed: int
    parallelism: int
    attempts: int  # the client's tries per request (5 by default): 3 makes failed applies common
    timeouts: bool = False  # requests wait 0-60 ms before the server runs them; the client gives up at 45


@dataclass(frozen=True)
class Step:
    edits: tuple[str, ...]  # what changed, for the failure report
    bundle: tuple[tuple[str, Sched], ...]  # name -> schedule, in bundle order
    faults: Faults
    # Schedules an operator pauses on the platform by hand before this step's apply (issue 18: under the
    # default `pauses: respect`, no apply may resume them while the bundle keeps them active).
    operator_pauses: tuple[str, ...] = ()

    @property
    def schedules(self) -> dict[str, Sched]:
        return dict(self.bundle)


@dataclass(frozen=True)
class History:
    prune: Prune
    steps: tuple[Step, ...]

    def __str__(self) -> str:
        lines = [f"prune: {self.prune}"]
        for i, step in enumerate(self.steps):
            f = step.faults
            by_hand = "".join(f"operator pauses {n} on the platform; " for n in step.operator_pauses)
            lines.append(
                f"step {i}: {by_hand}{'; '.join(step.edits)}  [fault rate {f.rate:.2f}, seed {f.seed}, "
                f"parallelism {f.parallelism}, {f.attempts} attempts per request"
                f"{', timeouts' if f.timeouts else ''}]"
            )
            lines += [f"    {name}: {sched}" for name, sched in step.bundle]
        return "\n".join(lines)


@dataclass(frozen=True)
class Shape:
    """How many agents, timings and options a platform offers, and which options an agent may take."""

    agents: int
    timings: int
    options: int
    option_allowed: tuple[tuple[bool, ...], ...] = ()  # [agent][option]; empty = every option for every agent

    def options_for(self, agent: int) -> list[int]:
        if not self.option_allowed:
            return list(range(self.options))
        return [i for i, ok in enumerate(self.option_allowed[agent]) if ok]


def _sched(draw: st.DrawFn, shape: Shape) -> Sched:
    agent = draw(st.integers(0, shape.agents - 1))
    return Sched(
        agent=agent,
        timing=draw(st.integers(0, shape.timings - 1)),
        message=draw(st.integers(0, len(MESSAGES) - 1)),
        option=draw(st.sampled_from(shape.options_for(agent))),
        paused=draw(st.booleans()),
    )


def _faults(draw: st.DrawFn, max_rate: float, timeout_percent: int) -> Faults:
    rate = draw(st.sampled_from((0.0, 0.1, 0.2, 0.3, max_rate)))
    # Shrinks towards no timeouts (0); `timeout_percent` of the steps have them.
    timeouts = draw(st.integers(0, 99)) >= 100 - timeout_percent
    return Faults(
        rate=rate,
        seed=draw(st.integers(0, 2**16)),
        parallelism=draw(st.sampled_from((1, 4, 8))),
        attempts=5 if timeouts else draw(st.sampled_from((5, 3))),
        timeouts=timeouts,
    )


EditKind = Literal["add", "change", "pause", "resume", "remove", "readd", "rename"]


def _edit(draw: st.DrawFn, shape: Shape, bundle: dict[str, Sched], gone: dict[str, Sched]) -> str:
    """Apply one random edit to `bundle` in place (and `gone`: names that left it); describe it."""
    leaving = {s.renamed_from for s in bundle.values() if s.renamed_from}  # renamed away in this step
    fresh = [n for n in NAMES if n not in bundle and n not in gone and n not in leaving]
    kinds: list[EditKind] = ["change", "pause", "resume"]
    if len(bundle) < MAX_SCHEDULES and fresh:
        kinds += ["add", "rename", "rename"]
    if len(bundle) < MAX_SCHEDULES and gone:
        kinds.append("readd")
    if len(bundle) > 1:
        kinds.append("remove")
    kind = draw(st.sampled_from(kinds))
    if kind == "add":
        name = draw(st.sampled_from(fresh))
        bundle[name] = _sched(draw, shape)
        return f"add {name}"
    if kind == "readd":
        name = draw(st.sampled_from(sorted(gone)))
        old = gone.pop(name)
        bundle[name] = old if draw(st.booleans()) else _sched(draw, shape)
        return f"re-add {name}" + ("" if bundle[name] == old else " (changed)")
    name = draw(st.sampled_from(sorted(bundle)))
    old = bundle[name]
    if kind == "remove":
        gone[name] = replace(bundle.pop(name), renamed_from=None)
        return f"remove {name}"
    if kind == "rename":
        new = draw(st.sampled_from(fresh))
        bundle.pop(name)
        # Half the renames say so (`renamedFrom`: renamed in place), half are a remove and an add.
        if draw(st.booleans()):
            # a → b → c in one step: a → c
            bundle[new] = replace(old, renamed_from=old.renamed_from or name)
            return f"rename {name} -> {new} (renamedFrom)"
        gone[name] = replace(old, renamed_from=None)
        bundle[new] = old
        return f"rename {name} -> {new}"
    if kind in ("pause", "resume"):
        bundle[name] = replace(old, paused=kind == "pause")
        return f"{kind} {name}"
    what = draw(
        st.sampled_from(("timing", "message", "option") if shape.options > 1 else ("timing", "message"))
    )
    choices = {
        "timing": range(shape.timings),
        "message": range(len(MESSAGES)),
        "option": shape.options_for(old.agent),
    }[what]
    value = draw(st.sampled_from([v for v in choices if v != getattr(old, what)] or list(choices)))
    bundle[name] = replace(old, **{what: value})
    return f"change {name}.{what} -> {value}"


@st.composite
def histories(
    draw: st.DrawFn, shape: Shape, *, max_steps: int = 5, max_rate: float = 0.4, timeout_percent: int = 3
) -> History:
    """2..max_steps steps: the first creates 1-3 schedules, each later one makes 1-3 edits."""
    prune: Prune = draw(st.sampled_from(("archive", "archive", "delete")))
    bundle: dict[str, Sched] = {}
    gone: dict[str, Sched] = {}
    for name in NAMES[: draw(st.integers(1, 3))]:
        bundle[name] = _sched(draw, shape)
    steps = [
        Step(
            ("create " + ", ".join(bundle),), tuple(bundle.items()), _faults(draw, max_rate, timeout_percent)
        )
    ]
    for _ in range(draw(st.integers(1, max_steps - 1))):
        running = sorted(name for name, sched in bundle.items() if not sched.paused)
        by_hand = tuple(draw(st.lists(st.sampled_from(running), max_size=1))) if running else ()
        bundle = {name: replace(sched, renamed_from=None) for name, sched in bundle.items()}  # applied before
        edits = tuple(_edit(draw, shape, bundle, gone) for _ in range(draw(st.integers(1, 3))))
        steps.append(Step(edits, tuple(bundle.items()), _faults(draw, max_rate, timeout_percent), by_hand))
    return History(prune, tuple(steps))
