"""Cadenya's normal form of a desired schedule is translated once per distinct timing and options, and
each schedule still gets exactly what its own wire round trip gives (the same plan, whatever it shares)."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.bundle.validate import load_bundles
from reconciler.providers.cadenya.provider import CadenyaProvider
from reconciler.providers.http import ApiClient


def test_shared_read_backs_equal_each_schedules_own(tmp_path: Path) -> None:
    whens = [{"every": "90m"}, {"every": "1h30m"}, {"cron": "0 9 * * mon-fri", "timezone": "Europe/Paris"}]
    options = [{}, {"overlapPolicy": "OVERLAP_POLICY_SKIP"}, {"overlapPolicy": "OVERLAP_POLICY_ALLOW"}]
    schedules = [
        {
            "name": f"s{i}",
            "agent": "agent_a",
            "when": whens[i % 3],
            "input": {"message": "tick"},
            "options": options[i // 3 % 3],
        }
        for i in range(18)
    ]
    schedules.append(
        {**schedules[0], "name": "secret", "options": {"userData": {"token": "{{ secret('TOKEN') }}"}}}
    )
    document = {"apiVersion": "reconciler/v1", "kind": "Bundle", "bundleKey": "team"}
    path = tmp_path / "bundle.yaml"
    path.write_text(
        json.dumps({**document, "target": {"provider": "cadenya", "workspace": "ws"}, "schedules": schedules})
    )
    loaded = load_bundles([str(path)], environ={"TOKEN": "s3cret"})
    assert not loaded.diagnostics, loaded.diagnostics
    [bundle] = loaded.bundles
    client = ApiClient("https://cadenya.invalid", api_key="k")  # never called
    shared = CadenyaProvider(client, bundle, b"k", environ={})
    alone = CadenyaProvider(client, bundle, b"k", environ={})
    alone.read_back_from_timing_and_options = False
    for schedule in bundle.schedules:
        assert shared.normalise(schedule) == alone.normalise(schedule), schedule.name
    first, second = (shared.normalise(s) for s in bundle.schedules[:2])
    assert first.when == second.when and first.when is not second.when  # shared, yet each its own
