"""Oz's resources in the store: the team, its agent identities, and scheduled agents with their JSON.

Request bodies are checked here field by field (400 `invalid_request` naming the field); schedule
documents keep the wire fields plus a private `fires` record, caught up whenever a schedule is read.
Callers hold `store.transaction()` around each request's reads and writes.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from reconciler.sandbox.clock import format_instant, parse_instant
from reconciler.sandbox.oz.firing import fires_between, next_fire
from reconciler.sandbox.runtime import ApiError, Sandbox
from reconciler.sandbox.store import Json
from reconciler.timing import TimingError, parse_cron

TEAM, AGENT, SCHEDULE = "team", "agent", "schedule"
USER_UID = "user_sandbox"
USER: Json = {
    "display_name": "Sandbox User",
    "email": "sandbox@example.com",
    "type": "user",
    "uid": USER_UID,
}
MODES = ("normal", "plan", "orchestrate")
METADATA_MAX_KEYS = 20
METADATA_KEY = re.compile(r"^[a-zA-Z0-9._-]{1,64}$")
METADATA_VALUE_MAX_BYTES = 256
_USER_FIELDS = ("name", "cron_schedule", "enabled", "prompt", "agent_config", "agent_uid", "metadata", "mode")


# --- team and agent identities ------------------------------------------------------------------------
def ensure_team(sb: Sandbox, team: str) -> None:
    with sb.store.transaction():
        if sb.store.get(sb.kind(TEAM), team) is None:
            sb.store.put(sb.kind(TEAM), team, "", {"uid": team, "created_at": format_instant(sb.clock.now())})


def ensure_agent(sb: Sandbox, uid: str, team: str, name: str | None) -> tuple[Json, bool]:
    with sb.store.transaction():
        ensure_team(sb, team)
        doc = sb.store.get(sb.kind(AGENT), uid)
        if doc is not None:
            return agent_json(doc), False
        doc = {"uid": uid, "name": name or uid, "team": team, "created_at": format_instant(sb.clock.now())}
        sb.store.put(sb.kind(AGENT), uid, team, doc)
        return agent_json(doc), True


def agent_json(doc: Json) -> Json:
    return {"uid": doc["uid"], "name": doc["name"]}


# --- request bodies -------------------------------------------------------------------------------------
def _bad(message: str) -> ApiError:
    return ApiError(400, message)


def _text(body: Json, key: str, *, required: bool) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise _bad(f"{key} is required")
        return None
    if not isinstance(value, str):
        raise _bad(f"{key} must be a string")
    return value


def _flag(body: Json, key: str, *, required: bool, default: bool) -> bool:
    value = body.get(key)
    if value is None:
        if required:
            raise _bad(f"{key} is required")
        return default
    if not isinstance(value, bool):
        raise _bad(f"{key} must be true or false")
    return value


def _cron(body: Json) -> str:
    text = _text(body, "cron_schedule", required=True)
    assert text is not None
    try:
        expr = parse_cron(text)
    except TimingError as exc:
        raise _bad(f"cron_schedule {text!r} is not a valid cron expression: {exc}") from None
    if len(text.split()) == 6 or expr.seconds != frozenset({0}):
        raise _bad(
            f"cron_schedule {text!r} has a seconds field: write the standard 5 fields "
            "(minute hour day-of-month month day-of-week)"
        )
    return text


def _metadata(body: Json) -> dict[str, str] | None:
    value = body.get("metadata")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad("metadata must be an object of string values")
    if len(value) > METADATA_MAX_KEYS:
        raise _bad(f"metadata has {len(value)} keys; at most {METADATA_MAX_KEYS} are allowed")
    for key, item in value.items():
        if not METADATA_KEY.match(key):
            raise _bad(f"metadata key {key!r} must be 1-64 bytes of [a-zA-Z0-9._-]")
        if not isinstance(item, str):
            raise _bad(f"metadata value of {key!r} must be a string")
        if "\x00" in item:
            raise _bad(f"metadata value of {key!r} contains a NUL character")
        if len(item.encode()) > METADATA_VALUE_MAX_BYTES:
            raise _bad(f"metadata value of {key!r} is longer than {METADATA_VALUE_MAX_BYTES} bytes")
    return dict(value)


def _agent_config(body: Json) -> Json | None:
    value = body.get("agent_config")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad("agent_config must be an object")
    if value.get("skill_spec") and value.get("skills"):
        raise _bad("agent_config.skill_spec and agent_config.skills are mutually exclusive")
    skills = value.get("skills")
    if skills is not None and (not isinstance(skills, list) or not all(isinstance(s, str) for s in skills)):
        raise _bad("agent_config.skills must be a list of skill specifications")
    harness = value.get("harness")
    if harness is not None and (
        not isinstance(harness, dict) or harness.get("type") not in (None, "oz", "claude", "gemini", "codex")
    ):
        raise _bad("agent_config.harness.type must be one of oz, claude, gemini, codex")
    return dict(value)


def _has_skill(config: Json | None) -> bool:
    return bool(config and (config.get("skill_spec") or config.get("skills")))


def parse_fields(sb: Sandbox, body: Json, *, update: bool) -> Json:
    """The user fields of a create (`update=False`) or a full-replace PUT (`update=True`)."""
    name = _text(body, "name", required=True)
    assert name is not None
    if not name.strip():
        raise _bad("name must not be blank")
    config = _agent_config(body)
    prompt = _text(body, "prompt", required=False) or ""
    if not prompt and not _has_skill(config):
        raise _bad("prompt is required unless agent_config.skill_spec or agent_config.skills is given")
    mode = _text(body, "mode", required=False) or "normal"
    if mode not in MODES:
        raise _bad(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    agent_uid = _text(body, "agent_uid", required=False)
    if agent_uid is not None and sb.store.get(sb.kind(AGENT), agent_uid) is None:
        raise ApiError(404, f"agent {agent_uid!r} is not an agent identity of your team")
    fields: Json = {
        "name": name,
        "cron_schedule": _cron(body),
        "enabled": _flag(body, "enabled", required=update, default=True),
        "prompt": prompt,
        "agent_config": config,
        "agent_uid": agent_uid,
        "metadata": _metadata(body),
        "mode": mode,
    }
    return fields


# --- schedules ------------------------------------------------------------------------------------------
def schedule_json(doc: Json) -> Json:
    fires = doc["fires"]
    history: Json = {}
    if fires.get("last"):
        history["last_ran"] = fires["last"]
    if fires.get("next"):
        history["next_run"] = fires["next"]
    item: Json = {
        "id": doc["id"],
        "name": doc["name"],
        "cron_schedule": doc["cron_schedule"],
        "enabled": doc["enabled"],
        "prompt": doc["prompt"],
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
    }
    if doc.get("agent_config") is not None:
        config = dict(doc["agent_config"])
        if config.get("skills") and not config.get("skill_spec"):
            config["skill_spec"] = config["skills"][0]  # "Responses include the first skills entry here"
        item["agent_config"] = config
    if doc.get("agent_uid"):
        item["agent_uid"] = doc["agent_uid"]
    item["created_by"] = USER
    item["updated_by"] = USER
    item["history"] = history
    item["last_spawn_error"] = fires.get("spawnError")
    item["metadata"] = doc.get("metadata") or {}
    item["scope"] = dict(doc["scope"])
    return item


def _restart(doc: Json, now: datetime) -> None:
    """Count fires from `now` on under the current cron and state (paused time is never caught up)."""
    nxt = next_fire(doc["cron_schedule"], now) if doc["enabled"] else None
    doc["fires"].update(cursor=format_instant(now), next=None if nxt is None else format_instant(nxt))


def run_agent(doc: Json) -> str:
    """Whose run profile (`POST /_sandbox/runs`) a schedule's runs follow: its agent_uid, else `default`."""
    return str(doc.get("agent_uid") or "default")


