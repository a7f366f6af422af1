"""`reconciler providers [--format text|json]`: the installed providers (the `reconciler.providers` entry
points, built-ins included), where each comes from, and its limits per API revision: what a bundle for it
may say before `validate` is even run."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer

from reconciler.providers import plugin
from reconciler.providers.capabilities import Capabilities
from reconciler.timing import format_duration


class ProvidersFormat(StrEnum):
    text = "text"
    json = "json"


def providers(
    output_format: Annotated[
        ProvidersFormat, typer.Option("--format", help="text (default) or json.")
    ] = ProvidersFormat.text,
) -> int:
    """List the installed providers: origin, API revisions, timing forms and limits, options, connection
    variables, target fields, and whether a local sandbox is available."""
    documents = [describe(found) for found in plugin.all_installed()]
    if output_format is ProvidersFormat.json:
        print(json.dumps({"providers": documents}, indent=2))
    else:
        print("\n\n".join(_text(document) for document in documents))
    return 0


def describe(found: plugin.Installed) -> dict[str, Any]:
    """One provider as plain data (the JSON document's entry)."""
    descriptor = found.plugin
    connection = descriptor.connection
    revisions = descriptor.revisions or ("",)
    return {
        "name": descriptor.name,
        "distribution": found.distribution,
        "version": found.version,
        "entryPoint": found.entry_point,
        "docs": descriptor.docs,
        "revisions": [
            _revision(revision, descriptor.capabilities_for(revision or None), default=index == 0)
            for index, revision in enumerate(revisions)
        ],
        "connection": {
            "url": connection.base_url_env,
            "address": connection.address_env,
            "defaultUrl": connection.default_url,
            "apiKey": connection.api_key_env,
            "apiKeyRequired": connection.key_required,
            "caFile": connection.ca_env,
            "clientCertificate": connection.cert_env,
            "clientKey": connection.key_env,
        },
        "targetFields": [
            {"name": field.name, "description": field.description, "required": bool(field.required)}
            for field in descriptor.target_fields
        ],
        "sandbox": {"kind": descriptor.sandbox.kind, "note": descriptor.sandbox.note},
        "forecastFamily": descriptor.forecast_family,
    }


def _revision(name: str, caps: Capabilities, *, default: bool) -> dict[str, Any]:
    return {
        "api": name or None,
        "default": default,
        "forms": sorted(caps.forms),
        "utcOnly": caps.utc_only,
        "minCadenceSeconds": caps.min_cadence_seconds,
        "window": caps.window,
        "options": list(caps.options),
        "requiredOptions": list(caps.required_options),
        "unsupported": [field for field, _ in caps.unsupported],
        "note": caps.note,
    }


def _text(document: dict[str, Any]) -> str:
    version = f" {document['version']}" if document["version"] else ""
    lines = [f"{document['name']}  (from {document['distribution']}{version})"]
    if document["docs"]:
        lines.append(f"  {document['docs']}")
    for revision in document["revisions"]:
        if revision["api"]:
            default = ", the default" if revision["default"] else ""
            lines.append(f"  api {revision['api']}{default}:")
            indent = "    "
        else:
            indent = "  "
        cadence = revision["minCadenceSeconds"]
        lines += [
            f"{indent}timing: {', '.join(revision['forms'])}"
            + ("; UTC only" if revision["utcOnly"] else "; any IANA zone")
            + (f"; at most once every {format_duration(cadence)}" if cadence else "")
            + ("" if revision["window"] else "; no start/end"),
            f"{indent}options: {', '.join(revision['options']) or 'none'}"
            + (
                f" (required: {', '.join(revision['requiredOptions'])})"
                if revision["requiredOptions"]
                else ""
            ),
        ]
        if revision["unsupported"]:
            lines.append(f"{indent}has no place for: {', '.join(revision['unsupported'])}")
    connection = document["connection"]
    variables = [v for v in (connection["url"], connection["address"]) if v]
    key = connection["apiKey"] + ("" if connection["apiKeyRequired"] else " (optional)")
    lines.append(
        f"  connection: {' or '.join(variables)}"
        + (f" (default {connection['defaultUrl']})" if connection["defaultUrl"] else "")
        + f", {key}"
        + (f", {connection['caFile']}" if connection["caFile"] else "")
        + "".join(f", {connection[k]}" for k in ("clientCertificate", "clientKey") if connection[k])
    )
    fields = [f["name"] + (" (required)" if f["required"] else "") for f in document["targetFields"]]
    lines.append(f"  target fields: {', '.join(fields) or 'none'}")
    sandbox = document["sandbox"]
    kinds = {"emulator": "an emulator", "real server": "a real server", "none": "none"}
    note = f": {sandbox['note']}" if sandbox["note"] else ""
    lines.append(f"  local sandbox: {kinds.get(sandbox['kind'], sandbox['kind'])}{note}")
    return "\n".join(lines)
