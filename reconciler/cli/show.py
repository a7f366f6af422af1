"""`reconciler show PLANFILE`: a saved plan as text, JSON or Markdown, offline. Exit 0, or 1 for a file that is
not a plan this reconciler reads.

The plan is one frozen value: `show` reads it back and prints it through the same explainer as `plan`, so a
reviewer sees exactly what `plan` printed when the file was saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli.plan import PlanFormat, render
from reconciler.cli.planfile import load_plan_file


def show(
    plan_file: Annotated[
        Path, typer.Argument(help="A plan saved by `plan --out` (or printed by `plan --format json`).")
    ],
    format: Annotated[PlanFormat, typer.Option("--format", help="text, json or markdown.")] = PlanFormat.text,
) -> int:
    """Show a saved plan without contacting any platform."""
    saved = load_plan_file(plan_file, need_source=False)
    print(render(saved.plan, format, load=saved.load))
    return 0
