"""In-process transports: talk to a sandbox app through httpx without a socket (the embedded sandbox).

`in_process_transport(app)` is a sync `httpx.BaseTransport` (the reconciler's client is sync): it
runs the ASGI app on a private event-loop thread. `in_process_async_transport(app)` is the async
twin. Both turn an injected dropped connection into `httpx.RemoteProtocolError`, as a socket would.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any

import httpx

from reconciler.sandbox.asgi import DROPPED, ASGIApp


class _Dropped(Exception):
    pass


class _AsyncTransport(httpx.ASGITransport):
    def __init__(self, app: ASGIApp) -> None:
        async def run(scope: Any, receive: Any, send: Any) -> None:
            if await app(scope, receive, send) is DROPPED:
                raise _Dropped

        super().__init__(app=run)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except _Dropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None


class _SyncTransport(httpx.BaseTransport):
    def __init__(self, app: ASGIApp) -> None:
        self._inner = _AsyncTransport(app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sandbox-asgi", daemon=True)
        self._thread.start()

    async def _call(self, request: httpx.Request) -> tuple[int, httpx.Headers, bytes]:
        response = await self._inner.handle_async_request(request)
        return response.status_code, response.headers, await response.aread()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # Re-wrap the body: the sync request's stream cannot be read from the loop thread.
        copy = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=request.read(),
            extensions=request.extensions,
        )
        future = asyncio.run_coroutine_threadsafe(self._call(copy), self._loop)
        timeout = request.extensions.get("timeout", {}).get("read")  # the client's read timeout, if any
        try:
            status, headers, body = future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            message = f"no answer from the in-process sandbox within {timeout} s"
            raise httpx.ReadTimeout(message, request=request) from None
        except httpx.TransportError as exc:
            raise type(exc)(str(exc), request=request) from exc
        return httpx.Response(status, headers=headers, content=body)

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()


def in_process_transport(app: ASGIApp) -> httpx.BaseTransport:
    """For `httpx.Client(transport=..., base_url="http://sandbox")`; safe to share between threads."""
    return _SyncTransport(app)


def in_process_async_transport(app: ASGIApp) -> httpx.AsyncBaseTransport:
    return _AsyncTransport(app)
