"""`reconciler apply PATH...` / `apply PLANFILE` / `apply --plan FILE`: converge the platform to the bundles.

Exit 0 converged, 1 error or partial failure (each failed action named). Without a terminal, refuses to
change anything unless `--auto-approve` is given; `apply PLANFILE` (Terraform's form) applies a saved plan,
which was reviewed already, without asking again. A saved plan whose live state moved on is refused as stale.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from reconciler.apply.executor import ApplyInterrupted, Outcome
from reconciler.apply.failures import advice, counts, failure_lines
from reconciler.cli.common import (
    AllowEmpty,
    AllowHttp,
    CaBundle,
    CostsFile,
    Endpoint,
    Exclude,
    Insecure,
    Only,
    Parallelism,
    UseSandbox,
    Vars,
    transport_security,
    use_color,
)
from reconciler.cli.output import error_json
from reconciler.cli.planfile import SavedPlan, is_plan_file, load_plan_file, save_plan
from reconciler.cli.progress import HeldProgress, open_progress
from reconciler.cli.session import Options, Session, digest_key, open_session
from reconciler.errors import ConfigError, StalePlanError
from reconciler.plan.explain import kept_counts, to_json, to_text
from reconciler.plan.model import Action, Plan
from reconciler.plan.pins import pin_differences
from reconciler.plan.serialise import same_actions
from reconciler.providers.transport import TransportSecurity

if TYPE_CHECKING:
    from reconciler.apply.runner import Running


class ApplyFormat(StrEnum):
    text = "text"
    json = "json"


# Without a terminal and without --auto-approve, `apply --format json` reports what it would do and how to
# confirm it, and exits with this code: neither success (0) nor an error (1), so a CI step or an agent can
# branch on it.
CONFIRMATION_REQUIRED = 4


def apply(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Bundle files or directories; or one plan file saved by `plan --out`, applied without asking "
            "again (it was reviewed when it was made)."
        ),
    ] = None,
    plan_file: Annotated[
        Path | None,
        typer.Option("--plan", help="Apply a plan saved by `plan --out`, asking for confirmation as usual."),
    ] = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")
    ] = False,
    allow_delete: Annotated[
        bool, typer.Option("--allow-delete", help="Allow hard deletes (bundles with prune: delete).")
    ] = False,
    var: Vars = None,
    only: Only = None,
    exclude: Exclude = None,
    endpoint: Endpoint = None,
    sandbox: UseSandbox = False,
    parallelism: Parallelism = 8,
    allow_empty: AllowEmpty = False,
    format: Annotated[
        ApplyFormat, typer.Option("--format", help="text, or json: one result document on stdout.")
    ] = ApplyFormat.text,
    insecure: Insecure = False,
    allow_http: AllowHttp = False,
    ca_bundle: CaBundle = None,
    costs: CostsFile = None,
) -> int:
    """Make the live schedules match the bundles."""
    security = transport_security(insecure, allow_http, ca_bundle)
    saved, reviewed = _saved_plan(paths, plan_file, var)
    if saved is None:
        options = Options(
            tuple(paths or ()),
            tuple(var or ()),
            endpoint,
            sandbox,
            parallelism,
            allow_empty,
            security,
            tuple(only or ()),
            tuple(exclude or ()),
            costs,
        )
    else:
        if only or exclude:
            raise ConfigError(
                "--only and --exclude cannot change a saved plan: it records the selection it was made with"
            )
        allow_empty = allow_empty or saved.allow_empty
        options = Options(
            saved.paths,
            saved.vars,
            endpoint,
            sandbox,
            parallelism,
            allow_empty,
            security,
            saved.only,
            saved.exclude,
            costs,
        )
    session = open_session(options)
    try:
        if saved is not None:
            _refuse_if_stale(saved, session)
        approved = auto_approve or reviewed
        if format is ApplyFormat.json:
            return _apply_json(session, saved, auto_approve=approved, allow_delete=allow_delete)
        return _apply(session, auto_approve=approved, allow_delete=allow_delete)
    finally:
        session.close()


def _saved_plan(
    paths: list[str] | None, plan_file: Path | None, var: list[str] | None
) -> tuple[SavedPlan | None, bool]:
    """The saved plan to apply, if any, and whether it counts as reviewed: `apply PLANFILE` applies it without
    asking (Terraform's form); `--plan FILE` asks as an apply of bundles does. The file is read and checked
    whole before any platform is contacted."""
    given = list(paths or ())
    if plan_file is not None and given:
        raise ConfigError("give either bundle paths or --plan FILE, not both")
    plan_files = [path for path in given if is_plan_file(path)]
    if plan_files and len(given) > 1:
        raise ConfigError(
            f"{plan_files[0]} is a saved plan: apply it alone (`reconciler apply {plan_files[0]}`), "
            "without bundle paths"
        )
    chosen = plan_file if plan_file is not None else (Path(plan_files[0]) if plan_files else None)
    if chosen is None:
        if not given:
            raise ConfigError(
                "give the bundle paths to apply, or a plan file saved by `reconciler plan --out`"
            )
        return None, False
    if var:
        raise ConfigError(f"--var cannot change a saved plan: {chosen} was made with the vars it records")
    return load_plan_file(chosen, need_source=True), plan_file is None


def _refuse_if_stale(saved: SavedPlan, session: Session) -> None:
    differences = same_actions(saved.plan, session.plan)
    differences += pin_differences(saved.pins, session.plan, digest_key())
    if differences:
        listed = "\n".join(f"  - {d}" for d in differences)
        raise StalePlanError(
            f"the saved plan {saved.path} is stale: the live schedules or the bundles changed since it was made:\n"
            f"{listed}\nRun `reconciler plan` again and review the new plan."
        )


def _refuse_deletes(session: Session, allow_delete: bool) -> None:
    deletes = [a.name for b in session.plan.bundles for a in b.actions if a.kind == "delete"]
    if deletes and not allow_delete:
        raise ConfigError(
            f"the plan hard-deletes {len(deletes)} schedule(s) ({', '.join(deletes[:5])}"
            f"{', ...' if len(deletes) > 5 else ''}); pass --allow-delete to allow it"
        )


def _apply_json(session: Session, saved: SavedPlan | None, *, auto_approve: bool, allow_delete: bool) -> int:
    _refuse_deletes(session, allow_delete)
    plan = session.plan
    # Approved: every bundle is validated, read and planned (open_session), so the writes start now, while
    # the plan's document is built.
    running = _start(session) if plan.has_changes and auto_approve else None
    try:
        document: dict[str, Any] = {"plan": to_json(plan)}
    except BaseException as exc:
        _abandon(running, exc)
        raise
    if plan.has_changes and not auto_approve:
        # The command applies exactly the plan shown here, saved to a file (`apply PLANFILE`): one made from
        # bundles now is saved first. If the live schedules change before it runs, it is refused as stale.
        path = saved.path if saved is not None else _save_for_confirmation(session)
        confirm = ["reconciler", "apply", str(path), "--format", "json"]
        confirm += ["--allow-delete"] if allow_delete else []
        confirm += ["--sandbox"] if session.options.sandbox else []
        confirm += ["--endpoint", session.options.endpoint] if session.options.endpoint else []
        confirm += _transport_flags(session.options.security)
        document |= {
            "result": "confirmation_required",
            "command": shlex.join(confirm),
            "plan_file": str(path),
            "message": "review the plan, then run the command to apply exactly this plan",
        }
        print(json.dumps(document, indent=2))
        return CONFIRMATION_REQUIRED
    failures, done = _finish(running) if running is not None else _execute(session, quiet=True)
    document |= {
        "result": "failed" if failures else "applied",
        "done": done,
        "failures": [
            {
                "action": o.action.kind,
                "name": o.action.name,
                "agent": o.action.agent,
                "error": o.error,
                "skipped": o.skipped,
                "permanent": o.permanent,
            }
            for o in failures
        ],
    }
    if failures:  # exit 1 carries an `error`, as every other failure under --format json does
        message = f"{counts(failures, done)}. {advice(failures)}"
        document |= error_json(message, "apply_failed")
    print(json.dumps(document, indent=2))
    return 1 if failures else 0


def _save_for_confirmation(session: Session) -> Path:
    """A new file only this user can read (the plan holds no secret, but schedules' texts are not for everyone)."""
    handle, name = tempfile.mkstemp(prefix="reconciler-plan-", suffix=".json")
    os.close(handle)
    options = session.options
    save_plan(
        session.plan, Path(name), paths=options.paths, vars=options.vars, allow_empty=options.allow_empty
    )
    return Path(name)


def _transport_flags(security: TransportSecurity | None) -> list[str]:
    """The transport flags of this run, so the confirmation command connects exactly as this one did."""
    if security is None:
        return []
    flags = ["--insecure"] if security.insecure else []
    flags += ["--allow-http"] if security.allow_http else []
    flags += (
        ["--ca-bundle", security.ca_file] if security.ca_source == "--ca-bundle" and security.ca_file else []
    )
    return flags


def _execute(session: Session, *, quiet: bool = False) -> tuple[list[Outcome], int]:
    """Every bundle's steps, bundles side by side; Ctrl-C raises ApplyInterrupted with the account of all."""
    running = _start(session)
    running.progress.open(open_progress(len(_steps(session)), quiet=quiet))
    return _finish(running)


@dataclass
class _Started:
    running: Running
    progress: HeldProgress


def _start(session: Session) -> _Started:
    """Start the writes of the whole plan, with their progress held until the caller opens its display.

    Only ever called once `open_session` returned: every bundle of the run validated, its live state read
    and its plan made; a bundle that could not be planned raised there, and nothing was written anywhere."""
    from reconciler.apply.runner import start_all  # only an apply with changes needs it

    progress = HeldProgress()
    work = [(b, session.providers[b.bundle_key]) for b in session.plan.bundles]
    running = start_all(work, parallelism=session.options.parallelism, progress=progress)
    return _Started(running, progress)


def _finish(started: _Started) -> tuple[list[Outcome], int]:
    try:
        reports = started.running.wait()
    finally:
        started.progress.close()
    outcomes = [o for report in reports for o in report.outcomes]
    failures = [o for o in outcomes if not o.ok]
    return failures, len(outcomes) - len(failures)


def _abandon(started: _Started | None, error: BaseException) -> None:
    """Printing the plan failed while its writes ran: stop them (nothing more starts). A Ctrl-C becomes the
    account of what finished and what is in flight, as a Ctrl-C while waiting would; any other error is
    raised as it is by the caller."""
    if started is None:
        return
    started.progress.close()
    interrupted = started.running.interrupt()
    if isinstance(error, KeyboardInterrupt):
        raise interrupted from None


def _steps(session: Session) -> list[Action]:
    return [a for b in session.plan.bundles for a in b.actions if a.kind != "noop"]


def _apply(session: Session, *, auto_approve: bool, allow_delete: bool) -> int:
    _refuse_deletes(session, allow_delete)
    plan = session.plan
    # Approved in advance: every bundle is validated, read and planned (open_session), so the writes start
    # now and the plan is printed while they run; their progress shows once it is printed.
    running = _start(session) if plan.has_changes and auto_approve else None
    try:
        try:
            print(to_text(plan, color=use_color()))
        except BaseException as exc:
            _abandon(running, exc)
            raise
        if running is not None:
            running.progress.open(open_progress(len(_steps(session))))
            failures, done = _finish(running)
            return _report(plan, failures, done)
    except ApplyInterrupted as interrupted:
        return _interrupted(session, interrupted)
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
    try:
        failures, done = _execute(session)
    except ApplyInterrupted as interrupted:
        return _interrupted(session, interrupted)
    return _report(plan, failures, done)


def _interrupted(session: Session, interrupted: ApplyInterrupted) -> int:
    from reconciler.apply.interrupted import account, interrupted_text  # only ever needed here

    print(interrupted_text(account(_steps(session), interrupted)), file=sys.stderr)
    return 130


def _report(plan: Plan, failures: list[Outcome], done: int) -> int:
    if failures:
        print("\n" + "\n".join(failure_lines(failures, done)), file=sys.stderr)
        return 1
    print(f"\nApply complete: {done} action(s) done.{_kept_note(plan)}")
    return 0


def _kept_note(plan: Plan) -> str:
    """What the apply left alone on purpose: said in its last line, so nobody reads "complete" as "healed"."""
    paused, drifted = kept_counts(plan)
    parts = (
        [f"{paused} schedule(s) paused outside the bundle kept paused (pauses: respect)"] if paused else []
    )
    parts += [f"{drifted} schedule(s) with drift left as it is (drift: report)"] if drifted else []
    return (" " + "; ".join(parts) + ".") if parts else ""
