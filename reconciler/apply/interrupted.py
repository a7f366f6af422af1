"""Ctrl-C during an apply: what was done, what may have been, and what was not, told to the user.

The executor stops handing out steps and raises `ApplyInterrupted` with what it knew at that instant;
`account` completes it with the steps that never started, and `interrupted_text` turns it into the account `apply` prints before it exits 130. Steps in flight were sent
(or were about to be) and nobody waits for their answer: only the platform knows, so the account says to
run `plan`. Every step neither finished nor in flight never started.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.apply.executor import ApplyInterrupted, Outcome
from reconciler.plan.model import Action

LISTED = 10  # names shown of the steps that went well, and of those not started; failures are all shown


@dataclass(frozen=True)
class Account:
    finished: tuple[Outcome, ...]
    in_flight: tuple[Action, ...]
    not_started: tuple[Action, ...]

    @property
    def total(self) -> int:
        return len(self.finished) + len(self.in_flight) + len(self.not_started)


def account(steps: list[Action], interrupted: ApplyInterrupted) -> Account:
    """`steps`: every step of the plan, in plan order. Whatever did not finish and was not in flight never
    started."""
    seen = {id(o.action) for o in interrupted.finished} | {id(a) for a in interrupted.in_flight}
    return Account(
        tuple(interrupted.finished),
        tuple(interrupted.in_flight),
        tuple(a for a in steps if id(a) not in seen),
    )


def interrupted_text(result: Account) -> str:
    failed = [o for o in result.finished if not o.ok and not o.skipped]
    skipped = [o for o in result.finished if o.skipped]  # held back on purpose; the reason says why
    succeeded = [o for o in result.finished if o.ok]
    lines = [
        f"Interrupted: {len(result.finished)} of {result.total} step(s) finished, "
        f"{len(result.in_flight)} in flight, {len(result.not_started)} not started.",
    ]
    if result.finished:
        held = f", {len(skipped)} skipped" if skipped else ""
        lines.append(f"Finished ({len(result.finished)}): {len(succeeded)} ok, {len(failed)} failed{held}")
        lines += [f"  - {_step(o.action)}: FAILED: {o.error}" for o in failed]
        lines += [f"  - {_step(o.action)}: {o.error}" for o in skipped]
        lines += _some([f"  - {_step(o.action)}: ok" for o in succeeded], "ok")
    if result.in_flight:
        lines.append(
            f"In flight ({len(result.in_flight)}): outcome unknown, run `reconciler plan` to see what happened"
        )
        lines += [f"  - {_step(a)}" for a in result.in_flight]
    if result.not_started:
        lines.append(f"Not started ({len(result.not_started)}):")
        lines += _some([f"  - {_step(a)}" for a in result.not_started], "not started")
    lines.append("Run `reconciler apply` again to finish: what is already done is not repeated.")
    return "\n".join(lines)


def _step(action: Action) -> str:
    return f"{action.kind} {action.name} (agent {action.agent})"


def _some(lines: list[str], what: str) -> list[str]:
    if len(lines) <= LISTED + 1:  # "and 1 more" would take the line it saves
        return lines
    return [*lines[:LISTED], f"  ... and {len(lines) - LISTED} more {what}"]
