"""The official `cadenya` SDK (1.8.0) decodes the sandbox's fire counters (`info`, with `includeInfo=true`)
after fires and after an overlap skip, with the types it declares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from cadenya import Cadenya

from tests.sandbox.conftest import AGENTS

HOURLY: Any = {"schedule": {"intervals": [{"every": "3600s"}], "timezone": "UTC"}, "first_user_message": "go"}


def at(http: httpx.Client, **body: str) -> None:
    http.post("/_sandbox/clock", json=body).raise_for_status()


def runs(http: httpx.Client, duration: str, error: str | None = None) -> None:
    http.post(
        "/_sandbox/runs", json={"agent": AGENTS[0], "duration": duration, "error": error}
    ).raise_for_status()


def info_of(sdk: Cadenya) -> Any:
    [item] = sdk.agents.schedules.list(AGENTS[0], include_info=True)
    return item.info


def test_the_sdk_reads_fires_as_ints_and_datetimes(sdk: Cadenya, http: httpx.Client) -> None:
    at(http, now="2030-01-07T00:30:00Z")
    sdk.agents.schedules.create(AGENTS[0], metadata={"name": "hourly"}, spec=HOURLY)
    at(http, advance="10800s")  # 01:00, 02:00, 03:00
    info = info_of(sdk)
    assert isinstance(info.total_fires, int) and info.total_fires == 3
    assert info.last_fire_at == datetime(2030, 1, 7, 3, 0, tzinfo=UTC)
    assert info.next_fire_at == datetime(2030, 1, 7, 4, 0, tzinfo=UTC)
    assert info.last_skipped_at is None and info.last_skip_reason is None


def test_the_sdk_reads_an_overlap_skip(sdk: Cadenya, http: httpx.Client) -> None:
    at(http, now="2030-01-07T00:30:00Z")
    sdk.agents.schedules.create(
        AGENTS[0], metadata={"name": "hourly"}, spec=HOURLY
    )  # overlapPolicy unset: SKIP
    runs(http, "5400s")
    at(http, advance="10800s")  # 01:00 runs until 02:30: 02:00 is skipped, 03:00 runs
    info = info_of(sdk)
    assert info.total_fires == 2
    assert info.last_fire_at == datetime(2030, 1, 7, 3, 0, tzinfo=UTC)
    assert isinstance(info.last_skipped_at, datetime)
    assert info.last_skipped_at == datetime(2030, 1, 7, 2, 0, tzinfo=UTC)
    assert isinstance(info.last_skip_reason, str) and "overlap" in info.last_skip_reason


def test_without_include_info_a_list_carries_the_count_only(sdk: Cadenya, http: httpx.Client) -> None:
    at(http, now="2030-01-07T00:30:00Z")
    sdk.agents.schedules.create(AGENTS[0], metadata={"name": "hourly"}, spec=HOURLY)
    runs(http, "5400s")
    at(http, advance="10800s")
    [item] = sdk.agents.schedules.list(AGENTS[0])
    assert item.info.total_fires == 2
    assert item.info.last_skipped_at is None and item.info.last_fire_at is None
    got = sdk.agents.schedules.retrieve(AGENTS[0], item.metadata.id)  # a get always carries the whole info
    assert got.info.last_skipped_at == datetime(2030, 1, 7, 2, 0, tzinfo=UTC)


def test_a_paused_schedule_skips_nothing_and_has_no_next_fire(sdk: Cadenya, http: httpx.Client) -> None:
    at(http, now="2030-01-07T00:30:00Z")
    made = sdk.agents.schedules.create(AGENTS[0], metadata={"name": "hourly"}, spec=HOURLY)
    runs(http, "5400s")
    sdk.agents.schedules.pause(AGENTS[0], made.metadata.id)
    at(http, advance="10800s")
    info = info_of(sdk)
    assert (info.total_fires, info.next_fire_at, info.last_skipped_at) == (0, None, None)
