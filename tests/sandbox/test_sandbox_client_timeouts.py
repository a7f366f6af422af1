"""A client that gives up (times out) while the sandbox is still holding its request: the request is not run,
the server says nothing on stderr, and it keeps answering everyone else.

Found by the fault soak (tests/reliability): each such request used to reach uvicorn as an "Exception in
ASGI application" with a full traceback; a few dozen filled the stderr pipe of a test harness that did not
read it, and the blocked server then hung every request, the admin routes included.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.sandbox_server import API_KEY, running_sandbox

AUTH = {"Authorization": f"Bearer {API_KEY}"}
BODY = {"name": "nightly", "cron_schedule": "0 3 * * *", "prompt": "Summarise the night"}


def test_requests_abandoned_by_timed_out_clients_are_not_run_and_the_server_stays_quiet() -> None:
    with running_sandbox("oz", "--latency", "150") as server:
        impatient = httpx.Client(base_url=server.url, headers=AUTH, timeout=0.05)
        for _ in range(40):  # far more than a 64 KiB pipe held as tracebacks
            with pytest.raises(httpx.ReadTimeout):
                impatient.post("/agent/schedules", json=BODY)
        time.sleep(0.3)  # every abandoned request has left the server's latency wait
        admin = httpx.Client(base_url=server.url, headers=AUTH, timeout=5)
        routes = admin.get("/_sandbox/stats").json()["routes"]
        assert routes["POST /agent/schedules"] == {"disconnect": 40}
        admin.post("/_sandbox/traffic", json={"latency": None}).raise_for_status()
        assert admin.get("/agent/schedules").json()["schedules"] == []  # none of them was created
        assert admin.post("/agent/schedules", json=BODY).status_code == 200  # and it still serves
        assert not [line for line in server.stderr if "Exception" in line or "Traceback" in line]
