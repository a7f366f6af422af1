"""orq's resources in the store: agents (by key) and their schedules, life cycle, firing and JSON.

A schedule document is the wire object plus private keys: `secrets` (secret variable values, never
rendered) and `fires` (cadence anchor, the instant counted up to, the next fire, pending manual runs).
Callers hold `store.transaction()` around each request's reads and writes.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from reconciler.sandbox.clock import format_instant, parse_instant
from reconciler.sandbox.ids import new_ulid, stable_id
from reconciler.sandbox.orq.expressions import DISPLAY_NAME, ExpressionError, Rule, parse_rule
from reconciler.sandbox.runtime import ApiError, Sandbox
from reconciler.sandbox.store import Json
from reconciler.timing import next_fire_times

AGENT, SCHEDULE = "agent", "schedule"
API_KEY_ID = stable_id("apk", "reconciler-sandbox/api-key")  # created_by_id / updated_by_id
MANUAL_DELAY = timedelta(seconds=10)  # "fires ≈ 10 s later" (POST .../execution)
FIRE_CAP = 1_000_000  # fires counted per schedule per catch-up
_BATCH = 512
_PRIVATE = ("secrets", "fires")


class OrqError(ApiError):
    """An error in orq's shape: {"error": {"code", "message"}} (+ `param` and `type` where the SDK needs them)."""

    def __init__(
        self, status: int, code: str, message: str, *, param: str | None = None, kind: str = ""
    ) -> None:
        super().__init__(status, message)
        self.code = code
        self.param = param
        self.kind = kind

    def body(self) -> Json:
        error: Json = {"code": self.code, "message": self.message}
        if self.kind:  # the list route's 404 (newer SDKs require both keys there)
            error.update(param=self.param, type=self.kind)
        return {"error": error}


def invalid(message: str, code: str = "invalid_request") -> OrqError:
    return OrqError(400, code, message)


# --- agents -----------------------------------------------------------------------------------------
def ensure_agent(sb: Sandbox, key: str, name: str | None) -> tuple[Json, bool]:
    with sb.store.transaction():
        doc = sb.store.get(sb.kind(AGENT), key)
        if doc is not None:
            return agent_json(doc), False
        now = sb.clock.now()
        doc = {"_id": new_ulid(now), "key": key, "display_name": name or key, "created": format_instant(now)}
        sb.store.put(sb.kind(AGENT), key, "", doc)
        return agent_json(doc), True


def require_agent(sb: Sandbox, key: str, *, listing: bool = False) -> Json:
    doc = sb.store.get(sb.kind(AGENT), key)
    if doc is None:
        extra: dict[str, Any] = {"param": "agent_key", "kind": "not_found_error"} if listing else {}
        raise OrqError(404, "agent_not_found", f"agent not found: {key}", **extra)
    return doc


def agent_json(doc: Json) -> Json:
    """The fields ListAgentsData requires, with sandbox values for what the sandbox does not model."""
    return {
        "_id": doc["_id"],
        "key": doc["key"],
        "display_name": doc["display_name"],
        "status": "live",
        "path": "Default/agents",
        "role": "Assistant",
        "description": "",
        "instructions": "",
        "model": {"id": "openai/gpt-4o"},
        "created": doc["created"],
        "updated": doc["created"],
        "version": "v1",
    }


def agents(sb: Sandbox) -> list[Json]:
    """Every agent, newest first (the list's documented order)."""
    return [doc for _, doc in sb.store.scan(sb.kind(AGENT), "", descending=True)]


# --- schedules --------------------------------------------------------------------------------------
def schedule_json(doc: Json, revision: str) -> Json:
    out = {k: v for k, v in doc.items() if k not in _PRIVATE and v is not None}
    if revision != DISPLAY_NAME:
        out.pop("display_name", None)
        out.pop("updated_by_id", None)
    payload = dict(out["payload"])
    if "variables" in payload:
        # Secret values are write-only: the API answers {"secret": true} with no value (see README.md).
        payload["variables"] = {
            k: ({"secret": True} if k in doc["secrets"] else v) for k, v in payload["variables"].items()
        }
    out["payload"] = payload
    return out


