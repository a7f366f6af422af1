"""`reconciler schema [--check]`: print the bundle JSON Schema, or check the committed copy is current."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from reconciler.bundle.schema import SCHEMA_PATH, schema_text


def schema(
    check: Annotated[bool, typer.Option("--check", help=f"Fail if {SCHEMA_PATH} is out of date.")] = False,
    path: Annotated[Path, typer.Option("--path", help="The committed schema file.")] = Path(SCHEMA_PATH),
    write: Annotated[bool, typer.Option("--write", help="Write the schema to --path.")] = False,
) -> int:
    """Print the JSON Schema of bundle format v1 (draft 2020-12)."""
    text = schema_text()
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")
        return 0
    if check:
        if not path.is_file() or path.read_text() != text:
            print(
                f"{path} is out of date with the bundle model: run `reconciler schema --write`",
                file=sys.stderr,
            )
            return 1
        print(f"{path} is up to date.")
        return 0
    sys.stdout.write(text)
    return 0
