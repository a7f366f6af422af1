"""orq.ai's wire format <-> the bundle's vocabulary. Pure: no HTTP here.

Ownership marker: `payload.metadata` keys `reconciler.dev/bundle` and `reconciler.dev/name` (plus
`protect`, `labels` and `secrets`, all string values, as SDK >= 4.13 types them; on the original API also
`id`, the schedule's own). A schedule is ours only while the marker names it: its `display_name` is the
marker's name, or (the original API, which has no names) its `_id` is the marker's id. Timing: cron -> 6 fields
(seconds added), every -> `@every <Go duration>`, at -> `@at <RFC 3339 UTC>`.

Secret variables are write-only on orq (read back as `{"secret": true}`), so the marker keeps a keyed
digest of each secret (`Sensitive.digest(digest_key)`, JSON under `reconciler.dev/secrets`) and the read
side reports those digests as `input.secrets`: the planner compares them with the bundle's, and a changed
secret is an update whose diff shows only `(sensitive)`. A secret in the message, a label or an option is
stored in clear: the same map records it, so it is compared by digest and `export` never writes it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.errors import ConfigError
from reconciler.plan.live import LiveSchedule, LiveState
from reconciler.plan.record import parse_record, parse_written_note, written_note
from reconciler.providers import secretmarks
from reconciler.providers.orq.activity import activity_of, changed_of
from reconciler.timing import TimingError, format_duration, parse_cron
from reconciler.timing.dialects import reads_days_differently

SEED, DISPLAY_NAME = "v3", "display-name"
REVISIONS = (SEED, DISPLAY_NAME)
PREFIX = "reconciler.dev/"
BUNDLE_KEY = PREFIX + "bundle"
NAME_KEY = PREFIX + "name"
PROTECT_KEY = PREFIX + "protect"
LABELS_KEY = PREFIX + "labels"
# The original API's schedules have no name, so the marker cannot name the schedule it was written for: it
# records the schedule's own `_id` instead (written by a PATCH right after the create). A copy of the payload
# carries the original's id, and is not ours.
ID_KEY = PREFIX + "id"
SOURCE_KEY = PREFIX + "source"  # the repository path of the bundle file it was applied from
# {"secrets.<name>" | "data.<name>" | "message" | "labels.<key>" | "options.<path>": digest}, as JSON
SECRETS_KEY = PREFIX + "secrets"
# What this reconciler last applied (reconciler.plan.record): the state it set and a digest per field group,
# e.g. "active.4326b2cc3b.99827acb46.43680befb5.f767159184". Written in the same PATCH as `is_active`, so a
# pause or resume and its record change together (one request, atomic).
RECORD_KEY = PREFIX + "applied"
# What `H` or `spread` was written as (reconciler.plan.record.written_note): `export` names it.
WRITTEN_KEY = PREFIX + "written"
NO_RECORD = "record what was applied in the ownership marker"
_GO_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_GO_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(h|ms|us|µs|ns|m|s)")


@dataclass(frozen=True)
class Context:
    """What the translation needs besides the schedule: owner, API revision, digest key."""

    bundle_key: str
    revision: str
    digest_key: bytes
    source: str = ""  # the bundle file's repository path, recorded in the marker


# --- bundle -> wire ---------------------------------------------------------------------------------
def go_duration(seconds: int) -> str:
    """Whole seconds as Go writes a duration, without zero parts: 3600 -> 1h, 5400 -> 1h30m, 86400 -> 24h."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{secs}s" if secs else "")
    return text or "0s"


def timing_for(desired: DesiredSchedule) -> tuple[str, str]:
    """(type, expression). `validate` has already refused what orq cannot express exactly."""
    timing = desired.timing
    if timing.cron:
        canonical = parse_cron(timing.cron[0]).canonical
        return "cron", canonical if len(canonical.split()) == 6 else f"0 {canonical}"
    if timing.every is not None:
        return "interval", f"@every {go_duration(timing.every)}"
    if timing.at is not None:
        return "once", "@at " + timing.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise ConfigError(f"schedule '{desired.name}': orq takes cron, every or at, not calendars")


def _reveal(value: Any) -> Any:
    return value.reveal() if isinstance(value, Sensitive) else value


def _at(desired: DesiredSchedule, path: tuple[str | int, ...]) -> Any:
    value: Any = {"input": desired.input, "labels": desired.labels, "options": desired.options}
    for part in path:
        value = value[part]
    return value


