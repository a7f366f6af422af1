"""Conformance: the official `cadenya` SDK (1.8.0) drives the sandbox over real HTTP and decodes every
answer; errors surface as the SDK's own exception types."""

from __future__ import annotations

from typing import Any

import pytest
from cadenya import APIError, Cadenya

from tests.sandbox.conftest import AGENTS, WS
from tests.sandbox_server import Server

SPEC: Any = {
    "schedule": {
        "calendars": [
            {"hour": [{"start": 9}], "minute": [{"start": 30}], "dayOfWeek": [{"start": 1, "end": 5}]}
        ],
        "timezone": "Europe/Berlin",
    },
    "first_user_message": "Morning briefing",
    "system_prompt_data": {"region": "EMEA"},
    "first_user_message_data": {"tone": "brief"},
    "overlap_policy": "OVERLAP_POLICY_SKIP",
}


def create(sdk: Cadenya, name: str, agent: str = AGENTS[0], **metadata: Any) -> Any:
    full: Any = {"name": name, **metadata}
    return sdk.agents.schedules.create(agent, metadata=full, spec=SPEC)


def test_create_returns_a_complete_schedule(sdk: Cadenya) -> None:
    s = create(sdk, "briefing", labels={"team": "support"}, external_id="ext-1")
    assert s.metadata.id.startswith("asch_") and len(s.metadata.id) == 5 + 26
    assert (s.metadata.name, s.metadata.workspace_id, s.metadata.external_id) == ("briefing", WS, "ext-1")
    assert s.metadata.labels == {"team": "support"}
    assert s.metadata.account_id and s.metadata.profile_id and s.metadata.created_at
    assert s.state == "STATE_ACTIVE"
    assert s.info.total_fires == 0 and s.info.next_fire_at is not None and s.info.last_fire_at is None
    assert s.spec.first_user_message == "Morning briefing"
    assert s.spec.system_prompt_data == {"region": "EMEA"}
    assert s.spec.first_user_message_data == {"tone": "brief"}
    assert s.spec.overlap_policy == "OVERLAP_POLICY_SKIP"
    assert s.spec.schedule.timezone == "Europe/Berlin"
    assert s.spec.schedule.calendars[0].day_of_week[0].end == 5


def test_get_returns_what_create_returned(sdk: Cadenya) -> None:
    made = create(sdk, "briefing")
    got = sdk.agents.schedules.retrieve(AGENTS[0], made.metadata.id)
    assert got == made


def test_list_walks_every_page(sdk: Cadenya) -> None:
    names = [f"s{i:02d}" for i in range(7)]
    for name in names:
        create(sdk, name)
    create(sdk, "elsewhere", agent=AGENTS[1])
    first = sdk.agents.schedules.list(AGENTS[0], limit=3)
    assert [s.metadata.name for s in first.items] == names[:3] and first.has_next_page()
    assert [s.metadata.name for s in first] == names  # iteration fetches pages 2 and 3
    backwards = sdk.agents.schedules.list(AGENTS[0], limit=3, sort_order="desc")
    assert [s.metadata.name for s in backwards] == names[::-1]


def test_list_filters(sdk: Cadenya) -> None:
    create(sdk, "a-one", labels={"team": "x", "tier": "1"})
    create(sdk, "a-two", labels={"team": "x"})
    create(sdk, "b-three", labels={"team": "y"})
    agent = AGENTS[0]
    assert [s.metadata.name for s in sdk.agents.schedules.list(agent, labels="team=x")] == ["a-one", "a-two"]
    assert [s.metadata.name for s in sdk.agents.schedules.list(agent, labels="team=x,tier=1")] == ["a-one"]
    assert [s.metadata.name for s in sdk.agents.schedules.list(agent, prefix="b-")] == ["b-three"]
    assert [s.metadata.name for s in sdk.agents.schedules.list(agent, query="TWO")] == ["a-two"]


def test_list_info_only_with_include_info(sdk: Cadenya) -> None:
    create(sdk, "briefing")
    [plain] = sdk.agents.schedules.list(AGENTS[0])
    [full] = sdk.agents.schedules.list(AGENTS[0], include_info=True)
    assert plain.info.total_fires == 0 and plain.info.next_fire_at is None
    assert full.info.next_fire_at is not None and full.info.created_by is not None


def test_update_with_mask_changes_only_masked_fields(sandbox: Server, sdk: Cadenya) -> None:
    s = create(sdk, "briefing", labels={"team": "support"})
    sandbox.admin("POST", "clock", {"advance": "60s"})
    u = sdk.agents.schedules.update(
        AGENTS[0],
        s.metadata.id,
        metadata={"name": "ignored", "labels": {"team": "ops"}},
        spec={"schedule": {"intervals": [{"every": "60s"}], "timezone": "UTC"}},
        update_mask="metadata.labels",
    )
    assert u.metadata.labels == {"team": "ops"} and u.metadata.name == "briefing"
    assert u.spec == s.spec
    assert (u.metadata.updated_at - s.metadata.updated_at).total_seconds() >= 60


