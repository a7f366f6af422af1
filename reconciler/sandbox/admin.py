"""The admin surface every sandbox shares, outside the vendor's paths: `/_sandbox/...`.

Seed agents, reset, read request stats, move the clock (due schedules fire), and retune traffic
shaping at run time. Same bearer token as the vendor routes; never delayed, limited or faulted.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from reconciler.sandbox.asgi import ADMIN_PREFIX
from reconciler.sandbox.clock import format_instant, parse_instant
from reconciler.sandbox.config import Latency, Traffic, parse_fault_kinds
from reconciler.sandbox.runtime import ApiError, RunProfile, Sandbox
from reconciler.sandbox.web import json_response, read_object


def add_admin_routes(sandbox: Sandbox, router: APIRouter) -> None:
    @router.post(ADMIN_PREFIX + "/agents")
    async def create_agent(request: Request) -> Response:
        body = await read_object(request)
        agent_id, workspace = body.get("id"), body.get("workspace") or sandbox.workspace
        name, labels = body.get("name"), body.get("labels") or {}
        if not isinstance(agent_id, str) or not agent_id.strip():
            raise ApiError(400, "'id' (the agent id) is required")
        if not isinstance(workspace, str) or (name is not None and not isinstance(name, str)):
            raise ApiError(400, "'workspace' and 'name' must be strings")
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise ApiError(400, "'labels' must map strings to strings")
        agent, created = sandbox.provider.ensure_agent(sandbox, agent_id.strip(), workspace, name, labels)
        return json_response(agent, 201 if created else 200)

    @router.post(ADMIN_PREFIX + "/reset")
    async def reset() -> Response:
        sandbox.reset()
        return json_response({"reset": True})

    @router.get(ADMIN_PREFIX + "/stats")
    async def stats() -> Response:
        return json_response({**sandbox.stats.snapshot(), "faults": list(sandbox.traffic.log)})

    @router.get(ADMIN_PREFIX + "/clock")
    async def get_clock() -> Response:
        return json_response({"now": format_instant(sandbox.clock.now()), "frozen": sandbox.clock.frozen})

    @router.post(ADMIN_PREFIX + "/clock")
    async def set_clock(request: Request) -> Response:
        body = await read_object(request)
        now = sandbox.clock.now()
        if isinstance(body.get("now"), str):
            try:
                now = parse_instant(body["now"])
            except ValueError as exc:
                raise ApiError(400, f"'now' must be an RFC 3339 time with an offset: {exc}") from None
        elif "advance" in body:
            now += timedelta(seconds=_seconds(body["advance"]))
        else:
            raise ApiError(400, 'send {"now": "<RFC 3339 time>"} or {"advance": "<seconds>s"}')
        with sandbox.store.transaction():
            sandbox.clock.set(now)
            fired = sandbox.provider.fire_due(sandbox, now)
        return json_response({"now": format_instant(now), "frozen": True, "fired": fired})

    @router.post(ADMIN_PREFIX + "/runs")
    async def set_runs(request: Request) -> Response:
        """Test-only: how long the runs an agent's fires start last, and whether they fail to start."""
        body = await read_object(request)
        agent, error = body.get("agent"), body.get("error")
        if not isinstance(agent, str) or not agent:
            raise ApiError(400, "'agent' (the agent id the runs belong to) is required")
        if error is not None and not isinstance(error, str):
            raise ApiError(400, "'error' must be text or null")
        duration = _seconds(body.get("duration", 0), "duration")
        sandbox.set_run_profile(agent, RunProfile(duration, error))
        return json_response({"agent": agent, "duration": f"{duration:g}s", "error": error})

    @router.get(ADMIN_PREFIX + "/traffic")
    async def get_traffic() -> Response:
        return json_response(_traffic_json(sandbox.traffic.settings))

    @router.post(ADMIN_PREFIX + "/traffic")
    async def set_traffic(request: Request) -> Response:
        body = await read_object(request)
        settings = _traffic_from(body, sandbox.traffic.settings)
        sandbox.traffic.configure(settings)
        return json_response(_traffic_json(settings))


def _seconds(value: Any, field: str = "advance") -> float:
    """A number of seconds, or a protobuf Duration string such as '3600s'."""
    text = value[:-1] if isinstance(value, str) and value.endswith("s") else value
    try:
        seconds = float(text)
    except (TypeError, ValueError):
        raise ApiError(400, f"'{field}' must be seconds, e.g. 3600 or \"3600s\", not {value!r}") from None
    if seconds < 0:
        raise ApiError(
            400,
            f"'{field}' must not be negative"
            + ("; set 'now' to move the clock back" if field == "advance" else ""),
        )
    return seconds


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _traffic_json(t: Traffic) -> dict[str, Any]:
    return {
        "latency": None if t.latency is None else str(t.latency),
        "rateLimit": t.rate_limit,
        "faultRate": t.fault_rate,
        "seed": t.seed,
        "faultKinds": list(t.fault_kinds),
        "retryAfter": t.retry_after,
    }


def _traffic_from(body: dict[str, Any], current: Traffic) -> Traffic:
    """Keys present in the body replace the current settings (null clears latency / rate limit)."""
    try:
        latency = current.latency
        if "latency" in body:
            latency = None if body["latency"] in (None, "", 0) else Latency.parse(str(body["latency"]))
        kinds = current.fault_kinds
        if "faultKinds" in body:
            raw = body["faultKinds"]
            kinds = parse_fault_kinds(",".join(raw) if isinstance(raw, list) else str(raw))
        return Traffic(
            latency=latency,
            rate_limit=_optional_float(body["rateLimit"]) if "rateLimit" in body else current.rate_limit,
            fault_rate=float(body.get("faultRate", current.fault_rate)),
            seed=int(body.get("seed", current.seed)),
            fault_kinds=kinds,
            retry_after=int(body.get("retryAfter", current.retry_after)),
        )
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"invalid traffic settings: {exc}") from None
