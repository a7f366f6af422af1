"""Error paths of the shared HTTP client: retries, Retry-After, outcome-unknown writes, messages, logging."""

from __future__ import annotations

import email.utils
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import respx

from reconciler.errors import ConflictError, RejectedError, TemporaryError, TransportError
from reconciler.providers.http import ApiClient, RetryPolicy
from reconciler.providers.http_retry import parse_retry_after
from reconciler.providers.redact import redact

BASE = "https://api.example.test/v1"
KEY = "sk-live-0123456789abcdef"
SECRET = "hunter2 webhook/token+é"


@pytest.fixture
def router() -> respx.MockRouter:
    return respx.MockRouter(base_url=BASE, assert_all_called=False)


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make(router: respx.MockRouter, sleeps: list[float], **kwargs: Any) -> ApiClient:
    kwargs.setdefault("retry", RetryPolicy(jitter=False))
    return ApiClient(
        BASE,
        api_key=KEY,
        api_key_env="CADENYA_API_KEY",
        secrets=[SECRET],
        transport=httpx.MockTransport(router.handler),
        sleep=sleeps.append,
        **kwargs,
    )


def test_retries_503_then_succeeds(router: respx.MockRouter, sleeps: list[float]) -> None:
    route = router.get("/schedules").mock(side_effect=[httpx.Response(503), httpx.Response(200, json=[])])
    with make(router, sleeps) as client:
        assert client.request("GET", "/schedules").json() == []
    assert route.call_count == 2
    assert sleeps == [0.5]
    assert (client.stats.requests, client.stats.retries) == (2, 1)


def test_sends_bearer_key_under_base_path(router: respx.MockRouter, sleeps: list[float]) -> None:
    route = router.get("/agents/a1/schedules").respond(200, json={})
    make(router, sleeps).request("GET", "/agents/a1/schedules", params={"limit": 100})
    sent = route.calls.last.request
    assert sent.url == "https://api.example.test/v1/agents/a1/schedules?limit=100"
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.headers["Accept"] == "application/json"


def test_no_authorization_header_without_key(router: respx.MockRouter) -> None:
    route = router.get("/x").respond(200)
    ApiClient(BASE, transport=httpx.MockTransport(router.handler)).request("GET", "/x")
    assert "Authorization" not in route.calls.last.request.headers


def test_retry_after_seconds_beats_backoff(router: respx.MockRouter, sleeps: list[float]) -> None:
    router.get("/x").mock(
        side_effect=[httpx.Response(503, headers={"Retry-After": "7"}), httpx.Response(200)]
    )
    make(router, sleeps).request("GET", "/x")
    assert sleeps == [7.0]


def test_429_with_http_date_retry_after(router: respx.MockRouter, sleeps: list[float]) -> None:
    date = email.utils.formatdate(time.time() + 10, usegmt=True)
    router.post("/x").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": date}), httpx.Response(201)]
    )
    assert make(router, sleeps).request("POST", "/x", json={}).status_code == 201  # 429: nothing was done
    assert len(sleeps) == 1 and 8.5 <= sleeps[0] <= 10.0


def test_retry_after_is_capped(router: respx.MockRouter, sleeps: list[float]) -> None:
    router.get("/x").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200)]
    )
    make(router, sleeps).request("GET", "/x")
    assert sleeps == [60.0]


def test_backoff_grows_and_is_capped_then_temporary_error(
    router: respx.MockRouter, sleeps: list[float]
) -> None:
    route = router.get("/x").respond(503, json={"message": "overloaded"}, headers={"Retry-After": "bogus"})
    client = make(router, sleeps, retry=RetryPolicy(max_attempts=6, base_delay=1, max_delay=4, jitter=False))
    with pytest.raises(TemporaryError) as info:
        client.request("GET", "/x")
    assert sleeps == [1, 2, 4, 4, 4]
    assert route.call_count == 6
    assert info.value.status == 503 and not info.value.outcome_unknown
    assert "overloaded" in str(info.value)


