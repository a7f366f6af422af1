"""`reconciler sandbox ...`: run a local emulator of a provider's API."""

from __future__ import annotations

import typer

sandbox_app = typer.Typer(help="Run a local emulator of a provider's schedule API.", no_args_is_help=True)
