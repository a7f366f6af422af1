"""Options and helpers that several verbs share."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

Paths = Annotated[list[str], typer.Argument(help="Bundle files or directories.")]
Vars = Annotated[list[str] | None, typer.Option("--var", help="Override a template variable: key=value.")]
Endpoint = Annotated[
    str | None, typer.Option("--endpoint", help="The platform's base URL (wins over the environment).")
]
UseSandbox = Annotated[
    bool,
    typer.Option(
        "--sandbox",
        help="Use the embedded sandbox (state in .reconciler/sandbox.sqlite); also RECONCILER_SANDBOX=1.",
    ),
]
Parallelism = Annotated[int, typer.Option("--parallelism", min=1, max=64, help="Concurrent requests.")]
AllowEmpty = Annotated[
    bool, typer.Option("--allow-empty", help="Allow a bundle with no schedules to prune everything it owns.")
]


def use_color(stream: object = sys.stdout) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return bool(getattr(stream, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ
