"""`reconciler calendar PATH...`: a day-by-hour heatmap of every schedule's fires and a collision report,
offline; `--suggest-spread [--write]` proposes (and writes) minutes that lower the busiest one
(cli/suggest_spread.py). Exit 0; 2 with --fail-on-collision N when more than N schedules fire in one
minute; 1 for an invalid bundle or option.

The forecast modules load when the command runs: every other verb imports this module too.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from reconciler.bundle.validate import load_bundles, parse_var_overrides
from reconciler.cli.common import CostsFile, Paths, Vars, parsed_files, use_color
from reconciler.cli.preview import parse_from
from reconciler.timing import TimingError, load_zone


class CalendarFormat(StrEnum):
    text = "text"
    json = "json"


def calendar(
    paths: Paths,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Window start: ISO 8601 (no offset: --timezone) or 'now'. "
            "Default: today 00:00 in --timezone.",
        ),
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="Window length in days.")] = 7,
    timezone: Annotated[
        str, typer.Option("--timezone", help="Zone of the heatmap's days and hours (IANA name).")
    ] = "UTC",
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML report.")
    ] = None,
    max_fires_per_day: Annotated[
        int | None,
        typer.Option("--max-fires-per-day", min=1, help="List schedules that fire more often on some day."),
    ] = None,
    fail_on_collision: Annotated[
        int | None,
        typer.Option(
            "--fail-on-collision", min=0, help="Exit 2 when more than N schedules fire in the same minute."
        ),
    ] = None,
    include_paused: Annotated[
        bool, typer.Option("--include-paused", help="Count paused schedules too.")
    ] = False,
    format: Annotated[CalendarFormat, typer.Option("--format", help="text or json.")] = CalendarFormat.text,
    var: Vars = None,
    costs: CostsFile = None,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="A path that holds no bundle is not an error.")
    ] = False,
    suggest_spread: Annotated[
        bool,
        typer.Option(
            "--suggest-spread",
            help="Instead of the heatmap: new minutes for colliding schedules, within their windows, "
            "that lower the busiest minute (overall, then per agent).",
        ),
    ] = False,
    window: Annotated[
        int | None,
        typer.Option(
            "--window",
            min=0,
            max=1440,
            help="With --suggest-spread: plain crons, calendars and every may move up to N minutes either "
            "way (cron and calendar minutes stay in their hour). Without it only H(a-b) ranges move.",
        ),
    ] = None,
    write: Annotated[
        bool,
        typer.Option("--write", help="With --suggest-spread: change the bundle files in place."),
    ] = False,
) -> int:
    """Show when fires pile up: a week-by-hour heatmap and a collision report; with a Costs document, the
    concurrent runs and cost per hour and the schedules whose runs overlap themselves."""
    from reconciler.forecast.collisions import most_in_one_minute
    from reconciler.forecast.moments import start_of_day
    from reconciler.forecast.serialise import calendar_json
    from reconciler.forecast.text import calendar_text
    from reconciler.forecast.view import build
    from reconciler.forecast.web import calendar_html

    try:
        load_zone(timezone)
    except TimingError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--timezone'") from None
    start = (
        parse_from(from_, timezone)
        if from_ is not None
        else start_of_day(parse_from("now", timezone), timezone)
    )
    if (window is not None or write) and not suggest_spread:
        name = "'--window'" if window is not None else "'--write'"
        raise typer.BadParameter("goes with --suggest-spread", param_hint=name)
    overrides = parse_var_overrides(var or [])
    loaded = load_bundles(
        paths, overrides, read_secrets=False, allow_empty=allow_empty, costs_file=costs, parsed=parsed_files()
    )
    loaded.raise_for_problems()
    view = build(
        loaded.bundles,
        start,
        days,
        timezone,
        budget=max_fires_per_day,
        include_paused=include_paused,
        costs=loaded.costs,
    )
    if suggest_spread:
        from reconciler.cli.suggest_spread import suggest_spread as suggest

        def revalidate() -> None:
            again = load_bundles(
                paths, overrides, read_secrets=False, allow_empty=allow_empty, costs_file=costs
            )
            again.raise_for_problems()

        as_json = format is CalendarFormat.json
        return suggest(loaded.bundles, view, window, write=write, as_json=as_json, revalidate=revalidate)
    if format is CalendarFormat.json:
        print(json.dumps(calendar_json(view, fail_on_collision), indent=2, default=str))
    else:
        print(calendar_text(view, color=use_color(), fail_on=fail_on_collision))
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        # With a Costs document, the page also shows runs in progress and cost per hour (view.load).
        html.write_text(calendar_html(view, fail_on=fail_on_collision), encoding="utf-8")
        print(f"HTML report written to {html}", file=sys.stderr)
    if fail_on_collision is not None and most_in_one_minute(view.report) > fail_on_collision:
        print(
            f"collision: {most_in_one_minute(view.report)} schedules fire in the same minute, more than "
            f"--fail-on-collision {fail_on_collision}",
            file=sys.stderr,
        )
        return 2
    return 0
