"""Request counts per route template and outcome, served by `GET /_sandbox/stats`.

The outermost ASGI layer: it names the route before anything else runs (the fault log uses the
name too) and records the final outcome, an HTTP status or the injected `drop` / `lost`.
Only vendor routes are counted, so tests can assert "plan made exactly N requests".
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from starlette.routing import BaseRoute, Match

from reconciler.sandbox.asgi import (
    DROPPED,
    FAULT_KEY,
    ROUTE_KEY,
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    is_admin,
)


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def record(self, route: str, outcome: str) -> None:
        with self._lock:
            self._counts[route, outcome] += 1

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()

    def snapshot(self) -> dict[str, Any]:
        """{"total": N, "routes": {"GET /v1/...": {"200": 3, "drop": 1}}}"""
        with self._lock:
            items = sorted(self._counts.items())
        routes: dict[str, dict[str, int]] = {}
        for (route, outcome), n in items:
            routes.setdefault(route, {})[outcome] = n
        return {"total": sum(n for _, n in items), "routes": routes}


def route_name(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """'METHOD /template' of the route the router will pick; a path-only match (405) names its route."""
    partial: BaseRoute | None = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            partial = route
            break
        if match is Match.PARTIAL and partial is None:
            partial = route
    template = getattr(partial, "path", None) if partial is not None else None
    return f"{scope.get('method', '?')} {template or '(no route)'}"


class StatsMiddleware:
    def __init__(self, app: ASGIApp, stats: Stats, routes: Callable[[], Sequence[BaseRoute]]) -> None:
        self.app = app
        self.stats = stats
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> object:
        if scope["type"] != "http" or is_admin(scope):
            return await self.app(scope, receive, send)
        route = route_name(self.routes(), scope)
        scope[ROUTE_KEY] = route
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        try:
            result = await self.app(scope, receive, watch)
        except BaseException:
            self.stats.record(route, str(status[0]) if status else "error")
            raise
        if result is DROPPED:
            self.stats.record(route, str(scope.get(FAULT_KEY, "drop")))
        else:
            self.stats.record(route, str(status[0]) if status else "none")
        return result
