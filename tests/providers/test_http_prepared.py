"""Requests `ApiClient` builds from parts worked out once go out exactly as httpx's client builds them, and
what httpx's client did on the way (sending cookies back, its own log line) still happens."""

from __future__ import annotations

import base64
import logging
from typing import Any

import httpx
import pytest

from reconciler.bundle.sensitive import Sensitive
from reconciler.providers.http import ApiClient

BASE = "http://127.0.0.1:9/api/"


def _sent(calls: list[tuple[str, str, dict[str, Any]]], **client: Any) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    with ApiClient(BASE, api_key="k-1", transport=httpx.MockTransport(answer), **client) as api:
        for method, path, options in calls:
            api.request(method, path, **options)
    return seen


CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/v1/agents/a%2Fb/schedules", {"json": {"name": "é", "n": [1, (2, 3)], "ok": None}}),
    ("GET", "v1/schedules", {"params": {"q": "a b", "limit": "10"}}),
    ("PATCH", "/v1/schedules/s1", {}),
    ("DELETE", "/v1/schedules/s1", {}),
    ("PUT", "/v1/schedules/s1", {"json": ["x"]}),
]


def test_requests_go_out_as_httpx_builds_them() -> None:
    reference = httpx.Client(
        timeout=30.0,
        base_url=BASE,
        headers={
            "Accept": "application/json",
            "User-Agent": "ua",
            "X-Team": "t",
            "Authorization": "Bearer k-1",
        },
    )
    sent = _sent(CALLS, headers={"User-Agent": "ua", "X-Team": "t"})
    for (method, path, options), request in zip(CALLS, sent, strict=True):
        expected = reference.build_request(method, path, **options)
        assert (request.method, str(request.url)) == (expected.method, str(expected.url))
        assert request.headers.raw == expected.headers.raw
        assert request.content == expected.content
        assert request.extensions["timeout"] == expected.extensions["timeout"]


def test_a_secret_in_a_body_is_sent_in_clear_and_nowhere_else() -> None:
    secret = Sensitive("s3cr3t-value")
    (request,) = _sent([("POST", "/v1/x", {"json": {"data": {"token": secret}, "list": [secret]}})])
    assert request.content == b'{"data":{"token":"s3cr3t-value"},"list":["s3cr3t-value"]}'


def test_a_body_that_is_not_json_is_refused_before_sending() -> None:
    with pytest.raises(TypeError):
        _sent([("POST", "/v1/x", {"json": {"when": object()}})])


def test_a_cookie_the_server_sets_is_sent_back() -> None:
    cookies: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        cookies.append(request.headers.get("cookie"))
        return httpx.Response(200, json={}, headers={"Set-Cookie": "lb=node-2; Path=/"})

    with ApiClient(BASE, transport=httpx.MockTransport(answer)) as api:
        api.request("GET", "/v1/a")
        api.request("POST", "/v1/b", json={})
    assert cookies == [None, "lb=node-2"]


def test_httpx_request_log_line_is_still_written(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"):
        _sent([("GET", "/v1/a", {})])
    assert any('"HTTP/1.1 200 OK"' in r.getMessage() for r in caplog.records if r.name == "httpx")


def test_extra_headers_are_sent_after_the_clients_own() -> None:
    (request,) = _sent([("DELETE", "/v1/x", {"headers": {"If-Match": "7"}})])
    assert request.headers.raw[-1] == (b"If-Match", b"7")


def test_credentials_in_the_base_url_are_still_sent_as_basic_auth() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    with ApiClient("http://user:pw@127.0.0.1:9/", transport=httpx.MockTransport(answer)) as api:
        api.request("POST", "/v1/x", json={})
    assert seen[0].headers["authorization"] == "Basic " + base64.b64encode(b"user:pw").decode()
