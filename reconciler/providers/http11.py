"""A lean HTTP/1.1 transport for httpx, on the standard library's `http.client`.

`ApiClient` sends every request through httpx's client (URLs, headers, the `Response` providers read, the
exceptions it classifies); this replaces only what sits under it for direct connections: httpx's own
transport (httpcore and h11) spends 0.3-0.4 ms of CPU a request in pure Python, and the threads of an
apply share one interpreter, so at 10,000 requests that is seconds of CPU and, on a busy machine, the pace
of the whole run. Where the environment names a proxy, `ApiClient` keeps httpx's own transport (httpx
honours proxies only with it); tests and the embedded sandbox pass in transports of their own.

Failures are raised as httpx's transport raises them, because `ApiClient` decides from the type whether a
request that is not safe to repeat may have been applied:
- the connection could not be made (refused, DNS, TLS handshake or certificate): `httpx.ConnectError`, or
  `ConnectTimeout`; nothing was sent;
- sending failed: `WriteError` / `WriteTimeout`; the answer failed: `ReadTimeout`, `ReadError`,
  `RemoteProtocolError` (closed without an answer, or not HTTP): the request may have been applied.
A kept-alive connection is checked before it is used again: one the server closed while it sat idle is
dropped, never written to (a POST sent on it would be lost, its outcome unknown).
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
from typing import Any

import httpx

_DEFAULT_PORTS = {"http": 80, "https": 443}


class Http11Transport(httpx.BaseTransport):
    """Keep-alive connections per origin, at most `max_idle` of them kept between requests.

    `verify`: what `httpx.Client(verify=...)` takes, already resolved: an `SSLContext`, or False for
    `--insecure` (a context that checks nothing)."""

    def __init__(self, verify: ssl.SSLContext | bool = True, *, max_idle: int = 8) -> None:
        if isinstance(verify, ssl.SSLContext):
            self._context = verify
        elif verify:
            self._context = ssl.create_default_context()
        else:
            self._context = ssl.create_default_context()
            self._context.check_hostname = False
            self._context.verify_mode = ssl.CERT_NONE
        self._max_idle = max_idle
        self._idle: list[tuple[tuple[str, str, int], http.client.HTTPConnection]] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}", request=request)
        origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS[url.scheme])
        timeout: dict[str, float | None] = request.extensions.get("timeout", {})
        body = request.read()
        connection = self._reuse(origin) or self._connect(origin, timeout.get("connect"), request)
        try:
            response, reusable = self._exchange(connection, request, body, timeout)
        except BaseException:
            connection.close()
            raise
        if reusable:
            self._keep(origin, connection)
        else:
            connection.close()
        return response

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for _, connection in idle:
            connection.close()

    # -- connections ---------------------------------------------------------------------------------------
    def _reuse(self, origin: tuple[str, str, int]) -> http.client.HTTPConnection | None:
        while True:
            with self._lock:
                found = next((i for i, (o, _) in enumerate(self._idle) if o == origin), None)
                if found is None:
                    return None
                _, connection = self._idle.pop(found)
            if _still_open(connection):
                return connection
            connection.close()

    def _keep(self, origin: tuple[str, str, int], connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append((origin, connection))
                return
        connection.close()

    def _connect(
        self, origin: tuple[str, str, int], seconds: float | None, request: httpx.Request
    ) -> http.client.HTTPConnection:
        scheme, host, port = origin
        connection: http.client.HTTPConnection
        if scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=seconds, context=self._context)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=seconds)
        try:
            connection.connect()
        except TimeoutError as exc:
            connection.close()
            raise httpx.ConnectTimeout(str(exc) or "timed out connecting", request=request) from exc
        except OSError as exc:  # refused, unreachable, DNS (gaierror), TLS (SSLError, certificate)
            connection.close()
            raise httpx.ConnectError(str(exc), request=request) from exc
        assert connection.sock is not None
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    # -- one request ---------------------------------------------------------------------------------------
    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        request: httpx.Request,
        body: bytes,
        timeout: dict[str, float | None],
    ) -> tuple[httpx.Response, bool]:
        """The answer, and whether the connection may carry another request."""
        sock = connection.sock
        assert sock is not None
        try:
            sock.settimeout(timeout.get("write"))
            connection.putrequest(
                request.method,
                request.url.raw_path.decode("ascii"),
                skip_host=True,
                skip_accept_encoding=True,
            )
            for name, value in request.headers.raw:
                connection.putheader(name, value)
            connection.endheaders(body or None)  # headers and a small body leave in one write
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc) or "timed out sending", request=request) from exc
        except OSError as exc:
            raise httpx.WriteError(str(exc), request=request) from exc
        try:
            sock.settimeout(timeout.get("read"))
            answer = connection.getresponse()
            content = answer.read()
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out waiting for the answer", request=request) from exc
        except (http.client.HTTPException, ConnectionError) as exc:  # closed early, or not HTTP at all
            reason = str(exc) or "the server closed the connection without answering"
            raise httpx.RemoteProtocolError(reason, request=request) from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc), request=request) from exc
        response = httpx.Response(
            answer.status,
            headers=answer.getheaders(),
            content=content,
            request=request,
            extensions=_extensions(answer),
        )
        return response, not answer.will_close


def _extensions(answer: http.client.HTTPResponse) -> dict[str, Any]:
    version = b"HTTP/1.0" if answer.version == 10 else b"HTTP/1.1"
    return {"http_version": version, "reason_phrase": answer.reason.encode("latin-1", "replace")}


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """An idle connection is usable if nothing arrived on it since its last answer: readable means the
    server closed it (or sent something unasked), and either way the next request must not go there."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        if hasattr(select, "poll"):  # any descriptor number, unlike select()
            poller = select.poll()
            poller.register(sock, select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
            return not poller.poll(0)
        readable, _, _ = select.select([sock], [], [], 0)  # Windows
        return not readable
    except (OSError, ValueError):
        return False