def payload_for(ctx: Context, desired: DesiredSchedule, record: str = "") -> dict[str, Any]:
    """The payload with the ownership marker (and `record`, the applied record's text, where given) and
    secrets in clear: only for a request body."""
    data = dict(desired.input.get("data") or {})
    secrets = dict(desired.input.get("secrets") or {})
    clash = sorted(set(data) & set(secrets))
    if clash:
        raise ConfigError(
            f"schedule '{desired.name}': input.data and input.secrets both set the orq variable(s) "
            f"{', '.join(clash)}; orq has one set of variables"
        )
    digests: dict[str, str] = {}
    variables: dict[str, Any] = {}
    for section, values in (("data", data), ("secrets", secrets)):
        for name, value in values.items():
            if section == "secrets" or isinstance(value, Sensitive):
                sensitive = value if isinstance(value, Sensitive) else Sensitive(str(value))
                digests[f"{section}.{name}"] = sensitive.digest(ctx.digest_key)
                variables[name] = {"secret": True, "value": sensitive.reveal()}
            else:
                variables[name] = value
    payload: dict[str, Any] = {}
    message = desired.input.get("message")
    if message is not None:
        if isinstance(message, Sensitive):
            digests["message"] = message.digest(ctx.digest_key)
        payload["input"] = _reveal(message)
    # A secret in a label or an option is stored in clear: the marker records where (`labels.team`,
    # `options.metadata.token`), so that it is compared by digest and `export` never writes it.
    for path in secretmarks.secret_paths(desired, skip=[("input",)]):
        value = _at(desired, path)
        if isinstance(value, Sensitive):
            digests[secretmarks.dotted(path)] = value.digest(ctx.digest_key)
    if variables:
        payload["variables"] = variables
    if desired.options.get("memory_entity_id"):
        payload["memory_entity_id"] = desired.options["memory_entity_id"]
    payload["metadata"] = {
        **_user_metadata(ctx, desired),
        **marker_for(ctx.bundle_key, desired, digests, ctx.source, record),
    }
    return payload


def _user_metadata(ctx: Context, desired: DesiredSchedule) -> dict[str, Any]:
    metadata = dict(desired.options.get("metadata") or {})
    reserved = sorted(k for k in metadata if str(k).startswith(PREFIX))
    if reserved:
        raise ConfigError(
            f"schedule '{desired.name}': options.metadata keys starting with '{PREFIX}' hold the ownership "
            f"marker; rename {', '.join(reserved)}"
        )
    if ctx.revision == DISPLAY_NAME:
        bad = sorted(k for k, v in metadata.items() if not isinstance(v, str | Sensitive))
        if bad:
            raise ConfigError(
                f"schedule '{desired.name}': options.metadata values must be strings on orq's display-name "
                f"API; quote {', '.join(bad)}"
            )
    return {k: _reveal(v) for k, v in metadata.items()}


def marker_for(
    bundle_key: str, desired: DesiredSchedule, digests: dict[str, str], source: str = "", record: str = ""
) -> dict[str, str]:
    marker = {BUNDLE_KEY: bundle_key, NAME_KEY: desired.name}
    if source:
        marker[SOURCE_KEY] = source
    if record:
        marker[RECORD_KEY] = record
    if desired.protect:
        marker[PROTECT_KEY] = "true"
    if desired.labels:  # orq keeps the labels here: a secret one in clear, recorded in `digests`
        labels = {k: _reveal(v) for k, v in desired.labels.items()}
        marker[LABELS_KEY] = json.dumps(labels, sort_keys=True, separators=(",", ":"))
    if digests:
        marker[SECRETS_KEY] = json.dumps(digests, sort_keys=True, separators=(",", ":"))
    if desired.written:
        marker[WRITTEN_KEY] = written_note(desired.written)
    return marker


def create_body(ctx: Context, desired: DesiredSchedule, record: str = "") -> dict[str, Any]:
    """`record`: the applied record's text (`Provider.record_of`), kept in the marker."""
    kind, expression = timing_for(desired)
    body: dict[str, Any] = {
        "type": kind,
        "expression": expression,
        "payload": payload_for(ctx, desired, record),
    }
    if desired.options.get("agent_tag"):
        body["agent_tag"] = desired.options["agent_tag"]
    if ctx.revision == DISPLAY_NAME:
        body["display_name"] = desired.name
    return body


