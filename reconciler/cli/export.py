"""`reconciler export --provider P ...`: write a bundle (YAML) for existing live schedules.

The file is meant to be committed: a value the reconciler read from secret() is written as a `secret()`
placeholder, never in clear (reconciler.bundle.export).
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from reconciler.bundle.desired import Bundle
from reconciler.bundle.export import export_bundle, export_yaml
from reconciler.cli.common import (
    AllowHttp,
    CaBundle,
    Endpoint,
    Insecure,
    UseSandbox,
    transport_security,
    warn_transport,
)
from reconciler.cli.session import digest_key, sandbox_requested
from reconciler.errors import ConfigError
from reconciler.plan.live import LiveSchedule
from reconciler.providers.registry import IMPLEMENTATIONS, open_provider


def export(
    provider: Annotated[str, typer.Option("--provider", help="The platform to read from.")],
    workspace: Annotated[str | None, typer.Option("--workspace", help="Provider scope (cadenya).")] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent's schedules.")] = None,
    api: Annotated[str | None, typer.Option("--api", help="Provider API revision (target.api).")] = None,
    namespace: Annotated[
        str | None, typer.Option("--namespace", help="temporal: the namespace (default TEMPORAL_NAMESPACE).")
    ] = None,
    task_queue: Annotated[
        str | None,
        typer.Option(
            "--task-queue", help="temporal: target.taskQueue (default: the one most schedules use)."
        ),
    ] = None,
    bundle_key: Annotated[
        str, typer.Option("--bundle-key", help="The bundleKey of the written bundle.")
    ] = "exported",
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of standard output.")] = None,
    endpoint: Endpoint = None,
    sandbox: UseSandbox = False,
    insecure: Insecure = False,
    allow_http: AllowHttp = False,
    ca_bundle: CaBundle = None,
) -> int:
    """Write a bundle for the live schedules: owned ones as they are, unowned ones with `adopt: true`."""
    if provider not in IMPLEMENTATIONS:
        raise ConfigError(f"export supports {', '.join(IMPLEMENTATIONS)} for now, not '{provider}'")
    target = {"workspace": workspace} if workspace else {}
    if api:
        target["api"] = api
    if namespace:
        target["namespace"] = namespace
    if task_queue:
        target["taskQueue"] = task_queue
    scope = Bundle(key=bundle_key, provider=provider, target=target, prune="archive")
    opened = open_provider(
        scope,
        endpoint=endpoint,
        sandbox=sandbox_requested(sandbox),
        digest_key=digest_key(),
        security=transport_security(insecure, allow_http, ca_bundle),
    )
    warn_transport(opened.client.warnings)
    try:
        lives = opened.list_all(agent)
    finally:
        opened.client.close()
    if provider == "temporal":
        lives = _bundle_ids(_shared_task_queue(lives, target), bundle_key)
    result = export_bundle(
        lives,
        bundle_key=bundle_key,
        provider=provider,
        target=target,
        unrecorded=opened.unrecorded_secrets,
        display_name=opened.display_name,
        digest_key=digest_key(),
    )
    text = export_yaml(result)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)
        print(f"wrote {out} ({len(result.document['schedules'])} schedule(s))", file=sys.stderr)
    for line in result.skipped:
        print(f"skipped: {line}", file=sys.stderr)
    for line in result.notes:
        print(f"note: {line}", file=sys.stderr)
    return 0


def _shared_task_queue(lives: list[LiveSchedule], target: dict[str, Any]) -> list[LiveSchedule]:
    """Temporal needs target.taskQueue: without --task-queue, the queue most schedules use becomes it, and
    only the others keep an `options.taskQueue`."""
    queues = Counter(str(live.options["taskQueue"]) for live in lives if live.options.get("taskQueue"))
    if "taskQueue" not in target and queues:
        target["taskQueue"] = queues.most_common(1)[0][0]
    shared = target.get("taskQueue")
    return [
        replace(
            live, options={k: v for k, v in live.options.items() if not (k == "taskQueue" and v == shared)}
        )
        for live in lives
    ]


def _bundle_ids(lives: list[LiveSchedule], bundle_key: str) -> list[LiveSchedule]:
    """An unowned Temporal schedule already under the id `<bundle-key>--<name>` is exported as `name`, which
    adopts it in place; any other id is exported as itself, and adopting recreates it under the bundle's id."""
    prefix = f"{bundle_key}--"
    return [
        replace(live, display_name=live.display_name[len(prefix) :])
        if live.owner is None and live.display_name.startswith(prefix)
        else live
        for live in lives
    ]