def catch_up(sb: Sandbox, doc: Json, now: datetime) -> bool:
    """Count the fires due by `now`; True when the document changed and must be saved.

    Every fire spawns a run (Oz documents no overlap policy: runs go side by side, a long one skips nothing).
    A spawn that fails (the run profile's error) sets `last_spawn_error` and leaves `history.last_ran` ("the
    last successful run") where it was; a spawn that succeeds moves `last_ran` and clears the error."""
    fires = doc["fires"]
    if not doc["enabled"] or not fires.get("next") or parse_instant(fires["next"]) > now:
        return False
    count, last = fires_between(doc["cron_schedule"], parse_instant(fires["cursor"]), now)
    fires["total"] += count
    if last is not None:
        error = sb.run_profile(run_agent(doc)).error
        if error is None:
            fires["last"] = format_instant(last)
        fires["spawnError"] = error
    _restart(doc, now)
    return True


def save(sb: Sandbox, doc: Json) -> None:
    sb.store.put(sb.kind(SCHEDULE), doc["id"], "", doc)


def create_schedule(sb: Sandbox, fields: Json, team_flag: Any) -> Json:
    if team_flag is not None and not isinstance(team_flag, bool):
        raise _bad("team must be true or false")
    team = True if team_flag is None else team_flag  # the sandbox user is on exactly one team
    if fields["agent_uid"] and not team:
        raise _bad("agent_uid is only valid for team-owned schedules (team: true)")
    now = sb.clock.now()
    stamp = format_instant(now)
    scope = {"type": "Team", "uid": sb.workspace} if team else {"type": "User", "uid": USER_UID}
    doc: Json = {
        "id": str(uuid.uuid4()),
        **fields,
        "scope": scope,
        "created_at": stamp,
        "updated_at": stamp,
        "fires": {"total": 0, "last": None},
    }
    _restart(doc, now)
    save(sb, doc)
    return doc


