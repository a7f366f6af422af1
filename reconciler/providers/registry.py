"""Open the right provider for a bundle: endpoint and API key from the environment (named like each vendor's
own SDK), `--endpoint`, or the embedded sandbox. Credentials never come from a bundle."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import httpx

from reconciler.bundle.desired import Bundle
from reconciler.errors import ConfigError
from reconciler.providers import plugin
from reconciler.providers.base import Provider
from reconciler.providers.http import ApiClient
from reconciler.providers.plugin import Connection, ProviderPlugin
from reconciler.providers.shared_reads import RequestSlots
from reconciler.providers.transport import TransportSecurity

__all__ = ["CONNECTIONS", "IMPLEMENTATIONS", "Connection", "open_provider"]
T = TypeVar("T")

EMBEDDED_DB = Path(".reconciler") / "sandbox.sqlite"
EMBEDDED_KEY = "embedded-sandbox"


class _PluginView(Mapping[str, T]):
    """provider -> one field of its plugin descriptor (`reconciler.providers.plugin`), for every installed
    provider; `in` and a lookup load only that provider's descriptor."""

    def __init__(self, pick: Callable[[ProviderPlugin], T]) -> None:
        self._pick = pick

    def __getitem__(self, name: str) -> T:
        found = plugin.find(name)
        if found is None:
            raise KeyError(name)
        return self._pick(found)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in plugin.names()

    def __iter__(self) -> Iterator[str]:
        return iter(plugin.names())

    def __len__(self) -> int:
        return len(plugin.names())


# provider -> "module:Class"; each class takes (client, bundle, digest_key, *, environ, parallelism).
IMPLEMENTATIONS: Mapping[str, str] = _PluginView(lambda p: p.provider)
CONNECTIONS: Mapping[str, Connection] = _PluginView(lambda p: p.connection)


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
    slots: RequestSlots | None = None,
) -> Provider:
    """The provider for `bundle`; the endpoint is checked (`reconciler.providers.transport`) before any
    request, and `provider.client.warnings` holds what the caller must show (plain http, --insecure).
    `slots`: the run's cap on requests in flight, when several providers share it."""
    env = os.environ if environ is None else environ
    found = plugin.get(bundle.provider)  # an unknown provider: a ConfigError naming the installed ones
    connection = found.connection
    transport: httpx.BaseTransport | None = None
    api_key: str | None
    source = "--endpoint"
    if sandbox or endpoint == "sandbox":
        if not found.sandbox.emulator:
            how = (
                f": start one with `reconciler sandbox serve --provider {bundle.provider}` and export what it "
                "prints"
                if found.sandbox.start
                else ""
            )
            raise ConfigError(f"{bundle.provider} has no embedded sandbox (--sandbox){how}")
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
        security=_security(connection, env, security),
        url_source=source,
        slots=slots,
    )
    try:  # the provider's module is imported here, for the one provider the bundle uses
        cls: type[Provider] = plugin.load_attribute(found.provider, f"provider '{bundle.provider}'")
    except ConfigError:
        client.close()
        raise
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


def _security(
    connection: Connection, env: Mapping[str, str], given: TransportSecurity | None
) -> TransportSecurity:
    """The CLI's (or the environment's) transport security, plus what the platform's own variables add: a CA
    file where no other was named, a client certificate for mutual TLS."""
    security = given or TransportSecurity.from_environment(environ=env)
    if connection.ca_env and env.get(connection.ca_env) and security.ca_source == "certifi":
        security = replace(security, ca_file=env[connection.ca_env], ca_source=connection.ca_env)
    cert = env.get(connection.cert_env) if connection.cert_env else None
    if cert:
        key = env.get(connection.key_env) if connection.key_env else None
        source = " and ".join(n for n in (connection.cert_env, connection.key_env if key else None) if n)
        security = replace(security, client_cert=cert, client_key=key or None, client_source=source)
    return security
