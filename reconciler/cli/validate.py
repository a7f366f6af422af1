"""`reconciler validate PATH...`: schema and semantic checks, no network. Exit 0 valid, 1 invalid."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from reconciler.bundle.validate import Loaded, load_bundles, parse_var_overrides
from reconciler.cli.output import exception_json, format_diagnostics
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
) -> int:
    """Check bundles without contacting any platform."""
    try:
        loaded = load_bundles(
            paths, parse_var_overrides(var or []), read_secrets=False, allow_empty=allow_empty
        )
    except BundleError as exc:
        loaded_diagnostics = exc.diagnostics
    else:
        loaded_diagnostics = loaded.diagnostics
    if format is DiagnosticFormat.json:
        print(json.dumps(_json_result(loaded_diagnostics, None if loaded_diagnostics else loaded), indent=2))
        return 1 if loaded_diagnostics else 0
    if loaded_diagnostics:
        print(format_diagnostics(loaded_diagnostics, format.value))
        if format is DiagnosticFormat.text:
            print(f"{len(loaded_diagnostics)} problem(s) found.", file=sys.stderr)
        return 1
    if format is DiagnosticFormat.text:
        schedules = sum(len(b.schedules) for b in loaded.bundles)
        print(f"{len(loaded.bundles)} bundle(s), {schedules} schedule(s): valid.")
        if loaded.skipped:
            print(
                f"Skipped {len(loaded.skipped)} YAML file(s) with no reconciler/ apiVersion: "
                f"{', '.join(loaded.skipped)}",
                file=sys.stderr,
            )
    return 0


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
