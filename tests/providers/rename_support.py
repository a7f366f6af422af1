"""What the rename tests of the providers share: an in-process sandbox, bundles loaded the way `plan` loads
them, providers built on them, and the sandbox's own count of requests (`GET /_sandbox/stats`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.validate import load_bundles
from reconciler.providers.base import Provider
from reconciler.providers.http import ApiClient, RetryPolicy
from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport

API_KEY = "rename-key"
DIGEST_KEY = b"rename-digest-key"


class LostAnswer(httpx.ReadTimeout):
    """The request reached the server and was carried out; its answer never came back."""


@dataclass
class LoseWrites(httpx.BaseTransport):
    """Passes every request on, and loses the answer to every write (a GET is answered)."""

    inner: httpx.BaseTransport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method != "GET":
            response.read()
            raise LostAnswer("the answer was lost", request=request)
        return response


@dataclass
class Sandbox:
    app: SandboxApp
    admin: httpx.Client
    kind: type[Provider]
    target: dict[str, Any]
    tmp_path: Path

    def bundle(self, key: str, schedules: list[dict[str, Any]], file: str = "") -> Bundle:
        """The bundle `key` holding `schedules`, loaded and validated as `plan` does."""
        document = {
            "apiVersion": "reconciler/v1",
            "kind": "Bundle",
            "bundleKey": key,
            "target": self.target,
            "schedules": schedules,
        }
        path = self.tmp_path / (file or f"{key}-{len(list(self.tmp_path.iterdir()))}.yaml")
        path.write_text(json.dumps(document))
        loaded = load_bundles([str(path)], environ={})
        assert not loaded.diagnostics, loaded.diagnostics
        [bundle] = loaded.bundles
        return bundle

    def provider(self, bundle: Bundle, *, lose_writes: bool = False) -> Provider:
        transport: httpx.BaseTransport = in_process_transport(self.app)
        if lose_writes:
            transport = LoseWrites(transport)
        client = ApiClient(
            "http://sandbox", api_key=API_KEY, transport=transport, retry=RetryPolicy(max_attempts=1)
        )
        return self.kind(client, bundle, DIGEST_KEY, environ={})

    def desired(self, provider: Provider, name: str) -> DesiredSchedule:
        """The bundle's schedule `name`, normalised as the planner compares it."""
        [schedule] = [s for s in provider.bundle.schedules if s.name == name]
        return provider.normalise(schedule)

    def clock(self, **body: str) -> int:
        """Set or move the sandbox clock; the number of fires that fell due."""
        answer = self.admin.post("/_sandbox/clock", json=body)
        answer.raise_for_status()
        return int(answer.json().get("fired", 0))

    def reset_stats(self) -> None:
        self.app.sandbox.stats.clear()

    def writes(self) -> list[str]:
        """Every request since `reset_stats` that was not a GET, one entry per request, as the sandbox
        counted them (`GET /_sandbox/stats`)."""
        routes = self.admin.get("/_sandbox/stats").json()["routes"]
        return sorted(
            route
            for route, outcomes in routes.items()
            if not route.startswith("GET ")
            for _ in range(sum(outcomes.values()))
        )


@contextmanager
def sandbox(
    tmp_path: Path,
    kind: type[Provider],
    target: dict[str, Any],
    *,
    workspace: str | None,
    agents: tuple[str, ...],
) -> Iterator[Sandbox]:
    config = SandboxConfig(provider=kind.name, workspace=workspace, agents=agents, api_keys=(API_KEY,))
    app = build_app(config)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    bundles = tmp_path / "bundles"
    bundles.mkdir()
    try:
        with httpx.Client(
            transport=in_process_transport(app), base_url="http://sandbox", headers=headers
        ) as admin:
            yield Sandbox(app, admin, kind, target, bundles)
    finally:
        app.close()
