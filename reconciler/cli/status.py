"""`reconciler status PATH...`: did the declared schedules fire, and which need attention.

Reads each platform's fire counters (`Provider.read_activity`: the fewest requests its API allows) and judges
every declared schedule (reconciler.status). Exit 0 all ok, 2 any needs attention, 1 error.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from reconciler.bundle.desired import Bundle
from reconciler.bundle.validate import load_bundles, parse_var_overrides
from reconciler.cli.common import (
    AllowHttp,
    CaBundle,
    Endpoint,
    Insecure,
    Parallelism,
    Paths,
    UseSandbox,
    Vars,
    parsed_files,
    transport_security,
)
from reconciler.cli.plan import PlanFormat
from reconciler.cli.session import Options, open_providers
from reconciler.errors import BundleError
from reconciler.plan.live import LiveSchedule
from reconciler.status import report
from reconciler.status.verdicts import ScheduleStatus, Window, judge
from reconciler.timing.durations import parse_duration
from reconciler.timing.spec import TimingError


def _duration(text: str, option: str) -> timedelta:
    try:
        return timedelta(seconds=parse_duration(text))
    except TimingError as exc:
        raise typer.BadParameter(str(exc), param_hint=f"'{option}'") from None


def _instant(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise typer.BadParameter(
            f"{text!r} is not an RFC 3339 time with an offset, e.g. 2026-10-28T12:00:00Z",
            param_hint="'--now'",
        )
    return value.astimezone(UTC)


def status(
    paths: Paths,
    var: Vars = None,
    format: Annotated[PlanFormat, typer.Option("--format", help="text, json or markdown.")] = PlanFormat.text,
    since: Annotated[str, typer.Option("--since", help="How far back to judge, e.g. 24h, 7d.")] = "24h",
    grace: Annotated[
        str, typer.Option("--grace", help="How long after a due fire before it counts as late, e.g. 10m.")
    ] = "10m",
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="Judge as of this RFC 3339 time instead of the current time: for a sandbox whose clock was "
            "moved (the counters are still read now).",
        ),
    ] = None,
    endpoint: Endpoint = None,
    sandbox: UseSandbox = False,
    parallelism: Parallelism = 8,
    insecure: Insecure = False,
    allow_http: AllowHttp = False,
    ca_bundle: CaBundle = None,
) -> int:
    """Did each schedule fire as declared? Exit 2 when any needs attention."""
    window = Window(_instant(now), _duration(since, "--since"), _duration(grace, "--grace"))
    loaded = load_bundles(tuple(paths), parse_var_overrides(tuple(var or ())), parsed=parsed_files())
    if loaded.diagnostics:
        raise BundleError(loaded.diagnostics)
    security = transport_security(insecure, allow_http, ca_bundle)
    options = Options(tuple(paths), tuple(var or ()), endpoint, sandbox, parallelism, security=security)
    providers = open_providers(loaded.bundles, options, loaded.secret_values)
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(len(loaded.bundles), 4))) as pool:
            lives = list(pool.map(lambda b: providers[b.key].read_activity(), loaded.bundles))
    finally:
        for provider in providers.values():
            provider.client.close()
    statuses = [
        s for bundle, live in zip(loaded.bundles, lives, strict=True) for s in judged(bundle, live, window)
    ]
    if format is PlanFormat.json:
        print(json.dumps(report.to_json(statuses, window), indent=2))
    elif format is PlanFormat.markdown:
        print(report.to_markdown(statuses, window), end="")
    else:
        print(report.to_text(statuses, window), end="")
    return 2 if report.needs_attention(statuses) else 0


def judged(bundle: Bundle, live: list[LiveSchedule], window: Window) -> list[ScheduleStatus]:
    """Each declared schedule with the live one its bundle owns (the non-archived one, where there are two)."""
    owned: dict[tuple[str, str], LiveSchedule] = {}
    for item in live:
        if item.owner != bundle.key or item.name is None:
            continue
        key = (item.agent, item.name)
        if key not in owned or owned[key].state == "archived":
            owned[key] = item
    return [
        judge(bundle, desired, owned.get((desired.agent, desired.name)), window)
        for desired in bundle.schedules
    ]