def patch_body(
    ctx: Context, desired: DesiredSchedule, raw: dict[str, Any], record: str = ""
) -> dict[str, Any]:
    """Only what differs from the live object `raw`: resending an unchanged expression or re-activating an
    active schedule would re-publish its cadence (generation + 1, an interval counted afresh). The payload
    (with the marker and its `record`) always goes, in the same body as any `is_active`: a pause or resume
    and the record of it are one atomic request."""
    wanted = create_body(ctx, desired, record)
    if ctx.revision == SEED and raw.get("_id"):
        wanted["payload"]["metadata"][ID_KEY] = str(raw["_id"])
    body: dict[str, Any] = {"payload": wanted["payload"]}  # secrets are unreadable: always resend them
    for key in ("type", "expression", "display_name"):
        if key in wanted and wanted[key] != raw.get(key):
            body[key] = wanted[key]
    if wanted.get("agent_tag", "") != (raw.get("agent_tag") or ""):
        body["agent_tag"] = wanted.get("agent_tag", "")  # "" unpins
    active = desired.state == "active"
    if active != bool(raw.get("is_active")) and not (active and is_done(raw) and "expression" not in body):
        body["is_active"] = active
    return body


# --- wire -> bundle ---------------------------------------------------------------------------------
def go_duration_seconds(text: str) -> float | None:
    """Go's time.ParseDuration (non-negative), or None when `text` is not a duration."""
    position, total = 0, 0.0
    for match in _GO_PART.finditer(text.strip()):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _GO_UNITS[match.group(2)]
        position = match.end()
    return total if position == len(text.strip()) and position else None


