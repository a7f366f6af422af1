"""A request waiting to be retried stops waiting when its client is closed (a run that stops early closes its
clients): it ends with the failure it last had, as though its attempts were spent, rather than after a wait
of up to `max_retry_after`. Here that wait is an hour: a client that kept waiting would never end the test."""

from __future__ import annotations

import threading

import httpx
import pytest

from reconciler.errors import ProviderError, TemporaryError, TransportError
from reconciler.providers.http import ApiClient, RetryPolicy

HOUR = 3600.0
ENDS = (
    30.0  # seconds a thread is given to end once its client is closed: far less than the hour it would wait
)


def refused(request: httpx.Request) -> httpx.Response:
    return httpx.Response(429, headers={"Retry-After": str(HOUR)}, json={"message": "slow down"})


def unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def waiting_request(
    answer: object,
) -> tuple[ApiClient, threading.Event, list[BaseException], threading.Thread]:
    """A client whose GET is answered by `answer` once, then waits an hour before trying again."""
    answered = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        answered.set()
        return answer(request)  # type: ignore[operator, no-any-return]

    policy = RetryPolicy(max_attempts=3, base_delay=HOUR, max_delay=HOUR, jitter=False, max_retry_after=HOUR)
    client = ApiClient("http://127.0.0.1:9", transport=httpx.MockTransport(handler), retry=policy)
    failures: list[BaseException] = []

    def read() -> None:
        try:
            client.request("GET", "/v1/schedules")
        except ProviderError as exc:
            failures.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert answered.wait(ENDS), "the first attempt reached the server"
    return client, answered, failures, reader


@pytest.mark.parametrize(
    ("answer", "error", "said"),
    [(refused, TemporaryError, "slow down"), (unreachable, TransportError, "connection refused")],
    ids=["429", "no answer"],
)
def test_closing_the_client_ends_a_wait_between_retries_with_the_last_failure(
    answer: object, error: type[ProviderError], said: str
) -> None:
    client, answered, failures, reader = waiting_request(answer)
    answered.clear()
    client.close()
    reader.join(ENDS)
    assert not reader.is_alive(), "the request still waits for its retry"
    assert [type(f) for f in failures] == [error]
    assert said in str(failures[0])
    assert not answered.is_set(), "a closed client sends no further attempt"


def test_a_client_closed_before_a_retry_is_due_sends_no_further_attempt() -> None:
    """Closed while an attempt is on its way: that attempt's failure is the request's, with no retry after it
    (here with a caller's own `sleep`, which cannot be cut short: the retry is skipped all the same)."""
    sent = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal sent
        sent += 1
        client.close()  # as the run stops while this attempt is on its way
        return refused(request)

    policy = RetryPolicy(max_attempts=3, jitter=False, max_retry_after=HOUR)
    transport = httpx.MockTransport(handler)
    client = ApiClient("http://127.0.0.1:9", transport=transport, retry=policy, sleep=lambda _: None)
    with pytest.raises(TemporaryError) as info:
        client.request("GET", "/v1/schedules")
    assert info.value.status == 429 and sent == 1
