"""The orq sandbox's current revision (`--api display-name`, SDK >= 4.13): `display_name` required and
returned, `type: cron` only, hourly / daily / weekly shapes only, string metadata. Plain HTTP, since the
pinned SDK (4.12.22) cannot send `display_name`; it still decodes every answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from orq_ai_sdk import Orq

from tests.sandbox.orq.conftest import AGENTS, AUTH, schedules_path
from tests.sandbox_server import API_KEY, Server, running_sandbox

BODY: Any = {
    "display_name": "Morning",
    "type": "cron",
    "expression": "0 0 9 * * 1",
    "payload": {"input": "x"},
}


@pytest.fixture(scope="module")
def current() -> Iterator[Server]:
    with running_sandbox("orq", "--api", "display-name", "--agents", ",".join(AGENTS)) as srv:
        yield srv


@pytest.fixture
def http(current: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=current.url, headers=AUTH) as client:
        client.post("/_sandbox/reset").raise_for_status()
        yield client


def test_display_name_is_required_stored_and_returned(http: httpx.Client, current: Server) -> None:
    made = http.post(schedules_path(), json=BODY)
    assert made.status_code == 201
    body = made.json()
    assert body["display_name"] == "Morning" and body["updated_by_id"] == body["created_by_id"]
    missing = http.post(schedules_path(), json={k: v for k, v in BODY.items() if k != "display_name"})
    assert missing.status_code == 400 and "display_name is required" in missing.json()["error"]["message"]
    renamed = http.patch(f"{schedules_path()}/{body['_id']}", json={"display_name": "Later"})
    assert renamed.json()["display_name"] == "Later" and renamed.json()["generation"] == 1
    with Orq(api_key=API_KEY, server_url=current.url) as sdk:  # the older SDK still decodes it
        [decoded] = sdk.schedules.list(agent_key=AGENTS[0]).schedules or []
        assert decoded.id == body["_id"] and decoded.expression == "0 0 9 * * 1"


@pytest.mark.parametrize("expression", ["0 0 * * * *", "0 0 9 * * *", "0 0 23 * * 0", "0 0 * * * 6"])
def test_hourly_daily_and_weekly_shapes_are_accepted(http: httpx.Client, expression: str) -> None:
    assert http.post(schedules_path(), json={**BODY, "expression": expression}).status_code == 201


@pytest.mark.parametrize(
    ("kind", "expression", "code"),
    [
        ("interval", "@every 1h", "invalid_type"),
        ("once", "@at 2031-01-01T00:00:00Z", "invalid_type"),
        ("cron", "0 0 9 * * mon", "invalid_expression"),
        ("cron", "0 0 9 * * 1-5", "invalid_expression"),
        ("cron", "0 30 9 * * *", "invalid_expression"),
        ("cron", "0 0 9 1 * *", "invalid_expression"),
        ("cron", "0 0 */2 * * *", "invalid_expression"),
        ("cron", "@daily", "invalid_expression"),
    ],
)
def test_everything_else_is_refused(http: httpx.Client, kind: str, expression: str, code: str) -> None:
    refused = http.post(schedules_path(), json={**BODY, "type": kind, "expression": expression})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == code


def test_metadata_values_must_be_strings(http: httpx.Client) -> None:
    payload = {"input": "x", "metadata": {"n": 1}}
    refused = http.post(schedules_path(), json={**BODY, "payload": payload})
    assert refused.status_code == 400 and "strings" in refused.json()["error"]["message"]
