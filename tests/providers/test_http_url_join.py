"""The client joins paths and query parameters to the base URL itself (httpx's join parses URLs three times
per request); the URL that goes out must be exactly the one httpx would have built."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.providers.http import ApiClient

BASES = [
    "http://127.0.0.1:8765",
    "http://127.0.0.1:8765/",
    "https://api.example.com/v1",
    "https://api.example.com/v1/",
    "https://api.example.com:8443/api/v2/",
    "http://[::1]:9000/base",
    "https://api.example.com/v1?tenant=a",  # a query in the base: httpx joins it
]
PATHS = [
    "/v1/workspaces/ws/agents/agent_001/schedules",
    "agents",
    "/agents/a%2Fb/schedules/asch_01:pause",
    "/agents/caf%C3%A9",
    "/search?q=x",  # a query in the path: httpx joins it
    "/",
]
PARAMS: list[dict[str, Any] | None] = [
    None,
    {},
    {"limit": "1000"},
    {"limit": "1000", "cursor": "eyJhZnRlciI6IDUwfQ==", "labels": "reconciler.dev/bundle=bench,tier=1"},
    {"q": "a b&c=d/é+"},
    {"page": 2, "include": True},  # not text: httpx's own rules
]


def sent_url(base: str, path: str, params: dict[str, Any] | None) -> str:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={})

    with ApiClient(base, transport=httpx.MockTransport(handler)) as client:
        client.request("GET", path, params=params)
    [url] = seen
    return url


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("path", PATHS)
def test_the_url_sent_is_the_one_httpx_builds(base: str, path: str) -> None:
    for params in PARAMS:
        expected = str(httpx.Client(base_url=base).build_request("GET", path, params=params).url)
        assert sent_url(base, path, params) == expected, (base, path, params)
