"""Transport security: TLS verified by default, `--insecure` only with a warning, plain http only to this machine.

A real HTTPS server on 127.0.0.1 (the Cadenya sandbox under uvicorn, with a self-signed certificate made
here) and the real CLI in a subprocess; the provider-by-provider checks run in-process through the same
`open_provider` the CLI uses.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reconciler.bundle.desired import Bundle
from reconciler.errors import ConfigError, TransportError
from reconciler.providers.http import ApiClient
from reconciler.providers.registry import CONNECTIONS, open_provider
from reconciler.providers.transport import TransportSecurity, check_endpoint, is_loopback
from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.serve import bind
from tests.conftest import Run, run_cli

KEY = "sk-transport-canary-5f3a9c"
WS = "ws_tls"
AGENT = "agent_a"
# Whatever the developer's shell has set must not decide these tests.
CLEAN_ENV = {"SSL_CERT_FILE": "", "SSL_CERT_DIR": "", "RECONCILER_ALLOW_HTTP": "", "RECONCILER_SANDBOX": ""}
UNTRUSTED = "TLS certificate could not be verified"


@dataclass
class Served:
    app: SandboxApp
    url: str

    def requests_seen(self) -> int:
        return int(self.app.sandbox.stats.snapshot()["total"])


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 only (no DNS name: `localhost` must not match it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reconciler transport test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@contextmanager
def serving(
    scheme: str, cert: tuple[Path, Path] | None = None, client_ca: Path | None = None
) -> Iterator[Served]:
    """The Cadenya sandbox on 127.0.0.1 in a thread, over TLS when `cert` is given; requiring a client
    certificate signed by `client_ca` when that is given (mutual TLS)."""
    app = build_app(SandboxConfig(provider="cadenya", api_keys=(KEY,), workspace=WS, agents=(AGENT,)))
    sock = bind("127.0.0.1", 0)
    config = uvicorn.Config(
        app,
        interface="asgi3",
        lifespan="off",
        log_level="critical",  # the refused handshakes are the point, not noise worth a log line
        access_log=False,
        ssl_certfile=str(cert[0]) if cert else None,
        ssl_keyfile=str(cert[1]) if cert else None,
        ssl_ca_certs=str(client_ca) if client_ca else None,
        ssl_cert_reqs=ssl.CERT_REQUIRED if client_ca else ssl.CERT_NONE,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.01)
    try:
        yield Served(app, f"{scheme}://127.0.0.1:{sock.getsockname()[1]}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.close()


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https(cert: tuple[Path, Path]) -> Iterator[Served]:
    with serving("https", cert) as served:
        yield served


@pytest.fixture(scope="module")
def plain() -> Iterator[Served]:
    with serving("http") as served:
        yield served


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One file for the module: its tests share one sandbox, and a bundleKey belongs to one file."""
    tmp_path = tmp_path_factory.mktemp("tls-bundle")
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "tls",
        "target": {"provider": "cadenya", "workspace": WS},
        "schedules": [{"name": "briefing", "agent": AGENT, "when": {"cron": "0 9 * * 1-5"}}],
    }
    path = tmp_path / "bundle.yaml"
    path.write_text(json.dumps(document))
    return str(path)


def cli(*args: str, **env: str) -> Run:
    result = run_cli(*args, env={**CLEAN_ENV, "CADENYA_API_KEY": KEY, **env})
    assert "Traceback" not in result.err and KEY not in result.out + result.err, result.err
    return result


# --- the CLI against a real HTTPS server -----------------------------------------------------------------


def test_the_default_refuses_a_self_signed_certificate_with_a_clear_error(https: Served, bundle: str) -> None:
    before = https.requests_seen()
    result = cli("plan", bundle, CADENYA_BASE_URL=https.url)
    assert result.code == 1
    assert result.err.startswith(
        f"error: could not reach {https.url}: its {UNTRUSTED} (self-signed certificate)"
    )
    assert "--ca-bundle FILE" in result.err and "--insecure" in result.err
    assert "WARNING" not in result.err
    assert https.requests_seen() == before  # the handshake failed: no request reached the platform