def rule_of(doc: Json, revision: str, now: datetime) -> Rule:
    """The stored expression's meaning; `now` only matters for validation, so any instant will do."""
    return (
        parse_rule(doc["type"], doc["expression"], revision, now) if doc["type"] != "once" else _at_rule(doc)
    )


def _at_rule(doc: Json) -> Rule:
    return Rule(at=parse_instant(doc["expression"].split(None, 1)[1]))


def _fire_times(doc: Json, rule: Rule, after: datetime, count: int) -> list[datetime]:
    anchor = parse_instant(doc["fires"]["anchor"]) if rule.every is not None else None
    return next_fire_times(rule.timing(), after, count, provider="orq", anchor=anchor)


def restart(doc: Json, now: datetime, revision: str, *, reanchor: bool) -> None:
    """Count from `now` on; `reanchor` starts an interval's cadence afresh (create, re-publish)."""
    fires = doc["fires"]
    if reanchor:
        fires["anchor"] = format_instant(now)
    fires["cursor"] = format_instant(now)
    nxt = _fire_times(doc, rule_of(doc, revision, now), now, 1) if doc["is_active"] else []
    fires["next"] = format_instant(nxt[0]) if nxt else None


def _stream(doc: Json, rule: Rule, after: datetime, until: datetime) -> Iterator[datetime]:
    cursor = after
    while True:
        batch = _fire_times(doc, rule, cursor, _BATCH)
        for t in batch:
            if t > until:
                return
            yield t
        if len(batch) < _BATCH:
            return
        cursor = batch[-1]


def catch_up(doc: Json, now: datetime, revision: str) -> bool:
    """Count the fires (scheduled and manual) due by `now`; True when the document changed."""
    fires = doc["fires"]
    manual = [parse_instant(t) for t in fires.get("manual", [])]
    due_manual = [t for t in manual if t <= now]
    scheduled: list[datetime] = []
    if doc["is_active"] and fires.get("next") and parse_instant(fires["next"]) <= now:
        rule = rule_of(doc, revision, now)
        for t in _stream(doc, rule, parse_instant(fires["cursor"]), now):
            scheduled.append(t)
            if len(scheduled) >= FIRE_CAP:
                break
        if rule.at is not None and scheduled:
            doc["is_active"] = False  # once schedules flip to false by themselves after firing
    if not due_manual and not scheduled:
        return False
    times = list(heapq.merge(sorted(due_manual), scheduled))
    doc["trigger_count"] += len(times)
    doc["last_triggered_at"] = format_instant(times[-1])
    fires["manual"] = [format_instant(t) for t in manual if t > now]
    if scheduled:
        restart(doc, now, revision, reanchor=False)
    return True


def save(sb: Sandbox, doc: Json) -> None:
    sb.store.put(sb.kind(SCHEDULE), doc["_id"], doc["agent_key"], doc)


def load(sb: Sandbox, agent_key: str, schedule_id: str) -> Json:
    """The schedule, caught up to now; 404 unless it belongs to that agent."""
    require_agent(sb, agent_key)
    doc = sb.store.get(sb.kind(SCHEDULE), schedule_id)
    if doc is None or doc["agent_key"] != agent_key:
        raise OrqError(404, "schedule_not_found", f"schedule not found: {schedule_id}")
    if catch_up(doc, sb.clock.now(), sb.api):
        save(sb, doc)
    return doc


def list_for(sb: Sandbox, agent_key: str) -> list[Json]:
    require_agent(sb, agent_key, listing=True)
    now = sb.clock.now()
    docs = []
    for _, doc in sb.store.scan(sb.kind(SCHEDULE), agent_key, descending=True):  # most recent first
        if catch_up(doc, now, sb.api):
            save(sb, doc)
        docs.append(doc)
    return docs


