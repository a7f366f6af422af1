"""`reconciler preview PATH...`: the next fire times of every schedule, offline, with each target
provider's semantics. Exit 0, or 1 for an invalid bundle or option.

The forecast modules load when the command runs: every other verb imports this module too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer

from reconciler.bundle.validate import load_bundles, parse_var_overrides
from reconciler.cli.common import Paths, Vars, parsed_files


class PreviewFormat(StrEnum):
    text = "text"
    json = "json"


def preview(
    paths: Paths,
    count: Annotated[int, typer.Option("--count", min=1, max=10_000, help="Fire times per schedule.")] = 5,
    from_: Annotated[
        str,
        typer.Option("--from", help="Start after this instant: ISO 8601 (no offset means UTC) or 'now'."),
    ] = "now",
    format: Annotated[PreviewFormat, typer.Option("--format", help="text or json.")] = PreviewFormat.text,
    var: Vars = None,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="A path that holds no bundle is not an error.")
    ] = False,
) -> int:
    """Show when each schedule will fire next, in its own timezone and in UTC."""
    from reconciler.forecast.fires import preview as compute_preview
    from reconciler.forecast.serialise import preview_json
    from reconciler.forecast.text import preview_text

    after = parse_from(from_, "UTC")
    loaded = load_bundles(
        paths,
        parse_var_overrides(var or []),
        read_secrets=False,
        allow_empty=allow_empty,
        parsed=parsed_files(),
    )
    loaded.raise_for_problems()
    forecasts = compute_preview(loaded.bundles, after, count)
    if format is PreviewFormat.json:
        import json  # only for JSON: its import is a few ms of every start-up

        print(json.dumps(preview_json(forecasts, after, count), indent=2, default=str))
    else:
        print(preview_text(forecasts, after, count))
    return 0


def parse_from(text: str, zone: str) -> datetime:
    from reconciler.forecast.moments import parse_moment

    try:
        return parse_moment(text, zone, datetime.now(UTC))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--from'") from None
