"""Command-line entry point: parse arguments, dispatch to one module per verb, map errors to exit codes.

Exit codes: 0 success, 1 the user must fix something (ReconcilerError), 2 "changes present" where a verb
documents it, 130 interrupted, 3 an internal error (a bug: the message asks for a report).

Under `--format json` every failure is a JSON document on stdout instead of a message on stderr
(`reconciler.cli.output.error_json`), with the same exit code.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Annotated

import typer

from reconciler import __version__
from reconciler.cli import commands
from reconciler.cli.commands import LazyGroup
from reconciler.cli.common import help_style
from reconciler.cli.completion import (
    COMPLETE_VAR,
    PROG_NAME,
    Shell,
    install_completion,
    name_the_shell,
    register_shells,
    show_completion,
)
from reconciler.cli.output import error_json, exception_json
from reconciler.errors import ReconcilerError

app = typer.Typer(
    name="reconciler",
    help="Schedules-as-code for AI agents: validate, plan and apply YAML bundles of agent schedules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyGroup,  # the verbs and `sandbox` load when one runs (reconciler/cli/commands.py)
)


def _print_version(asked: bool) -> None:
    if asked:
        print(f"reconciler {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
    ),
    install: Annotated[
        Shell | None,
        typer.Option(
            "--install-completion",
            metavar="[SHELL]",
            help="Install Tab completion for SHELL (default auto: the shell you are in).",
            callback=install_completion,
            is_eager=True,
            expose_value=False,
        ),
    ] = None,
    show: Annotated[
        Shell | None,
        typer.Option(
            "--show-completion",
            metavar="[SHELL]",
            help="Print the Tab completion script for SHELL (default auto), to install it your own way.",
            callback=show_completion,
            is_eager=True,
            expose_value=False,
        ),
    ] = None,
) -> None:
    """Schedules-as-code for AI agents: validate, plan and apply YAML bundles of agent schedules."""


LOG_LEVELS = ("debug", "info", "warning", "error")


def configure_logging(environ: dict[str, str] | os._Environ[str] = os.environ) -> None:
    """`RECONCILER_LOG=debug` (or info, warning, error): the reconciler's own log on stderr, e.g. every HTTP
    request with its status, timing and retries. Known secrets and API keys are redacted before a line is
    written (`reconciler.providers.http`)."""
    level = environ.get("RECONCILER_LOG", "").strip().lower()
    if not level:
        return
    import logging  # only when asked: 10 ms of every command's start-up otherwise

    logger = logging.getLogger("reconciler")
    if level not in LOG_LEVELS:
        print(
            f"warning: RECONCILER_LOG={level!r} ignored; use one of {', '.join(LOG_LEVELS)}", file=sys.stderr
        )
        return
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())


# The verbs whose `--format json` output a script reads: their failures are JSON documents too.
JSON_VERBS = frozenset(
    {"validate", "plan", "apply", "show", "preview", "calendar", "status", "bundles", "providers"}
)


def wants_json(args: list[str]) -> bool:
    """`--format json` given to one of JSON_VERBS. Read from the arguments themselves, so that a usage error
    (an unknown option, a bad value), raised before the verb runs, is JSON as well."""
    verb = next((arg for arg in args if not arg.startswith("-")), None)
    if verb not in JSON_VERBS:
        return False
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--format=json" or (arg == "--format" and args[index + 1 : index + 2] == ["json"]):
            return True
    return False


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    args = name_the_shell(sys.argv[1:] if argv is None else argv)
    as_json = wants_json(args)
    if isinstance(app, typer.Typer):  # (a test harness may have swapped in a built click command)
        # Chosen per run, before typer builds the commands: rich help for a terminal, plain text otherwise.
        app.rich_markup_mode = help_style()
    if os.environ.get(COMPLETE_VAR):  # a shell asking what Tab should complete
        register_shells()
    try:
        result = app(args=args, prog_name=PROG_NAME, standalone_mode=False)
    except KeyboardInterrupt:
        return _failed(as_json, 130, "interrupted", "interrupted")
    except ReconcilerError as exc:
        if as_json:
            _print_json(exception_json(exc))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 1
    except _click("Exit") as exc:
        return int(getattr(exc, "exit_code", 0))
    except _click("ClickException", typer.TyperException) as exc:  # usage errors: bad option, argument
        if as_json:
            format_message = getattr(exc, "format_message", None)
            message = format_message() if format_message is not None else str(exc)
            _print_json(error_json(str(message), "usage"))
            return 1
        show = getattr(exc, "show", None)  # typer (0.29) raises the exceptions of its own vendored click
        show() if show is not None else print(f"Error: {exc}", file=sys.stderr)
        return 1
    except _click("Abort"):
        return _failed(as_json, 130, "aborted", "interrupted")
    except SystemExit as exc:
        return int(exc.code or 0)
    except Exception as exc:  # a bug: say so plainly, with what a report needs, never a secret-laden dump
        message = (
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in reconciler; please report it with the command you ran."
        )
        return _failed(as_json, 3, message, "internal")
    return int(result or 0)


def _failed(as_json: bool, code: int, message: str, kind: str) -> int:
    if as_json:
        _print_json(error_json(message, kind))
    else:
        print(message, file=sys.stderr)
    return code


def _print_json(document: dict[str, object]) -> None:
    import json  # only for a JSON failure: its import is a few ms of every start-up

    print(json.dumps(document, indent=2), flush=True)


def _click(name: str, *also: type[BaseException]) -> tuple[type[BaseException], ...]:
    """`click.exceptions.<name>` (and `also`) when click is in use: typer before 0.29 raised click's own
    exceptions (and so had imported it); 0.29 vendors its own copy, and importing click only to catch what
    nothing raises would cost every command 40 ms of start-up."""
    click = sys.modules.get("click")
    return (*also, getattr(click.exceptions, name)) if click is not None else also


def run() -> int:
    """The `reconciler` command (console script and `python -m reconciler`): `main` in a process of its own.

    A run builds hundreds of thousands of objects that live until it ends (10,000 schedules: loaded, rendered,
    listed, planned), and CPython's default thresholds walk all of them again and again: a quarter of the CPU
    of a plan at that size. What is imported by now lives for the whole run, so it is frozen out of
    collection; the rare cycles (HTTP responses) are still collected, less often. Only here, not in `main`:
    a test calling `main` in its own process keeps the collector as it was."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    commands.freeze_on_load = True  # the verb's own modules load later
    return main()