def test_full_jitter_stays_under_the_exponential_ceiling(
    router: respx.MockRouter, sleeps: list[float]
) -> None:
    router.get("/x").respond(502)
    client = make(router, sleeps, retry=RetryPolicy(max_attempts=5, base_delay=1, max_delay=3))
    with pytest.raises(TemporaryError):
        client.request("GET", "/x")
    assert all(0 <= s <= ceiling for s, ceiling in zip(sleeps, [1, 2, 3, 3], strict=True))


def test_exhausted_429_carries_retry_after(router: respx.MockRouter, sleeps: list[float]) -> None:
    router.get("/x").respond(429, headers={"Retry-After": "2"})
    with pytest.raises(TemporaryError) as info:
        make(router, sleeps, retry=RetryPolicy(max_attempts=2)).request("GET", "/x")
    assert info.value.retry_after == 2.0 and info.value.status == 429


def test_post_not_retried_on_503_outcome_unknown(router: respx.MockRouter, sleeps: list[float]) -> None:
    route = router.post("/schedules").respond(503, headers={"Retry-After": "5"})
    with pytest.raises(TemporaryError) as info:
        make(router, sleeps).request("POST", "/schedules", json={"name": "n"})
    assert route.call_count == 1 and sleeps == []
    assert info.value.outcome_unknown and info.value.retry_after == 5.0
    assert "POST /v1/schedules may or may not have been applied" in str(info.value)


@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("Server disconnected")]
)
def test_post_not_retried_on_lost_response(
    router: respx.MockRouter, sleeps: list[float], exc: Exception
) -> None:
    route = router.patch("/schedules/s1").mock(side_effect=exc)
    with pytest.raises(TransportError) as info:
        make(router, sleeps).request("PATCH", "/schedules/s1", json={"cron": "0 9 * * *"})
    assert route.call_count == 1 and sleeps == []
    assert info.value.outcome_unknown
    assert str(info.value).startswith("could not reach https://api.example.test: ")
    assert "may or may not have been applied" in str(info.value)


def test_post_retried_when_connection_never_opened(router: respx.MockRouter, sleeps: list[float]) -> None:
    route = router.post("/x").mock(side_effect=[httpx.ConnectError("refused"), httpx.Response(201)])
    assert make(router, sleeps).request("POST", "/x", json={}).status_code == 201
    assert route.call_count == 2


def test_post_retried_when_caller_says_idempotent(router: respx.MockRouter, sleeps: list[float]) -> None:
    route = router.post("/x").mock(
        side_effect=[httpx.Response(503), httpx.ReadTimeout("t"), httpx.Response(200)]
    )
    make(router, sleeps).request("POST", "/x", json={}, idempotent=True)
    assert route.call_count == 3 and sleeps == [0.5, 1.0]


def test_get_transport_errors_exhausted(router: respx.MockRouter, sleeps: list[float]) -> None:
    router.get("/x").mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(TransportError) as info:
        make(router, sleeps, retry=RetryPolicy(max_attempts=3, jitter=False)).request("GET", "/x")
    assert str(info.value) == (
        "could not reach https://api.example.test: [Errno 111] Connection refused (after 3 attempts)"
    )
    assert not info.value.outcome_unknown


def test_500_on_a_read_is_retried_then_reported(router: respx.MockRouter, sleeps: list[float]) -> None:
    route = router.get("/x").respond(500)
    with pytest.raises(TemporaryError) as info:
        make(router, sleeps).request("GET", "/x")
    assert route.call_count == 5 and info.value.status == 500 and not info.value.outcome_unknown


