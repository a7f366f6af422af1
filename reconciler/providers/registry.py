"""Open the right provider for a bundle: endpoint and API key from the environment (named like each vendor's
own SDK), `--endpoint`, or the embedded sandbox. Credentials never come from a bundle."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from reconciler.bundle.desired import Bundle
from reconciler.errors import ConfigError
from reconciler.providers.base import Provider
from reconciler.providers.http import ApiClient
from reconciler.providers.transport import TransportSecurity

# provider -> "module:Class"; each class takes (client, bundle, digest_key, *, environ, parallelism).
IMPLEMENTATIONS = {
    "cadenya": "reconciler.providers.cadenya.provider:CadenyaProvider",
    "agentex": "reconciler.providers.agentex.provider:AgentexProvider",
    "oz": "reconciler.providers.oz.provider:OzProvider",
    "tbd-agents": "reconciler.providers.tbd_agents.provider:TbdAgentsProvider",
    "orq": "reconciler.providers.orq.provider:OrqProvider",
    "temporal": "reconciler.providers.temporal.provider:TemporalProvider",
}
EMBEDDED_DB = Path(".reconciler") / "sandbox.sqlite"
EMBEDDED_KEY = "embedded-sandbox"


@dataclass(frozen=True)
class Connection:
    base_url_env: str
    default_url: str | None
    api_key_env: str
    key_required: bool = True
    # Also read for the URL when base_url_env is unset, if it holds a URL: Temporal's own tools read
    # TEMPORAL_ADDRESS as a gRPC host:port, which is not the HTTP API reconciler speaks.
    address_env: str | None = None
    ca_env: str | None = (
        None  # a PEM file of trusted CAs, read when neither --ca-bundle nor SSL_CERT_FILE is set
    )


CONNECTIONS: dict[str, Connection] = {
    "cadenya": Connection("CADENYA_BASE_URL", "https://api.cadenya.com", "CADENYA_API_KEY"),
    "agentex": Connection("AGENTEX_BASE_URL", "https://agentex.sgp.scale.com", "AGENTEX_SDK_API_KEY"),
    "orq": Connection("ORQ_SERVER_URL", "https://api.orq.ai", "ORQ_API_KEY"),
    "oz": Connection("OZ_API_BASE_URL", "https://app.warp.dev/api/v1", "WARP_API_KEY"),
    "tbd-agents": Connection("TBD_AGENTS_BASE_URL", None, "TBD_AGENTS_TOKEN", key_required=False),
    "temporal": Connection(
        "TEMPORAL_HTTP_ADDRESS",
        None,
        "TEMPORAL_API_KEY",
        key_required=False,
        address_env="TEMPORAL_ADDRESS",
        ca_env="TEMPORAL_TLS_CA_PATH",
    ),
}


def open_provider(
    bundle: Bundle,
    *,
    endpoint: str | None = None,
    sandbox: bool = False,
    parallelism: int = 8,
    digest_key: bytes = b"reconciler",
    secrets: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
    security: TransportSecurity | None = None,
) -> Provider:
    """The provider for `bundle`; the endpoint is checked (`reconciler.providers.transport`) before any
    request, and `provider.client.warnings` holds what the caller must show (plain http, --insecure)."""
    env = os.environ if environ is None else environ
    connection = CONNECTIONS[bundle.provider]
    transport: httpx.BaseTransport | None = None
    api_key: str | None
    source = "--endpoint"
    if sandbox or endpoint == "sandbox":
        from reconciler.sandbox.extra import require_sandbox_extra

        require_sandbox_extra("--sandbox" if sandbox else "--endpoint sandbox")
        from reconciler.sandbox.embedded import embedded_transport  # the sandbox loads only when asked for

        agents = sorted({s.agent for s in bundle.schedules})
        transport = embedded_transport(bundle.provider, EMBEDDED_DB, EMBEDDED_KEY, bundle.target, agents)
        base_url, api_key = "http://embedded-sandbox", EMBEDDED_KEY
    else:
        if endpoint:
            base_url = endpoint
        else:
            base_url, source = _base_url(bundle.provider, connection, env)
        api_key = env.get(connection.api_key_env)
        if connection.key_required and not api_key:
            raise ConfigError(f"{bundle.provider}: set {connection.api_key_env} to your API key")
    client = ApiClient(
        base_url,
        api_key=api_key,
        api_key_env=connection.api_key_env,
        transport=transport,
        secrets=secrets,
        parallelism=parallelism,
        security=security or _security(connection, env),
        url_source=source,
    )
    if bundle.provider not in IMPLEMENTATIONS:
        client.close()
        raise ConfigError(
            f"provider '{bundle.provider}' cannot plan or apply yet (implemented: "
            f"{', '.join(IMPLEMENTATIONS)})"
        )
    module, _, name = IMPLEMENTATIONS[bundle.provider].partition(":")
    cls: type[Provider] = getattr(importlib.import_module(module), name)
    # The embedded sandbox has the bundle's scope already; the environment's defaults are for real platforms.
    return cls(client, bundle, digest_key, environ={} if transport else env, parallelism=parallelism)


def _base_url(provider: str, connection: Connection, env: Mapping[str, str]) -> tuple[str, str]:
    """The URL from the environment (or the default) and where it came from; ("", ...) when none is set."""
    if env.get(connection.base_url_env):
        return env[connection.base_url_env], connection.base_url_env
    address = env.get(connection.address_env) if connection.address_env else None
    if address:
        if "://" in address:
            return address, str(connection.address_env)
        raise ConfigError(
            f"{provider}: {connection.address_env}={address} is a gRPC address (what Temporal's CLI and SDKs "
            f"use); reconciler speaks Temporal's HTTP API: set {connection.base_url_env} to its URL, e.g. "
            "http://localhost:7243 (the frontend's HTTP port), or pass --endpoint URL"
        )
    if connection.default_url:
        return connection.default_url, "the default URL"
    names = " or ".join(n for n in (connection.base_url_env, connection.address_env) if n)
    raise ConfigError(f"{provider}: set {names} or pass --endpoint URL")


def _security(connection: Connection, env: Mapping[str, str]) -> TransportSecurity:
    security = TransportSecurity.from_environment(environ=env)
    if connection.ca_env and env.get(connection.ca_env) and security.ca_source == "certifi":
        return TransportSecurity(
            security.insecure,
            security.allow_http,
            ca_file=env[connection.ca_env],
            ca_source=connection.ca_env,
        )
    return security
