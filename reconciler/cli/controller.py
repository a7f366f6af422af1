"""`reconciler controller --repo URL|PATH`: reconcile continuously from git (docs/controller.md).

Runs until SIGTERM or Ctrl-C: the steps in flight finish, no new one starts, exit 0.
"""

from __future__ import annotations

import logging
import signal
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from reconciler.cli.common import (
    AllowEmpty,
    AllowHttp,
    CaBundle,
    Endpoint,
    Insecure,
    Parallelism,
    UseSandbox,
    Vars,
    transport_security,
)
from reconciler.errors import ConfigError

if TYPE_CHECKING:
    from reconciler.controller.notify import Notifier


def controller(
    repo: Annotated[
        str, typer.Option("--repo", help="The git repository (URL or local path), or a plain local folder.")
    ],
    ref: Annotated[str, typer.Option("--ref", help="The branch or tag to follow.")] = "main",
    path: Annotated[
        str, typer.Option("--path", help="The folder of bundles inside the repository.")
    ] = "bundles/",
    interval: Annotated[
        str, typer.Option("--interval", help="How often to fetch and re-plan every bundle, e.g. 5m, 30s.")
    ] = "5m",
    jitter: Annotated[
        str, typer.Option("--jitter", help="Each wait varies by up to this share of --interval, e.g. 10%.")
    ] = "10%",
    listen: Annotated[
        str, typer.Option("--listen", help="Serve /, /metrics, /healthz and /readyz on host:port.")
    ] = "127.0.0.1:8080",
    notify: Annotated[
        list[str] | None,
        typer.Option(
            "--notify", help="Post notifications to this webhook URL (Slack-compatible); repeatable."
        ),
    ] = None,
    notify_min_interval: Annotated[
        str,
        typer.Option(
            "--notify-min-interval", help="At most one message per webhook this often, e.g. 1m, 0s."
        ),
    ] = "1m",
    shard: Annotated[
        str | None, typer.Option("--shard", help="Own only the bundles of shard i of N (i/N, from 0).")
    ] = None,
    log_format: Annotated[
        str, typer.Option("--log-format", help="text, or json: one JSON object per line.")
    ] = "text",
    workdir: Annotated[
        Path | None,
        typer.Option("--workdir", help="Where the repository is cloned (default: a new temporary folder)."),
    ] = None,
    allow_delete: Annotated[
        bool, typer.Option("--allow-delete", help="Allow hard deletes (bundles with prune: delete).")
    ] = False,
    status_every: Annotated[
        int,
        typer.Option(
            "--status-every", min=0, help="Judge the `status` verdicts every Nth interval (0: never)."
        ),
    ] = 12,
    var: Vars = None,
    endpoint: Endpoint = None,
    sandbox: UseSandbox = False,
    parallelism: Parallelism = 8,
    allow_empty: AllowEmpty = False,
    insecure: Insecure = False,
    allow_http: AllowHttp = False,
    ca_bundle: CaBundle = None,
) -> int:
    """Reconcile continuously from a git ref: apply new commits, heal or report drift, serve metrics."""
    from reconciler.cli.session import Options
    from reconciler.controller.git import open_source
    from reconciler.controller.logs import Secrets, configure, fields
    from reconciler.controller.loop import Controller, Settings
    from reconciler.controller.metrics import ControllerMetrics
    from reconciler.controller.server import Endpoints, parse_listen
    from reconciler.controller.shards import parse_shard
    from reconciler.providers import http
    from reconciler.timing.durations import parse_duration

    if log_format not in ("text", "json"):
        raise typer.BadParameter("expected text or json", param_hint="'--log-format'")
    try:
        seconds = parse_duration(interval)
        quiet = parse_duration(notify_min_interval, allow_zero=True)
        owned = parse_shard(shard) if shard else None
    except ValueError as exc:
        raise ConfigError(f"--interval, --notify-min-interval or --shard: {exc}") from exc
    secrets = Secrets()
    configure("json" if log_format == "json" else "text", secrets)
    log = logging.getLogger("reconciler.controller")
    security = transport_security(insecure, allow_http, ca_bundle)
    options = Options((), tuple(var or ()), endpoint, sandbox, parallelism, allow_empty, security)
    settings = Settings(options, float(seconds), _share(jitter), owned, allow_delete, status_every)
    folder = str(workdir) if workdir else tempfile.mkdtemp(prefix="reconciler-controller-")
    source = open_source(repo, ref, path, folder)
    metrics = ControllerMetrics()
    notifier = _notifier(notify or [], float(quiet))
    loop = Controller(source, settings, metrics, secrets, notifier.observe if notifier else lambda s: None)
    endpoints = Endpoints(parse_listen(listen), metrics, lambda: loop.snapshot, loop.bundles)
    http.request_observers.append(metrics.observe_request)

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: finishing the steps in flight", signum, extra=fields("stopping"))
        loop.stop.event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    endpoints.start()
    log.info(
        "watching %s (%s) every %s; serving on http://%s",
        source.url,
        ref if source.ref else "plain folder",
        interval,
        endpoints.address,
        extra=fields("started", listen=endpoints.address, started=datetime.now(UTC).isoformat()),
    )
    try:
        loop.run()
    finally:
        http.request_observers.remove(metrics.observe_request)
        if notifier is not None:
            notifier.close()
        loop.close()
        endpoints.close()
    return 0


def _share(text: str) -> float:
    """`10%` or `0.1` as 0.1; between 0 and 1."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ConfigError(f"--jitter {text!r}: expected a share such as 10% or 0.1") from None
    if not 0 <= value <= 1:
        raise ConfigError(f"--jitter {text!r}: must be from 0% to 100%")
    return value


def _notifier(urls: list[str], min_interval: float) -> Notifier | None:
    """The webhook sender, when --notify is given."""
    if not urls:
        return None
    from reconciler.controller.notify import Notifier

    return Notifier(urls, min_interval=min_interval)
