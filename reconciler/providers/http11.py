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
import logging
import re
import select
import socket
import ssl
import threading
from typing import Any, BinaryIO

import httpx

_DEFAULT_PORTS = {"http": 80, "https": 443}
_httpx_log = logging.getLogger("httpx")  # httpx's own line per request, written by `send` when it bypasses


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
        """The answer, and whether the connection may carry another request.

        The request is written and the answer read here rather than by `http.client`'s request and
        response objects, which send the head and the body in two writes (two packets, and two hand-overs
        of the interpreter between threads) and parse every answer's headers with the `email` package: the
        checks `http.client` makes on what is sent are made here the same way."""
        sock = connection.sock
        assert sock is not None
        head = _request_head(request.method, request.url.raw_path, request.headers.raw)
        try:
            _set_timeout(sock, timeout.get("write"))
            sock.sendall(head + body if body else head)  # one write: a small body rides with the head
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc) or "timed out sending", request=request) from exc
        except OSError as exc:
            raise httpx.WriteError(str(exc), request=request) from exc
        try:
            _set_timeout(sock, timeout.get("read"))
            with sock.makefile("rb") as answer:
                status, reason, version, headers = _read_head(answer)
                content, will_close = _read_body(answer, request.method, status, version, headers)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out waiting for the answer", request=request) from exc
        except (http.client.HTTPException, ConnectionError) as exc:  # closed early, or not HTTP at all
            reason_text = str(exc) or "the server closed the connection without answering"
            raise httpx.RemoteProtocolError(reason_text, request=request) from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc), request=request) from exc
        extensions = {"http_version": b"HTTP/1.0" if version == 10 else b"HTTP/1.1", "reason_phrase": reason}
        response = httpx.Response(
            status, headers=headers, content=content, request=request, extensions=extensions
        )
        return response, not will_close


# What http.client refuses to send (its putrequest and putheader checks), refused here the same way.
_BAD_METHOD = re.compile(rb"[\x00-\x1f]")
_BAD_TARGET = re.compile(rb"[\x00-\x20\x7f]")
_HEADER_NAME = re.compile(rb"[^:\s][^:\r\n]*")
_BAD_HEADER_VALUE = re.compile(rb"\n(?![ \t])|\r(?![ \t\n])")
_MAX_LINE = 65536  # http.client's limits on what it reads
_MAX_HEADERS = 100


def _request_head(method: str, target: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    verb = method.encode("ascii")
    if _BAD_METHOD.search(verb):
        raise ValueError(f"method can't contain control characters. {method!r}")
    target = target or b"/"
    if _BAD_TARGET.search(target):
        raise http.client.InvalidURL(f"URL can't contain control characters. {target!r}")
    lines = [verb + b" " + target + b" HTTP/1.1"]
    for name, value in headers:
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"Invalid header name {name!r}")
        if _BAD_HEADER_VALUE.search(value):
            raise ValueError(f"Invalid header value {value!r}")
        lines.append(name + b": " + value)
    lines += (b"", b"")
    return b"\r\n".join(lines)


def _line(answer: BinaryIO) -> bytes:
    line = answer.readline(_MAX_LINE + 1)
    if len(line) > _MAX_LINE:
        raise http.client.LineTooLong("header line")
    return line


def _read_head(answer: BinaryIO) -> tuple[int, bytes, int, list[tuple[bytes, bytes]]]:
    """Status, reason, version (10 or 11) and headers of the answer; interim (1xx) answers skipped."""
    while True:
        line = _line(answer)
        if not line:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        version_text, _, rest = line.rstrip(b"\r\n").partition(b" ")
        code, _, reason = rest.partition(b" ")
        if not version_text.startswith(b"HTTP/") or len(code) != 3 or not code.isdigit():
            raise http.client.BadStatusLine(repr(line))
        status = int(code)
        headers: list[tuple[bytes, bytes]] = []
        while True:
            line = _line(answer)
            if line in (b"\r\n", b"\n", b""):
                break
            if len(headers) >= _MAX_HEADERS:
                raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")
            if line[:1] in (b" ", b"\t") and headers:  # a folded line continues the previous value
                name, value = headers[-1]
                headers[-1] = (name, value + b" " + line.strip())
                continue
            name, _, value = line.partition(b":")
            headers.append((name.strip(), value.strip()))
        if not 100 <= status < 200:
            return status, reason.strip(), 10 if version_text == b"HTTP/1.0" else 11, headers


def _read_body(
    answer: BinaryIO, method: str, status: int, version: int, headers: list[tuple[bytes, bytes]]
) -> tuple[bytes, bool]:
    """The body as the headers frame it, and whether the connection closes after it (http.client's rules)."""
    fields: dict[bytes, bytes] = {}
    for name, value in headers:
        lowered = name.lower()
        fields[lowered] = fields[lowered] + b", " + value if lowered in fields else value
    connection = fields.get(b"connection", b"").lower()
    if version == 11:
        will_close = b"close" in connection
    else:  # HTTP/1.0 keeps a connection only where the server said so
        will_close = not (b"keep-alive" in fields or b"keep-alive" in connection)
    if status in (204, 304) or method == "HEAD":
        return b"", will_close
    if b"chunked" in fields.get(b"transfer-encoding", b"").lower():
        return _read_chunks(answer), will_close
    length_text = fields.get(b"content-length")
    length = int(length_text) if length_text and length_text.isdigit() else None
    if length is None:  # the body ends where the connection does
        return answer.read(), True
    content = answer.read(length)
    if len(content) < length:
        raise http.client.IncompleteRead(content, length - len(content))
    return content, will_close


