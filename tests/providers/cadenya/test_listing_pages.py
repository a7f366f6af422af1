"""Cadenya lists an agent's schedules a page at a time: every page is read, each schedule's counters come with
it (`includeInfo=true`), a page's decoded JSON is let go before the next page is asked for (a plan of 10,000
schedules held every page until the end), and a provider listing again (the controller's next round) decodes
only the pages whose bytes changed: an edit made on the platform in between is seen."""

from __future__ import annotations

import json
import weakref
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.bundle.desired import Bundle
from reconciler.bundle.validate import load_bundles
from reconciler.providers.cadenya.provider import CadenyaProvider
from reconciler.providers.http import ApiClient

COUNT = 5
PER_PAGE = 2  # the fake platform's page size: 5 schedules are 3 pages


def bundle(tmp_path: Path) -> Bundle:
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "team",
        "target": {"provider": "cadenya", "workspace": "ws_1"},
        "schedules": [
            {"name": f"s{i}", "agent": "agent_1", "when": {"every": "1h"}, "input": {"message": f"run {i}"}}
            for i in range(COUNT)
        ],
    }
    path = tmp_path / "bundle.yaml"
    path.write_text(json.dumps(document))
    loaded = load_bundles([str(path)])
    assert not loaded.diagnostics, loaded.diagnostics
    return loaded.bundles[0]


class Platform:
    """One agent's schedules as applied, answered PER_PAGE at a time as JSON bytes; counts how many of the
    objects decoded from earlier pages are still alive whenever a page is asked for."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.decoded: list[weakref.ref[Any]] = []  # every object decoded from a schedule page
        self.held_when_asked: list[int] = []  # decoded objects of earlier pages still alive, at each request
        self.pages_decoded = 0

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if path.endswith("/agents"):
            return _Answer(self, {"items": [{"metadata": {"id": "agent_1"}}]}, track=False)
        self.held_when_asked.append(sum(ref() is not None for ref in self.decoded))
        params = kwargs.get("params") or {}
        start = int(params.get("cursor") or 0)
        page = self.items[start : start + PER_PAGE]
        if params.get("includeInfo") != "true":
            page = [{k: v for k, v in item.items() if k != "info"} for item in page]
        after = start + PER_PAGE
        return _Answer(
            self, {"items": page, "pagination": {"nextCursor": str(after) if after < COUNT else ""}}
        )


class _Decoded(dict[str, Any]):
    """A JSON object that can be watched (a plain dict cannot be referenced weakly)."""


class _Answer:
    def __init__(self, platform: Platform, body: dict[str, Any], *, track: bool = True) -> None:
        self.platform, self.track = platform, track
        self.content = json.dumps(body).encode()

    def json(self) -> Any:
        self.platform.pages_decoded += self.track

        def watched(pairs: list[tuple[str, Any]]) -> _Decoded:
            decoded = _Decoded(pairs)
            if self.track:
                self.platform.decoded.append(weakref.ref(decoded))
            return decoded

        return json.loads(self.content, object_pairs_hook=watched)


@pytest.fixture
def listed(tmp_path: Path) -> tuple[CadenyaProvider, Platform]:
    loaded = bundle(tmp_path)
    unused = ApiClient("http://127.0.0.1:1", transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    provider = CadenyaProvider(unused, loaded, b"key")
    items = []
    for i, desired in enumerate(loaded.schedules):
        live = provider.as_live(desired)
        item = {
            "metadata": {**live.raw["metadata"], "id": f"asch_{i}", "createdAt": "2026-11-01T00:00:00Z"},
            "spec": {"schedule": {"timezone": "UTC", "intervals": [{"every": "3600s"}]}},
            "state": "STATE_ACTIVE",
            "info": {"totalFires": i, "lastFireAt": "2026-12-01T09:00:00Z"},
        }
        item["spec"]["initialMessage"] = f"run {i}"
        items.append(item)
    platform = Platform(items)
    provider.client = platform  # type: ignore[assignment]
    return provider, platform


def test_every_page_of_an_agents_schedules_is_read(listed: tuple[CadenyaProvider, Platform]) -> None:
    provider, platform = listed
    live = provider.list_live()
    assert sorted(s.name or "" for s in live) == [f"s{i}" for i in range(COUNT)]
    assert {s.owner for s in live} == {"team"} and len(platform.held_when_asked) == 3


def test_each_schedule_has_its_own_counters_from_its_page(listed: tuple[CadenyaProvider, Platform]) -> None:
    provider, _ = listed
    read = {s.name: s.activity for s in provider.read_activity()}
    for i in range(COUNT):
        activity = read[f"s{i}"]
        assert activity is not None and activity.total_fires == i
        assert activity.counted_since == "2026-11-01T00:00:00Z"
        assert activity.last_fire == "2026-12-01T09:00:00Z"


def test_a_page_is_let_go_before_the_next_one_is_asked_for(listed: tuple[CadenyaProvider, Platform]) -> None:
    provider, platform = listed
    provider.list_live()
    assert platform.held_when_asked == [0, 0, 0]  # nothing decoded from earlier pages was alive
    assert platform.decoded  # (and the pages were decoded: there was something to let go)


def test_listing_again_decodes_only_the_pages_that_changed(listed: tuple[CadenyaProvider, Platform]) -> None:
    provider, platform = listed
    first = {s.name: s for s in provider.list_live()}
    platform.pages_decoded = 0
    second = {s.name: s for s in provider.list_live()}
    assert second == first and platform.pages_decoded == 0  # the same bytes: nothing decoded again
    # An edit on the platform between two rounds: its page is decoded afresh, and the edit is seen.
    edited = platform.items[3]
    edited["spec"] = {**edited["spec"], "initialMessage": "edited on the platform"}
    edited["state"] = "STATE_PAUSED"
    platform.pages_decoded = 0
    third = {s.name: s for s in provider.list_live()}
    assert third["s3"].input["message"] == "edited on the platform" and third["s3"].state == "paused"
    assert {name: live for name, live in third.items() if name != "s3"} == {
        name: live for name, live in first.items() if name != "s3"
    }
    assert platform.pages_decoded == 1  # only the page holding the edited schedule (s2, s3)


def test_counters_are_read_afresh_when_they_change(listed: tuple[CadenyaProvider, Platform]) -> None:
    provider, platform = listed
    assert {s.name: s.activity.total_fires for s in provider.read_activity() if s.activity} == {
        f"s{i}": i for i in range(COUNT)
    }
    platform.items[0]["info"] = {**platform.items[0]["info"], "totalFires": 41}
    fires = {s.name: s.activity.total_fires for s in provider.read_activity() if s.activity}
    assert fires["s0"] == 41 and fires["s4"] == 4
    listed_plain = provider.list_live()  # another query (no counters): its own listing, not the one above
    assert len(listed_plain) == COUNT
