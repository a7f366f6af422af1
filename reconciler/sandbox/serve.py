"""Run a sandbox over HTTP with uvicorn until Ctrl-C or SIGTERM (`reconciler sandbox serve`).

The socket is bound here, before uvicorn starts, so port 0 resolves to a real port we can print, and
the URL and `export` lines are printed (and flushed) only once the server accepts connections.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import Callable
from types import FrameType

import uvicorn

from reconciler.sandbox.app import SandboxApp
from reconciler.sandbox.asgi import DROPPED


class _QuietDrops(logging.Filter):
    """uvicorn logs an error for every connection a fault drops on purpose; those are not errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.args, tuple) and DROPPED in record.args)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when their proto says TCP;
    # without it Nagle holds each response body back for the client's delayed ACK (~40 ms a request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _ignore(signum: int, frame: FrameType | None) -> None:
    return None


def serve(app: SandboxApp, sock: socket.socket, on_ready: Callable[[], None]) -> None:
    """Serve until Ctrl-C / SIGTERM, then return normally (the caller exits 0)."""
    config = uvicorn.Config(
        app,
        interface="asgi3",
        lifespan="off",
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=2,
        # uvicorn colours its log on a terminal and does not read NO_COLOR (https://no-color.org) itself.
        use_colors=False if os.environ.get("NO_COLOR") else None,
    )
    server = uvicorn.Server(config)
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    # uvicorn handles SIGINT/SIGTERM itself, then re-raises the signal to the handler it found; make that
    # handler a no-op so a clean shutdown ends in exit code 0 rather than KeyboardInterrupt / death by signal.
    previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        asyncio.run(_run(server, sock, on_ready))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        app.close()


async def _run(server: uvicorn.Server, sock: socket.socket, on_ready: Callable[[], None]) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.005)
    if server.started:
        on_ready()
    await task
