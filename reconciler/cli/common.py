"""Options and helpers that several verbs share."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from reconciler.bundle.parsed_cache import ParsedFiles, parse_cache_from
from reconciler.envflag import ALLOW_HTTP_ENV

if TYPE_CHECKING:  # httpx loads with the providers, not for `--help` or `validate`
    from reconciler.providers.transport import TransportSecurity

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
Insecure = Annotated[
    bool,
    typer.Option(
        "--insecure",
        help="Do NOT verify the platform's TLS certificate (dangerous; warns on every run). "
        "For a private CA use --ca-bundle instead.",
    ),
]
AllowHttp = Annotated[
    bool,
    typer.Option(
        "--allow-http",
        help=f"Allow a plain http:// endpoint on another machine (the API key travels unencrypted; warns on "
        f"every run); also {ALLOW_HTTP_ENV}=1. http://127.0.0.1 and http://localhost need no flag.",
    ),
]
CaBundle = Annotated[
    Path | None,
    typer.Option(
        "--ca-bundle",
        help="Trust the CA certificates in this PEM file (instead of the default CAs; also SSL_CERT_FILE).",
        dir_okay=False,
    ),
]
Only = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        help="Plan only schedules whose name matches this glob (`name` or `bundleKey/name`); repeatable. The "
        "plan is partial: nothing outside it is changed or pruned.",
    ),
]
Exclude = Annotated[
    list[str] | None,
    typer.Option("--exclude", help="Leave out schedules whose name matches this glob; repeatable."),
]
CostsFile = Annotated[
    str | None,
    typer.Option(
        "--costs",
        help="A Costs document (kind: Costs: per agent perRun, duration, limits; docs/costs.md), when it is not "
        "among the paths.",
    ),
]
AllowEmpty = Annotated[
    bool,
    typer.Option(
        "--allow-empty",
        help="Allow a bundle with no schedules to prune everything it owns, and a path that holds no bundle.",
    ),
]


def use_color(stream: object = sys.stdout) -> bool:
    """Colour only on a terminal, and never under NO_COLOR."""
    return bool(getattr(stream, "isatty", lambda: False)()) and not no_color()


def no_color() -> bool:
    """NO_COLOR set to anything but the empty string (https://no-color.org): no ANSI styling at all, not
    even bold, anywhere (plan, calendar, help, the progress bar)."""
    return bool(os.environ.get("NO_COLOR"))


def help_style(stream: object = sys.stdout) -> Literal["rich"] | None:
    """How typer draws help: with rich (boxes, colour) only for a person at a terminal without NO_COLOR;
    plain text otherwise (piped, redirected, NO_COLOR). Importing rich costs ~0.1 s, more than the rest of
    `reconciler --help` together, and a pipe or NO_COLOR would strip its colour anyway."""
    return "rich" if use_color(stream) else None


def transport_security(insecure: bool, allow_http: bool, ca_bundle: Path | None) -> TransportSecurity:
    from reconciler.providers.transport import TransportSecurity

    return TransportSecurity.from_environment(
        insecure=insecure, allow_http=allow_http, ca_bundle=str(ca_bundle) if ca_bundle else None
    )


def warn_transport(warnings: Iterable[str]) -> None:
    """Each transport warning once, loudly, on stderr: shown on every run that weakens a connection."""
    for text in dict.fromkeys(warnings):
        print(f"WARNING: {text}", file=sys.stderr)


def parsed_files() -> ParsedFiles | None:
    """Where the commands keep what large bundle files parsed to (docs/cli.md, "The parse cache")."""
    return parse_cache_from(os.environ)
