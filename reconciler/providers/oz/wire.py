"""Oz's wire format <-> the bundle's vocabulary. Pure: no HTTP here.

Ownership marker: `metadata` keys `reconciler.bundle` and `reconciler.name` (both needed),
`reconciler.secrets` (which fields hold a value from secret(), as codes) and `reconciler.applied` (the record
of what was last applied: reconciler.plan.record); the bundle's labels are the other metadata keys. `agent` is the execution principal `agent_uid` (`default`: none).
An `every` is sent as its exact cron and remembered in `reconciler.every`, so it reads back as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.errors import Diagnostic
from reconciler.plan.live import Activity, LiveSchedule, LiveState
from reconciler.plan.record import parse_record, parse_written_note, written_note
from reconciler.providers import secretmarks
from reconciler.timing import TimingError, format_duration, parse_cron, parse_duration
from reconciler.timing.every_cron import every_as_cron
from reconciler.timing.instants import utc_text as utc

DEFAULT_AGENT = "default"  # the bundle's `agent` for a schedule with no agent_uid (it runs as its creator)
PREFIX = "reconciler."
BUNDLE, NAME, PROTECT, EVERY, ARCHIVED, MODE, SECRETS, SOURCE, APPLIED, WRITTEN = (
    f"{PREFIX}{key}"
    for key in (
        "bundle",
        "name",
        "protect",
        "every",
        "archived",
        "mode",
        "secrets",
        "source",
        "applied",
        "written",
    )
)
METADATA_MAX_KEYS = 20
# bundle, name, protect, every, mode, archived, source, applied: what labels must leave room for
MARKER_KEYS_MAX = 8
NO_RECORD = "record what was applied in the ownership marker (written by an older version)"
METADATA_KEY = re.compile(r"^[a-zA-Z0-9._-]{1,64}$")
METADATA_VALUE_MAX_BYTES = 256


def problems(desired: DesiredSchedule) -> list[Diagnostic]:
    """What `validate`'s generic checks cannot see but Oz refuses: label keys and sizes, option types, a
    schedule with neither a prompt nor a skill."""
    found: list[str] = []
    labels = desired.labels
    marker_keys = MARKER_KEYS_MAX + (1 if secretmarks.secret_paths(desired) else 0)  # + SECRETS
    limit = METADATA_MAX_KEYS - marker_keys
    if len(labels) > limit:
        found.append(
            f"oz keeps labels in `metadata` (at most 20 keys, {marker_keys} kept for the "
            f"ownership marker{' and the record of which fields hold secrets' if marker_keys > MARKER_KEYS_MAX else ''}): "
            f"at most {limit} labels, got {len(labels)}"
        )
    secret_fields = len(secretmarks.codes(secretmarks.secret_paths(desired)))
    if secret_fields * (secretmarks.CODE_LENGTH + 1) - 1 > METADATA_VALUE_MAX_BYTES:
        found.append(
            f"{secret_fields} fields read secret(); oz's marker can record at most "
            f"{(METADATA_VALUE_MAX_BYTES + 1) // (secretmarks.CODE_LENGTH + 1)} (one metadata value)"
        )
    for key, value in labels.items():
        if not METADATA_KEY.match(key) or key.startswith(PREFIX):
            found.append(
                f"label '{key}': oz metadata keys are 1-64 characters of [a-zA-Z0-9._-], and "
                f"'{PREFIX}' is reserved for the ownership marker"
            )
        text = value.reveal() if isinstance(value, Sensitive) else str(value)
        if len(text.encode()) > METADATA_VALUE_MAX_BYTES or "\x00" in text:
            found.append(f"label '{key}': oz metadata values are at most 256 bytes, without NUL")
    options = desired.options
    config = options.get("agent_config")
    if config is not None and not isinstance(config, Mapping):
        found.append("options.agent_config must be a mapping (Oz's AmbientAgentConfig)")
    elif isinstance(config, Mapping) and config.get("skill_spec") and config.get("skills"):
        found.append("options.agent_config: give skill_spec or skills, not both (oz refuses both)")
    if "team" in options and not isinstance(options["team"], bool):
        found.append("options.team must be true (a team schedule) or false (a personal one)")
    if options.get("team") is False and desired.agent != DEFAULT_AGENT:
        found.append(
            f"agent '{desired.agent}' is an agent identity (agent_uid), which oz allows on team "
            f"schedules only: drop `team: false`, or use agent '{DEFAULT_AGENT}'"
        )
    if not desired.input.get("message") and not _has_skill(config):
        found.append(
            "oz needs input.message (the prompt) unless options.agent_config names a skill "
            "(skill_spec or skills)"
        )
    return [Diagnostic(desired.file, desired.line, 0, f"schedule '{desired.name}': {text}") for text in found]


def _has_skill(config: Any) -> bool:
    return isinstance(config, Mapping) and bool(config.get("skill_spec") or config.get("skills"))


def cron_for(desired: DesiredSchedule) -> str:
    timing = desired.timing
    if timing.every is not None:
        return every_as_cron(timing.every, timing.offset)
    return timing.cron[0]


def metadata_for(
    bundle_key: str, desired: DesiredSchedule, *, archived: bool = False, source: str = "", record: str = ""
) -> dict[str, str]:
    """The metadata of a write; `record` is the text of the applied record (`Provider.record_of`)."""
    metadata = {k: v.reveal() if isinstance(v, Sensitive) else str(v) for k, v in desired.labels.items()}
    metadata[BUNDLE] = bundle_key
    metadata[NAME] = desired.name
    if record:  # the state set and the field digests: a pause made in Oz leaves it saying `active`
        metadata[APPLIED] = record
    if source:  # the repository path of the bundle file it was applied from (or its digest, if long)
        metadata[SOURCE] = source
    if desired.protect:
        metadata[PROTECT] = "true"
    timing = desired.timing
    if timing.every is not None:
        metadata[EVERY] = _every_text(timing.every, timing.offset)
    mode = desired.options.get("mode")
    if mode and mode != "normal":
        metadata[MODE] = str(mode)  # the item does not return `mode`: remember what we sent
    fields = secretmarks.secret_paths(desired)
    if fields:  # which fields hold a value from secret(): Oz returns them in clear to whoever lists
        metadata[SECRETS] = ".".join(secretmarks.codes(fields))
    if archived:
        metadata[ARCHIVED] = "true"
    # What `H` or `spread` was written as, for `export` to name: only where a key is left (the labels come
    # first; the limit on them stays as documented) and the text fits one value.
    note = written_note(desired.written)
    if note and len(metadata) < METADATA_MAX_KEYS and len(note.encode()) <= METADATA_VALUE_MAX_BYTES:
        metadata[WRITTEN] = note
    return metadata


def body_for(
    bundle_key: str,
    desired: DesiredSchedule,
    *,
    live_config: Any = None,
    source: str = "",
    record: str = "",
) -> dict[str, Any]:
    """The full body of a create or a PUT, secrets in clear: only for the request. It carries `enabled`
    and the record together, so a state change and its record are one write.

    `live_config` is the live `agent_config`, kept when the bundle does not set one (read-modify-write).
    """
    message = desired.input.get("message")
    body: dict[str, Any] = {
        "name": desired.name,
        "cron_schedule": cron_for(desired),
        "enabled": desired.state == "active",
        "prompt": (message.reveal() if isinstance(message, Sensitive) else message) or "",
        "metadata": metadata_for(bundle_key, desired, source=source, record=record),
        "mode": desired.options.get("mode") or "normal",
    }
    config = desired.options.get("agent_config", live_config)
    if config:
        body["agent_config"] = sendable_config(config)
    if desired.agent != DEFAULT_AGENT:
        body["agent_uid"] = desired.agent
    return body


def sendable_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A config as a request may carry it: a read-back adds `skill_spec` = skills[0], which Oz then refuses
    next to `skills`."""
    out = dict(config)
    if out.get("skills") and out.get("skill_spec") == out["skills"][0]:
        del out["skill_spec"]
    return out


