"""Bearer-token check for every sandbox route, vendor and admin alike.

Runs before traffic shaping, so an unauthenticated request is neither delayed nor counted towards
the fault sequence; the 401 body is the provider's own error shape.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from reconciler.sandbox.asgi import ASGIApp, Receive, Scope, Send, header, send_bytes


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class AuthMiddleware:
    def __init__(
        self, app: ASGIApp, api_keys: tuple[str, ...], error_body: Callable[[int, str], bytes]
    ) -> None:
        self.app = app
        self.keys = tuple(k.encode() for k in api_keys)
        self.error_body = error_body

    def accepts(self, token: str) -> bool:
        given = token.encode()
        # compare_digest against every key, no early exit: timing says nothing about which key is close.
        return sum(hmac.compare_digest(given, key) for key in self.keys) > 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> object:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        token = bearer_token(header(scope, b"authorization"))
        if token is None:
            message = "missing credentials: send 'Authorization: Bearer <api key>'"
        elif not self.accepts(token):
            message = "invalid API key"
        else:
            return await self.app(scope, receive, send)
        await send_bytes(send, 401, self.error_body(401, message), [("www-authenticate", "Bearer")])
        return None
