"""`reconciler validate PATH...`: schema and semantic checks, no network. Exit 0 valid, 1 invalid.

Warnings (wall times a DST change skips or repeats, docs/timing.md) are printed after the problems and do not
change the exit code, unless `--strict`.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer

from reconciler.bundle.validate import Loaded, load_bundles, parse_var_overrides
from reconciler.cli.common import CostsFile, parsed_files
from reconciler.cli.output import (
    GITHUB_ANNOTATION_LIMIT,
    annotation,
    diagnostic_json,
    exception_json,
    format_diagnostics,
)
from reconciler.errors import BundleError, Diagnostic


class DiagnosticFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


def validate(
    paths: Annotated[list[str], typer.Argument(help="Bundle files or directories.")],
    format: Annotated[
        DiagnosticFormat, typer.Option("--format", help="text, json or github.")
    ] = DiagnosticFormat.text,
    var: Annotated[
        list[str] | None, typer.Option("--var", help="Override a template variable: key=value.")
    ] = None,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="A path that holds no bundle is not an error.")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Warnings (DST: wall times skipped or repeated) fail too: exit 1."),
    ] = False,
    costs: CostsFile = None,
) -> int:
    """Check bundles without contacting any platform."""
    warnings: list[Diagnostic] = []
    try:
        loaded = load_bundles(
            paths,
            parse_var_overrides(var or []),
            read_secrets=False,
            allow_empty=allow_empty,
            warn_from=datetime.now(UTC),
            costs_file=costs,
            parsed=parsed_files(),
        )
    except BundleError as exc:
        loaded_diagnostics = exc.diagnostics
    else:
        # Budgets (docs/costs.md) are checked only on valid bundles: a forecast of a broken one means nothing.
        loaded_diagnostics = loaded.diagnostics or _budget_problems(loaded)
        warnings = loaded.warnings
    failed = bool(loaded_diagnostics) or (strict and bool(warnings))
    if format is DiagnosticFormat.json:
        result = _json_result(loaded_diagnostics, None if loaded_diagnostics else loaded)
        if warnings:  # only then: the documents without warnings stay exactly as they were
            result["warnings"] = [diagnostic_json(w) for w in warnings]
        import json  # only for JSON: its import is a few ms of every start-up

        print(json.dumps(result, indent=2))
        return 1 if failed else 0
    if loaded_diagnostics:
        print(format_diagnostics(loaded_diagnostics, format.value))
    if warnings:
        print(_format_warnings(warnings, format))
    if loaded_diagnostics:
        if format is DiagnosticFormat.text:
            print(f"{len(loaded_diagnostics)} problem(s) found{_counted(warnings)}.", file=sys.stderr)
        return 1
    if format is DiagnosticFormat.text:
        schedules = sum(len(b.schedules) for b in loaded.bundles)
        print(f"{len(loaded.bundles)} bundle(s), {schedules} schedule(s): valid{_counted(warnings)}.")
        if strict and warnings:
            print("--strict: warnings count as problems.", file=sys.stderr)
        if loaded.skipped:
            print(
                f"Skipped {len(loaded.skipped)} YAML file(s) with no reconciler/ apiVersion: "
                f"{', '.join(loaded.skipped)}",
                file=sys.stderr,
            )
    return 1 if failed else 0


def _budget_problems(loaded: Loaded) -> list[Diagnostic]:
    """The budgets the bundles exceed. Without a Costs document and without bundle `limits` there is no
    budget to check (`reconciler.forecast.checks.has_limits`), and the forecast modules are not even
    imported: a fifth of the start-up of `validate`."""
    if loaded.costs is None and all(bundle.limits.empty for bundle in loaded.bundles):
        return []
    from reconciler.forecast.checks import budget_problems

    return budget_problems(loaded.bundles, loaded.costs, datetime.now(UTC))


def _counted(warnings: list[Diagnostic]) -> str:
    return f", {len(warnings)} warning(s)" if warnings else ""


def _format_warnings(warnings: list[Diagnostic], format: DiagnosticFormat) -> str:
    """`file:line:col: warning: message` lines, or `::warning` annotations (the first 10, as for errors)."""
    if format is not DiagnosticFormat.github:
        return "\n".join(f"{w.file}:{w.line}:{w.col}: warning: {w.message}" for w in warnings)
    lines = [annotation("warning", w) for w in warnings[:GITHUB_ANNOTATION_LIMIT]]
    hidden = len(warnings) - GITHUB_ANNOTATION_LIMIT
    if hidden > 0:
        lines.append(
            f"::warning::{hidden} more warning(s) not shown as annotations (GitHub shows 10 per step); "
            "see the full list below"
        )
        lines.extend(f"{w.file}:{w.line}:{w.col}: warning: {w.message}" for w in warnings)
    return "\n".join(lines)


def _json_result(diagnostics: list[Diagnostic], loaded: Loaded | None) -> dict[str, Any]:
    """Invalid: the `--format json` error document (every problem located in `diagnostics`). Valid: what was
    checked, with an empty `diagnostics`, so a script reads one key either way."""
    if loaded is None:
        return exception_json(BundleError(diagnostics))
    return {
        "bundles": len(loaded.bundles),
        "schedules": sum(len(b.schedules) for b in loaded.bundles),
        "skipped": list(loaded.skipped),
        "diagnostics": [],
    }
