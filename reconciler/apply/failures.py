"""What `apply` tells the user about the steps that did not succeed: which failed, which were held back,
and whether running `apply` again can help. Text only; the CLI decides where it goes."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.apply.executor import Outcome


def failure_lines(failures: Sequence[Outcome], done: int) -> list[str]:
    """The headline, one line per failed or skipped step, and the advice."""
    lines = [f"Apply failed: {counts(failures, done)}:"]
    for outcome in failures:
        action = outcome.action
        lines.append(f"  - {action.kind} {action.name} (agent {action.agent}): {outcome.error}")
    lines.append(advice(failures))
    return lines


def counts(failures: Sequence[Outcome], done: int) -> str:
    skipped = sum(1 for o in failures if o.skipped)
    held = f", {skipped} skipped" if skipped else ""
    return f"{len(failures) - skipped} action(s) failed{held}, {done} succeeded"


def advice(failures: Sequence[Outcome]) -> str:
    if any(o.skipped for o in failures):
        return (
            "Skipped steps were not sent. Run `reconciler apply` again once the failures above are resolved: "
            "finished actions are not repeated."
        )
    return "Run `reconciler apply` again to retry: finished actions are not repeated."
