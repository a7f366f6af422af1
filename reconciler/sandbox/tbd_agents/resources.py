"""TBD Agents' resources in the store: users' workflows and scheduled agents, their life cycle and JSON.

A schedule document keeps the wire fields (times as UTC ISO text) plus private keys: `beat` (when its
RedBeat entry was (re)registered, and how many ticks of that entry have been counted), `fires` (ticks that
ran) and `run_until` (when the run the last tick started ends: the server's active TaskExecution). Fires happen one
interval after registration and every interval after that, as Celery's `schedule(run_every)` does.
Callers hold `store.transaction()` around each request's reads and writes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.sandbox.runtime import ApiError, Sandbox
from reconciler.sandbox.store import Json
from reconciler.sandbox.tbd_agents.wire import (
    ScheduledAgentCreate,
    interval,
    load_time,
    render,
    store_time,
)

USER, WORKFLOW, SCHEDULE = "user", "workflow", "schedule"
SCHEDULE_FIELDS = ("interval_value", "interval_unit", "start_at", "end_at")  # a change re-registers Beat
TIME_FIELDS = frozenset({"start_at", "end_at", "last_run_at", "next_run_at", "created_at", "updated_at"})
_TIME_ORDER = ("start_at", "end_at", "last_run_at", "next_run_at", "created_at", "updated_at")
# ObjectId: 4-byte seconds, 5 bytes fixed per process, 3-byte counter. The process part is constant (and
# holds a letter, so no id is all digits): ids then sort by creation, as one server's do.
_PROCESS = "5a4e5dbf0c"
_COUNTER = "object-id-counter"


# --- users and workflows --------------------------------------------------------------------------------
def ensure_user(sb: Sandbox, login: str) -> None:
    with sb.store.transaction():
        if sb.store.get(sb.kind(USER), login) is None:
            sb.store.put(sb.kind(USER), login, "", {"login": login})


def ensure_workflow(sb: Sandbox, workflow_id: str, owner: str, title: str | None) -> tuple[Json, bool]:
    with sb.store.transaction():
        ensure_user(sb, owner)
        doc = sb.store.get(sb.kind(WORKFLOW), workflow_id)
        if doc is not None:
            return workflow_json(doc), False
        now = store_time(sb.clock.now())
        doc = {"id": workflow_id, "title": title, "github_user": owner, "created_at": now}
        sb.store.put(sb.kind(WORKFLOW), workflow_id, owner, doc)
        return workflow_json(doc), True


def workflow_json(doc: Json) -> Json:
    """WorkflowResponse's required fields, with the values a fresh workflow has."""
    created = render(doc["created_at"], fresh=False)
    return {
        "id": doc["id"],
        "title": doc.get("title"),
        "agent_id": "sandbox-agent",
        "github_user": doc["github_user"],
        "model": "sandbox-model",
        "max_turns": 10,
        "current_turn": 0,
        "session_id": None,
        "skill_ids": [],
        "status": "active",
        "output_format": "json",
        "messages": [],
        "task_count": 0,
        "created_at": created,
        "updated_at": created,
    }


def list_workflows(sb: Sandbox, login: str) -> list[Json]:
    return [workflow_json(doc) for _, doc in sb.store.scan(sb.kind(WORKFLOW), login)]


# --- schedules ------------------------------------------------------------------------------------------
def _object_id(sb: Sandbox, now: datetime) -> str:
    key = sb.kind(_COUNTER)
    value = int(sb.store.meta_get(key) or 0) + 1
    sb.store.meta_set(key, str(value))
    return f"{int(now.timestamp()) & 0xFFFFFFFF:08x}{_PROCESS}{value & 0xFFFFFF:06x}"


def schedule_json(doc: Json, fresh: frozenset[str] = frozenset()) -> Json:
    """ScheduledAgentResponse; `fresh` names the fields this request set (rendered aware, the rest naive)."""
    out: Json = {
        "id": doc["id"],
        "name": doc["name"],
        "workflow_id": doc["workflow_id"],
        "prompt": doc["prompt"],
        "interval_value": doc["interval_value"],
        "interval_unit": doc["interval_unit"],
    }
    for key in _TIME_ORDER:
        if key == "last_run_at":
            out["enabled"] = doc["enabled"]
        out[key] = render(doc.get(key), fresh=key in fresh)
    return out


