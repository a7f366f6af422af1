"""Build a sandbox for one provider: `build_app(SandboxConfig(...))` gives an ASGI app.

Layers, outermost first: stats (names the route, counts outcomes) -> bearer auth -> traffic shaping
(latency, rate limit, faults) -> FastAPI (vendor routes + `/_sandbox/*`). Serve it with uvicorn
(`serve.py`) or in-process with `transport.in_process_transport`; plain `httpx.ASGITransport` works
too, except that an injected dropped connection then surfaces as an AssertionError.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from reconciler.sandbox.admin import add_admin_routes
from reconciler.sandbox.asgi import DROPPED, FAULT_KEY, ASGIApp, Receive, Scope, Send
from reconciler.sandbox.auth import AuthMiddleware
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.faults import TrafficMiddleware
from reconciler.sandbox.runtime import ApiError, Provider, Sandbox
from reconciler.sandbox.stats import StatsMiddleware
from reconciler.sandbox.store import Store

# The emulators of the built-in providers (their plugin descriptors name the same classes). The sandbox keeps
# its own list so that it stands alone, importing nothing of the providers it emulates.
PROVIDERS = {
    "cadenya": "reconciler.sandbox.cadenya.provider:CadenyaProvider",
    "agentex": "reconciler.sandbox.agentex.provider:AgentexProvider",
    "orq": "reconciler.sandbox.orq.provider:OrqProvider",
    "oz": "reconciler.sandbox.oz.provider:OzProvider",
    "tbd-agents": "reconciler.sandbox.tbd_agents.provider:TbdAgentsProvider",
}
PLUGIN_GROUP = "reconciler.providers"  # reconciler.providers.plugin.GROUP
PLANNED: tuple[str, ...] = ()  # emulators still to come


def load_provider(name: str) -> Provider:
    path = PROVIDERS.get(name) or _plugin_emulator(name)
    if not path:
        later = " (not emulated yet)" if name in PLANNED else ""
        available = sorted({*PROVIDERS, *_plugin_emulators()})
        raise ValueError(f"no sandbox for provider {name!r}{later}; available: {', '.join(available)}")
    module, _, cls = path.partition(":")
    provider: Provider = getattr(importlib.import_module(module), cls)()
    return provider


def _plugin_emulator(name: str) -> str:
    """The emulator ("module:Class") a provider plugin names in its descriptor's `sandbox.emulator`, or "".
    A third-party provider brings its emulator this way; the descriptor is read as plain data."""
    for point in metadata.entry_points(group=PLUGIN_GROUP, name=name):
        sandbox = getattr(point.load(), "sandbox", None)
        return str(getattr(sandbox, "emulator", "") or "")
    return ""


def _plugin_emulators() -> list[str]:
    """Names of the plugins (other than the built-ins) that bring an emulator (loaded: an error path only)."""
    others = {p.name for p in metadata.entry_points(group=PLUGIN_GROUP)} - set(PROVIDERS)
    return [name for name in others if _plugin_emulator(name)]


class SandboxApp:
    """The ASGI app; `.sandbox` is its state (store, clock, stats, traffic), `.api` the FastAPI inside."""

    def __init__(self, sandbox: Sandbox, api: FastAPI) -> None:
        self.sandbox = sandbox
        self.api = api
        error = sandbox.provider.error_body
        routes = _ClientGone(api)
        self._stack: ASGIApp = StatsMiddleware(
            AuthMiddleware(TrafficMiddleware(routes, sandbox.traffic, error), sandbox.config.api_keys, error),
            sandbox.stats,
            lambda: api.router.routes,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> object:
        if scope["type"] == "http":
            _route_on_segments(scope)
        # The result is passed on, not swallowed: returning DROPPED is how a fault closes the connection.
        return await self._stack(scope, receive, send)

    def close(self) -> None:
        self.sandbox.store.close()


ENCODED_SLASH = (
    "\u2215"  # what an encoded `/` inside one path segment reads as (no id the sandbox makes has it)
)


def _route_on_segments(scope: Scope) -> None:
    """Route the way the platforms' servers do: on the path's segments as sent, each decoded on its own, so
    a `%2F` inside a segment (an agent id `a/b`, sent as `a%2Fb`) stays in that segment. ASGI servers hand
    over the whole path decoded (`/agents/a/b/schedules`), which would route the request elsewhere; here that
    segment becomes `a\u2215b`, names nothing that exists, and is answered as an unknown id on its own route."""
    raw = scope.get("raw_path")
    if not isinstance(raw, bytes | bytearray) or b"%2f" not in raw.lower():
        return
    segments = bytes(raw).decode("latin-1").split("/")
    scope["path"] = "/".join(unquote(part).replace("/", ENCODED_SLASH) for part in segments)


class _ClientGone:
    """A client that hung up before its request body was read (it timed out, say) gets no answer and its
    request is not run, as on a real server. Without this, each one reached uvicorn as an "Exception in
    ASGI application" with a full traceback on stderr. `/_sandbox/stats` counts it as `disconnect`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> object:
        try:
            return await self.app(scope, receive, send)
        except ClientDisconnect:
            scope[FAULT_KEY] = "disconnect"
            return DROPPED


def build_app(config: SandboxConfig) -> SandboxApp:
    provider = load_provider(config.provider)
    api_revision = config.api or provider.revisions[0]
    if api_revision not in provider.revisions:
        raise ValueError(
            f"{provider.name} sandbox: unknown API revision {api_revision!r}; "
            f"available: {', '.join(provider.revisions)}"
        )
    sandbox = Sandbox(
        config=config,
        provider=provider,
        api=api_revision,
        workspace=config.workspace or provider.default_workspace,
        store=Store(config.db),
    )
    sandbox.seed()
    api = FastAPI(
        title=f"reconciler sandbox: {provider.name}", docs_url=None, redoc_url=None, openapi_url=None
    )
    _install_error_handlers(api, provider)
    provider.add_routes(sandbox, api.router)
    add_admin_routes(sandbox, api.router)
    return SandboxApp(sandbox, api)


def _install_error_handlers(api: FastAPI, provider: Provider) -> None:
    def respond(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        body = provider.error_body(status, message)
        return Response(body, status_code=status, media_type="application/json", headers=headers)

    async def api_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return respond(exc.status, exc.message, exc.headers)

    async def http_error(_: Request, exc: Exception) -> Response:
        # Routing misses (404 unknown path, 405 wrong method) in the provider's shape, not FastAPI's.
        assert isinstance(exc, HTTPException)
        return respond(exc.status_code, str(exc.detail), dict(exc.headers or {}))

    async def validation_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors: list[Any] = list(exc.errors())
        return respond(400, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))

    async def internal_error(_: Request, exc: Exception) -> Response:
        return respond(500, f"sandbox bug: {type(exc).__name__}: {exc}")

    api.add_exception_handler(ApiError, api_error)
    api.add_exception_handler(HTTPException, http_error)
    api.add_exception_handler(RequestValidationError, validation_error)
    api.add_exception_handler(Exception, internal_error)
