"""Mutual TLS from the platform's own variables: Temporal's TEMPORAL_TLS_CA_PATH, TEMPORAL_TLS_CERT_PATH and
TEMPORAL_TLS_KEY_PATH, against a real HTTPS server on 127.0.0.1 that requires a client certificate."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from reconciler.bundle.desired import Bundle
from reconciler.errors import ConfigError, TransportError
from reconciler.providers.registry import open_provider
from reconciler.sandbox.serve import bind
from tests.security.test_transport import self_signed

BUNDLE = Bundle(key="tls", provider="temporal", target={"taskQueue": "agents"}, prune="archive")


async def answer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": b'{"schedules": []}'})


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    server = self_signed(tmp_path_factory.mktemp("server"))
    client = self_signed(tmp_path_factory.mktemp("client"))
    return {"server": server[0], "server_key": server[1], "client": client[0], "client_key": client[1]}


@pytest.fixture(scope="module")
def url(certificates: dict[str, Path]) -> Iterator[str]:
    sock = bind("127.0.0.1", 0)
    config = uvicorn.Config(
        answer,
        interface="asgi3",
        lifespan="off",
        log_level="critical",
        access_log=False,
        ssl_certfile=str(certificates["server"]),
        ssl_keyfile=str(certificates["server_key"]),
        ssl_ca_certs=str(certificates["client"]),  # the one client certificate it accepts
        ssl_cert_reqs=ssl.CERT_REQUIRED,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.01)
    yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def lists(environ: dict[str, str]) -> int:
    opened = open_provider(BUNDLE, environ={"SSL_CERT_FILE": "", "SSL_CERT_DIR": "", **environ})
    try:
        return opened.client.request("GET", "/api/v1/namespaces/default/schedules").status_code
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
    assert lists(environ) == 200


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