def _register(doc: Json, now: datetime) -> None:
    """A new RedBeat entry: its first tick comes one interval after now."""
    doc["beat"] = {"registered": store_time(now), "ticks": 0}


def _unregister(doc: Json) -> None:
    doc["beat"] = None


def create_schedule(sb: Sandbox, body: ScheduledAgentCreate, login: str) -> Json:
    workflow = sb.store.get(sb.kind(WORKFLOW), body.workflow_id)
    if workflow is None:
        raise ApiError(404, "Workflow not found")
    if workflow["github_user"] != login:
        raise ApiError(403, "Not your workflow")
    now = sb.clock.now()
    doc: Json = {
        "id": _object_id(sb, now),
        "name": body.name,
        "workflow_id": body.workflow_id,
        "prompt": body.prompt,
        "interval_value": body.interval_value,
        "interval_unit": str(body.interval_unit),
        "start_at": store_time(body.start_at),
        "end_at": None if body.end_at is None else store_time(body.end_at),
        "enabled": True,
        "last_run_at": None,
        "next_run_at": None,  # set by the first fire, not at creation
        "created_at": store_time(now),
        "updated_at": store_time(now),
        "fires": 0,
    }
    _register(doc, now)
    save(sb, doc)
    return doc


def save(sb: Sandbox, doc: Json) -> None:
    sb.store.put(sb.kind(SCHEDULE), doc["id"], doc["workflow_id"], doc)


def load_schedule(sb: Sandbox, sa_id: str, login: str) -> Json:
    """The caller's schedule, caught up to now: 404 unknown, 403 when its workflow is not the caller's."""
    doc = sb.store.get(sb.kind(SCHEDULE), sa_id)
    if doc is None:
        raise ApiError(404, "Scheduled agent not found")
    workflow = sb.store.get(sb.kind(WORKFLOW), doc["workflow_id"])
    if workflow is None or workflow["github_user"] != login:
        raise ApiError(403, "Not your scheduled agent")
    if catch_up(doc, sb.clock.now(), run_seconds(sb)(doc["workflow_id"])):
        save(sb, doc)
    return doc


def list_schedules(sb: Sandbox, login: str) -> list[Json]:
    """The caller's schedules (through their workflows), newest first."""
    mine = {doc["id"] for _, doc in sb.store.scan(sb.kind(WORKFLOW), login)}
    now = sb.clock.now()
    run_for = run_seconds(sb)
    found: list[tuple[str, int, Json]] = []
    for seq, doc in sb.store.scan(sb.kind(SCHEDULE)):
        if doc["workflow_id"] not in mine:
            continue
        if catch_up(doc, now, run_for(doc["workflow_id"])):
            save(sb, doc)
        found.append((doc["created_at"], seq, doc))
    return [doc for _, _, doc in sorted(found, key=lambda t: (t[0], t[1]), reverse=True)]


def patch_schedule(sb: Sandbox, doc: Json, update: dict[str, Any]) -> tuple[Json, frozenset[str]]:
    """`model_dump(exclude_none=True)`: nulls are ignored (so `end_at` cannot be cleared); returns the
    document and the fields this request set."""
    if not update:
        return doc, frozenset()
    now = sb.clock.now()
    for key, value in update.items():
        if isinstance(value, datetime):
            value = store_time(value)
        doc[key] = str(value) if key == "interval_unit" else value
    doc["updated_at"] = store_time(now)
    if update.keys() & set(SCHEDULE_FIELDS) and doc["enabled"]:
        _register(doc, now)  # the entry is rebuilt: the cadence starts again from now
    save(sb, doc)
    return doc, frozenset(update) | {"updated_at"}


def set_enabled(sb: Sandbox, doc: Json, enabled: bool) -> tuple[Json, frozenset[str]]:
    if doc["enabled"] == enabled:
        return doc, frozenset()
    now = sb.clock.now()
    doc["enabled"] = enabled
    doc["updated_at"] = store_time(now)
    if enabled:
        _register(doc, now)
    else:
        _unregister(doc)
    save(sb, doc)
    return doc, frozenset({"updated_at"})


