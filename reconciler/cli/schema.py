"""`reconciler schema [bundle|plan] [--check] [--write]`: print a published JSON Schema, or check (write) the
committed copies. Both are generated from code: the bundle's from its model, the plan's from the explainer's
constants."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from reconciler.bundle import schema as bundle_schema
from reconciler.plan import schema as plan_schema


class SchemaName(StrEnum):
    bundle = "bundle"
    plan = "plan"


SCHEMAS: dict[SchemaName, tuple[str, Callable[[], str], str]] = {
    SchemaName.bundle: (bundle_schema.SCHEMA_PATH, bundle_schema.schema_text, "the bundle model"),
    SchemaName.plan: (plan_schema.SCHEMA_PATH, plan_schema.schema_text, "the plan document"),
}


def schema(
    which: Annotated[
        SchemaName | None,
        typer.Argument(
            help="bundle (the default when printing) or plan. --check and --write without it: both."
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Fail if a committed schema is out of date.")
    ] = False,
    path: Annotated[
        Path | None,
        typer.Option(
            "--path",
            help="The committed file (default schemas/<name>.schema.json; without a name, bundle's).",
        ),
    ] = None,
    write: Annotated[bool, typer.Option("--write", help="Write the schema(s) to their files.")] = False,
) -> int:
    """Print the JSON Schema (draft 2020-12) of bundle format v1, or of the plan document."""
    if not (check or write):
        sys.stdout.write(SCHEMAS[which or SchemaName.bundle][1]())
        return 0
    names = [which] if which else ([SchemaName.bundle] if path else list(SchemaName))
    stale = 0
    for name in names:
        default_path, text_of, source = SCHEMAS[name]
        target, text = path or Path(default_path), text_of()
        if write:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            print(f"wrote {target}")
        elif not target.is_file() or target.read_text() != text:
            print(f"{target} is out of date with {source}: run `reconciler schema --write`", file=sys.stderr)
            stale += 1
        else:
            print(f"{target} is up to date.")
    return 1 if stale else 0