def check_expression(kind: str, expression: str, revision: str, now: datetime) -> Rule:
    try:
        return parse_rule(kind, expression, revision, now)
    except ExpressionError as exc:
        code = "invalid_type" if str(exc).startswith("invalid schedule type") else "invalid_expression"
        raise invalid(str(exc), code) from None


def create(sb: Sandbox, agent_key: str, body: Json, payload: Json, secrets: dict[str, Any]) -> Json:
    require_agent(sb, agent_key)
    if "agent_tag" in body and not body["agent_tag"]:
        raise OrqError(404, "agent_not_found", f"agent version not found: {agent_key}@{body['agent_tag']}")
    now = sb.clock.now()
    check_expression(body["type"], body["expression"], sb.api, now)
    stamp = format_instant(now)
    doc: Json = {
        "_id": new_ulid(now),
        "agent_key": agent_key,
        "display_name": body.get("display_name"),
        "type": body["type"],
        "expression": body["expression"],
        "is_active": True,
        "generation": 1,
        "payload": payload,
        "created_by_id": API_KEY_ID,
        "updated_by_id": API_KEY_ID if sb.api == DISPLAY_NAME else None,
        "created": stamp,
        "updated": stamp,
        "trigger_count": 0,
        "agent_tag": body.get("agent_tag"),
        "last_triggered_at": None,
        "secrets": secrets,
        "fires": {"manual": []},
    }
    restart(doc, now, sb.api, reanchor=True)
    save(sb, doc)
    return doc


def patch(sb: Sandbox, doc: Json, body: Json, payload: Json | None, secrets: dict[str, Any] | None) -> Json:
    """A partial update. Expression or type changes and reactivation re-publish the cadence (generation + 1;
    trigger_count restarts on expression or type changes only); payload and agent_tag changes do not."""
    now = sb.clock.now()
    new = dict(doc)
    for key in ("type", "expression", "is_active", "display_name"):
        if key in body:
            new[key] = body[key]
    if "agent_tag" in body:
        new["agent_tag"] = body["agent_tag"] or None  # "" unpins: the agent's active version again
    if payload is not None:
        new["payload"], new["secrets"] = payload, secrets or {}
    cadence = new["type"] != doc["type"] or new["expression"] != doc["expression"]
    reactivated = new["is_active"] and not doc["is_active"]
    if cadence or reactivated:
        check_expression(new["type"], new["expression"], sb.api, now)
    if new == doc:
        return doc
    new["fires"] = dict(doc["fires"])
    if cadence or reactivated:
        new["generation"] = doc["generation"] + 1
    if cadence:
        new["trigger_count"] = 0
    new["updated"] = format_instant(now)
    if sb.api == DISPLAY_NAME:
        new["updated_by_id"] = API_KEY_ID
    restart(new, now, sb.api, reanchor=cadence or reactivated)
    save(sb, new)
    return new


def delete(sb: Sandbox, doc: Json) -> None:
    sb.store.delete(sb.kind(SCHEDULE), doc["_id"])


def trigger(sb: Sandbox, doc: Json) -> None:
    if not doc["is_active"]:
        raise OrqError(400, "schedule_inactive", f"schedule is inactive: {doc['_id']}")
    doc["fires"] = {
        **doc["fires"],
        "manual": [*doc["fires"].get("manual", []), format_instant(sb.clock.now() + MANUAL_DELAY)],
    }
    save(sb, doc)


def fire_due(sb: Sandbox, now: datetime) -> int:
    total = 0
    with sb.store.transaction():
        for _, doc in sb.store.scan(sb.kind(SCHEDULE)):
            before = doc["trigger_count"]
            if catch_up(doc, now, sb.api):
                save(sb, doc)
                total += doc["trigger_count"] - before
    return total