def put_body(item: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """A PUT body that keeps everything of a live `item` except `changes` (read-modify-write)."""
    body: dict[str, Any] = {
        "name": item.get("name", ""),
        "cron_schedule": item.get("cron_schedule", ""),
        "enabled": bool(item.get("enabled")),
        "prompt": item.get("prompt") or "",
        "metadata": dict(item.get("metadata") or {}),
    }
    if item.get("agent_config"):
        body["agent_config"] = sendable_config(item["agent_config"])
    if item.get("agent_uid"):
        body["agent_uid"] = item["agent_uid"]
    mode = item.get("mode") or body["metadata"].get(MODE)
    if mode:
        body["mode"] = mode
    body.update(changes)
    return body


def team_of(item: Mapping[str, Any]) -> bool:
    scope = item.get("scope") or {}
    return scope.get("type") != "User"


def live_from_wire(item: Mapping[str, Any]) -> LiveSchedule:
    metadata = dict(item.get("metadata") or {})
    owner = metadata.get(BUNDLE) or None
    name = metadata.get(NAME) or None
    if owner is None or name is None:  # half a marker is no marker
        owner = name = None
    enabled = bool(item.get("enabled"))
    state: LiveState = "active" if enabled else "paused"
    if metadata.get(ARCHIVED) == "true" and not enabled:
        state = "archived"
    live_input: dict[str, Any] = {}
    if item.get("prompt"):
        live_input["message"] = item["prompt"]
    options: dict[str, Any] = {}
    if item.get("agent_config"):
        options["agent_config"] = sendable_config(item["agent_config"])
    mode = item.get("mode") or metadata.get(MODE)
    if mode and mode != "normal":
        options["mode"] = mode
    if not team_of(item):
        options["team"] = False
    labels = {k: v for k, v in metadata.items() if not k.startswith(PREFIX)}
    secret_codes = [c for c in str(metadata.get(SECRETS) or "").split(".") if c] if owner else []
    applied = parse_record(metadata.get(APPLIED)) if owner else None
    return LiveSchedule(
        remote_id=str(item.get("id", "")),
        agent=item.get("agent_uid") or DEFAULT_AGENT,
        name=name,
        owner=owner,
        state=state,
        when=when_from_wire(str(item.get("cron_schedule", "")), metadata.get(EVERY)),
        input=live_input,
        labels=labels,
        options=options,
        protected=metadata.get(PROTECT) == "true",
        display_name=str(item.get("name", "")),
        source=metadata.get(SOURCE) if owner else None,
        secret_paths=secretmarks.recorded(
            {"input": live_input, "labels": labels, "options": options}, secret_codes
        ),
        incomplete_marker=NO_RECORD if owner and applied is None else "",
        applied=applied,
        changed_at=utc(item.get("updated_at")),
        changed_by=person(item.get("updated_by")),
        written=parse_written_note(metadata.get(WRITTEN)) if owner else {},
        activity=activity_from_wire(item),
        # Of the wire item only what `update_reason` reads that `options` may not say (an `agent_config` the
        # bundle does not set is dropped from them): every write reads the schedule afresh first (GET, then
        # PUT), so nothing else of it is needed later. At 10,000 schedules the kept items were a sixth of a plan.
        raw={"agent_config": item["agent_config"]} if item.get("agent_config") else {},
    )


HISTORY_COUNTERS = ("history.last_ran", "history.next_run", "last_spawn_error")


def activity_from_wire(item: Mapping[str, Any]) -> Activity:
    """Oz's counters, in every item of the one list: when the last successful run was, the next one, and
    the last spawn error. No fire count, no skips (Oz documents no overlap policy)."""
    history = item.get("history") or {}
    error = item.get("last_spawn_error")
    return Activity(
        counters=HISTORY_COUNTERS,
        last_fire=utc(history.get("last_ran")),
        next_fire=utc(history.get("next_run")),
        last_error=str(error) if error else None,
    )


def person(profile: Any) -> str | None:
    """Who a UserProfile names, in Oz's words: the display name, else the email."""
    if not isinstance(profile, Mapping):
        return None
    return str(profile.get("display_name") or profile.get("email") or "") or None


def when_from_wire(cron: str, every_marker: str | None) -> dict[str, Any]:
    """`every` where our marker names one and the cron is still exactly its translation; else the cron."""
    if every_marker:
        parsed = _parse_every(every_marker)
        if parsed is not None:
            every, offset = parsed
            try:
                exact = every_as_cron(every, offset)
            except TimingError:
                exact = None
            if exact is not None and _canonical(exact) == _canonical(cron):
                when: dict[str, Any] = {"every": format_duration(every)}
                if offset:
                    when["offset"] = format_duration(offset)
                return when
    return {"cron": _canonical(cron)}


def _every_text(every: int, offset: int) -> str:
    return format_duration(every) + (f"+{format_duration(offset)}" if offset else "")


def _parse_every(text: str) -> tuple[int, int] | None:
    every, _, offset = text.partition("+")
    try:
        return parse_duration(every), parse_duration(offset) if offset else 0
    except TimingError:
        return None


def _canonical(cron: str) -> str:
    try:
        return parse_cron(cron).canonical
    except TimingError:
        return cron  # someone else's spelling we cannot read: shown as it is
