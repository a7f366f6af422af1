"""Oz and TBD Agents answer one list with every schedule: reading it must look each listed schedule up in the
bundle, not walk the bundle once per listed schedule. The walk made `plan` of 10,000 schedules spend 10-15 s
of CPU (benchmarks/plan_apply.py); here the number of walks is counted, so the test needs no clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.validate import load_bundles
from reconciler.providers.base import Provider
from reconciler.providers.http import ApiClient
from reconciler.providers.oz import wire as oz_wire
from reconciler.providers.oz.provider import OzProvider
from reconciler.providers.tbd_agents import wire as tbd_wire
from reconciler.providers.tbd_agents.provider import TbdAgentsProvider

COUNT = 300


class Walks(tuple[DesiredSchedule, ...]):
    """The bundle's schedules, counting how often something walks through them."""

    walks = 0

    def __iter__(self) -> Iterator[DesiredSchedule]:
        type(self).walks += 1
        return super().__iter__()


def schedule(provider: str, i: int) -> dict[str, Any]:
    when = (
        {"cron": f"{i % 60} 9 * * *"}
        if provider == "oz"
        else {"every": "6h", "start": "2026-12-01T00:00:00Z"}
    )
    return {"name": f"s{i:04d}", "agent": f"agent_{i % 3}", "when": when, "input": {"message": f"run {i}"}}


def bundle(tmp_path: Path, provider: str) -> Bundle:
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "team",
        "target": {"provider": provider},
        "schedules": [schedule(provider, i) for i in range(COUNT)],
    }
    path = tmp_path / "bundle.yaml"
    path.write_text(json.dumps(document))
    loaded = load_bundles([str(path)])
    assert not loaded.diagnostics, loaded.diagnostics
    return loaded.bundles[0]


def listing(provider: Provider, loaded: Bundle) -> httpx.MockTransport:
    """The platform's one list: every schedule of the bundle as applied (its create body, as read back)."""
    items = []
    for i, desired in enumerate(loaded.schedules):
        if isinstance(provider, OzProvider):
            applied = oz_wire.body_for(loaded.key, desired)
        else:
            applied = {**tbd_wire.create_body(loaded.key, desired), "enabled": True}
        items.append({**applied, "id": f"id{i:04d}", "created_at": "2026-11-01T00:00:00Z"})
    body = {"schedules": items} if isinstance(provider, OzProvider) else items
    return httpx.MockTransport(lambda request: httpx.Response(200, json=body))


@pytest.mark.parametrize("cls", [OzProvider, TbdAgentsProvider], ids=["oz", "tbd-agents"])
def test_reading_the_global_list_walks_the_bundle_once(tmp_path: Path, cls: type[Provider]) -> None:
    loaded = bundle(tmp_path, "oz" if cls is OzProvider else "tbd-agents")
    probe = cls(ApiClient("http://127.0.0.1:1"), loaded, b"key")
    counted = replace(loaded, schedules=Walks(loaded.schedules))
    provider = cls(ApiClient("http://127.0.0.1:1", transport=listing(probe, loaded)), counted, b"key")
    Walks.walks = 0
    live = provider.list_live()
    assert len(live) == COUNT and {s.owner for s in live} == {"team"}
    assert {(s.agent, s.name) for s in live} == {(s.agent, s.name) for s in loaded.schedules}
    # A few walks, each building a lookup table once (by name, by `renamedFrom`), never one per listed schedule.
    assert Walks.walks <= 3, f"{Walks.walks} walks of the bundle for {COUNT} listed schedules"
