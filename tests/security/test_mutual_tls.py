"""Mutual TLS from the platform's own variables: Temporal's TEMPORAL_TLS_CA_PATH, TEMPORAL_TLS_CERT_PATH and
TEMPORAL_TLS_KEY_PATH, against a real HTTPS server on 127.0.0.1 that requires a client certificate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.bundle.desired import Bundle
from reconciler.errors import ConfigError, TransportError
from reconciler.providers.registry import open_provider
from tests.security.test_transport import self_signed, serving

BUNDLE = Bundle(key="tls", provider="temporal", target={"taskQueue": "agents"}, prune="archive")


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    server = self_signed(tmp_path_factory.mktemp("server"))
    client = self_signed(tmp_path_factory.mktemp("client"))
    return {"server": server[0], "server_key": server[1], "client": client[0], "client_key": client[1]}


@pytest.fixture(scope="module")
def url(certificates: dict[str, Path]) -> Iterator[str]:
    """A real HTTPS server on 127.0.0.1 that accepts one client certificate (any answer will do: the point is
    the handshake)."""
    with serving(
        "https", (certificates["server"], certificates["server_key"]), certificates["client"]
    ) as served:
        yield served.url


def lists(environ: dict[str, str]) -> int:
    opened = open_provider(BUNDLE, environ={"SSL_CERT_FILE": "", "SSL_CERT_DIR": "", **environ})
    try:
        return opened.client.request("GET", "/anything", expected=range(200, 600)).status_code
    finally:
        opened.client.close()


def test_the_client_certificate_from_temporals_variables_is_presented(
    url: str, certificates: dict[str, Path]
) -> None:
    environ = {
        "TEMPORAL_HTTP_ADDRESS": url,
        "TEMPORAL_TLS_CA_PATH": str(certificates["server"]),
        "TEMPORAL_TLS_CERT_PATH": str(certificates["client"]),
        "TEMPORAL_TLS_KEY_PATH": str(certificates["client_key"]),
    }
    assert lists(environ) > 0  # an answer: the handshake, client certificate included, succeeded


def test_without_a_client_certificate_the_server_refuses_the_connection(
    url: str, certificates: dict[str, Path]
) -> None:
    with pytest.raises(TransportError):
        lists({"TEMPORAL_HTTP_ADDRESS": url, "TEMPORAL_TLS_CA_PATH": str(certificates["server"])})


def test_without_the_ca_the_servers_certificate_is_not_trusted(
    url: str, certificates: dict[str, Path]
) -> None:
    environ = {
        "TEMPORAL_HTTP_ADDRESS": url,
        "TEMPORAL_TLS_CERT_PATH": str(certificates["client"]),
        "TEMPORAL_TLS_KEY_PATH": str(certificates["client_key"]),
    }
    with pytest.raises(TransportError, match="could not be verified"):
        lists(environ)


def test_an_unreadable_client_certificate_is_a_clear_error_naming_the_variables(
    url: str, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.pem"
    environ = {
        "TEMPORAL_HTTP_ADDRESS": url,
        "TEMPORAL_TLS_CERT_PATH": str(missing),
        "TEMPORAL_TLS_KEY_PATH": str(missing),
    }
    with pytest.raises(ConfigError, match="TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH: cannot load"):
        lists(environ)
