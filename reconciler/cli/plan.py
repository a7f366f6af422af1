"""`reconciler plan PATH...`: read live state and show what `apply` would change.

Exit 0 (no changes, or changes without --detailed-exitcode), 2 changes with --detailed-exitcode, 1 error.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

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
    Paths,
    UseSandbox,
    Vars,
    transport_security,
    use_color,
)
from reconciler.cli.planfile import save_plan
from reconciler.cli.session import Options, open_session
from reconciler.forecast.budgets import LoadDelta
from reconciler.forecast.planload import changes_runs, load_json, load_lines, load_markdown, plan_load
from reconciler.plan import drift
from reconciler.plan.drift import Drifted, drift_of
from reconciler.plan.explain import to_json, to_markdown, to_text
from reconciler.plan.model import Plan


class PlanFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def plan(
    paths: Paths,
    var: Vars = None,
    only: Only = None,
    exclude: Exclude = None,
    format: Annotated[PlanFormat, typer.Option("--format", help="text, json or markdown.")] = PlanFormat.text,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Save the plan (JSON) for `apply PLANFILE` and `show PLANFILE`."),
    ] = None,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes.")
    ] = False,
    drift_only: Annotated[
        bool,
        typer.Option(
            "--drift-only",
            help="Report only what changed on the platform since the last apply (and pauses made outside the "
            "bundle), never the bundle's own pending changes. Exit 0 no drift, 2 drift, 1 error.",
        ),
    ] = False,
    show_ignored: Annotated[
        bool,
        typer.Option(
            "--show-ignored", help="List the differences in fields the bundle leaves to the platform."
        ),
    ] = False,
    endpoint: Endpoint = None,
    sandbox: UseSandbox = False,
    parallelism: Parallelism = 8,
    allow_empty: AllowEmpty = False,
    insecure: Insecure = False,
    allow_http: AllowHttp = False,
    ca_bundle: CaBundle = None,
    costs: CostsFile = None,
) -> int:
    """Show the changes `apply` would make."""
    if drift_only and out is not None:
        raise typer.BadParameter(
            "--drift-only reports drift and makes no plan to apply: it cannot be saved", param_hint="'--out'"
        )
    security = transport_security(insecure, allow_http, ca_bundle)
    options = Options(
        tuple(paths),
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
    session = open_session(options)
    try:
        result = session.plan
        if drift_only:
            found = drift_of(result)
            print(render_drift(found, format), end="")
            return 2 if found else 0
        # The text and markdown plans show only what changes; JSON and a saved plan always carry the load.
        shown_whole = format is PlanFormat.json or out is not None
        load = (
            plan_load(result, session.costs, datetime.now(UTC))
            if shown_whole or changes_runs(result)
            else None
        )
        if out is not None:
            save_plan(
                result,
                out,
                paths=options.paths,
                vars=options.vars,
                allow_empty=options.allow_empty,
                load=load,
            )
        print(render(result, format, show_ignored=show_ignored, load=load))
    finally:
        session.close()
    return 2 if detailed_exitcode and result.has_changes else 0


def render_drift(found: list[Drifted], fmt: PlanFormat) -> str:
    if fmt is PlanFormat.json:
        return json.dumps(drift.to_json(found), indent=2) + "\n"
    if fmt is PlanFormat.markdown:
        return drift.to_markdown(found)
    return drift.to_text(found)


def render(
    result: Plan,
    fmt: PlanFormat,
    *,
    show_ignored: bool = False,
    load: tuple[int, list[LoadDelta]] | None = None,
) -> str:
    """The one explainer's output for `plan` and `show`: a fresh plan and a saved one print the same steps.
    `load`: the runs and cost before -> after (docs/costs.md), as planned (a saved plan carries it)."""
    if fmt is PlanFormat.json:
        document = to_json(result)
        if load is not None:
            document["load"] = load_json(*load)
        return json.dumps(document, indent=2)
    if fmt is PlanFormat.markdown:
        extra = load_markdown(*load) if load is not None else ""
        return to_markdown(result) + (f"\n{extra}" if extra else "")
    text = to_text(result, color=use_color(), show_ignored=show_ignored)
    lines = load_lines(*load) if load is not None else []
    return text.rstrip("\n") + "\n\n" + "\n".join(lines) if lines else text
