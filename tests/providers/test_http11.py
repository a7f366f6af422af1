"""The HTTP/1.1 transport under `ApiClient`, against real sockets: keep-alive, a connection the server closed
while idle, and each failure raised as the type `ApiClient` reads "nothing was sent" or "may have been
applied" from."""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from reconciler.errors import TransportError
from reconciler.providers.http import ApiClient, RetryPolicy
from reconciler.providers.http11 import Http11Transport
from reconciler.providers.transport import TransportSecurity

Reply = Callable[[bytes], bytes | None]  # the request's bytes -> the answer's bytes (None: close, no answer)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(rest) < length:
        rest += conn.recv(65536)
    return head + b"\r\n\r\n" + rest


class Served(list[int]):
    """Requests answered, per connection accepted; `closed` is set each time the server closes one."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = threading.Semaphore(0)


@contextmanager
def server(reply: Reply, *, keep_open: bool = True) -> Iterator[tuple[str, Served]]:
    """A one-thread-per-connection HTTP server on 127.0.0.1; yields its URL and what it served.
    `keep_open=False`: each connection is closed after one answer, without saying so (no `Connection:
    close`), as a server whose keep-alive timed out does."""
    listener = socket.create_server(("127.0.0.1", 0))
    served = Served()

    def handle(conn: socket.socket, index: int) -> None:
        try:
            with conn:
                while True:
                    request = _read_request(conn)
                    if not request:
                        return
                    answer = reply(request)
                    if answer is None:
                        return
                    served[index] += 1
                    conn.sendall(answer)
                    if not keep_open:
                        return
        finally:
            served.closed.release()

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            served.append(0)
            threading.Thread(target=handle, args=(conn, len(served) - 1), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", served
    finally:
        listener.close()


def ok(body: bytes = b'{"ok": true}', *, headers: str = "") -> Reply:
    return lambda _: (
        (
            f"HTTP/1.1 200 Fine Thanks\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{headers}\r\n"
        ).encode()
        + body
    )


def test_requests_share_one_kept_alive_connection() -> None:
    with server(ok()) as (url, served), ApiClient(url) as client:
        for _ in range(5):
            assert client.request("GET", "/x").json() == {"ok": True}
    assert served == [5]


def test_a_connection_the_server_closed_while_idle_is_not_written_to() -> None:
    with server(ok(), keep_open=False) as (url, served), ApiClient(url) as client:
        client.request("POST", "/a", json={"n": 1})
        assert served.closed.acquire(timeout=5)  # the server has closed the connection the client keeps
        # Sent on the dead connection, this POST would fail with its outcome unknown; it goes on a new one.
        assert client.request("POST", "/b", json={"n": 2}).json() == {"ok": True}
    assert served == [1, 1]


def test_answer_details_reach_the_response() -> None:
    packed = gzip.compress(b'{"message": "compressed"}')
    reply = ok(packed, headers="Content-Encoding: gzip\r\nX-Thing: 1\r\n")
    with server(reply) as (url, _), ApiClient(url) as client:
        response = client.request("GET", "/x")
    assert response.json() == {"message": "compressed"}
    assert response.headers["x-thing"] == "1"
    assert response.reason_phrase == "Fine Thanks"


def test_a_chunked_answer_is_read_whole() -> None:
    chunked = b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n3\r\n 1}\r\n0\r\n\r\n'
    with server(lambda _: chunked) as (url, _), ApiClient(url) as client:
        assert client.request("GET", "/x").json() == {"a": 1}


def test_the_request_goes_out_as_httpx_built_it() -> None:
    seen: list[bytes] = []

    def record(request: bytes) -> bytes | None:
        seen.append(request)
        return ok()(request)

    with server(record) as (url, _), ApiClient(url, api_key="k-123") as client:
        client.request("POST", "/v1/things", params={"q": "a b"}, json={"name": "é"})
    head, _, body = seen[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /v1/things?q=a+b HTTP/1.1"
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(b":", 1) for line in lines[1:])}
    assert headers[b"host"] == url.removeprefix("http://").encode()
    assert headers[b"authorization"] == b"Bearer k-123"
    assert headers[b"content-type"] == b"application/json"
    assert int(headers[b"content-length"]) == len(body)
    assert body == '{"name":"é"}'.encode()


def test_refused_connection_is_not_sent_so_even_a_post_is_retried() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    client = ApiClient(
        f"http://127.0.0.1:{port}", retry=RetryPolicy(max_attempts=2, jitter=False), sleep=lambda _: None
    )
    with client, pytest.raises(TransportError) as info:
        client.request("POST", "/x", json={})
    assert not info.value.outcome_unknown
    assert "after 2 attempts" in str(info.value)
    assert client.stats.requests == 2


def test_closed_without_an_answer_leaves_a_post_unknown() -> None:
    with server(lambda _: None) as (url, _), ApiClient(url) as client, pytest.raises(TransportError) as info:
        client.request("POST", "/x", json={})
    assert info.value.outcome_unknown
    assert client.stats.requests == 1  # never repeated: it may have been applied


def test_each_failure_has_httpx_type() -> None:
    transport = Http11Transport(False)
    with server(lambda _: b"this is not HTTP\r\n\r\n") as (url, _), pytest.raises(httpx.RemoteProtocolError):
        transport.handle_request(httpx.Request("GET", url))

    def silent(_: bytes) -> None:
        threading.Event().wait(2)  # answers nothing for 2 s, then closes

    with server(silent) as (url, _):
        request = httpx.Request(
            "GET", url, extensions={"timeout": {"connect": 1.0, "read": 0.2, "write": 1.0}}
        )
        with pytest.raises(httpx.ReadTimeout):
            transport.handle_request(request)
    with pytest.raises(httpx.UnsupportedProtocol):
        transport.handle_request(httpx.Request("GET", "ftp://127.0.0.1/x"))
    transport.close()


def test_a_proxy_from_the_environment_is_still_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx routes through HTTP_PROXY only with its own transport: where one is set, that transport stays."""
    seen: list[bytes] = []

    def proxy(request: bytes) -> bytes | None:
        seen.append(request.split(b"\r\n", 1)[0])
        return ok()(request)

    with server(proxy) as (proxy_url, _):
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        security = TransportSecurity(allow_http=True)
        with ApiClient("http://api.example.invalid/v1", security=security) as client:
            assert client.request("GET", "/things").json() == {"ok": True}
    assert seen == [b"GET http://api.example.invalid/v1/things HTTP/1.1"]


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy"])
def test_a_loopback_endpoint_never_goes_through_a_proxy(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """Plain http is allowed to this machine only: a proxy from the environment (on another host, in real
    life) must not carry such a request, and its API key, off the machine."""
    through_proxy: list[bytes] = []

    def proxy(request: bytes) -> bytes | None:
        through_proxy.append(request)
        return ok()(request)

    with server(proxy) as (proxy_url, _), server(ok()) as (endpoint, served):
        for name in (
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "NO_PROXY",
            "http_proxy",
            "all_proxy",
            "no_proxy",
        ):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv(variable, proxy_url)
        with ApiClient(endpoint, api_key="key-that-stays-here") as client:
            assert client.request("GET", "/things").json() == {"ok": True}
    assert through_proxy == []
    assert sum(served) == 1  # answered by the endpoint itself


def test_an_http_1_0_answer_closes_its_connection_unless_kept_alive() -> None:
    def old(keep: bool) -> Reply:
        extra = "Connection: keep-alive\r\n" if keep else ""
        return lambda _: f"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n{extra}\r\n{{}}".encode()

    for keep, connections in ((False, 2), (True, 1)):
        with server(old(keep)) as (url, served), ApiClient(url) as client:
            assert client.request("GET", "/a").json() == {}
            assert client.request("GET", "/b").json() == {}
            assert len(served) == connections


def test_an_answer_without_a_length_ends_with_its_connection() -> None:
    reply: Reply = lambda _: b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"whole": true}'  # noqa: E731
    with server(reply, keep_open=False) as (url, served), ApiClient(url) as client:
        assert client.request("GET", "/a").json() == {"whole": True}
        assert client.request("GET", "/b").json() == {"whole": True}
    assert len(served) == 2


def test_an_interim_answer_is_skipped_and_folded_headers_joined() -> None:
    reply: Reply = lambda _: (  # noqa: E731
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nX-Long: one\r\n two\r\nContent-Length: 2\r\n\r\n{}"
    )
    with server(reply) as (url, _), ApiClient(url) as client:
        response = client.request("POST", "/a", json={})
    assert response.status_code == 201
    assert response.headers["x-long"] == "one two"


def test_a_header_that_would_inject_another_is_never_sent() -> None:
    seen: list[bytes] = []

    def record(request: bytes) -> bytes | None:
        seen.append(request)
        return ok()(request)

    transport = Http11Transport(False)
    with server(record) as (url, _), pytest.raises(ValueError):
        transport.handle_request(httpx.Request("GET", url, headers={"X-Team": "a\r\nX-Admin: yes"}))
    transport.close()
    assert seen == []


def test_an_answer_cut_short_is_a_protocol_error() -> None:
    reply: Reply = lambda _: b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{}"  # noqa: E731
    with server(reply, keep_open=False) as (url, _), ApiClient(url) as client, pytest.raises(TransportError):
        client.request("POST", "/a", json={})