def load_schedule(sb: Sandbox, schedule_id: str) -> Json:
    doc = sb.store.get(sb.kind(SCHEDULE), schedule_id)
    if doc is None:
        raise ApiError(404, f"scheduled agent {schedule_id!r} not found")
    if catch_up(sb, doc, sb.clock.now()):
        save(sb, doc)
    return doc


def list_schedules(sb: Sandbox) -> list[Json]:
    """Every schedule the caller can see (the sandbox has one caller), sorted by name."""
    now = sb.clock.now()
    docs = []
    for _, doc in sb.store.scan(sb.kind(SCHEDULE)):
        if catch_up(sb, doc, now):
            save(sb, doc)
        docs.append(doc)
    return sorted(docs, key=lambda d: d["name"])  # stable: equal names stay in creation order


def replace_schedule(sb: Sandbox, doc: Json, fields: Json) -> Json:
    """PUT: every user field replaced; `updated_at` moves only when one actually changed."""
    if fields["agent_uid"] and doc["scope"]["type"] != "Team":
        raise _bad("agent_uid is only valid for team-owned schedules")
    if all(doc.get(k) == fields[k] for k in _USER_FIELDS):
        return doc
    now = sb.clock.now()
    timing_changed = (doc["cron_schedule"], doc["enabled"]) != (fields["cron_schedule"], fields["enabled"])
    doc = {**doc, **fields, "fires": dict(doc["fires"]), "updated_at": format_instant(now)}
    if timing_changed:
        _restart(doc, now)
    save(sb, doc)
    return doc


def set_enabled(sb: Sandbox, doc: Json, enabled: bool) -> Json:
    """/pause and /resume; asking for the state it is in already is a no-op."""
    if doc["enabled"] == enabled:
        return doc
    now = sb.clock.now()
    doc["enabled"] = enabled
    doc["updated_at"] = format_instant(now)
    _restart(doc, now)
    save(sb, doc)
    return doc


def delete_schedule(sb: Sandbox, doc: Json) -> None:
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
