"""Cadenya lists an agent's schedules a page at a time: every page is read, each schedule's counters come with
it (`includeInfo=true`), and a page's decoded JSON is let go before the next page is asked for (a plan of
10,000 schedules held every page until the end)."""

from __future__ import annotations

import json
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
    """One agent's schedules as applied, answered PER_PAGE at a time; remembers each page's items list it
    handed out, to see whether the reader still holds it when it asks for the next page."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.pages: list[list[dict[str, Any]]] = []
        self.held_when_asked: list[int] = []  # items the previous page still held, at each later request

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if path.endswith("/agents"):
            return _Answer({"items": [{"metadata": {"id": "agent_1"}}]})
        if self.pages:
            self.held_when_asked.append(len(self.pages[-1]))
        params = kwargs.get("params") or {}
        start = int(params.get("cursor") or 0)
        page = [dict(item) for item in self.items[start : start + PER_PAGE]]
        if params.get("includeInfo") != "true":
            page = [{k: v for k, v in item.items() if k != "info"} for item in page]
        self.pages.append(page)
        after = start + PER_PAGE
        return _Answer({"items": page, "pagination": {"nextCursor": str(after) if after < COUNT else ""}})


class _Answer:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def json(self) -> dict[str, Any]:
        return self.body


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
    assert {s.owner for s in live} == {"team"} and len(platform.pages) == 3


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
    assert platform.held_when_asked == [0, 0]  # pages 2 and 3 were asked for with the one before let go
