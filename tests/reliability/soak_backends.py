"""Where a soak sends its CLI and reads the platform, and how it turns faults on: a `reconciler sandbox serve`
(its `/_sandbox/*` admin: traffic, reset, stats), or a real server behind a fault proxy (Temporal's dev
server, soak_temporal.py)."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

import httpx

from tests.reliability.soak_platforms import Platform
from tests.sandbox_server import API_KEY, Server, running_sandbox

FAULT_KINDS = ["500", "503", "429", "drop", "lost"]


class Backend(Protocol):
    """The server a soak drives and its fault switch: a sandbox's admin surface, or a proxy in front of a
    real server (Temporal)."""

    url: str  # where the readers (SDKs, plain HTTP) reach the platform: never through the faults
    endpoint: str  # where the CLI reaches it (`--endpoint`)
    env: dict[str, str]  # the variables the CLI needs besides the endpoint

    def reset(self) -> None: ...  # an empty platform, faults off
    def faults(self, rate: float, seed: int, latency: str | None) -> None: ...
    def quiet(self) -> None: ...  # faults off
    def seen(self) -> Counter[str]: ...  # requests, faults of each kind and timeouts so far
    def close(self) -> None: ...


class SandboxBackend:
    """`reconciler sandbox serve`: its `/_sandbox/*` admin turns faults on and counts what it answered."""

    def __init__(self, server: Server, platform: Platform) -> None:
        self.url = self.endpoint = server.url
        self.env = {platform.key_env: API_KEY}
        self.admin = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10
        )

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        response = self.admin.request(method, f"/_sandbox/{path}", json=body)
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self) -> None:
        self._admin("POST", "reset")
        self._admin("POST", "traffic", {"faultRate": 0, "retryAfter": 0, "faultKinds": FAULT_KINDS})

    def faults(self, rate: float, seed: int, latency: str | None) -> None:
        self._admin("POST", "traffic", {"faultRate": rate, "seed": seed, "latency": latency})

    def quiet(self) -> None:
        self._admin("POST", "traffic", {"faultRate": 0, "latency": None})

    def seen(self) -> Counter[str]:
        """With faults off the sandbox answers none of these statuses, so each one was injected."""
        stats = self._admin("GET", "stats")
        seen: Counter[str] = Counter({"requests": int(stats["total"])})
        for statuses in stats["routes"].values():
            seen.update({k: n for k, n in statuses.items() if k in FAULT_KINDS})
            # A request whose client timed out before the server read it (a GET that timed out is still
            # answered, so this undercounts timeouts).
            seen["timeout"] += statuses.get("disconnect", 0)
        return seen

    def close(self) -> None:
        self.admin.close()


@contextlib.contextmanager
def sandbox_backend(platform: Platform) -> Iterator[Backend]:
    with running_sandbox(platform.provider, *platform.serve_args) as server:
        yield SandboxBackend(server, platform)


def backend_for(platform: Platform) -> AbstractContextManager[Backend]:
    if platform.provider == "temporal":  # no emulator: the real dev server, faults from a proxy
        from tests.reliability.soak_temporal import temporal_backend

        return temporal_backend()
    return sandbox_backend(platform)
