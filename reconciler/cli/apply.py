"""`reconciler apply PATH...` / `apply --plan FILE`: converge the platform to the bundles.

Exit 0 converged, 1 error or partial failure (each failed action named). Without a terminal, refuses to
change anything unless `--auto-approve` is given; a saved plan whose live state moved on is refused as stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from reconciler.apply.executor import Outcome, execute
from reconciler.cli.common import AllowEmpty, Endpoint, Parallelism, UseSandbox, Vars, use_color
from reconciler.cli.session import Options, Session, open_session
from reconciler.errors import ConfigError, StalePlanError
from reconciler.plan.explain import to_text
from reconciler.plan.serialise import plan_from_json, same_actions


def apply(
    paths: Annotated[list[str] | None, typer.Argument(help="Bundle files or directories.")] = None,
    plan_file: Annotated[
        Path | None, typer.Option("--plan", help="Apply a plan saved by `plan --out`.")
    ] = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")
    ] = False,
    allow_delete: Annotated[
        bool, typer.Option("--allow-delete", help="Allow hard deletes (bundles with prune: delete).")
    ] = False,
    var: Vars = None,
    endpoint: Endpoint = None,
    sandbox: UseSandbox = False,
    parallelism: Parallelism = 8,
    allow_empty: AllowEmpty = False,
) -> int:
    """Make the live schedules match the bundles."""
    options = _options(paths, plan_file, var, endpoint, sandbox, parallelism, allow_empty)
    session = open_session(options)
    try:
        if plan_file is not None:
            _refuse_if_stale(plan_file, session)
        return _apply(session, auto_approve=auto_approve, allow_delete=allow_delete)
    finally:
        session.close()


def _options(
    paths: list[str] | None,
    plan_file: Path | None,
    var: list[str] | None,
    endpoint: str | None,
    sandbox: bool,
    parallelism: int,
    allow_empty: bool,
) -> Options:
    if plan_file is None:
        if not paths:
            raise ConfigError("give the bundle paths to apply, or --plan FILE")
        return Options(tuple(paths), tuple(var or ()), endpoint, sandbox, parallelism, allow_empty)
    if paths:
        raise ConfigError("give either bundle paths or --plan FILE, not both")
    try:
        source = json.loads(plan_file.read_text())["source"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{plan_file}: not a plan file saved by `reconciler plan --out` ({exc})") from None
    return Options(tuple(source["paths"]), tuple(source["vars"]), endpoint, sandbox, parallelism, allow_empty)


def _refuse_if_stale(plan_file: Path, session: Session) -> None:
    saved = plan_from_json(json.loads(plan_file.read_text()))
    differences = same_actions(saved, session.plan)
    if differences:
        listed = "\n".join(f"  - {d}" for d in differences)
        raise StalePlanError(
            f"the saved plan {plan_file} is stale: the live schedules or the bundles changed since it was made:\n"
            f"{listed}\nRun `reconciler plan` again and review the new plan."
        )


def _apply(session: Session, *, auto_approve: bool, allow_delete: bool) -> int:
    plan = session.plan
    deletes = [a.name for b in plan.bundles for a in b.actions if a.kind == "delete"]
    if deletes and not allow_delete:
        raise ConfigError(
            f"the plan hard-deletes {len(deletes)} schedule(s) ({', '.join(deletes[:5])}"
            f"{', ...' if len(deletes) > 5 else ''}); pass --allow-delete to allow it"
        )
    print(to_text(plan, color=use_color()))
    if not plan.has_changes:
        return 0
    if not auto_approve:
        if not sys.stdin.isatty():
            raise ConfigError(
                "refusing to apply without confirmation: not on a terminal; pass --auto-approve"
            )
        answer = input("\nDo you want to perform these actions? Only 'yes' will be accepted: ")
        if answer.strip() != "yes":
            print("Apply cancelled.")
            return 1
    failures: list[Outcome] = []
    done = 0
    progress = _Progress(sum(1 for b in plan.bundles for a in b.actions if a.kind != "noop"))
    for bundle_plan in plan.bundles:
        provider = session.providers[bundle_plan.bundle_key]
        report = execute(bundle_plan, provider, parallelism=session.options.parallelism, progress=progress)
        failures.extend(report.failures)
        done += sum(1 for o in report.outcomes if o.ok)
    if failures:
        print(f"\nApply failed: {len(failures)} action(s) failed, {done} succeeded:", file=sys.stderr)
        for outcome in failures:
            action = outcome.action
            print(f"  - {action.kind} {action.name} (agent {action.agent}): {outcome.error}", file=sys.stderr)
        print("Run `reconciler apply` again to retry: finished actions are not repeated.", file=sys.stderr)
        return 1
    print(f"\nApply complete: {done} action(s) done.")
    return 0


class _Progress:
    """One line per finished action on a terminal, counting towards the total; silent in CI logs."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.finished = 0
        self.enabled = sys.stderr.isatty()

    def __call__(self, outcome: Outcome) -> None:
        self.finished += 1
        if self.enabled and outcome.action.kind != "noop":
            mark = "ok" if outcome.ok else "FAILED"
            width = len(str(self.total))
            print(
                f"  [{self.finished:>{width}}/{self.total}] {outcome.action.kind} {outcome.action.name}: {mark}",
                file=sys.stderr,
            )
