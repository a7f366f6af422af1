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
    """Never "retry" after a refusal: the same request fails the same way until the bundle (or the platform)
    changes."""
    refused = [o.action for o in failures if o.permanent and not o.skipped]
    if refused:
        named = ", ".join(f"{a.kind} {a.name}" for a in refused[:3]) + (", ..." if len(refused) > 3 else "")
        text = (
            f"The platform refused {len(refused)} step(s) as written ({named}): applying again unchanged "
            "fails the same way. Fix the bundle (or the platform), then run `reconciler apply`"
        )
        others = sum(1 for o in failures if not o.permanent and not o.skipped)
        text += f"; it also retries the other {others} failed step(s)." if others else "."
    elif any(not o.skipped for o in failures):
        text = "Run `reconciler apply` again to retry: finished actions are not repeated."
    else:
        text = ""
    if any(o.skipped for o in failures):
        text += " Skipped steps were not sent: they run once the failures above are resolved."
    return text.strip()
