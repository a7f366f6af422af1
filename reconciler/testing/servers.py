"""Two ways a Platform's server runs: `reconciler sandbox serve` as a subprocess on 127.0.0.1 (the built-in
providers, and any provider that registers a sandbox), or a real server started elsewhere (a Temporal dev
server, a vendor's staging tenant) described by its URL and the variables the CLI needs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler.providers.registry import CONNECTIONS
from reconciler.testing.platform import trusted_tls

SANDBOX_KEY = "test-key-0123456789"


@dataclass
class SandboxServer:
    """A `reconciler sandbox serve` subprocess and its admin surface (`/_sandbox/*`)."""

    url: str
    env: dict[str, str]  # the variables `serve` told us to export, plus the API key the CLI reads
    url_env: str
    proc: subprocess.Popen[str]
    api_key: str = SANDBOX_KEY
    stderr: deque[str] = field(default_factory=lambda: deque(maxlen=500))  # its last lines

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method, f"{self.url}/_sandbox/{path}", json=body, headers=self.headers, verify=trusted_tls()
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self) -> None:
        self.admin("POST", "reset")


@contextmanager
def serve_sandbox(provider: str, *args: str, api_key: str = SANDBOX_KEY) -> Iterator[SandboxServer]:
    """`python -m reconciler sandbox serve --provider PROVIDER --port 0 ARGS`, until the block ends."""
    argv = ["sandbox", "serve", "--provider", provider, "--port", "0", "--api-key", api_key, *args]
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        exported: dict[str, str] = {}
        for line in proc.stdout:  # `export NAME=value` lines, then the "# Ctrl-C ..." hint
            found = re.match(r"^export (\w+)=(\S+)$", line.strip())
            if found:
                exported[found.group(1)] = found.group(2).strip("'")
            if line.startswith("# Ctrl-C"):
                break
        url_env = CONNECTIONS[provider].base_url_env if provider in CONNECTIONS else ""
        if url_env not in exported:
            url_env = next(k for k in exported if k.endswith(("_BASE_URL", "_SERVER_URL", "_URL")))
        key_env = CONNECTIONS[provider].api_key_env if provider in CONNECTIONS else None
        env = {**exported, **({key_env: api_key} if key_env else {})}
        server = SandboxServer(exported[url_env], env, url_env, proc, api_key)
        # Both pipes are drained for as long as the server runs: a full pipe would block its next write.
        for stream, keep in ((proc.stderr, server.stderr), (proc.stdout, deque[str](maxlen=100))):
            threading.Thread(target=keep.extend, args=(stream,), daemon=True).start()
        yield server
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def sandbox(provider: str, *args: str) -> Callable[[], AbstractContextManager[SandboxServer]]:
    """A Platform's `server`: the provider's sandbox, started with `args` (`--api`, `--agents`, ...)."""
    return lambda: serve_sandbox(provider, *args)


@dataclass
class ExternalServer:
    """A server the kit did not start (a real Temporal dev server, a staging tenant): its URL, the variables
    the CLI needs, and how to empty it between scenarios."""

    url: str
    env: dict[str, str]
    url_env: str
    empty: Callable[[], None]
    headers: dict[str, str] = field(default_factory=dict)

    def reset(self) -> None:
        self.empty()


def external(
    url: str,
    env: Mapping[str, str],
    url_env: str,
    empty: Callable[[], None],
    headers: Mapping[str, str] | None = None,
) -> Callable[[], AbstractContextManager[ExternalServer]]:
    """A Platform's `server` for one that is already running (its owner starts and stops it)."""

    @contextmanager
    def started() -> Iterator[ExternalServer]:
        yield ExternalServer(url, dict(env), url_env, empty, dict(headers or {}))

    return started
