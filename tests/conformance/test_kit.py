"""The kit's own promises to a provider author: a misspelt `cannot` is an error, not a silently run
scenario; a scenario the Platform says it cannot do is skipped with the provider's reason; the proxy's faults
are the same for the same seed (a failure can be replayed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.config import FAULT_KINDS
from reconciler.testing import Faults, Harness, Platform
from reconciler.testing.contract import needs
from reconciler.testing.proxy import ALL_FAULTS, SANDBOX_NAMES


def platform(**overrides: Any) -> Platform:
    fields: dict[str, Any] = {
        "id": "acme",
        "provider": "acme",
        "target": {"provider": "acme"},
        "agents": ("a", "b"),
        "schedule": lambda variant, agent: {"name": variant.name, "agent": agent},
        "inventory": lambda client, agents: [],
    }
    return Platform(**{**fields, **overrides})


def test_a_misspelt_scenario_in_cannot_is_refused() -> None:
    with pytest.raises(ValueError, match="exprot"):
        platform(cannot={"exprot": "no list endpoint"})


def test_a_scenario_the_platform_cannot_do_is_skipped_with_its_reason(tmp_path: Path) -> None:
    kit = Harness(platform(cannot={"export": "acme has no list endpoint"}), None, tmp_path)  # type: ignore[arg-type]
    with pytest.raises(pytest.skip.Exception, match="acme has no list endpoint"):
        needs(kit, "export")
    with pytest.raises(pytest.skip.Exception, match="no edit_by_hand hook"):
        needs(kit, "drift", by_hand=True)
    needs(kit, "apply")  # not skipped


def test_faults_replay_for_the_same_seed() -> None:
    def picks(seed: int, **more: Any) -> list[tuple[str | None, float]]:
        faults = Faults(0.5, seed, **more)
        return [faults.pick("POST", f"/s/{i}") for i in range(40)]

    assert picks(7) == picks(7)
    assert {"refuse", "cut", "lose-answer"} <= {fault for fault, _ in picks(7)}
    assert picks(7) != picks(8)
    every = picks(7, kinds=ALL_FAULTS, latency_ms=50)
    assert {fault for fault, _ in every} == {*ALL_FAULTS, None}
    assert all(0 <= delay <= 0.05 for _, delay in every) and any(delay > 0 for _, delay in every)
    assert set(SANDBOX_NAMES.values()) == set(FAULT_KINDS)  # every sandbox fault has its proxy twin