def when_from_wire(kind: str, expression: str) -> dict[str, Any]:
    """The bundle's `when` for a wire (type, expression); `{"expression": ...}` when it has no exact form."""
    text = " ".join(str(expression).split())
    head, _, rest = text.partition(" ")
    when: dict[str, Any] = {"timezone": "UTC"}
    if kind == "interval" and head.lower() == "@every":
        seconds = go_duration_seconds(rest)
        if seconds is not None and seconds == int(seconds) and seconds > 0:
            when["every"] = format_duration(int(seconds))
            return when
    elif kind == "once" and head.lower() == "@at":
        at = _instant(rest)
        if at is not None:
            when["at"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
            return when
    elif kind == "cron":
        for prefix in ("CRON_TZ=UTC ", "TZ=UTC "):
            if text.upper().startswith(prefix):
                text = text[len(prefix) :]
        if text.startswith("@") or len(text.split()) == 6:
            try:
                # orq combines the day fields by robfig/cron's rule: where that is not the bundle's, no
                # bundle cron says what this one does (shown whole, as the platform holds it)
                if not reads_days_differently(text, "robfig"):
                    when["cron"] = parse_cron(text).canonical
                    return when
            except TimingError:
                pass
    return {"expression": f"{kind}: {expression}"}


def _instant(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo is not None else None


def is_done(raw: dict[str, Any]) -> bool:
    """A `once` schedule that has fired at (or after) its time, and so turned itself off."""
    if raw.get("type") != "once" or raw.get("is_active") or not raw.get("last_triggered_at"):
        return False
    at = _instant(str(raw.get("expression", "")).partition(" ")[2].strip())
    fired = _instant(str(raw["last_triggered_at"]))
    return at is not None and fired is not None and fired >= at


def _json_map(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


InBundle = dict[tuple[str, str], str]  # (agent, name) -> the state the bundle asks for
# What is read of a live schedule's wire item after it was listed: patch_body (which fields differ, the id the
# seed revision's marker records), is_done, and the payload an archive resends with its record saying paused
# (orq replaces a payload whole, so it must carry the variables and metadata reconciler does not own). Not the
# counters, times and ids the LiveSchedule holds already: at 10,000 schedules the kept items were a seventh of
# a plan's traced memory.
KEPT = ("_id", "type", "expression", "display_name", "agent_tag", "is_active", "last_triggered_at", "payload")


def live_from_wire(ctx: Context, item: dict[str, Any], *, in_bundle: InBundle | None = None) -> LiveSchedule:
    """A live schedule in the bundle's terms. `in_bundle` lets a fired one-off report the state the bundle
    asks for, and an inactive schedule that left the bundle report `archived` (see provider.py)."""
    payload = item.get("payload") or {}
    metadata = dict(payload.get("metadata") or {})
    owner = metadata.get(BUNDLE_KEY) or None
    name = metadata.get(NAME_KEY) or None
    if owner is not None and name is None:
        owner = None  # half a marker is no marker
    digests = _json_map(metadata.get(SECRETS_KEY)) if owner else {}
    live_input: dict[str, Any] = {}
    message = payload.get("input")
    if message not in (None, ""):
        live_input["message"] = (
            Sensitive(str(message)).digest(ctx.digest_key) if "message" in digests else message
        )
    data: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    for var, value in (payload.get("variables") or {}).items():
        secret = isinstance(value, dict) and value.get("secret") is True
        if not secret:
            data[var] = value
        elif f"data.{var}" in digests:
            data[var] = digests[f"data.{var}"]
        else:  # a secret nobody recorded a digest for shows as unknown, so the plan rewrites it
            secrets[var] = digests.get(f"secrets.{var}", "hmac-sha256:unknown")
    if data:
        live_input["data"] = data
    if secrets:
        live_input["secrets"] = secrets
    user_metadata = {k: v for k, v in metadata.items() if not str(k).startswith(PREFIX)}
    options = {
        "agent_tag": item.get("agent_tag"),
        "memory_entity_id": payload.get("memory_entity_id"),
        "metadata": user_metadata,
    }
    labels = {str(k): str(v) for k, v in _json_map(metadata.get(LABELS_KEY)).items()} if owner else {}
    options = {k: v for k, v in options.items() if v not in (None, "", {})}
    secret_paths = {
        path
        for path, _ in secretmarks.leaves({"input": live_input, "labels": labels, "options": options})
        if _recorded_as(path) in digests
    }
    remote_id = str(item.get("_id", ""))
    # Ours only while the marker names this very schedule: a copy of the payload carries it too. With a
    # display_name, that must be the marker's name; without one (the original API), the id the marker
    # records must be the schedule's own.
    marked_id, missing, copied = metadata.get(ID_KEY), [], False
    if owner and ctx.revision == SEED:
        if marked_id is None:
            missing.append("record the schedule's id in its ownership marker")
        copied = marked_id is not None and marked_id != remote_id
    applied = parse_record(str(metadata.get(RECORD_KEY) or "")) if owner else None
    if owner and applied is None:  # written by a version before the record: the next apply writes it
        missing.append(NO_RECORD)
    if ctx.revision == DISPLAY_NAME:
        display = str(item.get("display_name") or "") or (name or "" if owner else "")
    elif owner and not copied:
        display = name or ""
    else:  # the original API's schedules have no name: one derived from the id lets `export` + `adopt` find them
        display = f"orq-{remote_id.lower()}" if remote_id else ""
    changed_at, changed_by = changed_of(item)
    return LiveSchedule(
        remote_id=remote_id,
        agent=str(item.get("agent_key", "")),
        name=name if owner else None,
        owner=owner,
        state=_state(
            item,
            owner == ctx.bundle_key and name is not None and display == name,
            name or "",
            in_bundle,
            applied is not None and applied.state == "active",
        ),
        when=when_from_wire(str(item.get("type", "")), str(item.get("expression", ""))),
        input=live_input,
        labels=labels,
        options=options,
        secret_paths=frozenset(secret_paths) if secret_paths else secretmarks.NONE,
        protected=bool(owner) and metadata.get(PROTECT_KEY) == "true",
        display_name=display,
        incomplete_marker="; ".join(missing),
        source=str(metadata[SOURCE_KEY]) if owner and metadata.get(SOURCE_KEY) else None,
        applied=applied,
        changed_at=changed_at,
        changed_by=changed_by,
        written=parse_written_note(metadata.get(WRITTEN_KEY)) if owner else {},
        activity=activity_of(item),
        raw={key: item[key] for key in KEPT if key in item},
    )


def _recorded_as(path: tuple[str | int, ...]) -> str:
    """The key under which the marker's digests name a field: `message`, `data.x`, `secrets.x` (the input's,
    as the first versions wrote them), or the field's dotted path."""
    return secretmarks.dotted(path[1:] if path[:1] == ("input",) else path)


def _state(
    item: dict[str, Any], ours: bool, name: str, in_bundle: InBundle | None, recorded_active: bool
) -> LiveState:
    if item.get("is_active"):
        return "active"
    if not ours or in_bundle is None:
        return "paused"
    wanted = in_bundle.get((str(item.get("agent_key", "")), name))
    if wanted is None:
        # orq's archive is deactivation: an inactive leaver needs nothing more, unless the record says the
        # reconciler left it active (an operator paused it): then it is archived, which writes the record, so
        # that adding it back restores it instead of keeping an operator's pause.
        return "paused" if recorded_active and not is_done(item) else "archived"
    if is_done(item):
        return "paused" if wanted == "paused" else "active"  # done: whichever state the bundle asks is true
    return "paused"
