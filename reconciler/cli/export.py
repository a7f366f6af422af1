"""`reconciler export --provider P ...`: write a bundle (YAML) for existing live schedules.

The file is meant to be committed: a value the reconciler read from secret() is written as a `secret()`
placeholder, never in clear (reconciler.bundle.export).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml

from reconciler.bundle.desired import Bundle
from reconciler.bundle.export import SCHEMA_MODELINE, export_bundle
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
from reconciler.providers.registry import IMPLEMENTATIONS, open_provider


def export(
    provider: Annotated[str, typer.Option("--provider", help="The platform to read from.")],
    workspace: Annotated[str | None, typer.Option("--workspace", help="Provider scope (cadenya).")] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent's schedules.")] = None,
    api: Annotated[str | None, typer.Option("--api", help="Provider API revision (target.api).")] = None,
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
    result = export_bundle(
        lives,
        bundle_key=bundle_key,
        provider=provider,
        target=target,
        unrecorded=opened.unrecorded_secrets,
        display_name=opened.display_name,
    )
    text = SCHEMA_MODELINE + yaml.safe_dump(result.document, sort_keys=False, allow_unicode=True)
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
