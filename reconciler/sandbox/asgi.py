"""Minimal ASGI vocabulary for the sandbox's pure-ASGI layers (auth, traffic shaping, stats).

`DROPPED` is what a layer returns to make the server close the connection without a response:
uvicorn closes the transport when an ASGI app returns anything but None, and the in-process
transports turn it into `httpx.RemoteProtocolError`. Raising would not do: uvicorn answers a 500.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[object]]

ADMIN_PREFIX = "/_sandbox"
ROUTE_KEY = "reconciler.sandbox.route"  # scope key: "METHOD /path/{template}"
FAULT_KEY = "reconciler.sandbox.fault"  # scope key: the fault injected into this request, if any


class _Dropped:
    """Returned by the app (never raised) to close the connection without an answer."""

    def __repr__(self) -> str:
        # uvicorn logs "ASGI callable should return None, but returned '<this>'" for each drop.
        return "reconciler-sandbox: connection dropped on purpose (fault injection)"


DROPPED: Final = _Dropped()


def is_admin(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def send_bytes(
    send: Send, status: int, body: bytes, headers: list[tuple[str, str]] | None = None
) -> None:
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers or []]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})
