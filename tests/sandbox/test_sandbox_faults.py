"""Traffic shaping: seeded faults repeat exactly, drops and lost answers look like a broken connection,
429/503 carry Retry-After, the rate limit and latency apply, and the admin routes are never touched."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from cadenya import APIConnectionError, Cadenya

from reconciler.sandbox.config import FAULT_KINDS, Latency, Traffic, parse_fault_kinds
from reconciler.sandbox.faults import fault_for
from tests.sandbox.conftest import AGENTS, BASE, WS, schedule_body
from tests.sandbox_server import API_KEY, Server, running_sandbox

SCHEDULES = f"{BASE}/{AGENTS[0]}/schedules"


# --- the decision itself ----------------------------------------------------------------------------
def test_fault_depends_only_on_seed_and_index() -> None:
    first = [fault_for(7, k, 0.3, FAULT_KINDS) for k in range(2000)]
    assert first == [fault_for(7, k, 0.3, FAULT_KINDS) for k in range(2000)]
    assert first != [fault_for(8, k, 0.3, FAULT_KINDS) for k in range(2000)]
    share = sum(f is not None for f in first) / len(first)
    assert 0.25 < share < 0.35
    assert {f for f in first if f} == set(FAULT_KINDS)


def test_fault_rate_bounds_and_kind_choice() -> None:
    assert all(fault_for(1, k, 0.0, FAULT_KINDS) is None for k in range(500))
    assert all(fault_for(1, k, 1.0, ("lost",)) == "lost" for k in range(500))


def test_switch_parsing() -> None:
    assert Latency.parse("20") == Latency(20, 20) and str(Latency.parse("10-30")) == "10-30"
    assert parse_fault_kinds("lost, drop") == ("drop", "lost")
    for bad in ("fast", "30-10", "-5"):
        with pytest.raises(ValueError):
            Latency.parse(bad)
    with pytest.raises(ValueError):
        parse_fault_kinds("500,teapot")
    with pytest.raises(ValueError):
        Traffic(fault_rate=1.5)
    with pytest.raises(ValueError):
        Traffic(rate_limit=0)


# --- over real HTTP ---------------------------------------------------------------------------------
BROKEN = "broken connection"


def outcome(call: Any) -> int | str:
    try:
        return int(call().status_code)
    except httpx.TransportError:
        # A dropped connection reaches the client as a close without an answer or as a reset, by timing.
        return BROKEN


def run_sequence(server: Server) -> tuple[list[int | str], Any]:
    """The same 40 requests, in the same order: creates, reads and a list."""
    results: list[int | str] = []
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        for i in range(20):
            results.append(outcome(lambda i=i: client.post(SCHEDULES, json=schedule_body(f"s{i:02d}"))))
            results.append(outcome(lambda: client.get(SCHEDULES, params={"limit": 5})))
        stats = client.get("/_sandbox/stats").json()
    return results, stats


def test_same_seed_same_requests_same_faults() -> None:
    args = ("--workspace", WS, "--agents", ",".join(AGENTS), "--fault-rate", "0.3", "--seed", "7")
    with running_sandbox("cadenya", *args) as one:
        first, first_stats = run_sequence(one)
    with running_sandbox("cadenya", *args) as two:
        second, second_stats = run_sequence(two)
    assert first == second
    assert first_stats == second_stats
    expected = {None: 200, "500": 500, "503": 503, "429": 429, "drop": BROKEN, "lost": BROKEN}
    assert first == [expected[fault_for(7, k, 0.3, FAULT_KINDS)] for k in range(40)]
    assert 200 in first and {500, 503, 429, BROKEN} & set(first)


def faults(http: httpx.Client, **settings: Any) -> None:
    assert http.post("/_sandbox/traffic", json=settings).status_code == 200


def test_dropped_connection_is_a_transport_error_and_nothing_is_written(
    http: httpx.Client, sdk: Cadenya
) -> None:
    faults(http, faultRate=1, faultKinds=["drop"])
    # The dropped connection reaches the client as a close without an answer or as a reset, depending on
    # timing (a reset was seen under load): either is a transport error, and that is what matters.
    with pytest.raises(httpx.TransportError):
        http.post(SCHEDULES, json=schedule_body("dropped"))
    with pytest.raises(APIConnectionError):
        sdk.agents.schedules.create(
            AGENTS[0], metadata={"name": "dropped-too"}, spec=schedule_body("x")["spec"]
        )
    faults(http, faultRate=0)
    assert http.get(SCHEDULES).json()["items"] == []


def test_lost_answer_still_commits_the_write(sandbox: Server, http: httpx.Client, sdk: Cadenya) -> None:
    faults(http, faultRate=1, faultKinds=["lost"])
    with pytest.raises(httpx.TransportError):  # a close without an answer or a reset, by timing
        http.post(SCHEDULES, json=schedule_body("committed"))
    with pytest.raises(APIConnectionError):
        sdk.agents.schedules.create(AGENTS[0], metadata={"name": "also"}, spec=schedule_body("x")["spec"])
    faults(http, faultRate=0)
    assert [s["metadata"]["name"] for s in http.get(SCHEDULES).json()["items"]] == ["committed", "also"]
    route = "POST /v1/workspaces/{workspace_id}/agents/{agent_id}/schedules"
    assert sandbox.admin("GET", "stats")["routes"][route] == {"lost": 2}


@pytest.mark.parametrize(("kind", "code"), [("429", 8), ("503", 14), ("500", 13)])
def test_error_faults_use_the_status_shape_and_retry_after(http: httpx.Client, kind: str, code: int) -> None:
    faults(http, faultRate=1, faultKinds=[kind], retryAfter=3)
    response = http.get(SCHEDULES)
    assert response.status_code == int(kind)
    assert response.json()["code"] == code
    assert response.headers.get("retry-after") == (None if kind == "500" else "3")
    assert http.get("/_sandbox/stats").status_code == 200  # admin routes are never faulted
    faults(http, faultRate=0)
    assert http.get(SCHEDULES).status_code == 200


def test_rate_limit_answers_429_with_retry_after(http: httpx.Client) -> None:
    faults(http, rateLimit=2)
    statuses = [http.get(SCHEDULES) for _ in range(5)]
    assert [r.status_code for r in statuses][:2] == [200, 200]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and limited[0].json()["code"] == 8
    assert int(limited[0].headers["retry-after"]) >= 1 and int(limited[0].headers["retry-after-ms"]) > 0
    assert all(http.get("/_sandbox/clock").status_code == 200 for _ in range(5))  # admin: not limited


def test_latency_delays_vendor_requests(http: httpx.Client) -> None:
    faults(http, latency="120")
    started = time.perf_counter()
    assert http.get(SCHEDULES).status_code == 200
    assert time.perf_counter() - started >= 0.12
    assert http.get("/_sandbox/traffic").json()["latency"] == "120"


def test_reset_restores_the_launch_settings(http: httpx.Client) -> None:
    faults(http, faultRate=1, latency="5-10", rateLimit=50)
    http.post("/_sandbox/reset")
    assert http.get("/_sandbox/traffic").json() == {
        "latency": None,
        "rateLimit": None,
        "faultRate": 0.0,
        "seed": 0,
        "faultKinds": list(FAULT_KINDS),
        "retryAfter": 1,
    }


def test_invalid_traffic_settings_are_400(http: httpx.Client) -> None:
    for body in ({"faultRate": 2}, {"latency": "soon"}, {"faultKinds": ["teapot"]}, {"rateLimit": -1}):
        assert http.post("/_sandbox/traffic", json=body).status_code == 400