def _read_chunks(answer: BinaryIO) -> bytes:
    parts: list[bytes] = []
    while True:
        size_text = _line(answer).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise http.client.IncompleteRead(b"".join(parts)) from None
        if size == 0:
            while _line(answer) not in (b"\r\n", b"\n", b""):  # trailers: read past, unused
                pass
            return b"".join(parts)
        part = answer.read(size)
        if len(part) < size:
            raise http.client.IncompleteRead(part, size - len(part))
        parts.append(part)
        answer.read(2)  # the CRLF after each chunk


def _set_timeout(sock: socket.socket, seconds: float | None) -> None:
    """Only a change is made: setting a socket's timeout is a system call that lets every other thread
    take the interpreter, twice a request, and the write and read timeouts are the same unless configured."""
    if sock.gettimeout() != seconds:
        sock.settimeout(seconds)


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


class PreparedRequests:
    """Requests to one base URL built the way `httpx.Client.build_request` builds them (the same URL, the
    same headers in the same order, the same JSON bytes), from parts worked out once per client.

    `build_request` merges the client's URL, headers, cookies and parameters into a new request every time:
    parsing the URL twice and normalising every header again is a tenth of a millisecond of an apply's CPU
    per request, while nothing but the path and the body differ from one request to the next. The URLs
    are kept (bounded): most requests of a run go to a few hundred URLs, such as an agent's schedules.
    `None` from `for_client` means the client's set-up is not one this reproduces: build as usual."""

    _URLS_KEPT = 4096

    def __init__(self, head: list[tuple[bytes, bytes]], extensions: dict[str, Any]) -> None:
        self._head = httpx.Headers(head)  # Host, then the client's headers, as httpx puts them first
        # A POST, PUT or PATCH without a body says so, right after the Host (as httpx writes it).
        self._empty_body = httpx.Headers([head[0], (b"Content-Length", b"0"), *head[1:]])
        self._extensions = extensions
        self._urls: dict[str, httpx.URL] = {}

    @classmethod
    def for_client(cls, client: httpx.Client) -> PreparedRequests | None:
        headers = client.headers
        if any(name in headers for name in ("host", "content-length", "transfer-encoding", "content-type")):
            return None
        if client.params or client.auth is not None or any(client.event_hooks.values()):
            return None
        if client.base_url.userinfo:  # sent by httpx's client as basic auth: built and sent there
            return None
        head = [(b"Host", client.base_url.netloc), *headers.raw]
        return cls(head, {"timeout": client.timeout.as_dict()})

    def build(self, method: str, url: str, body: bytes | None) -> httpx.Request:
        """`method` to the absolute `url` (no cookies: the caller checks there are none to send), with
        `body` as JSON (None: no body)."""
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= self._URLS_KEPT:
                self._urls.clear()  # another thread may be reading: a dict's clear() is atomic
            parsed = self._urls[url] = httpx.URL(url)
        if body is not None:
            headers = httpx.Headers(self._head)  # a copy of the list: no header is normalised again
            headers["Content-Length"] = str(len(body))
            headers["Content-Type"] = "application/json"
        else:
            headers = self._empty_body if method in ("POST", "PUT", "PATCH") else self._head
        request = httpx.Request(
            method, parsed, headers=headers, stream=httpx.ByteStream(body or b""),
            extensions=self._extensions,
        )  # fmt: skip
        request.read()  # what build_request leaves: `request.content` readable
        return request


def send(
    client: httpx.Client, transport: httpx.BaseTransport | None, request: httpx.Request
) -> httpx.Response:
    """`request` sent and its answer read, as `client.send` does it: through the client where a proxy may be
    involved (`transport` None) or the client is closed (it says so), else straight to `transport`, the
    client's only one, with what the client does to an answer that matters here (keeping the cookies it
    sets, its log line) done only when needed: httpx's client parses every answer's headers for cookies."""
    if transport is None or client.is_closed or request.url.userinfo:  # userinfo: basic auth, by the client
        return client.send(request)
    try:
        response = transport.handle_request(request)
    except httpx.RequestError as exc:
        exc.request = request  # as httpx's client does for a transport that did not say
        raise
    response.request = request
    try:
        response.read()
    except BaseException:
        response.close()
        raise
    if "set-cookie" in response.headers:
        client.cookies.extract_cookies(response)
    if _httpx_log.isEnabledFor(logging.INFO):
        _httpx_log.info(
            'HTTP Request: %s %s "%s %d %s"', request.method, request.url, response.http_version,
            response.status_code, response.reason_phrase,
        )  # fmt: skip
    return response
