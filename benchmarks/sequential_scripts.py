"""The baselines: a user's hand-written sequential script per provider (benchmarks/plan_apply.py runs them
in its own process), reading what it manages and then creating, updating or archiving one at a time."""

from __future__ import annotations

import time
from typing import Any

import httpx
from generated import START, WS, hours, message, name


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