def test_insecure_connects_and_warns_on_every_command_and_every_run(https: Served, bundle: str) -> None:
    warning = f"WARNING: TLS certificate verification is OFF for {https.url} (--insecure)"
    planned = cli("plan", bundle, "--insecure", "--endpoint", https.url)
    assert planned.code == 0, planned.err
    assert "Plan: 1 to create" in planned.out, planned.out
    applied = cli("apply", bundle, "--insecure", "--auto-approve", "--endpoint", https.url)
    assert applied.code == 0, applied.err
    exported = cli(
        "export",
        "--provider",
        "cadenya",
        "--workspace",
        WS,
        "--bundle-key",
        "tls",
        "--insecure",
        CADENYA_BASE_URL=https.url,
    )
    assert exported.code == 0, exported.err
    assert "name: briefing" in exported.out
    for result in (planned, applied, exported):
        assert result.err.count(warning) == 1, result.err
        assert warning not in result.out  # stdout stays a clean plan / bundle


def test_apply_json_asks_to_confirm_with_the_same_endpoint_and_transport_flags(
    https: Served, bundle: str, tmp_path: Path
) -> None:
    changed = Path(bundle).read_text().replace("0 9 * * 1-5", "0 10 * * 1-5")
    Path(bundle).write_text(changed)
    result = cli("apply", bundle, "--format", "json", "--insecure", "--endpoint", https.url)
    assert result.code == 4, result.err
    command = json.loads(result.out)["command"]
    assert f"--endpoint {https.url}" in command and "--insecure" in command
    assert "TLS certificate verification is OFF" in result.err


def test_a_custom_ca_bundle_is_trusted_without_any_warning(
    https: Served, bundle: str, cert: tuple[Path, Path]
) -> None:
    result = cli("plan", bundle, "--ca-bundle", str(cert[0]), CADENYA_BASE_URL=https.url)
    assert result.code == 0, result.err
    assert "WARNING" not in result.err


def test_plain_http_to_another_machine_is_refused_naming_where_the_url_came_from(bundle: str) -> None:
    from_env = cli("plan", bundle, CADENYA_BASE_URL="http://schedules.invalid/v1")
    assert from_env.code == 1
    assert from_env.err.startswith("error: CADENYA_BASE_URL: http://schedules.invalid is plain http")
    assert "--allow-http (or RECONCILER_ALLOW_HTTP=1)" in from_env.err
    assert "could not reach" not in from_env.err  # refused before connecting, not a connection error
    flag = cli(
        "export", "--provider", "cadenya", "--workspace", WS, "--endpoint", "http://user:pw@10.1.2.3:8080"
    )
    assert flag.code == 1
    assert flag.err.startswith("error: --endpoint: http://10.1.2.3:8080 is plain http")
    assert "pw" not in flag.err


def test_plain_http_to_this_machine_needs_no_flag_and_warns_nothing(plain: Served, bundle: str) -> None:
    result = cli("plan", bundle, CADENYA_BASE_URL=plain.url)
    assert result.code == 0, result.err
    assert "WARNING" not in result.err
    assert plain.requests_seen() > 0


# --- every provider, in-process through open_provider ----------------------------------------------------


def provider_env(provider: str, url: str) -> dict[str, str]:
    connection = CONNECTIONS[provider]
    return {connection.base_url_env: url, connection.api_key_env: KEY, "CADENYA_WORKSPACE_ID": WS}


def scope(provider: str) -> Bundle:
    return Bundle(key="tls", provider=provider, target={}, prune="archive")


@pytest.mark.parametrize("provider", sorted(CONNECTIONS))
def test_every_provider_verifies_certificates_and_does_not_retry_a_refused_one(
    https: Served, provider: str
) -> None:
    opened = open_provider(
        scope(provider), environ=provider_env(provider, https.url), security=TransportSecurity()
    )
    try:
        with pytest.raises(TransportError, match=UNTRUSTED) as caught:
            opened.client.request("GET", "/anything")
        assert opened.client.stats.requests == 1  # retrying cannot make a certificate trusted
        assert KEY not in str(caught.value)
    finally:
        opened.client.close()


@pytest.mark.parametrize("provider", sorted(CONNECTIONS))
def test_every_provider_refuses_plain_http_to_another_machine(provider: str) -> None:
    variable = CONNECTIONS[provider].base_url_env
    with pytest.raises(ConfigError, match=rf"^{variable}: http://schedules\.invalid is plain http"):
        open_provider(scope(provider), environ=provider_env(provider, "http://schedules.invalid"))


@pytest.mark.parametrize("provider", sorted(CONNECTIONS))
def test_every_provider_trusts_the_cas_in_ssl_cert_file(
    https: Served, cert: tuple[Path, Path], provider: str
) -> None:
    environ = {**provider_env(provider, https.url), "SSL_CERT_FILE": str(cert[0])}
    opened = open_provider(scope(provider), environ=environ)
    try:
        assert opened.client.warnings == ()
        opened.client.request("GET", "/anything", expected=range(200, 600))  # any answer: TLS was accepted
    finally:
        opened.client.close()
    assert https.requests_seen() > 0