def delete_schedule(sb: Sandbox, doc: Json) -> None:
    sb.store.delete(sb.kind(SCHEDULE), doc["id"])


def run_seconds(sb: Sandbox) -> Callable[[str], float]:
    """How long a run of each workflow lasts (the test-set run profile), read once per request: a run whose
    start fails (`error`) leaves nothing running, so it never makes a later tick skip."""

    @functools.cache
    def seconds(workflow_id: str) -> float:
        profile = sb.run_profile(workflow_id)
        return 0.0 if profile.error else profile.duration

    return seconds


def catch_up(doc: Json, now: datetime, run_for: float = 0.0) -> bool:
    """Run every tick of the Beat entry due by `now`; True when the document changed.

    Tick k (k >= 1) comes at registration + k * interval. The task's guards, in the server's order: a tick
    at or after `end_at` disables the schedule instead of running it; a tick while the previous run (started
    by the last tick that ran, lasting `run_for` seconds) is still active is skipped and changes nothing
    (the server finds its TaskExecution PENDING or RUNNING, logs and returns); otherwise it runs:
    `last_run_at` = the tick, `next_run_at` = the tick + interval.
    """
    beat = doc.get("beat")
    if not doc["enabled"] or not beat:
        return False
    step = interval(doc)
    registered = load_time(beat["registered"])
    due = int((now - registered) / step)  # ticks at or before now
    if due <= beat["ticks"]:
        return False
    end = load_time(doc["end_at"]) if doc.get("end_at") else None
    first_new = beat["ticks"] + 1
    if end is not None:
        # the first tick at or after end_at, if it is due, disables instead of running
        ending = max(first_new, _first_tick_at(registered, end, step))
        if ending <= due:
            _run_ticks(doc, registered, step, first_new, ending - 1, run_for)
            doc["enabled"] = False
            doc["updated_at"] = store_time(registered + ending * step)
            _unregister(doc)
            return True
    _run_ticks(doc, registered, step, first_new, due, run_for)
    beat["ticks"] = due
    return True


def _first_tick_at(registered: datetime, instant: datetime, step: timedelta) -> int:
    """The number of the first tick at or after `instant`."""
    return -((registered - instant) // step)


def _run_ticks(
    doc: Json, registered: datetime, step: timedelta, first: int, last: int, run_for: float
) -> None:
    """Ticks `first`..`last`: each runs unless the run the previous one started is still active. A run
    lasting `run_for` seconds makes the next ceil(run_for / interval) - 1 ticks skip; one that ends exactly
    at a tick has ended (its TaskExecution is no longer PENDING or RUNNING)."""
    busy = doc.get("run_until")
    if busy:
        first = max(first, _first_tick_at(registered, load_time(busy), step))
    if first > last:
        return
    every = max(1, math.ceil(run_for / step.total_seconds()))
    runs = (last - first) // every + 1
    tick = registered + (first + (runs - 1) * every) * step
    _ran(doc, tick, step, runs)
    try:
        doc["run_until"] = store_time(tick + timedelta(seconds=run_for)) if run_for > 0 else None
    except OverflowError:  # a run that outlasts the year 9999: nothing ever runs again
        doc["run_until"] = store_time(datetime.max.replace(tzinfo=UTC))


def _ran(doc: Json, last: datetime, step: Any, count: int) -> None:
    doc["fires"] = doc.get("fires", 0) + count
    doc["last_run_at"] = store_time(last)
    try:
        doc["next_run_at"] = store_time(last + step)
    except OverflowError:  # an interval that reaches past the year 9999: there is no next run
        doc["next_run_at"] = None
    doc["updated_at"] = store_time(last)


def fire_due(sb: Sandbox, now: datetime) -> int:
    total = 0
    run_for = run_seconds(sb)
    with sb.store.transaction():
        for _, doc in sb.store.scan(sb.kind(SCHEDULE)):
            before = doc.get("fires", 0)
            if catch_up(doc, now, run_for(doc["workflow_id"])):
                save(sb, doc)
                total += doc.get("fires", 0) - before
    return total
