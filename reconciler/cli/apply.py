"""`reconciler apply PATH...` / `apply --plan FILE`: converge the platform to the bundles.

Exit 0 converged, 1 error or partial failure (each failed action named). Without a terminal, refuses to
change anything unless `--auto-approve` is given; a saved plan whose live state moved on is refused as stale.
"""

from __future__ import annotations

import json
import shlex
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from reconciler.apply.executor import Outcome, execute
from reconciler.apply.failures import failure_lines
from reconciler.cli.common import (
    AllowEmpty,
    AllowHttp,
    CaBundle,
    Endpoint,
    Insecure,
    Parallelism,
    UseSandbox,
    Vars,
    transport_security,
    use_color,
)
from reconciler.cli.session import Options, Session, digest_key, open_session
from reconciler.errors import ConfigError, StalePlanError
from reconciler.plan.explain import to_json, to_text
from reconciler.plan.pins import pin_differences
from reconciler.plan.serialise import plan_from_json, same_actions
from reconciler.providers.transport import TransportSecurity


class ApplyFormat(StrEnum):
    text = "text"
    json = "json"


# Without a terminal and without --auto-approve, `apply --format json` reports what it would do and how to
# confirm it, and exits with this code: neither success (0) nor an error (1), so a CI step or an agent can
# branch on it.
CONFIRMATION_REQUIRED = 4
# A plan of 10,000 schedules is a few megabytes; anything this large was not written by `plan --out`.
MAX_PLAN_FILE_BYTES = 64 * 1024 * 1024


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
    format: Annotated[
        ApplyFormat, typer.Option("--format", help="text, or json: one result document on stdout.")
    ] = ApplyFormat.text,
    insecure: Insecure = False,
    allow_http: AllowHttp = False,
    ca_bundle: CaBundle = None,
) -> int:
    """Make the live schedules match the bundles."""
    security = transport_security(insecure, allow_http, ca_bundle)
    options = _options(paths, plan_file, var, endpoint, sandbox, parallelism, allow_empty, security)
    session = open_session(options)
    try:
        if plan_file is not None:
            _refuse_if_stale(plan_file, session)
        if format is ApplyFormat.json:
            return _apply_json(session, plan_file, auto_approve=auto_approve, allow_delete=allow_delete)
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
    security: TransportSecurity,
) -> Options:
    if plan_file is None:
        if not paths:
            raise ConfigError("give the bundle paths to apply, or --plan FILE")
        return Options(tuple(paths), tuple(var or ()), endpoint, sandbox, parallelism, allow_empty, security)
    if paths:
        raise ConfigError("give either bundle paths or --plan FILE, not both")
    try:
        source = read_plan_file(plan_file)["source"]
        paths_, vars_ = tuple(source["paths"]), tuple(source["vars"])
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{plan_file}: not a plan file saved by `reconciler plan --out` ({exc})") from None
    return Options(paths_, vars_, endpoint, sandbox, parallelism, allow_empty, security)


def read_plan_file(path: Path) -> dict[str, Any]:
    """A saved plan's JSON. Only a regular file is read (a FIFO would wait forever), at most
    MAX_PLAN_FILE_BYTES of it, and JSON nested deeper than Python's parser goes is refused, not a crash."""
    what = f"{path}: not a plan file saved by `reconciler plan --out`"
    try:
        if not path.is_file():
            raise ConfigError(f"{what} (no such regular file)")
        with path.open("rb") as handle:
            raw = handle.read(MAX_PLAN_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{what} (cannot read it: {exc.strerror})") from None
    if len(raw) > MAX_PLAN_FILE_BYTES:
        raise ConfigError(f"{what} (it is larger than {MAX_PLAN_FILE_BYTES} bytes)")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deep" if isinstance(exc, RecursionError) else str(exc)
        raise ConfigError(f"{what} ({reason})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{what} (expected a JSON object)")
    return data


def _refuse_if_stale(plan_file: Path, session: Session) -> None:
    document = read_plan_file(plan_file)
    saved = plan_from_json(document)
    differences = same_actions(saved, session.plan)
    differences += pin_differences(document.get("pins"), session.plan, digest_key())
    if differences:
        listed = "\n".join(f"  - {d}" for d in differences)
        raise StalePlanError(
            f"the saved plan {plan_file} is stale: the live schedules or the bundles changed since it was made:\n"
            f"{listed}\nRun `reconciler plan` again and review the new plan."
        )


def _refuse_deletes(session: Session, allow_delete: bool) -> None:
    deletes = [a.name for b in session.plan.bundles for a in b.actions if a.kind == "delete"]
    if deletes and not allow_delete:
        raise ConfigError(
            f"the plan hard-deletes {len(deletes)} schedule(s) ({', '.join(deletes[:5])}"
            f"{', ...' if len(deletes) > 5 else ''}); pass --allow-delete to allow it"
        )


def _apply_json(session: Session, plan_file: Path | None, *, auto_approve: bool, allow_delete: bool) -> int:
    _refuse_deletes(session, allow_delete)
    plan = session.plan
    document: dict[str, Any] = {"plan": to_json(plan)}
    if plan.has_changes and not auto_approve:
        confirm = ["reconciler", "apply", "--auto-approve", "--format", "json"]
        confirm += ["--plan", str(plan_file)] if plan_file else [*session.options.paths]
        confirm += [arg for v in session.options.vars for arg in ("--var", v)]
        confirm += ["--allow-delete"] if allow_delete else []
        confirm += ["--sandbox"] if session.options.sandbox else []
        confirm += ["--endpoint", session.options.endpoint] if session.options.endpoint else []
        confirm += _transport_flags(session.options.security)
        document |= {
            "result": "confirmation_required",
            "command": shlex.join(confirm),
            "message": "review the plan, then run the command to apply it",
        }
        print(json.dumps(document, indent=2))
        return CONFIRMATION_REQUIRED
    failures, done = _execute(session, quiet=True)
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
    print(json.dumps(document, indent=2))
    return 1 if failures else 0


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
    plan = session.plan
    failures: list[Outcome] = []
    done = 0
    progress = _Progress(sum(1 for b in plan.bundles for a in b.actions if a.kind != "noop"), quiet=quiet)
    for bundle_plan in plan.bundles:
        provider = session.providers[bundle_plan.bundle_key]
        report = execute(bundle_plan, provider, parallelism=session.options.parallelism, progress=progress)
        failures.extend(report.failures)
        done += sum(1 for o in report.outcomes if o.ok)
    return failures, done


def _apply(session: Session, *, auto_approve: bool, allow_delete: bool) -> int:
    _refuse_deletes(session, allow_delete)
    plan = session.plan
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
    failures, done = _execute(session)
    if failures:
        print("\n" + "\n".join(failure_lines(failures, done)), file=sys.stderr)
        return 1
    print(f"\nApply complete: {done} action(s) done.")
    return 0


class _Progress:
    """One line per finished action on a terminal, counting towards the total; silent in CI logs."""

    def __init__(self, total: int, *, quiet: bool = False) -> None:
        self.total = total
        self.finished = 0
        self.enabled = sys.stderr.isatty() and not quiet

    def __call__(self, outcome: Outcome) -> None:
        self.finished += 1
        if self.enabled and outcome.action.kind != "noop":
            mark = "ok" if outcome.ok else "FAILED"
            width = len(str(self.total))
            print(
                f"  [{self.finished:>{width}}/{self.total}] {outcome.action.kind} {outcome.action.name}: {mark}",
                file=sys.stderr,
            )
