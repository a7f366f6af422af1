"""Transport security for every platform connection: which URLs may be used, and how TLS is verified.

- TLS certificates are verified by default, against certifi's CAs, or `SSL_CERT_FILE` / `SSL_CERT_DIR`
  when set, or `--ca-bundle FILE` (which wins). `--insecure` turns verification off, and every run that
  uses it says so on stderr.
- `http://` is for this machine only (127.0.0.0/8, ::1, `localhost`): a plain-text URL to any other host
  would send the API key unencrypted, so it is refused before any request, naming where the URL came from,
  unless `--allow-http` (or `RECONCILER_ALLOW_HTTP=1`) allows it, again with a warning every run.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

import certifi
import httpx

from reconciler.envflag import ALLOW_HTTP_ENV, env_flag
from reconciler.errors import ConfigError


@dataclass(frozen=True)
class TransportSecurity:
    """How connections are secured; `from_environment` builds it from the CLI flags and the environment."""

    insecure: bool = False  # --insecure: TLS certificates are not verified
    allow_http: bool = False  # --allow-http / RECONCILER_ALLOW_HTTP=1: plain http to other hosts
    ca_file: str | None = None  # trusted CAs (PEM), instead of certifi's
    ca_dir: str | None = None  # a directory of hashed CA certificates (SSL_CERT_DIR)
    ca_source: str = "certifi"  # where the CAs came from, for messages: --ca-bundle, SSL_CERT_FILE, ...
    # A client certificate and its key (PEM files) for servers that authenticate clients by TLS (mutual
    # TLS: Temporal Cloud and many self-hosted Temporal servers); `client_source` names where they came from.
    client_cert: str | None = None
    client_key: str | None = None
    client_source: str = ""

    @classmethod
    def from_environment(
        cls,
        *,
        insecure: bool = False,
        allow_http: bool = False,
        ca_bundle: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> TransportSecurity:
        env = os.environ if environ is None else environ
        allow = env_flag(env, ALLOW_HTTP_ENV) or allow_http
        if ca_bundle:
            return cls(insecure, allow, ca_file=ca_bundle, ca_source="--ca-bundle")
        if env.get("SSL_CERT_FILE"):
            return cls(insecure, allow, ca_file=env["SSL_CERT_FILE"], ca_source="SSL_CERT_FILE")
        if env.get("SSL_CERT_DIR"):
            return cls(insecure, allow, ca_dir=env["SSL_CERT_DIR"], ca_source="SSL_CERT_DIR")
        return cls(insecure, allow)

    def verify(self) -> ssl.SSLContext | bool:
        """What `httpx.Client(verify=...)` takes: False with --insecure, else a verifying context; with a
        client certificate, a context of its own that presents it."""
        if self.client_cert:
            return self._client_context()
        if self.insecure:
            return False
        where = self.ca_file or self.ca_dir
        try:
            return _verifying_context(self.ca_file, self.ca_dir)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"{self.ca_source}: cannot load CA certificates from {where}: {_reason(exc)}"
            ) from None

    def _client_context(self) -> ssl.SSLContext:
        if self.insecure:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            try:
                context = ssl.create_default_context(
                    cafile=self.ca_file or (None if self.ca_dir else certifi.where()), capath=self.ca_dir
                )
            except (OSError, ssl.SSLError) as exc:
                where = self.ca_file or self.ca_dir
                raise ConfigError(
                    f"{self.ca_source}: cannot load CA certificates from {where}: {_reason(exc)}"
                ) from None
        try:
            context.load_cert_chain(str(self.client_cert), self.client_key)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"{self.client_source}: cannot load the client certificate {self.client_cert}"
                f"{' and key ' + self.client_key if self.client_key else ''}: {_reason(exc)}"
            ) from None
        return context


def _reason(exc: OSError | ssl.SSLError) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


@functools.lru_cache(maxsize=8)
def _verifying_context(ca_file: str | None, ca_dir: str | None) -> ssl.SSLContext:
    """One context per set of trusted CAs and process: loading certifi's store costs ~40 ms a client."""
    if ca_file is None and ca_dir is None:
        return ssl.create_default_context(cafile=certifi.where())
    return ssl.create_default_context(cafile=ca_file, capath=ca_dir)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 (also IPv4-mapped) or the name `localhost`: traffic that never leaves this machine."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def check_endpoint(url: httpx.URL, *, source: str, security: TransportSecurity) -> list[str]:
    """Refuse a base URL that is not http(s), or is plain http to another machine unless allowed.

    `source` names where the URL came from (`CADENYA_BASE_URL`, `--endpoint`). Returns the warnings to
    show for it (plain http allowed explicitly; TLS verification off). Pure: no request is made.
    """
    origin = f"{url.scheme}://{url.netloc.decode('ascii')}" if url.host else str(url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(
            f"{source}: {_without_userinfo(url)!r} is not an http(s) URL: write https://host/..."
        )
    warnings: list[str] = []
    if url.scheme == "http" and not is_loopback(url.host):
        if not security.allow_http:
            raise ConfigError(
                f"{source}: {origin} is plain http to another machine: requests and the API key would travel "
                f"unencrypted. Use https://, or allow it explicitly with --allow-http (or {ALLOW_HTTP_ENV}=1)"
            )
        warnings.append(
            f"{origin} ({source}) is plain http, allowed by --allow-http or {ALLOW_HTTP_ENV}: requests and "
            "the API key travel unencrypted"
        )
    if url.scheme == "https" and security.insecure:
        warnings.append(
            f"TLS certificate verification is OFF for {origin} (--insecure): anyone on the network path can "
            "impersonate the platform and read the API key. For a private CA use --ca-bundle FILE instead"
        )
    return warnings


def _without_userinfo(url: httpx.URL) -> str:
    return str(url.copy_with(userinfo=b"")) if url.userinfo else str(url)
