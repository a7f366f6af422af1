"""`reconciler plan PATH...`: read live state and show what `apply` would change.

Exit 0 (no changes, or changes without --detailed-exitcode), 2 changes with --detailed-exitcode, 1 error.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from reconciler.cli.common import (
    AllowEmpty,
    AllowHttp,
    CaBundle,
    Endpoint,
    Insecure,
    Parallelism,
    Paths,
    UseSandbox,
    Vars,
    transport_security,
    use_color,
)
from reconciler.cli.session import Options, digest_key, open_session
from reconciler.plan.explain import to_json, to_markdown, to_text
from reconciler.plan.model import Plan
from reconciler.plan.pins import pins_json


class PlanFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def plan(
    paths: Paths,
    var: Vars = None,
    format: Annotated[PlanFormat, typer.Option("--format", help="text, json or markdown.")] = PlanFormat.text,
    out: Annotated[
        Path | None, typer.Option("--out", help="Save the plan (JSON) for `apply --plan`.")
    ] = None,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes.")
    ] = False,
    endpoint: Endpoint = None,
    sandbox: UseSandbox = False,
    parallelism: Parallelism = 8,
    allow_empty: AllowEmpty = False,
    insecure: Insecure = False,
    allow_http: AllowHttp = False,
    ca_bundle: CaBundle = None,
) -> int:
    """Show the changes `apply` would make."""
    security = transport_security(insecure, allow_http, ca_bundle)
    options = Options(tuple(paths), tuple(var or ()), endpoint, sandbox, parallelism, allow_empty, security)
    session = open_session(options)
    try:
        result = session.plan
        if out is not None:
            save_plan(result, options, out)
        print(render(result, format))
    finally:
        session.close()
    return 2 if detailed_exitcode and result.has_changes else 0


def render(result: Plan, fmt: PlanFormat) -> str:
    if fmt is PlanFormat.json:
        return json.dumps(to_json(result), indent=2)
    if fmt is PlanFormat.markdown:
        return to_markdown(result)
    return to_text(result, color=use_color())


def save_plan(result: Plan, options: Options, out: Path) -> None:
    """The plan file: the plan as JSON, plus what `apply --plan` needs to rebuild it and check it is current
    (never a secret: `pins` holds keyed digests of the secret-bearing values the steps write)."""
    document: dict[str, Any] = to_json(result)
    document["source"] = {"paths": list(options.paths), "vars": list(options.vars)}
    document["pins"] = pins_json(result, digest_key())  # keyed digests of the secret-bearing values written
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
