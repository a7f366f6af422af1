"""Start `reconciler sandbox serve` as a real subprocess on 127.0.0.1 and talk to its admin surface: the
conformance kit's server (reconciler.testing.servers), under the names the tests have always used."""

from __future__ import annotations

from typing import Any

import httpx

from reconciler.testing.servers import SANDBOX_KEY as API_KEY
from reconciler.testing.servers import SandboxServer as Server
from reconciler.testing.servers import serve_sandbox as running_sandbox

__all__ = ["API_KEY", "Server", "admin_request", "running_sandbox"]


def admin_request(url: str, api_key: str, method: str, path: str, body: Any = None) -> Any:
    """A call to a sandbox's `/_sandbox/*` admin surface; its JSON answer, or None."""
    response = httpx.request(
        method, f"{url}/_sandbox/{path}", json=body, headers={"Authorization": f"Bearer {api_key}"}
    )
    response.raise_for_status()
    return response.json() if response.content else None