def test_500_on_a_write_is_not_retried_and_outcome_unknown(
    router: respx.MockRouter, sleeps: list[float]
) -> None:
    route = router.post("/x").respond(500)
    with pytest.raises(TemporaryError) as info:
        make(router, sleeps).request("POST", "/x", json={})
    assert route.call_count == 1 and info.value.outcome_unknown


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failure_names_env_var_never_the_key(
    router: respx.MockRouter, sleeps: list[float], status: int
) -> None:
    router.get("/x").respond(status, json={"detail": f"invalid token {KEY}"})
    with pytest.raises(RejectedError) as info:
        make(router, sleeps).request("GET", "/x")
    message = str(info.value)
    assert info.value.status == status
    problem = "authentication failed" if status == 401 else "permission denied"
    assert message.startswith(f"https://api.example.test: {problem} ({status} invalid token (sensitive))")
    assert message.endswith(": check CADENYA_API_KEY")
    assert KEY not in message and "(sensitive)" in message


def test_auth_failure_without_env_name(router: respx.MockRouter) -> None:
    router.get("/x").respond(401)
    with pytest.raises(RejectedError, match=r"failed \(401 Unauthorized\): check the API key$"):
        ApiClient(BASE, api_key=KEY, transport=httpx.MockTransport(router.handler)).request("GET", "/x")


def test_404_is_rejected_with_status_unless_expected(router: respx.MockRouter, sleeps: list[float]) -> None:
    router.get("/schedules/gone").respond(404, json={"detail": "Schedule not found"})
    client = make(router, sleeps)
    with pytest.raises(RejectedError) as info:
        client.request("GET", "/schedules/gone")
    assert info.value.status == 404
    assert str(info.value) == "GET /v1/schedules/gone: not found (404): Schedule not found"
    assert client.request("GET", "/schedules/gone", expected=(200, 404)).status_code == 404


def test_409_is_conflict(router: respx.MockRouter, sleeps: list[float]) -> None:
    router.post("/x").respond(409, json={"error": {"message": "name already exists"}})
    with pytest.raises(ConflictError, match="name already exists") as info:
        make(router, sleeps).request("POST", "/x", json={})
    assert info.value.status == 409 and not info.value.outcome_unknown


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"message": "cron is invalid"}, "cron is invalid"),
        ({"detail": "cron is invalid"}, "cron is invalid"),
        (
            {
                "detail": [
                    {"loc": ["body", "schedule", "cron"], "msg": "bad field", "type": "value_error"},
                    {"loc": ["query", "limit"], "msg": "too big"},
                ]
            },
            "schedule.cron: bad field; query.limit: too big",
        ),
        ({"error": {"message": "cron is invalid", "code": 7}}, "cron is invalid"),
        ({"error": "invalid_request"}, "invalid_request"),
        (
            {"type": "about:blank", "title": "Bad Request", "detail": "cron is invalid"},
            "Bad Request: cron is invalid",
        ),
        ({"title": "Unprocessable"}, "Unprocessable"),
        ("plain text  error\n", "plain text error"),
        ("", "Unprocessable Entity"),
    ],
)
def test_rejected_message_extraction(
    router: respx.MockRouter, sleeps: list[float], body: Any, expected: str
) -> None:
    if isinstance(body, str):
        router.post("/x").respond(422, text=body)
    else:
        router.post("/x").respond(422, json=body)
    with pytest.raises(RejectedError) as info:
        make(router, sleeps).request("POST", "/x", json={})
    assert str(info.value) == f"POST /v1/x was rejected (422): {expected}"
    assert info.value.status == 422


