"""How each platform family counts time: which ones count `every` on the zone's wall clock, which count it as
absolute time, and which run Temporal's own server walk. Plain data, importing nothing: `validate` reads it
for every schedule without loading the fire-time engine (reconciler.timing.fire_times, temporal_walk)."""

from __future__ import annotations

ABSOLUTE_INTERVAL_PROVIDERS = frozenset({"temporal", "agentex", "orq", "oz", "tbd-agents"})
WALL_CLOCK_INTERVAL_PROVIDERS = frozenset({"cadenya"})
SERVER_WALK_FAMILIES = frozenset({"temporal", "agentex"})  # providers whose schedules are Temporal schedules
