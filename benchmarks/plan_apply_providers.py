"""What benchmarks/plan_apply.py needs to know about each provider: a valid bundle, the fewest requests its
API allows for each scenario, and a hand-written sequential script (the baseline) doing the same work.

The minimum is derived from each API's list pagination (page size, per-agent or global list) and from how
many requests one create, update and archive take there; `Spec.explain` says it in one line per provider.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# (benchmarks/best_script.py imports WS, Script, hours and name from here.)
from generated import START, WS, hours, message, name
from sequential_scripts import (
    AgentexLegacyScript,
    AgentexRunsScript,
    CadenyaScript,
    OrqScript,
    OzScript,
    Script,
    TbdAgentsScript,
)


# ---- the fewest requests ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Work:
    """One scenario at one size: live schedules per agent before it, and the writes it needs."""

    live_per_agent: tuple[int, ...]
    creates: int = 0
    updates: int = 0
    archives: int = 0

    @property
    def agents(self) -> int:
        return len(self.live_per_agent)


@dataclass(frozen=True)
class Minimum:
    sequential: int  # requests that must follow one another: agent enumeration pages, a global list
    parallel_reads: int  # per-agent lists, per-schedule reads: any order, `parallelism` at a time
    writes: int

    @property
    def total(self) -> int:
        return self.sequential + self.parallel_reads + self.writes

    def ideal_s(self, latency_s: float, parallelism: int) -> float:
        """Every read before any write (a plan is complete before apply changes anything); enumeration pages
        one after another; the rest `parallelism` at a time."""
        waves = self.sequential + math.ceil(self.parallel_reads / parallelism)
        return (waves + math.ceil(self.writes / parallelism)) * latency_s


# ---- the providers -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    key: str  # how results name it
    provider: str  # the bundle's target.provider
    target: dict[str, str]
    schedule: Callable[[int, str, bool], dict[str, Any]]  # (index, agent, edited) -> a bundle entry
    script: type[Script]
    enumeration: Callable[[int], int]  # requests, one after another, that find the agents (or list all)
    agent_page: int | None  # largest page of an agent's schedule list; None: there is one global list
    explain: str
    serve: tuple[str, ...] = ()  # extra `sandbox serve` arguments
    reads_per_live: int = 0  # per-schedule reads the list forces (list items without the spec)
    create: int = 1  # requests per create, update, archive
    update: int = 1
    archive: int = 1
    unique_names: bool = True  # False: after creating, list once more to find a concurrent apply's twins
    # Requests reconciler sends beyond the API's minimum by choice, and why: counted apart, never hidden in it.
    deliberate: Callable[[Work], int] = lambda work: 0
    deliberate_why: str = ""
    # Beyond this size the default run keeps only the first three scenarios (`--full` runs all), and why.
    cut_above: int | None = None
    cut_reason: str = ""

    def minimum(self, work: Work) -> Minimum:
        enumeration = self.enumeration(work.agents)
        lists = self._lists(work.live_per_agent)
        reads = self.reads_per_live * sum(work.live_per_agent)
        writes = work.creates * self.create + work.updates * self.update + work.archives * self.archive
        if work.creates and not self.unique_names:  # what was created is listed again (its agents only)
            if self.agent_page is None:
                enumeration += 1
            else:
                created = [len(range(a, work.creates, work.agents)) for a in range(work.agents)]
                lists += self._lists([c for c in created if c])
        return Minimum(enumeration, lists + reads, writes)

    def _lists(self, live_per_agent: Sequence[int]) -> int:
        if self.agent_page is None:
            return 0
        return sum(max(1, math.ceil(live / self.agent_page)) for live in live_per_agent)


def _every(i: int, agent: str, edited: bool) -> dict[str, Any]:
    when = {"every": f"{hours(i)}h"}
    return {"name": name(i), "agent": agent, "when": when, "input": {"message": message(i, edited)}}


def _agentex_legacy(i: int, agent: str, edited: bool) -> dict[str, Any]:
    params = {"run": i, **({"edited": True} if edited else {})}
    options = {"workflow_name": "bench-wf", "task_queue": agent, "workflow_params": params}
    return {"name": name(i), "agent": agent, "when": {"every": f"{hours(i)}h"}, "options": options}


def _oz(i: int, agent: str, edited: bool) -> dict[str, Any]:
    cron = f"{i % 60} {i % 24} * * *"
    return {"name": name(i), "agent": agent, "when": {"cron": cron}, "input": {"message": message(i, edited)}}


def _tbd(i: int, agent: str, edited: bool) -> dict[str, Any]:
    when = {"every": f"{hours(i)}h", "start": START}
    return {"name": name(i), "agent": agent, "when": when, "input": {"message": message(i, edited)}}


def _pages(size: int) -> Callable[[int], int]:
    """Cursor or has_more pagination: as many pages as it takes, at least one."""
    return lambda agents: max(1, math.ceil(agents / size))


def _numbered(size: int) -> Callable[[int], int]:
    """Page numbers with no total: the walk ends on a short page, so a full last page costs one more."""
    return lambda agents: agents // size + 1


def _one(agents: int) -> int:
    return 1


UNPAGED = 10**9  # a list with no pagination: one request, however long
RELIST = (
    "names are not unique there, so after creating, what was created is listed once more (the agents created "
    "for, or the global list) to find twins a concurrent apply made (docs/concurrency.md): counted in the "
    "minimum of a race-safe apply"
)
SPECS: dict[str, Spec] = {
    s.key: s
    for s in (
        Spec(
            key="cadenya",
            provider="cadenya",
            serve=("--workspace", WS),
            target={"provider": "cadenya", "workspace": WS},
            schedule=_every,
            script=CadenyaScript,
            enumeration=_pages(1000),
            agent_page=1000,
            explain="agents listed 1,000 a page (cursor), then each agent's schedules 1,000 a page, in parallel; "
            "create POST, update one PATCH with updateMask, archive one POST :archive",
        ),
        Spec(
            key="agentex",
            provider="agentex",
            target={"provider": "agentex"},
            schedule=_agentex_legacy,
            script=AgentexLegacyScript,
            enumeration=_numbered(50),
            agent_page=1000,
            reads_per_live=1,
            update=2,
            cut_above=1000,
            cut_reason="each of them reads every schedule again, one GET each (list items carry no spec): "
            "about 10,000 requests and 40 s apiece, which the 10-minute default cannot afford",
            explain="legacy (seed) API: agents 50 a page (page numbers; 50 is the documented default, the maximum "
            "is not documented), each agent's list at page_size 1000 (no cursor), then one GET per schedule (list "
            "items carry no spec); create POST, update = DELETE + POST (there is no update route), archive = one "
            "POST /pause. The server caps the whole namespace's listing at page_size before keeping an agent's "
            "rows, so beyond 1,000 schedules declared ones are read by name, and owned ones that left the bundle "
            "cannot be seen to be archived (in a run of every scenario at N = 10,000, none of the 1,000 removed was; "
            "an API limit, reconciler/providers/agentex/README.md)",
        ),
        Spec(
            key="agentex-run-schedules",
            provider="agentex",
            serve=("--api", "run-schedules"),
            target={"provider": "agentex", "api": "run-schedules"},
            schedule=_every,
            script=AgentexRunsScript,
            enumeration=_numbered(50),
            agent_page=1000,
            explain="run-schedules API: agents as legacy, each agent's list at limit 1000 (full items, no cursor); "
            "create POST, update one PATCH, archive = one POST /pause",
        ),
        Spec(
            key="orq",
            provider="orq",
            target={"provider": "orq"},
            schedule=_every,
            script=OrqScript,
            enumeration=_pages(200),
            agent_page=UNPAGED,
            explain="seed revision: agents 200 a page (has_more), each agent's schedules in one unpaginated GET, in "
            "parallel; create POST, update one PATCH, archive = one PATCH is_active=false (orq has no archive); "
            + RELIST,
            unique_names=False,
            deliberate=lambda work: work.creates,
            deliberate_why="one PATCH after each create: the seed API has no schedule names, so the ownership "
            "marker records the schedule's own id, which exists only once it is created; without it a hand-made "
            "copy of the schedule (which carries the marker) would pass for ours",
        ),
        Spec(
            key="oz",
            provider="oz",
            serve=("--workspace", WS),
            target={"provider": "oz"},
            schedule=_oz,
            script=OzScript,
            enumeration=_one,
            agent_page=None,
            explain="one global GET /agent/schedules (no pages, full items); create POST, update one full PUT (the "
            "listed item has every field a PUT needs), archive one PUT (enabled=false + the archived marker); "
            + RELIST,
            unique_names=False,
            deliberate=lambda work: work.updates + work.archives,
            deliberate_why="one GET before each PUT: a PUT replaces the whole schedule and Oz has no version or "
            "If-Match, so the PUT is built from the schedule as it is then, not from a list that may be minutes old "
            "(a saved plan: hours), which would undo an `agent_config` changed since",
        ),
        Spec(
            key="tbd-agents",
            provider="tbd-agents",
            serve=("--workspace", WS),
            target={"provider": "tbd-agents"},
            schedule=_tbd,
            script=TbdAgentsScript,
            enumeration=_one,
            agent_page=None,
            archive=2,
            explain="one global GET /api/scheduled-agents (bare array, full items); create POST, update one PATCH, "
            "archive = PATCH /disable + PATCH of the name (a PATCH cannot set `enabled`, and the name is the only "
            "place the archived marker can live); " + RELIST,
            unique_names=False,
            deliberate=lambda work: 1 if work.creates else 0,
            deliberate_why="one GET /api/workflows when the plan creates: a schedule's agent must be one of the "
            "caller's workflows, and a missing one is reported by the plan instead of failing halfway through the "
            "apply",
        ),
    )
}
DEFAULT = ("cadenya", "agentex", "orq", "oz", "tbd-agents")