def test_debug_log_has_no_key_or_secret(
    router: respx.MockRouter, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    router.post("/x").respond(400, json={"message": f"bad token {SECRET} for key {KEY}"})
    router.get("/y").mock(side_effect=[httpx.ReadTimeout(f"timeout with {KEY}"), httpx.Response(200)])
    client = make(router, sleeps)
    with caplog.at_level(logging.DEBUG, logger="reconciler.http"), pytest.raises(RejectedError) as info:
        client.request("POST", "/x", params={"token": SECRET}, json={"env": {"TOKEN": SECRET, "q": 'a"b'}})
    with caplog.at_level(logging.DEBUG, logger="reconciler.http"):
        client.request("GET", "/y")
    text = caplog.text + str(info.value)
    assert KEY not in text and SECRET not in text and "Bearer" not in text
    assert "(sensitive)" in text
    assert "POST https://api.example.test/v1/x?token=(sensitive) -> 400 in " in caplog.text
    assert "POST https://api.example.test/v1/x?token=(sensitive) body: " in caplog.text  # the shape only
    assert "fields env" in caplog.text and '"TOKEN"' not in caplog.text
    assert "(attempt 1)" in caplog.text and "GET https://api.example.test/v1/y -> 200 in " in caplog.text
    assert "(attempt 2)" in caplog.text


def test_stats_count_every_attempt_by_method(router: respx.MockRouter, sleeps: list[float]) -> None:
    router.get("/x").mock(side_effect=[httpx.Response(503), httpx.Response(200)])
    router.delete("/x").respond(204)
    client = make(router, sleeps)
    client.request("GET", "/x")
    client.request("delete", "/x")
    assert client.stats.requests == 3 and client.stats.retries == 1
    assert client.stats.by_method == {"GET": 2, "DELETE": 1}


def test_shared_across_threads(router: respx.MockRouter, sleeps: list[float]) -> None:
    router.get("/x").respond(200)
    with make(router, sleeps) as client, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: client.request("GET", "/x").status_code, range(64)))
    assert statuses == [200] * 64 and client.stats.requests == 64


def test_closed_client_refuses_requests(router: respx.MockRouter, sleeps: list[float]) -> None:
    with make(router, sleeps) as client:
        pass
    with pytest.raises(RuntimeError):
        client.request("GET", "/x")


def test_parse_retry_after_forms() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(httpx.Headers({"retry-after-ms": "1500", "retry-after": "9"})) == 1.5
    assert parse_retry_after(httpx.Headers({"retry-after": "2.5"})) == 2.5
    assert (
        parse_retry_after(httpx.Headers({"retry-after": email.utils.formatdate(now + 30, usegmt=True)}), now)
        == 30
    )
    assert (
        parse_retry_after(httpx.Headers({"retry-after": email.utils.formatdate(now - 30, usegmt=True)}), now)
        == 0
    )
    assert parse_retry_after(httpx.Headers({"retry-after": "-3"})) == 0
    assert parse_retry_after(httpx.Headers({"retry-after": "soon"})) is None
    assert parse_retry_after(httpx.Headers({"retry-after": "nan"})) is None
    assert parse_retry_after(httpx.Headers()) is None


def test_redact_every_encoding_longest_first() -> None:
    secrets = ["abc", "abc-def", 'qu"ote', "", "a b/c"]
    text = 'abc-def abc {"v": "qu\\"ote"} q=a%20b%2Fc p=a+b%2Fc'
    assert redact(text, secrets) == '(sensitive) (sensitive) {"v": "(sensitive)"} q=(sensitive) p=(sensitive)'
    assert redact("nothing here", []) == "nothing here"


def test_retry_policy_rejects_zero_attempts() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


def test_long_non_json_error_body_is_shortened(router: respx.MockRouter, sleeps: list[float]) -> None:
    router.get("/x").respond(500, text="<html>" + "x" * 5000 + "</html>")
    with pytest.raises(TemporaryError) as info:
        make(router, sleeps).request("GET", "/x")
    assert len(str(info.value)) < 400


def test_password_in_base_url_never_shown(router: respx.MockRouter, caplog: pytest.LogCaptureFixture) -> None:
    router.get("/x").respond(400, json={"message": "nope"})
    client = ApiClient(
        "https://u:pa55word@api.example.test/v1", transport=httpx.MockTransport(router.handler)
    )
    with caplog.at_level(logging.DEBUG, logger="reconciler.http"), pytest.raises(RejectedError) as info:
        client.request("GET", "/x")
    assert "pa55word" not in caplog.text + str(info.value)
    assert client.origin == "https://api.example.test"
