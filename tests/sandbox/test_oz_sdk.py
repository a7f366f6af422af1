"""Conformance: the official `oz-agent-sdk` (0.15.0) drives the Oz sandbox, started as a real
`reconciler sandbox serve --port 0` subprocess, through the whole schedule lifecycle; errors surface as the
SDK's own exception types with RFC 7807 bodies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from oz_agent_sdk import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    OzAPI,
)

from tests.sandbox_server import API_KEY, Server, running_sandbox

TEAM = "team_conformance"
AGENTS = ("agent_ops", "agent_docs")


@pytest.fixture(scope="module")
def oz_server() -> Iterator[Server]:
    with running_sandbox("oz", "--workspace", TEAM, "--agents", ",".join(AGENTS)) as srv:
        yield srv


@pytest.fixture(scope="module")
def oz_session(oz_server: Server) -> Iterator[OzAPI]:
    with OzAPI(api_key=API_KEY, base_url=oz_server.url, max_retries=0) as client:
        yield client


@pytest.fixture
def sandbox(oz_server: Server) -> Server:
    oz_server.admin("POST", "reset")
    return oz_server


@pytest.fixture
def oz(sandbox: Server, oz_session: OzAPI) -> OzAPI:
    return oz_session


@pytest.fixture
def http(sandbox: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        yield client


def create(oz: OzAPI, name: str = "nightly", **fields: Any) -> Any:
    body: Any = {"cron_schedule": "0 9 * * 1-5", "prompt": "Summarise the night", **fields}
    return oz.agent.schedules.create(name=name, **body)


def test_create_returns_a_complete_item(oz: OzAPI) -> None:
    s = create(oz, metadata={"team": "ops"}, agent_uid=AGENTS[0], mode="plan")
    assert s.id and s.name == "nightly" and s.cron_schedule == "0 9 * * 1-5"
    assert s.enabled is True and s.prompt == "Summarise the night"
    assert s.metadata == {"team": "ops"} and s.agent_uid == AGENTS[0]
    assert s.scope is not None and (s.scope.type, s.scope.uid) == ("Team", TEAM)  # one team: team by default
    assert s.created_by is not None and s.created_by.type == "user"
    assert s.created_at == s.updated_at and s.last_spawn_error is None
    assert s.history is not None and s.history.last_ran is None and s.history.next_run is not None
    assert (
        s.history.next_run.hour == 9
        and s.history.next_run.minute == 0
        and s.history.next_run.isoweekday() <= 5
    )


def test_personal_schedules_and_agent_uid(oz: OzAPI) -> None:
    mine = create(oz, "mine", team=False)
    assert mine.scope is not None and mine.scope.type == "User"
    with pytest.raises(BadRequestError) as err:
        create(oz, "bad", team=False, agent_uid=AGENTS[0])
    assert "team" in err.value.body["detail"]  # type: ignore[index]
    with pytest.raises(NotFoundError):
        create(oz, "ghost", agent_uid="agent_unknown")


def test_get_returns_what_create_returned(oz: OzAPI) -> None:
    made = create(oz)
    assert oz.agent.schedules.retrieve(made.id) == made


def test_list_is_global_and_sorted_by_name(oz: OzAPI) -> None:
    for name in ("charlie", "alpha", "bravo"):
        create(oz, name)
    create(oz, "delta", team=False)
    listed = oz.agent.schedules.list().schedules
    assert [s.name for s in listed] == ["alpha", "bravo", "charlie", "delta"]


def test_put_replaces_the_whole_schedule(sandbox: Server, oz: OzAPI) -> None:
    s = create(
        oz,
        metadata={"team": "ops"},
        agent_uid=AGENTS[0],
        agent_config={"model_id": "m1", "environment_id": "env_1"},
    )
    sandbox.admin("POST", "clock", {"advance": "60s"})
    u = oz.agent.schedules.update(
        s.id, name="renamed", cron_schedule="30 6 * * *", enabled=False, prompt="p2"
    )
    assert (u.name, u.cron_schedule, u.enabled, u.prompt) == ("renamed", "30 6 * * *", False, "p2")
    # Full replace: what the PUT left out is gone (README: agent_config too).
    assert u.agent_config is None and u.agent_uid is None and u.metadata == {}
    assert u.history is not None and u.history.next_run is None  # disabled
    assert (u.updated_at - s.updated_at).total_seconds() >= 60 and u.created_at == s.created_at
    again = oz.agent.schedules.update(
        u.id, name="renamed", cron_schedule="30 6 * * *", enabled=False, prompt="p2"
    )
    assert again.updated_at == u.updated_at  # nothing changed, nothing moves


def test_put_requires_name_cron_and_enabled(oz: OzAPI, http: httpx.Client) -> None:
    s = create(oz)
    for missing in ("name", "cron_schedule", "enabled"):
        body = {"name": "n", "cron_schedule": "0 9 * * *", "enabled": True, "prompt": "p"}
        del body[missing]
        r = http.put(f"/agent/schedules/{s.id}", json=body)
        assert r.status_code == 400 and missing in r.json()["detail"]
        assert r.headers["content-type"] == "application/problem+json"


def test_pause_resume_delete(oz: OzAPI) -> None:
    schedules = oz.agent.schedules
    s = create(oz)
    paused = schedules.pause(s.id)
    assert paused.enabled is False and paused.history is not None and paused.history.next_run is None
    assert schedules.pause(s.id).enabled is False  # idempotent
    resumed = schedules.resume(s.id)
    assert resumed.enabled is True and resumed.history is not None and resumed.history.next_run is not None
    assert schedules.delete(s.id).success is True
    with pytest.raises(NotFoundError) as err:
        schedules.retrieve(s.id)
    body: Any = err.value.body
    assert body["status"] == 404 and body["type"].endswith("/resource-not-found")
    assert body["instance"] == f"/agent/schedules/{s.id}" and body["retryable"] is False
    assert body["error"].startswith("Resource not found (")


def test_clock_fires_set_last_ran(sandbox: Server, oz: OzAPI) -> None:
    sandbox.admin("POST", "clock", {"now": "2026-03-02T08:00:00Z"})  # a Monday
    s = create(oz, cron_schedule="*/30 * * * *")
    fired = sandbox.admin("POST", "clock", {"advance": "7200s"})
    assert fired["fired"] == 4
    got = oz.agent.schedules.retrieve(s.id)
    assert got.history is not None and got.history.last_ran is not None
    assert got.history.last_ran.isoformat() == "2026-03-02T10:00:00+00:00"
    assert (
        got.history.next_run is not None and got.history.next_run.isoformat() == "2026-03-02T10:30:00+00:00"
    )


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"metadata": {f"k{i}": "v" for i in range(21)}}, "at most 20"),
        ({"metadata": {"bad key": "v"}}, "[a-zA-Z0-9._-]"),
        ({"metadata": {"k" * 65: "v"}}, "1-64"),
        ({"metadata": {"k": "é" * 129}}, "256 bytes"),
        ({"metadata": {"k": "a\x00b"}}, "NUL"),
        ({"cron_schedule": "0 0 9 * * *"}, "5 fields"),
        ({"cron_schedule": "61 * * * *"}, "cron"),
        ({"prompt": ""}, "prompt is required"),
        ({"mode": "yolo"}, "mode"),
        ({"agent_config": {"skill_spec": "a/b:c", "skills": ["a/b:c"]}}, "mutually exclusive"),
    ],
    ids=[
        "21-keys",
        "key-charset",
        "key-length",
        "value-bytes",
        "nul",
        "seconds",
        "bad-cron",
        "no-prompt",
        "mode",
        "skills-twice",
    ],
)
def test_invalid_requests_are_400_problems(oz: OzAPI, fields: dict[str, Any], fragment: str) -> None:
    with pytest.raises(BadRequestError) as err:
        create(oz, **fields)
    body: Any = err.value.body
    assert body["type"].endswith("/invalid-request") and fragment in body["detail"]


def test_a_skill_replaces_the_prompt_and_is_echoed_as_skill_spec(oz: OzAPI) -> None:
    s = oz.agent.schedules.create(
        name="skilled",
        cron_schedule="0 * * * *",
        agent_config={"skills": ["org/repo:skills/a.md", "org/repo:b"]},
    )
    assert s.prompt == "" and s.agent_config is not None
    assert s.agent_config.skills == ["org/repo:skills/a.md", "org/repo:b"]
    assert s.agent_config.skill_spec == "org/repo:skills/a.md"  # "responses include the first skills entry"


def test_wrong_api_key_is_a_401_problem(sandbox: Server) -> None:
    with (
        OzAPI(api_key="not-the-key", base_url=sandbox.url, max_retries=0) as client,
        pytest.raises(AuthenticationError) as err,
    ):
        client.agent.schedules.list()
    body: Any = err.value.body
    assert body["status"] == 401 and body["type"].endswith("/authentication-required")


def test_env_vars_point_the_sdk_at_the_sandbox(sandbox: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(sandbox.env) >= {"OZ_API_BASE_URL"}
    monkeypatch.setenv("OZ_API_BASE_URL", sandbox.env["OZ_API_BASE_URL"])
    monkeypatch.setenv("WARP_API_KEY", API_KEY)
    with OzAPI() as client:
        assert client.agent.schedules.list().schedules == []
