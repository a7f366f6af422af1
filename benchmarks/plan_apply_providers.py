"""What benchmarks/plan_apply.py needs to know about each provider: a valid bundle, the fewest requests its
API allows for each scenario, and a hand-written sequential script (the baseline) doing the same work.

The minimum is derived from each API's list pagination (page size, per-agent or global list) and from how
many requests one create, update and archive take there; `Spec.explain` says it in one line per provider.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

WS = "ws_bench"  # Cadenya's workspace, Oz's team, TBD Agents' GitHub login
START = "2026-12-01T00:00:00Z"  # TBD Agents requires a start
BUNDLE_KEY = "bench"


def name(i: int) -> str:
    return f"s{i:05d}"


def message(i: int, edited: bool) -> str:
    return f"Run {i} (edited)" if edited else f"Run {i}"


def hours(i: int) -> int:
    return 1 + i % 24  # every 1..24 h: within every provider's limits (orq: at least an hour)


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


# ---- baseline scripts ---------------------------------------------------------------------------------------
class Script:
    """A user's sequential script: read what it manages, then create, update or archive one at a time.

    Requests are timed by kind: a `fixed` one (a global list) costs the same whatever share of the agents
    the script covers; every other request belongs to one agent, so a run over a sample of the agents
    extrapolates to all of them by scaling."""

    def __init__(self, url: str, key: str) -> None:
        self.client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120)
        self.requests = {"fixed": 0, "scaled": 0}
        self.seconds = {"fixed": 0.0, "scaled": 0.0}

    def close(self) -> None:
        self.client.close()

    def call(self, method: str, path: str, *, fixed: bool = False, **kw: Any) -> Any:
        kind = "fixed" if fixed else "scaled"
        started = time.perf_counter()
        response = self.client.request(method, path, **kw)
        self.seconds[kind] += time.perf_counter() - started
        self.requests[kind] += 1
        response.raise_for_status()
        return response.json() if response.content else None

    def live(self, agents: list[str], names: list[tuple[int, str]]) -> dict[str, Any]:
        """Everything the script manages, by name: `names` are (index, agent) it declares or declared."""
        raise NotImplementedError

    def differs(self, item: Any, i: int, edited: bool) -> bool:
        raise NotImplementedError

    def create(self, i: int, agent: str, edited: bool) -> None:
        raise NotImplementedError

    def update(self, i: int, agent: str, item: Any, edited: bool) -> None:
        raise NotImplementedError

    def archive(self, agent: str, item: Any) -> None:
        raise NotImplementedError

    def converge(
        self, wanted: list[tuple[int, str, bool]], removed: list[tuple[int, str]], agents: list[str]
    ) -> None:
        """`wanted`: (index, agent, edited) to have; `removed`: (index, agent) to archive."""
        live = self.live(agents, [(i, a) for i, a, _ in wanted] + removed)
        for i, agent, edited in wanted:
            item = live.get(name(i))
            if item is None:
                self.create(i, agent, edited)
            elif self.differs(item, i, edited):
                self.update(i, agent, item, edited)
        for i, agent in removed:
            item = live.get(name(i))
            if item is not None:
                self.archive(agent, item)


class CadenyaScript(Script):
    def _path(self, agent: str) -> str:
        return f"/v1/workspaces/{WS}/agents/{agent}/schedules"

    def live(self, agents: list[str], names: list[tuple[int, str]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for agent in agents:
            cursor = ""
            while True:
                params = {"limit": "1000", **({"cursor": cursor} if cursor else {})}
                page = self.call("GET", self._path(agent), params=params)
                found |= {s["metadata"]["name"]: s for s in page["items"] if s["state"] != "STATE_ARCHIVED"}
                cursor = (page.get("pagination") or {}).get("nextCursor", "")
                if not cursor:
                    break
        return found

    def _spec(self, i: int, edited: bool) -> dict[str, Any]:
        every = {"every": f"{hours(i) * 3600}s"}
        return {"schedule": {"intervals": [every], "timezone": "UTC"}, "initialMessage": message(i, edited)}

    def differs(self, item: Any, i: int, edited: bool) -> bool:
        return bool(item["spec"].get("initialMessage") != message(i, edited))

    def create(self, i: int, agent: str, edited: bool) -> None:
        body = {"metadata": {"name": name(i)}, "spec": self._spec(i, edited)}
        self.call("POST", self._path(agent), json=body)

    def update(self, i: int, agent: str, item: Any, edited: bool) -> None:
        body = {"spec": self._spec(i, edited), "updateMask": "spec"}
        self.call("PATCH", f"{self._path(agent)}/{item['metadata']['id']}", json=body)

    def archive(self, agent: str, item: Any) -> None:
        self.call("POST", f"{self._path(agent)}/{item['metadata']['id']}:archive")


class AgentexLegacyScript(Script):
    """List items carry no spec, so the script reads each listed schedule by name; there is no update, so it
    deletes and creates."""

    def _path(self, agent: str) -> str:
        return f"/agents/{agent}/schedules"

    def live(self, agents: list[str], names: list[tuple[int, str]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for agent in agents:
            for item in self.call("GET", self._path(agent), params={"page_size": "1000"})["schedules"]:
                found[item["name"]] = self.call("GET", f"{self._path(agent)}/{item['name']}")
        return found

    def _params(self, i: int, edited: bool) -> dict[str, Any]:
        return {"run": i, **({"edited": True} if edited else {})}

    def differs(self, item: Any, i: int, edited: bool) -> bool:
        return bool(item["action"]["workflow_params"] != [self._params(i, edited)])

    def create(self, i: int, agent: str, edited: bool) -> None:
        body = {
            "name": name(i),
            "workflow_name": "bench-wf",
            "task_queue": agent,
            "workflow_params": self._params(i, edited),
            "interval_seconds": hours(i) * 3600,
        }
        self.call("POST", self._path(agent), json=body)

    def update(self, i: int, agent: str, item: Any, edited: bool) -> None:
        self.call("DELETE", f"{self._path(agent)}/{item['name']}")
        self.create(i, agent, edited)

    def archive(self, agent: str, item: Any) -> None:
        self.call("POST", f"{self._path(agent)}/{item['name']}/pause", json={})


class AgentexRunsScript(Script):
    def _path(self, agent: str) -> str:
        return f"/agents/{agent}/schedules"

    def live(self, agents: list[str], names: list[tuple[int, str]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for agent in agents:
            page = self.call("GET", self._path(agent), params={"limit": "1000"})
            found |= {s["name"]: s for s in page["run_schedules"]}
        return found

    def differs(self, item: Any, i: int, edited: bool) -> bool:
        return bool(item["initial_input"]["content"] != message(i, edited))

    def _input(self, i: int, edited: bool) -> dict[str, Any]:
        return {"content": message(i, edited), "author": "user", "type": "text"}

    def create(self, i: int, agent: str, edited: bool) -> None:
        body = {"name": name(i), "initial_input": self._input(i, edited), "interval_seconds": hours(i) * 3600}
        self.call("POST", self._path(agent), json=body)

    def update(self, i: int, agent: str, item: Any, edited: bool) -> None:
        self.call(
            "PATCH", f"{self._path(agent)}/{item['id']}", json={"initial_input": self._input(i, edited)}
        )

    def archive(self, agent: str, item: Any) -> None:
        self.call("POST", f"{self._path(agent)}/{item['id']}/pause", json={})


class OrqScript(Script):
    def _path(self, agent: str) -> str:
        return f"/v3/agents/{agent}/schedules"

    def live(self, agents: list[str], names: list[tuple[int, str]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for agent in agents:
            for item in self.call("GET", self._path(agent))["schedules"] or []:
                found[item["payload"]["metadata"]["script_name"]] = item
        return found

    def _payload(self, i: int, edited: bool) -> dict[str, Any]:
        return {"input": message(i, edited), "metadata": {"script_name": name(i)}}

    def differs(self, item: Any, i: int, edited: bool) -> bool:
        return bool(item["payload"]["input"] != message(i, edited))

    def create(self, i: int, agent: str, edited: bool) -> None:
        body = {"type": "interval", "expression": f"@every {hours(i)}h", "payload": self._payload(i, edited)}
        self.call("POST", self._path(agent), json=body)

    def update(self, i: int, agent: str, item: Any, edited: bool) -> None:
        self.call("PATCH", f"{self._path(agent)}/{item['_id']}", json={"payload": self._payload(i, edited)})

    def archive(self, agent: str, item: Any) -> None:
        self.call("PATCH", f"{self._path(agent)}/{item['_id']}", json={"is_active": False})


class OzScript(Script):
    PATH = "/agent/schedules"

    def live(self, agents: list[str], names: list[tuple[int, str]]) -> dict[str, Any]:
        return {s["name"]: s for s in self.call("GET", self.PATH, fixed=True)["schedules"]}

    def differs(self, item: Any, i: int, edited: bool) -> bool:
        return bool(item["prompt"] != message(i, edited))

    def _body(self, i: int, agent: str, edited: bool) -> dict[str, Any]:
        return {
            "name": name(i),
            "cron_schedule": f"{i % 60} {i % 24} * * *",
            "prompt": message(i, edited),
            "enabled": True,
            "agent_uid": agent,
        }

    def create(self, i: int, agent: str, edited: bool) -> None:
        self.call("POST", self.PATH, json=self._body(i, agent, edited))

    def update(self, i: int, agent: str, item: Any, edited: bool) -> None:
        self.call("PUT", f"{self.PATH}/{item['id']}", json=self._body(i, agent, edited))

    def archive(self, agent: str, item: Any) -> None:
        self.call("POST", f"{self.PATH}/{item['id']}/pause")


class TbdAgentsScript(Script):
    PATH = "/api/scheduled-agents"

    def live(self, agents: list[str], names: list[tuple[int, str]]) -> dict[str, Any]:
        return {s["name"]: s for s in self.call("GET", self.PATH, fixed=True)}

    def differs(self, item: Any, i: int, edited: bool) -> bool:
        return bool(item["prompt"] != message(i, edited))

    def create(self, i: int, agent: str, edited: bool) -> None:
        body = {
            "name": name(i),
            "workflow_id": agent,
            "prompt": message(i, edited),
            "interval_value": hours(i),
            "interval_unit": "hours",
            "start_at": START,
        }
        self.call("POST", self.PATH, json=body)

    def update(self, i: int, agent: str, item: Any, edited: bool) -> None:
        self.call("PATCH", f"{self.PATH}/{item['id']}", json={"prompt": message(i, edited)})

    def archive(self, agent: str, item: Any) -> None:
        self.call("PATCH", f"{self.PATH}/{item['id']}/disable")


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
