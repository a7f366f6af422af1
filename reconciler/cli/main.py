"""Command-line entry point: parse arguments, dispatch to one module per verb, map errors to exit codes.

Exit codes: 0 success, 1 the user must fix something (ReconcilerError), 2 "changes present" where a verb
documents it, 130 interrupted, 3 an internal error (a bug: the message asks for a report).
"""

from __future__ import annotations

import sys

import typer

from reconciler.cli.sandbox import sandbox_app

app = typer.Typer(
    name="reconciler",
    help="Schedules-as-code for AI agents: validate, plan and apply YAML bundles of agent schedules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(sandbox_app, name="sandbox")


def main(argv: list[str] | None = None) -> int:
    try:
        result = app(args=argv, standalone_mode=False)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # typer/click exit paths
        return int(exc.code or 0)
    return int(result or 0)
