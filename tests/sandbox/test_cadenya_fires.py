"""Fire times over HTTP: `POST /_sandbox/clock` moves time, due schedules fire, `info` follows."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandbox.conftest import AGENTS, BASE
from tests.sandbox_server import Server

SCHEDULES = f"{BASE}/{AGENTS[0]}/schedules"
HOURLY_AT_15 = {"intervals": [{"every": "3600s", "offset": "900s"}], "timezone": "UTC"}
WEEKDAYS_0930_BERLIN = {
    "calendars": [{"hour": [{"start": 9}], "minute": [{"start": 30}], "dayOfWeek": [{"start": 1, "end": 5}]}],
    "timezone": "Europe/Berlin",
}


def at(http: httpx.Client, now: str) -> int:
    response = http.post("/_sandbox/clock", json={"now": now})
    assert response.status_code == 200, response.text
    assert response.json()["now"] == now
    fired: int = response.json()["fired"]
    return fired


def create(http: httpx.Client, schedule: dict[str, Any], name: str = "s") -> str:
    response = http.post(SCHEDULES, json={"metadata": {"name": name}, "spec": {"schedule": schedule}})
    assert response.status_code == 200, response.text
    sid: str = response.json()["metadata"]["id"]
    return sid


def info(http: httpx.Client, sid: str) -> dict[str, Any]:
    result: dict[str, Any] = http.get(f"{SCHEDULES}/{sid}").json()["info"]
    result.pop("createdBy", None)
    return result


def test_calendar_fires_on_weekdays_in_its_zone(http: httpx.Client) -> None:
    at(http, "2030-01-07T00:00:00Z")  # a Monday; Berlin is UTC+1 in January
    sid = create(http, WEEKDAYS_0930_BERLIN)
    assert info(http, sid) == {"totalFires": 0, "nextFireAt": "2030-01-07T08:30:00Z"}
    assert at(http, "2030-01-09T12:00:00Z") == 3
    assert info(http, sid) == {
        "totalFires": 3,
        "lastFireAt": "2030-01-09T08:30:00Z",
        "nextFireAt": "2030-01-10T08:30:00Z",
    }
    assert at(http, "2030-01-14T00:00:00Z") == 2  # Thursday, Friday; not the weekend
    assert info(http, sid)["nextFireAt"] == "2030-01-14T08:30:00Z"


def test_interval_fires_at_its_offset_and_now_is_inclusive(http: httpx.Client) -> None:
    at(http, "2030-01-01T00:00:00Z")
    sid = create(http, HOURLY_AT_15)
    assert info(http, sid)["nextFireAt"] == "2030-01-01T00:15:00Z"
    assert at(http, "2030-01-01T03:15:00Z") == 4
    assert info(http, sid) == {
        "totalFires": 4,
        "lastFireAt": "2030-01-01T03:15:00Z",
        "nextFireAt": "2030-01-01T04:15:00Z",
    }


def test_intervals_run_on_the_wall_clock_of_their_zone(http: httpx.Client) -> None:
    at(http, "2030-01-01T12:00:00Z")
    sid = create(http, {"intervals": [{"every": "86400s"}], "timezone": "Europe/Berlin"})
    assert info(http, sid)["nextFireAt"] == "2030-01-01T23:00:00Z"  # local midnight, not UTC midnight


def test_paused_time_is_not_caught_up(http: httpx.Client) -> None:
    at(http, "2030-01-01T00:00:00Z")
    sid = create(http, HOURLY_AT_15)
    at(http, "2030-01-01T02:00:00Z")
    http.post(f"{SCHEDULES}/{sid}:pause")
    assert at(http, "2030-01-01T05:00:00Z") == 0
    assert info(http, sid) == {"totalFires": 2, "lastFireAt": "2030-01-01T01:15:00Z"}
    resumed = http.post(f"{SCHEDULES}/{sid}:resume").json()
    assert resumed["info"]["nextFireAt"] == "2030-01-01T05:15:00Z"
    at(http, "2030-01-01T06:00:00Z")
    assert info(http, sid)["totalFires"] == 3


def test_archived_schedules_never_fire(http: httpx.Client) -> None:
    at(http, "2030-01-01T00:00:00Z")
    sid = create(http, HOURLY_AT_15)
    http.post(f"{SCHEDULES}/{sid}:archive")
    assert at(http, "2030-01-02T00:00:00Z") == 0
    assert info(http, sid) == {"totalFires": 0}


def test_an_instant_two_rules_share_fires_once(http: httpx.Client) -> None:
    at(http, "2030-01-01T00:00:00Z")
    every_hour_at_15 = {"minute": [{"start": 15}], "hour": [{"start": 0, "end": 23}]}
    sid = create(http, {**HOURLY_AT_15, "calendars": [every_hour_at_15]})
    assert at(http, "2030-01-01T03:00:00Z") == 3
    assert info(http, sid)["totalFires"] == 3


def test_lists_show_fires_as_time_passes(http: httpx.Client) -> None:
    at(http, "2030-01-01T00:00:00Z")
    create(http, HOURLY_AT_15, "a")
    create(http, HOURLY_AT_15, "b")
    assert at(http, "2030-01-01T10:00:00Z") == 20
    listed = http.get(SCHEDULES).json()["items"]
    assert [s["info"] for s in listed] == [
        {"totalFires": 10},
        {"totalFires": 10},
    ]  # no includeInfo: count only


def test_changing_the_schedule_moves_next_fire(http: httpx.Client) -> None:
    at(http, "2030-01-01T00:00:00Z")
    sid = create(http, HOURLY_AT_15)
    at(http, "2030-01-01T01:00:00Z")
    body = {"updateMask": "spec.schedule", "spec": {"schedule": WEEKDAYS_0930_BERLIN}}
    patched = http.patch(f"{SCHEDULES}/{sid}", json=body).json()
    assert patched["spec"]["schedule"] == WEEKDAYS_0930_BERLIN
    assert patched["info"]["nextFireAt"] == "2030-01-01T08:30:00Z"  # a Tuesday
    assert patched["info"]["totalFires"] == 1  # the fire at 00:15 is kept


def test_moving_the_clock_back_neither_fires_nor_forgets(http: httpx.Client) -> None:
    at(http, "2030-01-01T00:00:00Z")
    sid = create(http, HOURLY_AT_15)
    at(http, "2030-01-01T02:00:00Z")
    assert at(http, "2030-01-01T00:30:00Z") == 0
    assert at(http, "2030-01-01T02:10:00Z") == 0  # 00:15 and 01:15 are not counted twice
    assert at(http, "2030-01-01T02:15:00Z") == 1
    assert info(http, sid)["totalFires"] == 3


def test_advance_and_reset(sandbox: Server, http: httpx.Client) -> None:
    at(http, "2030-01-01T00:00:00Z")
    advanced = http.post("/_sandbox/clock", json={"advance": "90s"}).json()
    assert advanced["now"] == "2030-01-01T00:01:30Z"
    assert http.post("/_sandbox/clock", json={"advance": -5}).status_code == 400
    assert http.post("/_sandbox/clock", json={"now": "2030-01-01T00:00:00"}).status_code == 400  # no offset
    http.post("/_sandbox/reset")
    assert http.get("/_sandbox/clock").json()["frozen"] is False
