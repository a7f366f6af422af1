"""What the benchmarks' generated schedules are called, say and how often they fire, and where they live:
shared by each provider's bundle (plan_apply_providers.py) and the scripts that do the same work by hand."""

from __future__ import annotations

WS = "ws_bench"  # Cadenya's workspace, Oz's team, TBD Agents' GitHub login
START = "2026-12-01T00:00:00Z"  # TBD Agents requires a start
BUNDLE_KEY = "bench"


def name(i: int) -> str:
    return f"s{i:05d}"


def message(i: int, edited: bool) -> str:
    return f"Run {i} (edited)" if edited else f"Run {i}"


def hours(i: int) -> int:
    return 1 + i % 24  # every 1..24 h: within every provider's limits (orq: at least an hour)
