"""Cadenya's resources in the store: workspaces, agents and schedules, their life cycle and JSON.

Schedule documents keep the API reference's field names plus a private `fires` record (total, last, the
instant counted up to, the next fire, the last skip and when the latest run ends), brought up to date
whenever a schedule is read or changed.
Callers hold `store.transaction()` around each request's reads and writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.sandbox.cadenya.firing import next_fire, tally
from reconciler.sandbox.cadenya.wire import render_spec
from reconciler.sandbox.clock import format_instant, parse_instant
from reconciler.sandbox.ids import new_id, stable_id
from reconciler.sandbox.runtime import ApiError, Sandbox
from reconciler.sandbox.store import Json

ACTIVE, PAUSED, ARCHIVED = "STATE_ACTIVE", "STATE_PAUSED", "STATE_ARCHIVED"
VERBS = {"pause": PAUSED, "resume": ACTIVE, "archive": ARCHIVED}
SCHEDULE_PREFIX = "asch"  # Cadenya's schedule id prefix is not documented; "agent schedule"
ACCOUNT_ID = stable_id("acct", "reconciler-sandbox/account")
PROFILE_ID = stable_id("prof", "reconciler-sandbox/profile")
PROFILE: Json = {
    "metadata": {
        "id": PROFILE_ID,
        "accountId": ACCOUNT_ID,
        "name": "sandbox API key",
        "externalId": "",
        "labels": {},
        "profileId": PROFILE_ID,
    },
    "spec": {"type": "PROFILE_TYPE_API_KEY", "email": "", "name": "sandbox API key"},
}
WORKSPACE, AGENT, SCHEDULE, NAME = "workspace", "agent", "schedule", "schedule-name"
OVERLAP_ALLOW = "OVERLAP_POLICY_ALLOW"  # the one policy that never skips: unset and UNSPECIFIED mean SKIP
# `info.lastSkipReason` is free text in SDK 1.8.0 (`Optional[str]`, no enum, no documented values): ours.
SKIP_REASON = "overlap policy SKIP: the previous objective was still running"


# --- workspaces and agents --------------------------------------------------------------------------
def ensure_workspace(sb: Sandbox, ws: str) -> None:
    with sb.store.transaction():
        if sb.store.get(sb.kind(WORKSPACE), ws) is None:
            doc = {"id": ws, "createdAt": format_instant(sb.clock.now())}
            sb.store.put(sb.kind(WORKSPACE), ws, "", doc)


def ensure_agent(
    sb: Sandbox, agent_id: str, ws: str, name: str | None, labels: dict[str, str]
) -> tuple[Json, bool]:
    with sb.store.transaction():
        ensure_workspace(sb, ws)
        doc = sb.store.get(sb.kind(AGENT), f"{ws}/{agent_id}")
        if doc is not None:
            return agent_json(doc), False
        now = format_instant(sb.clock.now())
        doc = {
            "id": agent_id,
            "workspaceId": ws,
            "name": name or agent_id,
            "labels": labels,
            "createdAt": now,
        }
        sb.store.put(sb.kind(AGENT), f"{ws}/{agent_id}", ws, doc)
        return agent_json(doc), True


def require_workspace(sb: Sandbox, ws: str) -> None:
    if sb.store.get(sb.kind(WORKSPACE), ws) is None:
        raise ApiError(404, f"workspace {ws!r} not found")


def require_agent(sb: Sandbox, ws: str, agent_id: str) -> Json:
    require_workspace(sb, ws)
    doc = sb.store.get(sb.kind(AGENT), f"{ws}/{agent_id}")
    if doc is None:
        raise ApiError(404, f"agent {agent_id!r} not found in workspace {ws!r}")
    return doc


def agent_json(doc: Json) -> Json:
    return {
        "metadata": {
            "id": doc["id"],
            "accountId": ACCOUNT_ID,
            "workspaceId": doc["workspaceId"],
            "name": doc["name"],
            "externalId": "",
            "labels": doc["labels"],
            "profileId": PROFILE_ID,
            "createdAt": doc["createdAt"],
            "updatedAt": doc["createdAt"],
        },
        "spec": {},
        "info": {"variationCount": 1},
        "state": "STATE_PUBLISHED",
    }


# --- schedules --------------------------------------------------------------------------------------
def schedule_json(doc: Json, *, info: bool = True) -> Json:
    """The wire form; `info=False` (a list without includeInfo) keeps only info.totalFires."""
    metadata: Json = {
        "id": doc["id"],
        "accountId": ACCOUNT_ID,
        "workspaceId": doc["workspaceId"],
        "name": doc["name"],
        "externalId": doc["externalId"],
        "labels": doc["labels"],
        "profileId": PROFILE_ID,
        "createdAt": doc["createdAt"],
        "updatedAt": doc["updatedAt"],
    }
    if "bundleKey" in doc:
        metadata["bundleKey"] = doc["bundleKey"]
    fires = doc["fires"]
    out_info: Json = {"totalFires": fires["total"]}
    if info:
        if fires.get("next"):
            out_info["nextFireAt"] = fires["next"]
        if fires.get("last"):
            out_info["lastFireAt"] = fires["last"]
        if fires.get("skippedAt"):
            out_info["lastSkippedAt"] = fires["skippedAt"]
            out_info["lastSkipReason"] = fires["skipReason"]
        out_info["createdBy"] = PROFILE
    return {"metadata": metadata, "spec": render_spec(doc["spec"]), "state": doc["state"], "info": out_info}


def _restart(doc: Json, now: datetime) -> None:
    """Count fires from `now` on, under the current spec and state (no catch-up for paused time)."""
    nxt = next_fire(doc["spec"]["schedule"], now) if doc["state"] == ACTIVE else None
    doc["fires"].update(cursor=format_instant(now), next=None if nxt is None else format_instant(nxt))


def catch_up(sb: Sandbox, doc: Json, now: datetime) -> bool:
    """Count the fires due by `now`; True when the document changed and must be saved.

    Each fire starts a run of the agent lasting its run profile's duration (`POST /_sandbox/runs`); under
    overlapPolicy SKIP (the default) a fire while that run still runs is skipped: `info.lastSkippedAt` and
    `info.lastSkipReason` say so and `totalFires` does not count it. A start that fails (the profile's
    error) is still a fire, and leaves no run behind to overlap."""
    fires = doc["fires"]
    if doc["state"] != ACTIVE or not fires.get("next") or parse_instant(fires["next"]) > now:
        return False
    profile = sb.run_profile(doc["agentId"])
    busy = fires.get("busyUntil")
    seen = tally(
        doc["spec"]["schedule"],
        parse_instant(fires["cursor"]),
        now,
        busy_until=parse_instant(busy) if busy else None,
        duration=profile.duration,
        skip_overlaps=doc["spec"].get("overlapPolicy") != OVERLAP_ALLOW,
        starts=profile.error is None,
    )
    fires["total"] += seen.fired
    if seen.last_fired is not None:
        fires["last"] = format_instant(seen.last_fired)
    if seen.last_skipped is not None:
        fires["skippedAt"] = format_instant(seen.last_skipped)
        fires["skipReason"] = SKIP_REASON
    fires["busyUntil"] = format_instant(seen.busy_until) if seen.busy_until else None
    _restart(doc, now)
    return True


def _parent(ws: str, agent_id: str) -> str:
    return f"{ws}/{agent_id}"


def _claim_name(sb: Sandbox, doc: Json) -> None:
    parent = _parent(doc["workspaceId"], doc["agentId"])
    holder = sb.store.claim(sb.kind(NAME), parent, doc["name"], doc["id"])
    if holder is not None:
        raise ApiError(
            409, f"a schedule named {doc['name']!r} already exists for agent {doc['agentId']!r}: {holder}"
        )


def _release_name(sb: Sandbox, doc: Json) -> None:
    sb.store.release(sb.kind(NAME), _parent(doc["workspaceId"], doc["agentId"]), doc["name"], doc["id"])


def save(sb: Sandbox, doc: Json) -> None:
    sb.store.put(sb.kind(SCHEDULE), doc["id"], _parent(doc["workspaceId"], doc["agentId"]), doc)


def create_schedule(sb: Sandbox, ws: str, agent_id: str, metadata: Json, spec: Json) -> Json:
    require_agent(sb, ws, agent_id)
    now = sb.clock.now()
    stamp = format_instant(now)
    doc: Json = {
        "id": new_id(SCHEDULE_PREFIX, now),
        "workspaceId": ws,
        "agentId": agent_id,
        "name": metadata["name"],
        "externalId": metadata.get("externalId", ""),
        "labels": metadata.get("labels", {}),
        **({"bundleKey": metadata["bundleKey"]} if "bundleKey" in metadata else {}),
        "createdAt": stamp,
        "updatedAt": stamp,
        "spec": spec,
        "state": ACTIVE,
        "fires": {"total": 0, "last": None},
    }
    _claim_name(sb, doc)
    _restart(doc, now)
    save(sb, doc)
    return doc


def load_schedule(sb: Sandbox, ws: str, agent_id: str, schedule_id: str) -> Json:
    """The schedule, caught up to now; 404 unless it belongs to that workspace and agent."""
    require_agent(sb, ws, agent_id)
    doc = sb.store.get(sb.kind(SCHEDULE), schedule_id)
    if doc is None or doc["workspaceId"] != ws or doc["agentId"] != agent_id:
        raise ApiError(404, f"schedule {schedule_id!r} not found for agent {agent_id!r}")
    if catch_up(sb, doc, sb.clock.now()):
        save(sb, doc)
    return doc


_USER_FIELDS = ("name", "labels", "externalId", "bundleKey", "spec")


def _user_view(doc: Json) -> tuple[Any, ...]:
    return tuple(doc.get(k) for k in _USER_FIELDS)


def replace_schedule(sb: Sandbox, old: Json, new: Json) -> Json:
    """Store an updated version of `old` (already caught up); updatedAt moves only if something changed."""
    if _user_view(new) == _user_view(old):
        return old
    now = sb.clock.now()
    if new["name"] != old["name"] and new["state"] != ARCHIVED:
        _claim_name(sb, new)
        _release_name(sb, old)
    if new["spec"] != old["spec"]:
        new["fires"] = dict(old["fires"])  # a copy: the patched document shares it with the old one
        _restart(new, now)
    new["updatedAt"] = format_instant(now)
    save(sb, new)
    return new


def transition(sb: Sandbox, doc: Json, verb: str) -> Json:
    """:pause / :resume / :archive. Same state: a no-op. Out of ARCHIVED: allowed, if the name is free."""
    target = VERBS[verb]
    if doc["state"] == target:
        return doc
    if doc["state"] == ARCHIVED:
        _claim_name(sb, doc)
    if target == ARCHIVED:
        _release_name(sb, doc)
    now = sb.clock.now()
    doc["state"] = target
    doc["updatedAt"] = format_instant(now)
    _restart(doc, now)
    save(sb, doc)
    return doc


def delete_schedule(sb: Sandbox, doc: Json) -> None:
    if doc["state"] != ARCHIVED:
        _release_name(sb, doc)
    sb.store.delete(sb.kind(SCHEDULE), doc["id"])


def fire_due(sb: Sandbox, now: datetime) -> int:
    total = 0
    with sb.store.transaction():
        for _, doc in sb.store.scan(sb.kind(SCHEDULE)):
            before = doc["fires"]["total"]
            if catch_up(sb, doc, now):
                save(sb, doc)
                total += doc["fires"]["total"] - before
    return total