def test_a_certificate_for_another_host_is_refused_even_from_a_trusted_ca(
    https: Served, cert: tuple[Path, Path]
) -> None:
    by_name = https.url.replace("127.0.0.1", "localhost")  # the certificate names 127.0.0.1 only
    client = ApiClient(by_name, security=TransportSecurity(ca_file=str(cert[0])))
    with client, pytest.raises(TransportError, match=UNTRUSTED + r" \(Hostname mismatch"):
        client.request("GET", "/anything")


def test_an_unreadable_ca_bundle_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(ConfigError, match=rf"^--ca-bundle: cannot load CA certificates from {missing}"):
        TransportSecurity.from_environment(ca_bundle=str(missing), environ={}).verify()
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ConfigError, match=r"^SSL_CERT_FILE: cannot load CA certificates"):
        TransportSecurity.from_environment(environ={"SSL_CERT_FILE": str(garbage)}).verify()


# --- the endpoint rule itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "http://127.9.8.7/v1",
        "http://[::1]:80",
        "http://localhost:1",
        "http://LOCALHOST.",
    ],
)
def test_loopback_http_is_allowed_silently(url: str) -> None:
    assert check_endpoint(httpx.URL(url), source="X_URL", security=TransportSecurity()) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1",
        "http://0.0.0.0:8080",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "http://[::ffff:10.0.0.1]",
        "http://[fe80::1]",
    ],
)
def test_http_elsewhere_is_refused_unless_allowed_and_then_warned(url: str) -> None:
    with pytest.raises(ConfigError, match=r"^X_URL: http://\S+ is plain http to another machine"):
        check_endpoint(httpx.URL(url), source="X_URL", security=TransportSecurity())
    allowed = TransportSecurity.from_environment(environ={"RECONCILER_ALLOW_HTTP": "1"})
    [warning] = check_endpoint(httpx.URL(url), source="X_URL", security=allowed)
    assert "plain http" in warning and "unencrypted" in warning


def test_ipv4_mapped_loopback_counts_as_loopback() -> None:
    assert is_loopback("::ffff:127.0.0.1") and not is_loopback("::ffff:10.0.0.1")


@pytest.mark.parametrize("url", ["api.cadenya.com", "ftp://api.cadenya.com", "https://"])
def test_a_base_url_that_is_not_http_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match=r"^X_URL: .* is not an http\(s\) URL"):
        check_endpoint(httpx.URL(url), source="X_URL", security=TransportSecurity())


def test_allow_http_off_values_keep_it_refused() -> None:
    for value in ("", "0", "false", "no", "off", "OFF", " No "):
        assert not TransportSecurity.from_environment(environ={"RECONCILER_ALLOW_HTTP": value}).allow_http
    for value in ("1", "true", "yes", "on", "TRUE"):
        assert TransportSecurity.from_environment(environ={"RECONCILER_ALLOW_HTTP": value}).allow_http


@pytest.mark.parametrize("value", ["n", "disabled", "none", "2", "enable"])
@pytest.mark.parametrize("variable", ["RECONCILER_ALLOW_HTTP", "RECONCILER_SANDBOX"])
def test_a_switch_set_to_neither_on_nor_off_is_an_error_before_any_request(
    bundle: str, variable: str, value: str
) -> None:
    """`RECONCILER_ALLOW_HTTP=n` used to allow plain http (anything but a short list of off values did)."""
    result = cli("plan", bundle, CADENYA_BASE_URL="http://schedules.invalid/v1", **{variable: value})
    assert result.code == 1
    assert result.err.startswith(f"error: {variable}={value!r} is neither on nor off")
    assert "could not reach" not in result.err and "WARNING" not in result.err


def test_allow_http_off_refuses_plain_http_through_the_cli(bundle: str) -> None:
    result = cli("plan", bundle, CADENYA_BASE_URL="http://schedules.invalid/v1", RECONCILER_ALLOW_HTTP="off")
    assert result.code == 1
    assert "is plain http to another machine" in result.err


def test_https_with_verification_on_warns_nothing_and_insecure_always_warns() -> None:
    url = httpx.URL("https://api.example.test/v1")
    assert check_endpoint(url, source="X_URL", security=TransportSecurity()) == []
    [warning] = check_endpoint(url, source="X_URL", security=TransportSecurity(insecure=True))
    assert warning.startswith("TLS certificate verification is OFF for https://api.example.test")