def test_update_schedule_moves_next_fire(sdk: Cadenya) -> None:
    s = create(sdk, "briefing")
    u = sdk.agents.schedules.update(
        AGENTS[0],
        s.metadata.id,
        spec={"schedule": {"intervals": [{"every": "60s"}], "timezone": "UTC"}},
        update_mask="spec.schedule",
    )
    assert u.spec.schedule.calendars is None and u.spec.schedule.intervals
    assert u.spec.schedule.intervals[0].every == "60s"
    assert u.spec.first_user_message == "Morning briefing"  # not in the mask: kept
    next_fire, updated = u.info.next_fire_at, u.metadata.updated_at
    assert next_fire is not None and updated is not None and next_fire.second == 0
    assert (next_fire - updated).total_seconds() <= 60


def test_pause_resume_archive_delete(sdk: Cadenya) -> None:
    schedules = sdk.agents.schedules
    s = create(sdk, "briefing")
    paused = schedules.pause(AGENTS[0], s.metadata.id)
    assert paused.state == "STATE_PAUSED" and paused.info.next_fire_at is None
    assert schedules.pause(AGENTS[0], s.metadata.id).state == "STATE_PAUSED"  # idempotent
    resumed = schedules.resume(AGENTS[0], s.metadata.id)
    assert resumed.state == "STATE_ACTIVE" and resumed.info.next_fire_at is not None
    archived = schedules.archive(AGENTS[0], s.metadata.id)
    assert archived.state == "STATE_ARCHIVED" and archived.info.next_fire_at is None
    assert [x.state for x in schedules.list(AGENTS[0])] == ["STATE_ARCHIVED"]  # archived stay listed
    assert schedules.resume(AGENTS[0], s.metadata.id).state == "STATE_ACTIVE"  # restore from the archive
    schedules.delete(AGENTS[0], s.metadata.id)
    with pytest.raises(APIError) as err:
        schedules.retrieve(AGENTS[0], s.metadata.id)
    assert err.value.status_code == 404


def test_names_are_unique_among_live_schedules_of_an_agent(sdk: Cadenya) -> None:
    s = create(sdk, "briefing")
    with pytest.raises(APIError) as err:
        create(sdk, "briefing")
    assert (err.value.status_code, err.value.code) == (409, 6)  # ALREADY_EXISTS
    create(sdk, "briefing", agent=AGENTS[1])  # another agent: fine
    sdk.agents.schedules.archive(AGENTS[0], s.metadata.id)
    again = create(sdk, "briefing")  # an archived schedule frees its name...
    with pytest.raises(APIError) as err:
        sdk.agents.schedules.resume(AGENTS[0], s.metadata.id)  # ...and cannot come back while it is taken
    assert err.value.status_code == 409
    sdk.agents.schedules.delete(AGENTS[0], again.metadata.id)
    assert sdk.agents.schedules.resume(AGENTS[0], s.metadata.id).state == "STATE_ACTIVE"


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        (lambda c: c.agents.schedules.retrieve(AGENTS[0], "asch_00000000000000000000000000"), 404, 5),
        (lambda c: c.agents.schedules.list("agent_unknown"), 404, 5),
        (lambda c: c.agents.schedules.list(AGENTS[0], workspace_id="ws_unknown"), 404, 5),
        (
            lambda c: c.agents.schedules.create(
                AGENTS[0], metadata={"name": "x"}, spec={"schedule": {"timezone": "Mars/Olympus"}}
            ),
            400,
            3,
        ),
        (
            lambda c: c.agents.schedules.create(AGENTS[0], metadata={"name": "x"}, spec={"schedule": {}}),
            400,
            3,
        ),
    ],
    ids=["unknown-schedule", "unknown-agent", "unknown-workspace", "bad-timezone", "empty-schedule"],
)
def test_errors_surface_as_sdk_api_errors(sdk: Cadenya, call: Any, status: int, code: int) -> None:
    with pytest.raises(APIError) as err:
        call(sdk)
    assert (err.value.status_code, err.value.code) == (status, code)
    assert err.value.message and err.value.details == []


def test_wrong_api_key_is_401(sandbox: Server) -> None:
    with (
        Cadenya(api_key="not-the-key", base_url=sandbox.url, workspace_id=WS) as client,
        pytest.raises(APIError) as err,
    ):
        client.agents.list()
    assert (err.value.status_code, err.value.code) == (401, 16)  # UNAUTHENTICATED


def test_agents_list_and_get(sdk: Cadenya) -> None:
    agents = list(sdk.agents.list(limit=1))
    assert [a.metadata.id for a in agents] == list(AGENTS)
    assert all(a.state == "STATE_PUBLISHED" and a.info.variation_count == 1 for a in agents)
    assert sdk.agents.retrieve(AGENTS[1]).metadata.id == AGENTS[1]
