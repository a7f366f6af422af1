"""The embedded sandbox: a provider's emulator in this process, its state in a file under `.reconciler/`.

`reconciler plan/apply --sandbox` talk to it through the same HTTP client as to a real platform, with no
socket. The bundle's workspace and agents are created on first use, so a fresh clone just works.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport

_apps: dict[tuple[str, str | None, str], tuple[SandboxApp, httpx.BaseTransport]] = {}
_lock = threading.Lock()


def embedded_transport(
    provider: str, db: Path, api_key: str, target: Mapping[str, Any], agents: Iterable[str]
) -> httpx.BaseTransport:
    """A transport to the shared in-process sandbox of `provider`, with `target`'s workspace and `agents`."""
    api = target.get("api")  # the API revision the bundle targets (agentex: legacy or run-schedules)
    key = (provider, api, str(db))
    with _lock:
        if key not in _apps:
            db.parent.mkdir(parents=True, exist_ok=True)
            app = build_app(SandboxConfig(provider=provider, api=api, db=str(db), api_keys=(api_key,)))
            _apps[key] = (app, in_process_transport(app))
        app, transport = _apps[key]
    sandbox = app.sandbox
    workspace = str(target.get("workspace") or sandbox.workspace)
    sandbox.provider.ensure_workspace(sandbox, workspace)
    for agent in agents:
        sandbox.provider.ensure_agent(sandbox, agent, workspace, None, {})
    return _Unclosable(transport)


class _Unclosable(httpx.BaseTransport):
    """Clients come and go; the shared transport and app live until the process exits."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)

    def close(self) -> None:
        pass


@atexit.register
def _close_all() -> None:
    for app, transport in _apps.values():
        transport.close()
        app.close()
