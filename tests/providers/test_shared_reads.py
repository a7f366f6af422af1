"""Shared reads between bundles' clients: only identical GETs, never after the plan's reads, never an error."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from reconciler.errors import RejectedError
from reconciler.providers.http import ApiClient, RetryPolicy
from reconciler.providers.shared_reads import RequestSlots, SharedReads


class Platform:
    """Answers every request with how many it has answered; `missing` paths answer 404."""

    def __init__(self, missing: tuple[str, ...] = (), hold: float = 0.0) -> None:
        self.seen: list[str] = []
        self.missing = missing
        self.hold = hold  # seconds each answer takes: requests sent together overlap

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}?{request.url.query.decode()}")
        time.sleep(self.hold)
        if request.url.path in self.missing:
            return httpx.Response(404, json={"message": "no such agent"})
        return httpx.Response(200, json={"answer": len(self.seen)})


def client(platform: Platform, key: str = "k", slots: RequestSlots | None = None) -> ApiClient:
    return ApiClient(
        "https://api.example.test/v1",
        api_key=key,
        transport=httpx.MockTransport(platform),
        retry=RetryPolicy(max_attempts=1),
        slots=slots,
    )


def test_a_second_bundle_gets_the_first_ones_listing_without_a_request() -> None:
    platform, reads = Platform(), SharedReads()
    first, second = client(platform), client(platform)
    first.share_reads(reads)
    second.share_reads(reads)
    assert first.request("GET", "/agents", params={"limit": "1000"}).json() == {"answer": 1}
    assert second.request("GET", "/agents", params={"limit": "1000"}).json() == {"answer": 1}
    second.request("GET", "/agents", params={"limit": "1000", "labels": "b=second"})  # another request
    assert platform.seen == ["GET /v1/agents?limit=1000", "GET /v1/agents?limit=1000&labels=b%3Dsecond"]


def test_another_api_key_and_writes_are_never_shared() -> None:
    platform, reads = Platform(), SharedReads()
    first, other_key = client(platform), client(platform, key="other")
    first.share_reads(reads)
    other_key.share_reads(reads)
    first.request("GET", "/agents")
    other_key.request("GET", "/agents")
    first.request("POST", "/agents/a/schedules", json={})
    other_key.request("POST", "/agents/a/schedules", json={})
    assert len(platform.seen) == 4


def test_after_the_plans_reads_every_read_goes_to_the_platform() -> None:
    platform, reads = Platform(), SharedReads()
    first, second = client(platform), client(platform)
    first.share_reads(reads)
    second.share_reads(reads)
    first.request("GET", "/agents")
    reads.close()  # what the session does once every plan has read: writes may follow
    assert second.request("GET", "/agents").json() == {"answer": 2}


def test_a_failed_read_is_not_shared_each_bundle_gets_its_own_answer() -> None:
    platform, reads = Platform(missing=("/v1/agents/gone/schedules",)), SharedReads()
    first, second = client(platform), client(platform)
    first.share_reads(reads)
    second.share_reads(reads)
    for each in (first, second):
        with pytest.raises(RejectedError) as raised:
            each.request("GET", "/agents/gone/schedules")
        assert raised.value.status == 404
    assert len(platform.seen) == 2


def test_clients_sharing_slots_never_have_more_requests_in_flight_than_the_slots() -> None:
    slots = RequestSlots(2)
    clients = [client(Platform(hold=0.005), slots=slots) for _ in range(3)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(lambda n: clients[n % 3].request("GET", f"/agents/{n}"), range(60)))
    assert 1 <= slots.peak <= 2
    assert slots.in_flight == 0


def test_answers_beyond_the_kept_bytes_are_not_held_and_the_same_read_is_sent_again() -> None:
    platform, reads = Platform(), SharedReads(keep_bytes=len(b'{"answer":1}'))
    first, second = client(platform), client(platform)
    first.share_reads(reads)
    second.share_reads(reads)
    first.request("GET", "/agents/a/schedules")  # kept: it fits
    first.request("GET", "/agents/b/schedules")  # not kept: the bytes are used up
    assert second.request("GET", "/agents/a/schedules").json() == {"answer": 1}
    assert second.request("GET", "/agents/b/schedules").json() == {"answer": 3}  # sent again
    assert reads.kept_bytes <= reads.keep_bytes
