"""The conformance kit on Temporal, against the real Temporal dev server the session runs (`temporal_server`):
no emulator. What a third-party provider writes in its own repository looks like this: one Platform, one
fixture handing the kit a server.

The inventory reads Temporal's HTTP API by hand (list, then describe each schedule), never through the
provider's code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.sandbox.temporal_dev import DevServer
from reconciler.testing import Entry, ExternalServer, Platform, PlatformContract, PlatformServer, Variant

NAMESPACE = "default"
SCHEDULES = f"/api/v1/namespaces/{NAMESPACE}/schedules"
QUEUE = "agents"


def _schedule(v: Variant, agent: str) -> dict[str, Any]:
    return {
        "name": v.name,
        "agent": agent,
        "when": {"cron": f"0 {7 + v.version} * * mon-fri", "timezone": "Europe/Berlin"},
        "input": {"message": f"{v.name} v{v.version}"},
        **({"state": "paused"} if v.paused else {}),
    }


def _ids(client: httpx.Client) -> list[str]:
    found: list[str] = []
    token = ""
    while True:
        params = {"maximumPageSize": "1000", **({"nextPageToken": token} if token else {})}
        page = client.get(SCHEDULES, params=params)
        page.raise_for_status()
        body = page.json()
        found += [entry["scheduleId"] for entry in body.get("schedules") or []]
        token = body.get("nextPageToken") or ""
        if not token:
            return found


def _describe(client: httpx.Client, schedule_id: str) -> dict[str, Any]:
    response = client.get(f"{SCHEDULES}/{schedule_id}")
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


# Temporal's list is eventually consistent (tens to hundreds of milliseconds behind a write): every id the
# contract's scenarios can make is also described, which is consistent, so a schedule made or deleted a
# moment ago is counted as it is. (Bundle keys and names the kit's scenarios use, and the hand-made ids.)
_KEYS = ("rel", "team-a", "team-b", "other", "imported")
_NAMES = ("a", "b", "c", "d", "x", "y", "z", "theirs", "someone-elses", "standup", "hourly")
CANDIDATES = (*(f"{key}--{name}" for key in _KEYS for name in _NAMES), *_NAMES)


def _inventory(client: httpx.Client, agents: tuple[str, ...]) -> list[Entry]:
    """Who owns each schedule (the marker in its start-workflow action's memo) and whether it fires."""
    found = []
    for schedule_id in dict.fromkeys([*_ids(client), *CANDIDATES]):
        response = client.get(f"{SCHEDULES}/{schedule_id}")
        if response.status_code == 404:  # not made, or deleted since the list
            continue
        response.raise_for_status()
        schedule = response.json()["schedule"]
        start = schedule["action"]["startWorkflow"]
        marker = ((start.get("memo") or {}).get("fields") or {}).get("reconciler") or {}
        found.append(
            Entry(
                agent=start["workflowType"]["name"],
                owner=marker.get("bundleKey"),
                name=marker.get("name"),
                firing=not (schedule.get("state") or {}).get("paused", False),
                platform_id=schedule_id,
            )
        )
    return found


def _edit_by_hand(client: httpx.Client, entry: Entry, text: str) -> None:
    """What an operator does in Temporal's UI or CLI: change the workflow's argument, keep the rest."""
    schedule = _describe(client, entry.platform_id)["schedule"]
    schedule["action"]["startWorkflow"]["input"] = [{"message": text}]
    client.post(f"{SCHEDULES}/{entry.platform_id}/update", json={"schedule": schedule}).raise_for_status()


def _create_by_hand(client: httpx.Client, agent: str, name: str) -> None:
    """A schedule made outside any bundle, under the id a team chose (the bare name), with no memo."""
    schedule = {
        "spec": {"interval": [{"interval": "3600s"}]},
        "action": {
            "startWorkflow": {
                "workflowId": f"{name}-wf",
                "workflowType": {"name": agent},
                "taskQueue": {"name": QUEUE},
                "input": [{"message": "made by hand"}],
            }
        },
    }
    client.post(f"{SCHEDULES}/{name}", json={"schedule": schedule, "requestId": name}).raise_for_status()


TEMPORAL = Platform(
    id="temporal",
    provider="temporal",
    target={"provider": "temporal", "taskQueue": QUEUE},
    agents=("briefing-agent", "digest-agent"),
    schedule=_schedule,
    inventory=_inventory,
    edit_by_hand=_edit_by_hand,
    create_by_hand=_create_by_hand,
    # Every update is in place; adopting a schedule made under its bare name recreates it under the bundle's
    # id (Temporal cannot change an id).
    adopt_recreates=True,
    export_args=("--provider", "temporal", "--task-queue", QUEUE),
)


@pytest.mark.xdist_group("conformance-temporal")  # one worker, one emptying of its dev server per scenario
class TestTemporal(PlatformContract):
    @pytest.fixture(scope="class")
    @classmethod
    def platform(cls) -> Platform:
        return TEMPORAL

    @pytest.fixture(scope="class")
    @classmethod
    def platform_server(cls, platform: Platform, temporal_server: DevServer) -> Iterator[PlatformServer]:
        def empty() -> None:
            with httpx.Client(base_url=temporal_server.http_url, timeout=30) as client:
                for schedule_id in dict.fromkeys([*_ids(client), *CANDIDATES]):  # 404s are fine
                    client.delete(f"{SCHEDULES}/{schedule_id}")

        yield ExternalServer(
            url=temporal_server.http_url,
            env={"TEMPORAL_HTTP_ADDRESS": temporal_server.http_url, "TEMPORAL_NAMESPACE": NAMESPACE},
            url_env="TEMPORAL_HTTP_ADDRESS",
            empty=empty,
        )
