"""Start `reconciler sandbox serve` as a real subprocess on 127.0.0.1 and talk to its admin surface."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler.providers.registry import CONNECTIONS

API_KEY = "test-key-0123456789"


@dataclass
class Server:
    url: str
    env: dict[str, str]  # the variables `serve` told us to export (plus the API key the CLI reads)
    proc: subprocess.Popen[str]
    stderr: deque[str] = field(default_factory=lambda: deque(maxlen=500))  # its last lines, read as they come

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        return admin_request(self.url, API_KEY, method, path, body)


def admin_request(url: str, api_key: str, method: str, path: str, body: Any = None) -> Any:
    """A call to a sandbox's `/_sandbox/*` admin surface; its JSON answer, or None."""
    response = httpx.request(
        method, f"{url}/_sandbox/{path}", json=body, headers={"Authorization": f"Bearer {api_key}"}
    )
    response.raise_for_status()
    return response.json() if response.content else None


@contextmanager
def running_sandbox(provider: str, *args: str) -> Iterator[Server]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "sandbox",
            "serve",
            "--provider",
            provider,
            "--port",
            "0",
            "--api-key",
            API_KEY,
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    env: dict[str, str] = {}
    url = ""
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            found = re.match(r"^export (\w+)=(\S+)$", line.strip())
            if found:
                env[found.group(1)] = found.group(2).strip("'")
            if line.startswith("# Ctrl-C"):
                break
        url = next(v for k, v in env.items() if k.endswith(("_BASE_URL", "_SERVER_URL")))
        env = {**env, CONNECTIONS[provider].api_key_env: API_KEY}
        server = Server(url, env, proc)
        # Both pipes are read for as long as the server runs: a full pipe (64 KiB of log lines) would block
        # the server's next write, and with it every request.
        assert proc.stderr is not None
        for stream, keep in ((proc.stderr, server.stderr), (proc.stdout, deque[str](maxlen=100))):
            threading.Thread(target=keep.extend, args=(stream,), daemon=True).start()
        yield server
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
