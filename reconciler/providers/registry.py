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
}
EMBEDDED_DB = Path(".reconciler") / "sandbox.sqlite"
EMBEDDED_KEY = "embedded-sandbox"


@dataclass(frozen=True)
class Connection:
    base_url_env: str
    default_url: str | None
    api_key_env: str
    key_required: bool = True


CONNECTIONS: dict[str, Connection] = {
    "cadenya": Connection("CADENYA_BASE_URL", "https://api.cadenya.com", "CADENYA_API_KEY"),
    "agentex": Connection("AGENTEX_BASE_URL", "https://agentex.sgp.scale.com", "AGENTEX_SDK_API_KEY"),
    "orq": Connection("ORQ_SERVER_URL", "https://api.orq.ai", "ORQ_API_KEY"),
    "oz": Connection("OZ_API_BASE_URL", "https://app.warp.dev/api/v1", "WARP_API_KEY"),
    "tbd-agents": Connection("TBD_AGENTS_BASE_URL", None, "TBD_AGENTS_TOKEN", key_required=False),
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
        base_url = endpoint or env.get(connection.base_url_env) or connection.default_url or ""
        if not endpoint:
            source = connection.base_url_env if env.get(connection.base_url_env) else "the default URL"
        if not base_url:
            raise ConfigError(f"{bundle.provider}: set {connection.base_url_env} or pass --endpoint URL")
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
        security=security or TransportSecurity.from_environment(environ=env),
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
