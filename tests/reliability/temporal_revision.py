"""Temporal as one more revision of the crash-safety tests, against the real dev server (`temporal_server`,
tests/conftest.py): no emulator, so no `/_sandbox/*` admin either. Reset is deleting every schedule over
Temporal's HTTP API; the inventory is the conformance kit's plain-HTTP reading (tests/conformance), never
the provider's code; an operator's pause is Temporal's own patch verb, as the UI and CLI send it.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass

import httpx

from reconciler.sandbox.temporal_dev import DevServer
from reconciler.testing import Entry, ExternalServer, PlatformServer
from tests.conformance.test_temporal import SCHEDULES, TEMPORAL
from tests.reliability.revision_profiles import Profile

RESET_WAIT_SECONDS = 10.0


@dataclass(frozen=True, kw_only=True)
class TemporalProfile(Profile):
    """The Temporal platform as a crash-test Profile. Every update is in place (`recreates` False: the
    history's `recreate` variant changes nothing Temporal must delete for), and a rename creates the new id
    and archives the old one (ids cannot change)."""

    def serve(self) -> AbstractContextManager[PlatformServer]:
        raise NotImplementedError("the Temporal dev server is the session's `temporal_server` fixture")


TEMPORAL_PROFILE = TemporalProfile(
    id="temporal",
    provider="temporal",
    api=None,
    workspace=None,
    key_env="",  # no API key: the dev server is open on 127.0.0.1
    agents=TEMPORAL.agents,
    target=TEMPORAL.target,
    schedule=TEMPORAL.schedule,
    inventory=TEMPORAL.inventory,
    edit_by_hand=TEMPORAL.edit_by_hand,
    create_by_hand=TEMPORAL.create_by_hand,
)


def empty(url: str) -> None:
    """Delete every schedule, then wait until the list (Temporal's visibility store, which trails the
    deletes) shows none: the next test's inventory must not see the last one's schedules."""
    with httpx.Client(base_url=url, timeout=30) as client:
        deadline = time.monotonic() + RESET_WAIT_SECONDS
        while True:
            page = client.get(SCHEDULES, params={"maximumPageSize": "1000"})
            page.raise_for_status()
            ids = [entry["scheduleId"] for entry in page.json().get("schedules") or []]
            if not ids:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"schedules still listed {RESET_WAIT_SECONDS} s after deleting: {ids}")
            for schedule_id in ids:
                gone = client.delete(f"{SCHEDULES}/{schedule_id}")
                assert gone.status_code in (200, 404), gone.text
            time.sleep(0.05)


def temporal_server_for_tests(server: DevServer) -> ExternalServer:
    return ExternalServer(
        url=server.http_url,
        env={"TEMPORAL_HTTP_ADDRESS": server.http_url, "TEMPORAL_NAMESPACE": server.namespace},
        url_env="TEMPORAL_HTTP_ADDRESS",
        empty=lambda: empty(server.http_url),
    )


def pause_by_hand(client: httpx.Client, entry: Entry) -> None:
    """What `temporal schedule toggle --pause` and the UI send: the patch verb with a note."""
    response = client.post(
        f"{SCHEDULES}/{entry.platform_id}/patch", json={"patch": {"pause": "incident 4711"}}
    )
    assert response.is_success, response.text
