"""Request validation and wire details of the Cadenya sandbox, over real HTTP with plain httpx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.conftest import AGENTS, BASE, schedule_body
from tests.sandbox_server import Server

SCHEDULES = f"{BASE}/{AGENTS[0]}/schedules"


def status_of(response: httpx.Response) -> tuple[int, int]:
    body = response.json()
    assert set(body) == {"code", "message", "details"} and body["details"] == [], body
    assert isinstance(body["message"], str) and body["message"]
    return response.status_code, body["code"]


def with_schedule(**schedule: Any) -> dict[str, Any]:
    return {"metadata": {"name": "x"}, "spec": {"schedule": schedule}}


@pytest.mark.parametrize(
    "body",
    [
        with_schedule(timezone="UTC"),  # no rule
        with_schedule(calendars=[], intervals=[], timezone="UTC"),
        with_schedule(intervals=[{"every": "60s"}]),  # no timezone
        with_schedule(intervals=[{"every": "60s"}], timezone="Not/AZone"),
        with_schedule(intervals=[{"every": "60s", "offset": "60s"}], timezone="UTC"),  # offset >= every
        with_schedule(intervals=[{"every": "0s"}], timezone="UTC"),
        with_schedule(intervals=[{"every": "1h"}], timezone="UTC"),  # not a protobuf Duration
        with_schedule(intervals=[{"every": "1.5s"}], timezone="UTC"),
        with_schedule(intervals=[{"offset": "5s"}], timezone="UTC"),
        with_schedule(calendars=[{"hour": [{"start": 24}]}], timezone="UTC"),
        with_schedule(calendars=[{"minute": [{"start": 30, "end": 10}]}], timezone="UTC"),
        with_schedule(calendars=[{"dayOfMonth": [{"start": 0}]}], timezone="UTC"),
        with_schedule(calendars=[{"dayOfWeek": [{"start": 7}]}], timezone="UTC"),
        with_schedule(calendars=[{"second": [{"start": 0, "step": -1}]}], timezone="UTC"),
        with_schedule(calendars=[{"hour": [{"start": "nine"}]}], timezone="UTC"),
        with_schedule(calendars=[{"hour": {"start": 9}}], timezone="UTC"),
        {"spec": schedule_body("x")["spec"]},  # no metadata
        {"metadata": {"name": "  "}, "spec": schedule_body("x")["spec"]},
        {"metadata": {"name": "x"}},  # no spec
        {"metadata": {"name": "x", "labels": {"bad key!": "v"}}, "spec": schedule_body("x")["spec"]},
        {"metadata": {"name": "x", "labels": {"k": "v" * 64}}, "spec": schedule_body("x")["spec"]},
        {"metadata": {"name": "x", "labels": {"k": 1}}, "spec": schedule_body("x")["spec"]},
        {"metadata": {"name": "x", "labels": {"k": "v\n"}}, "spec": schedule_body("x")["spec"]},
        schedule_body("x", overlapPolicy="SOMETIMES"),
        schedule_body("x", data=["not", "an", "object"]),
        schedule_body("x", initialMessage="a", firstUserMessage="b"),  # one field, two values
        [1, 2, 3],
    ],
)
def test_invalid_creates_are_400_invalid_argument(http: httpx.Client, body: Any) -> None:
    assert status_of(http.post(SCHEDULES, json=body)) == (400, 3)
    assert http.get(SCHEDULES).json()["items"] == []


def test_malformed_json_is_400(http: httpx.Client) -> None:
    response = http.post(SCHEDULES, content=b"{not json", headers={"content-type": "application/json"})
    assert status_of(response) == (400, 3)


def test_seed_names_in_both_spellings_out(http: httpx.Client) -> None:
    body = schedule_body("x", initialMessage="hi", data={"a": 1}, userData={"b": 2})
    body["metadata"] |= {"bundleKey": "team", "labels": {"cadenya.com/owner": "ops"}}
    made = http.post(SCHEDULES, json=body).json()
    assert made["metadata"]["bundleKey"] == "team"
    assert made["metadata"]["labels"] == {"cadenya.com/owner": "ops"}
    spec = made["spec"]
    assert (spec["initialMessage"], spec["firstUserMessage"]) == ("hi", "hi")
    assert (spec["data"], spec["systemPromptData"]) == ({"a": 1}, {"a": 1})
    assert (spec["userData"], spec["firstUserMessageData"]) == ({"b": 2}, {"b": 2})
    assert spec["schedule"] == {"intervals": [{"every": "3600s", "offset": "900s"}], "timezone": "UTC"}


def test_protobuf_json_leniency(http: httpx.Client) -> None:
    """snake_case keys, integers as strings, enums by number, null as unset, unknown keys ignored."""
    body = {
        "metadata": {"name": "x", "external_id": "e", "bundle_key": "k", "labels": None, "colour": "red"},
        "spec": {
            "schedule": {"calendars": [{"day_of_week": [{"start": "1", "end": 5.0}]}], "timezone": "UTC"},
            "first_user_message": "hi",
            "overlap_policy": 1,
        },
    }
    made = http.post(SCHEDULES, json=body)
    assert made.status_code == 200, made.text
    got = made.json()
    assert (got["metadata"]["externalId"], got["metadata"]["bundleKey"], got["metadata"]["labels"]) == (
        "e",
        "k",
        {},
    )
    assert got["spec"]["schedule"]["calendars"] == [{"dayOfWeek": [{"start": 1, "end": 5}]}]
    assert got["spec"]["overlapPolicy"] == "OVERLAP_POLICY_ALLOW"


def test_sdk_required_fields_are_always_present(http: httpx.Client) -> None:
    made = http.post(SCHEDULES, json=schedule_body("x")).json()
    assert {
        "id",
        "accountId",
        "workspaceId",
        "name",
        "externalId",
        "labels",
        "profileId",
        "createdAt",
    } <= set(made["metadata"])
    assert made["metadata"]["externalId"] == "" and made["metadata"]["labels"] == {}
    assert made["info"]["totalFires"] == 0 and made["state"] == "STATE_ACTIVE"
    assert made["info"]["nextFireAt"].endswith(":15:00Z")


def test_custom_methods_need_no_body_and_no_content_type(http: httpx.Client) -> None:
    sid = http.post(SCHEDULES, json=schedule_body("x")).json()["metadata"]["id"]
    for verb, state in (("pause", "STATE_PAUSED"), ("resume", "STATE_ACTIVE"), ("archive", "STATE_ARCHIVED")):
        response = http.post(f"{SCHEDULES}/{sid}:{verb}")
        assert response.status_code == 200 and response.json()["state"] == state
    assert status_of(http.post(f"{SCHEDULES}/{sid}:explode")) == (405, 12)


def test_delete_answers_empty_object_then_404(http: httpx.Client) -> None:
    sid = http.post(SCHEDULES, json=schedule_body("x")).json()["metadata"]["id"]
    response = http.delete(f"{SCHEDULES}/{sid}")
    assert (response.status_code, response.json()) == (200, {})
    assert status_of(http.delete(f"{SCHEDULES}/{sid}")) == (404, 5)


def test_a_schedule_is_only_found_under_its_own_agent(http: httpx.Client) -> None:
    sid = http.post(SCHEDULES, json=schedule_body("x")).json()["metadata"]["id"]
    assert status_of(http.get(f"{BASE}/{AGENTS[1]}/schedules/{sid}")) == (404, 5)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "-1"},
        {"limit": "ten"},
        {"cursor": "garbage!"},
        {"sortOrder": "sideways"},
        {"includeInfo": "maybe"},
        {"labels": "novalue"},
    ],
)
def test_invalid_list_queries_are_400(http: httpx.Client, params: dict[str, str]) -> None:
    assert status_of(http.get(SCHEDULES, params=params)) == (400, 3)


def test_pagination_cursor_is_bound_to_its_filters(http: httpx.Client) -> None:
    for i in range(3):
        http.post(SCHEDULES, json=schedule_body(f"s{i}"))
    first = http.get(SCHEDULES, params={"limit": 2}).json()
    cursor = first["pagination"]["nextCursor"]
    assert cursor and first["pagination"]["next_cursor"] == cursor
    last = http.get(SCHEDULES, params={"limit": 2, "cursor": cursor}).json()
    assert [s["metadata"]["name"] for s in last["items"]] == ["s2"]
    assert last["pagination"] == {"nextCursor": "", "next_cursor": ""}
    assert status_of(http.get(SCHEDULES, params={"limit": 2, "cursor": cursor, "sortOrder": "desc"})) == (
        400,
        3,
    )


def test_limit_defaults_to_50_and_is_capped_at_1000(http: httpx.Client) -> None:
    for i in range(51):
        http.post(SCHEDULES, json=schedule_body(f"s{i:02d}"))
    assert len(http.get(SCHEDULES).json()["items"]) == 50
    assert len(http.get(SCHEDULES, params={"limit": 5000}).json()["items"]) == 51


def test_bundle_key_filter(http: httpx.Client) -> None:
    for name, key in (("a", "team"), ("b", "other"), ("c", None)):
        body = schedule_body(name)
        if key:
            body["metadata"]["bundleKey"] = key
        http.post(SCHEDULES, json=body)
    names = [s["metadata"]["name"] for s in http.get(SCHEDULES, params={"bundleKey": "team"}).json()["items"]]
    assert names == ["a"]


def test_patch_without_mask_replaces_the_fields_sent(http: httpx.Client) -> None:
    body = schedule_body("x", initialMessage="hi")
    body["metadata"]["labels"] = {"a": "1", "b": "2"}
    sid = http.post(SCHEDULES, json=body).json()["metadata"]["id"]
    patched = http.patch(
        f"{SCHEDULES}/{sid}",
        json={"metadata": {"labels": {"c": "3"}}, "spec": {"schedule": {"timezone": "Asia/Tokyo"}}},
    ).json()
    assert patched["metadata"]["labels"] == {"c": "3"}  # a map is replaced whole
    assert patched["spec"]["schedule"]["timezone"] == "Asia/Tokyo"
    assert patched["spec"]["schedule"]["intervals"] == [{"every": "3600s", "offset": "900s"}]
    assert patched["spec"]["initialMessage"] == "hi"


def test_an_empty_mask_is_no_mask(http: httpx.Client) -> None:
    sid = http.post(SCHEDULES, json=schedule_body("x")).json()["metadata"]["id"]
    patched = http.patch(f"{SCHEDULES}/{sid}", json={"updateMask": "", "metadata": {"labels": {"k": "v"}}})
    assert patched.json()["metadata"]["labels"] == {"k": "v"}


def test_archived_schedules_can_be_patched_and_come_back_paused(http: httpx.Client) -> None:
    sid = http.post(SCHEDULES, json=schedule_body("x")).json()["metadata"]["id"]
    http.post(f"{SCHEDULES}/{sid}:archive")
    patched = http.patch(f"{SCHEDULES}/{sid}", json={"metadata": {"externalId": "e"}}).json()
    assert (patched["state"], patched["metadata"]["externalId"]) == ("STATE_ARCHIVED", "e")
    back = http.post(f"{SCHEDULES}/{sid}:pause").json()
    assert back["state"] == "STATE_PAUSED" and "nextFireAt" not in back["info"]


def test_patch_mask_clears_fields_missing_from_the_body(http: httpx.Client) -> None:
    sid = http.post(SCHEDULES, json=schedule_body("x", initialMessage="hi", variationId="v1")).json()[
        "metadata"
    ]["id"]
    cleared = http.patch(
        f"{SCHEDULES}/{sid}",
        json={"updateMask": "spec.first_user_message,spec.variation_id", "spec": {"variationId": "v2"}},
    ).json()
    assert "initialMessage" not in cleared["spec"] and "firstUserMessage" not in cleared["spec"]
    assert cleared["spec"]["variationId"] == "v2"
    via_query = http.patch(
        f"{SCHEDULES}/{sid}",
        params={"updateMask": "metadata.external_id"},
        json={"metadata": {"externalId": "e"}},
    )
    assert via_query.json()["metadata"]["externalId"] == "e"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"updateMask": "spec.nonsense"}, 400),
        ({"updateMask": "state"}, 400),  # output only: use the custom methods
        ({"updateMask": "metadata.name"}, 400),  # a required field cannot be cleared
        ({"updateMask": "spec.schedule"}, 400),  # cleared schedule: no rule left
        ({"spec": {"schedule": {"intervals": [{"every": "5s", "offset": "9s"}]}}}, 400),
        ({"updateMask": 7}, 400),
    ],
)
def test_invalid_patches_are_400_and_change_nothing(http: httpx.Client, body: Any, code: int) -> None:
    made = http.post(SCHEDULES, json=schedule_body("x")).json()
    assert status_of(http.patch(f"{SCHEDULES}/{made['metadata']['id']}", json=body))[0] == code
    assert http.get(f"{SCHEDULES}/{made['metadata']['id']}").json() == made


def test_patch_that_changes_nothing_keeps_updated_at(sandbox: Server, http: httpx.Client) -> None:
    made = http.post(SCHEDULES, json=schedule_body("x")).json()
    sandbox.admin("POST", "clock", {"advance": "60s"})
    same = http.patch(f"{SCHEDULES}/{made['metadata']['id']}", json={"metadata": {"name": "x"}}).json()
    assert same["metadata"]["updatedAt"] == made["metadata"]["updatedAt"]


def test_rename_onto_a_taken_name_is_409(http: httpx.Client) -> None:
    http.post(SCHEDULES, json=schedule_body("a"))
    sid = http.post(SCHEDULES, json=schedule_body("b")).json()["metadata"]["id"]
    assert status_of(http.patch(f"{SCHEDULES}/{sid}", json={"metadata": {"name": "a"}})) == (409, 6)
    assert http.patch(f"{SCHEDULES}/{sid}", json={"metadata": {"name": "c"}}).status_code == 200
    assert http.post(SCHEDULES, json=schedule_body("b")).status_code == 200  # the old name is free again


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, "missing"),
        ({"Authorization": "Bearer wrong"}, "invalid"),
        ({"Authorization": "Basic abc"}, "missing"),
    ],
)
def test_auth_failures_are_401_in_status_shape(
    sandbox: Server, headers: dict[str, str], fragment: str
) -> None:
    for path in (SCHEDULES, "/_sandbox/stats"):
        response = httpx.get(sandbox.url + path, headers=headers)
        assert status_of(response) == (401, 16)
        assert fragment in response.json()["message"]


def test_unknown_routes_are_404_in_status_shape(http: httpx.Client) -> None:
    assert status_of(http.get("/v2/nothing")) == (404, 5)


def test_stats_count_requests_per_route_and_status(sandbox: Server, http: httpx.Client) -> None:
    http.post(SCHEDULES, json=schedule_body("x"))
    http.post(SCHEDULES, json=schedule_body("x"))
    http.get(SCHEDULES)
    stats = sandbox.admin("GET", "stats")
    route = "/v1/workspaces/{workspace_id}/agents/{agent_id}/schedules"
    assert stats["routes"] == {f"POST {route}": {"200": 1, "409": 1}, f"GET {route}": {"200": 1}}
    assert stats["total"] == 3


def test_admin_creates_agents_idempotently(sandbox: Server, http: httpx.Client) -> None:
    first = http.post(
        "/_sandbox/agents", json={"id": "agent_new", "workspace": "ws_other", "labels": {"k": "v"}}
    )
    again = http.post("/_sandbox/agents", json={"id": "agent_new", "workspace": "ws_other"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["metadata"]["labels"] == {"k": "v"}
    listed = http.get("/v1/workspaces/ws_other/agents").json()["items"]
    assert [a["metadata"]["id"] for a in listed] == ["agent_new"]
    assert status_of(http.post("/_sandbox/agents", json={"workspace": "ws_other"})) == (400, 3)
