"""Conformance: the TBD Agents sandbox, started as a real `reconciler sandbox serve --port 0` subprocess,
answers as the server code does (there is no SDK: plain HTTP is what clients use)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.sandbox_server import API_KEY, Server, running_sandbox

LOGIN = "octocat"
WORKFLOWS = ("wf_docs", "wf_ops")
BASE = "/api/scheduled-agents"


@pytest.fixture(scope="module")
def tbd_server() -> Iterator[Server]:
    with running_sandbox("tbd-agents", "--workspace", LOGIN, "--agents", ",".join(WORKFLOWS)) as srv:
        yield srv


@pytest.fixture
def sandbox(tbd_server: Server) -> Server:
    tbd_server.admin("POST", "reset")
    return tbd_server


@pytest.fixture
def http(sandbox: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        yield client


def body(**fields: Any) -> dict[str, Any]:
    return {
        "name": "daily-doc-review",
        "workflow_id": WORKFLOWS[0],
        "prompt": "Review the documentation backlog.",
        "interval_value": 1,
        "interval_unit": "days",
        "start_at": "2026-05-15T09:00:00Z",
        "end_at": None,
        **fields,
    }


def create(http: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = http.post(BASE, json=body(**fields))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_env_vars_name_the_sandbox(sandbox: Server) -> None:
    assert sandbox.env["TBD_AGENTS_BASE_URL"] == sandbox.url


def test_create_is_201_with_the_full_object_and_no_next_run(http: httpx.Client) -> None:
    made = create(http)
    assert len(made["id"]) == 24 and int(made["id"], 16) >= 0  # a Mongo ObjectId
    assert made["enabled"] is True and made["last_run_at"] is None
    assert made["next_run_at"] is None  # the docs' example (next_run_at = start_at) is not what the code does
    assert made["start_at"] == "2026-05-15T09:00:00Z" and made["end_at"] is None
    assert made["created_at"].endswith("Z") and made["created_at"] == made["updated_at"]
    assert list(made) == [
        "id",
        "name",
        "workflow_id",
        "prompt",
        "interval_value",
        "interval_unit",
        "start_at",
        "end_at",
        "enabled",
        "last_run_at",
        "next_run_at",
        "created_at",
        "updated_at",
    ]


def test_reads_come_back_naive_from_mongo(http: httpx.Client) -> None:
    made = create(http)
    got = http.get(f"{BASE}/{made['id']}").json()
    assert got["start_at"] == "2026-05-15T09:00:00"  # no offset: Motor returns naive UTC datetimes
    assert got["created_at"] == made["created_at"].removesuffix("Z")


def test_list_is_a_bare_array_newest_first_of_the_callers_workflows(
    sandbox: Server, http: httpx.Client
) -> None:
    sandbox.admin("POST", "agents", {"id": "wf_theirs", "workspace": "someone-else"})
    first = create(http, name="a")
    sandbox.admin("POST", "clock", {"advance": "1s"})
    second = create(http, name="b", workflow_id=WORKFLOWS[1])
    listed = http.get(BASE).json()
    assert [s["id"] for s in listed] == [second["id"], first["id"]]
    assert http.post(BASE, json=body(workflow_id="wf_theirs")).json() == {"detail": "Not your workflow"}


def test_names_are_not_unique(http: httpx.Client) -> None:
    create(http, name="same")
    create(http, name="same")
    assert [s["name"] for s in http.get(BASE).json()] == ["same", "same"]


def test_workflows_are_the_callers(sandbox: Server, http: httpx.Client) -> None:
    sandbox.admin("POST", "agents", {"id": "wf_theirs", "workspace": "someone-else"})
    listed = http.get("/api/workflows").json()
    assert [w["id"] for w in listed] == list(WORKFLOWS) and {w["github_user"] for w in listed} == {LOGIN}


def test_patch_ignores_nulls_and_unknown_keys(http: httpx.Client) -> None:
    made = create(http, end_at="2026-06-01T00:00:00Z")
    patched = http.patch(
        f"{BASE}/{made['id']}", json={"end_at": None, "prompt": "New", "workflow_id": "x", "enabled": False}
    ).json()
    assert patched["end_at"] == "2026-06-01T00:00:00"  # null cannot clear it
    assert (
        patched["prompt"] == "New" and patched["workflow_id"] == WORKFLOWS[0] and patched["enabled"] is True
    )
    assert patched["updated_at"].endswith("Z")  # set by this request
    unchanged = http.patch(f"{BASE}/{made['id']}", json={}).json()
    assert unchanged["updated_at"] == patched["updated_at"].removesuffix("Z")


def test_enable_and_disable_are_idempotent_patches(http: httpx.Client) -> None:
    made = create(http)
    path = f"{BASE}/{made['id']}"
    assert http.patch(f"{path}/disable").json()["enabled"] is False
    assert http.patch(f"{path}/disable").json()["enabled"] is False
    assert http.patch(f"{path}/enable").json()["enabled"] is True
    assert http.post(f"{path}/enable").status_code == 405


def test_delete_is_204_without_a_body(http: httpx.Client) -> None:
    made = create(http)
    response = http.delete(f"{BASE}/{made['id']}")
    assert response.status_code == 204 and response.content == b""
    assert http.get(f"{BASE}/{made['id']}").json() == {"detail": "Scheduled agent not found"}


@pytest.mark.parametrize(
    ("fields", "loc", "kind"),
    [
        ({"interval_unit": "weeks"}, ["body", "interval_unit"], "enum"),
        ({"interval_value": 0}, ["body", "interval_value"], "greater_than_equal"),
        ({"start_at": None}, ["body", "start_at"], "datetime_type"),
        ({"start_at": "soon"}, ["body", "start_at"], "datetime_from_date_parsing"),
    ],
)
def test_validation_errors_are_fastapis_422(
    http: httpx.Client, fields: dict[str, Any], loc: list[str], kind: str
) -> None:
    response = http.post(BASE, json=body(**fields))
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == loc and error["type"] == kind and error["msg"] and "input" in error


def test_missing_fields_and_bad_json_are_422(http: httpx.Client) -> None:
    detail = http.post(BASE, json={"name": "x"}).json()["detail"]
    assert {tuple(e["loc"]) for e in detail} == {
        ("body", "workflow_id"),
        ("body", "prompt"),
        ("body", "interval_value"),
        ("body", "start_at"),
    }
    bad = http.post(BASE, content=b"{nope", headers={"Content-Type": "application/json"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["type"] == "json_invalid"


def test_unknown_workflow_is_404(http: httpx.Client) -> None:
    response = http.post(BASE, json=body(workflow_id="wf_missing"))
    assert (response.status_code, response.json()) == (404, {"detail": "Workflow not found"})


def test_first_fire_is_one_interval_after_registration(sandbox: Server, http: httpx.Client) -> None:
    sandbox.admin("POST", "clock", {"now": "2026-05-15T08:00:00Z"})
    made = create(http, interval_value=30, interval_unit="minutes", start_at="2026-05-20T00:00:00Z")
    path = f"{BASE}/{made['id']}"
    assert sandbox.admin("POST", "clock", {"advance": "1799s"})["fired"] == 0
    assert (
        sandbox.admin("POST", "clock", {"advance": "1s"})["fired"] == 1
    )  # start_at is not what Beat counts from
    got = http.get(path).json()
    assert (got["last_run_at"], got["next_run_at"]) == ("2026-05-15T08:30:00", "2026-05-15T09:00:00")
    sandbox.admin("POST", "clock", {"advance": "600s"})
    http.patch(path, json={"interval_value": 1, "interval_unit": "hours"})  # re-registered at 08:40
    assert sandbox.admin("POST", "clock", {"now": "2026-05-15T09:39:00Z"})["fired"] == 0
    assert sandbox.admin("POST", "clock", {"now": "2026-05-15T09:40:00Z"})["fired"] == 1


def test_disabled_schedules_do_not_fire_and_enable_registers_again(
    sandbox: Server, http: httpx.Client
) -> None:
    sandbox.admin("POST", "clock", {"now": "2026-05-15T08:00:00Z"})
    made = create(http, interval_value=1, interval_unit="hours")
    path = f"{BASE}/{made['id']}"
    http.patch(f"{path}/disable")
    assert sandbox.admin("POST", "clock", {"advance": "7200s"})["fired"] == 0
    http.patch(f"{path}/enable")  # 10:00
    assert sandbox.admin("POST", "clock", {"now": "2026-05-15T10:59:00Z"})["fired"] == 0
    assert sandbox.admin("POST", "clock", {"now": "2026-05-15T11:00:00Z"})["fired"] == 1


def test_end_at_disables_at_the_first_tick_after_it(sandbox: Server, http: httpx.Client) -> None:
    sandbox.admin("POST", "clock", {"now": "2026-05-15T08:00:00Z"})
    made = create(http, interval_value=1, interval_unit="hours", end_at="2026-05-15T10:30:00Z")
    assert sandbox.admin("POST", "clock", {"now": "2026-05-15T12:00:00Z"})["fired"] == 2  # 09:00, 10:00
    got = http.get(f"{BASE}/{made['id']}").json()
    assert got["enabled"] is False and got["last_run_at"] == "2026-05-15T10:00:00"
    assert got["updated_at"] == "2026-05-15T11:00:00"  # the tick that found the window over


def test_a_tick_while_the_previous_run_is_active_is_skipped(sandbox: Server, http: httpx.Client) -> None:
    """The server finds the previous run's TaskExecution still PENDING/RUNNING and skips the tick: nothing
    on the schedule moves (no skip count, no skip time: only its log says so)."""
    sandbox.admin("POST", "clock", {"now": "2026-05-15T08:00:00Z"})
    sandbox.admin("POST", "runs", {"agent": WORKFLOWS[0], "duration": "9000s"})  # 2.5 h runs
    made = create(http, interval_value=1, interval_unit="hours")
    path = f"{BASE}/{made['id']}"
    assert sandbox.admin("POST", "clock", {"now": "2026-05-15T09:00:00Z"})["fired"] == 1  # runs until 11:30
    ran = http.get(path).json()
    assert (
        sandbox.admin("POST", "clock", {"now": "2026-05-15T11:00:00Z"})["fired"] == 0
    )  # 10:00, 11:00 skipped
    assert http.get(path).json() == ran  # last_run_at, next_run_at, updated_at: all as they were
    assert (ran["last_run_at"], ran["next_run_at"]) == ("2026-05-15T09:00:00", "2026-05-15T10:00:00")
    assert sandbox.admin("POST", "clock", {"now": "2026-05-15T12:00:00Z"})["fired"] == 1  # the run ended
    got = http.get(path).json()
    assert (got["last_run_at"], got["next_run_at"]) == ("2026-05-15T12:00:00", "2026-05-15T13:00:00")
    # A day at once: every third tick runs (12:00, 15:00, ... 09:00 next day)
    assert sandbox.admin("POST", "clock", {"now": "2026-05-16T10:00:00Z"})["fired"] == 7
    assert http.get(path).json()["last_run_at"] == "2026-05-16T09:00:00"


def test_a_run_that_ends_on_the_tick_or_fails_to_start_never_skips(
    sandbox: Server, http: httpx.Client
) -> None:
    sandbox.admin("POST", "clock", {"now": "2026-05-15T08:00:00Z"})
    sandbox.admin("POST", "runs", {"agent": WORKFLOWS[0], "duration": "3600s"})  # ends as the next tick comes
    sandbox.admin("POST", "runs", {"agent": WORKFLOWS[1], "duration": "86400s", "error": "no such skill"})
    on_time = create(http, interval_value=1, interval_unit="hours")
    failing = create(http, workflow_id=WORKFLOWS[1], interval_value=1, interval_unit="hours")
    assert sandbox.admin("POST", "clock", {"now": "2026-05-15T13:00:00Z"})["fired"] == 10
    for made in (on_time, failing):  # a failed start leaves no run active; the schedule shows no error
        got = http.get(f"{BASE}/{made['id']}").json()
        assert got["last_run_at"] == "2026-05-15T13:00:00" and set(got) == set(made)


def test_the_previous_run_outlives_a_disable_and_enable(sandbox: Server, http: httpx.Client) -> None:
    sandbox.admin("POST", "clock", {"now": "2026-05-15T08:00:00Z"})
    sandbox.admin("POST", "runs", {"agent": WORKFLOWS[0], "duration": "7200s"})
    made = create(http, interval_value=1, interval_unit="hours")
    path = f"{BASE}/{made['id']}"
    sandbox.admin("POST", "clock", {"now": "2026-05-15T09:00:00Z"})  # runs until 11:00
    http.patch(f"{path}/disable")
    http.patch(f"{path}/enable")  # re-registered at 09:00: ticks 10:00 (skipped), 11:00 (runs)
    assert sandbox.admin("POST", "clock", {"now": "2026-05-15T10:30:00Z"})["fired"] == 0
    assert sandbox.admin("POST", "clock", {"now": "2026-05-15T11:00:00Z"})["fired"] == 1


def test_missing_or_wrong_token_is_401(sandbox: Server) -> None:
    anonymous = httpx.get(sandbox.url + BASE)
    assert anonymous.status_code == 401 and "detail" in anonymous.json()
    wrong = httpx.get(sandbox.url + BASE, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
