"""The run-schedules revision's wire format <-> the bundle's vocabulary. Pure.

`input.message` is `initial_input.content`; `options` carry `author` (of the initial input),
`description`, `task_params` and `task_metadata`. `protect: true` is kept in `task_metadata` under
`reconciler.dev/protect`, the one field of a run schedule the reconciler may add to, and so are the record of
which fields hold a value from secret() (`reconciler.dev/secrets`) and the record of what was last applied
(`reconciler.dev/applied`: the state the reconciler set and a digest per field group).
"""

from __future__ import annotations

from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.plan.live import LiveSchedule
from reconciler.plan.record import parse_record, parse_written_note, written_note
from reconciler.providers import secretmarks
from reconciler.providers.agentex import names
from reconciler.providers.agentex.activity import runs_activity
from reconciler.providers.agentex.timing import when_from_wire, wire_timing
from reconciler.timing.instants import utc_text as utc

PROTECT_KEY = "reconciler.dev/protect"
# The bundle name the marker was written for: a schedule copied (task_metadata and all) under another
# `<bundleKey>--...` name names the original here, and is not ours.
NAME_KEY = "reconciler.dev/name"
SOURCE_KEY = "reconciler.dev/source"  # the repository path of the bundle file it was applied from
# Which fields hold a value from secret() (the message, a task_params value...): their codes
# (reconciler.providers.secretmarks), '.'-separated. The API returns every field in clear.
SECRETS_KEY = "reconciler.dev/secrets"
# What this reconciler last applied (reconciler.plan.record): written with every create and PATCH, in the
# same request as the state it records, so a PATCH that pauses or resumes changes both at once.
RECORD_KEY = "reconciler.dev/applied"
# What `H` or `spread` was written as (reconciler.plan.record.written_note): `export` names it.
WRITTEN_KEY = "reconciler.dev/written"
NO_RECORD = "record what was applied in the ownership marker (written by an older version)"
OPTIONS = ("author", "description", "task_params", "task_metadata")
DEFAULT_AUTHOR = "user"
# Every field a create may set; an update PATCHes those whose value differs (null clears).
FIELDS = (
    "name",
    "initial_input",
    "description",
    "cron_expression",
    "interval_seconds",
    "timezone",
    "start_at",
    "end_at",
    "paused",
    "task_params",
    "task_metadata",
)


def create_body(
    bundle_key: str, desired: DesiredSchedule, source: str = "", record: str = ""
) -> dict[str, Any]:
    message = desired.input.get("message")
    content = message.reveal() if isinstance(message, Sensitive) else (message or "")
    options = desired.options
    metadata = dict(options.get("task_metadata") or {})
    if desired.protect:
        metadata[PROTECT_KEY] = True
    metadata[NAME_KEY] = desired.name
    if source:
        metadata[SOURCE_KEY] = source
    if record:
        metadata[RECORD_KEY] = record
    if desired.written:
        metadata[WRITTEN_KEY] = written_note(desired.written)
    fields = secretmarks.secret_paths(desired)
    if fields:
        metadata[SECRETS_KEY] = ".".join(secretmarks.codes(fields))
    timing = wire_timing(desired)
    return {
        "name": names.platform_name(bundle_key, desired.name),
        "initial_input": {
            "content": content,
            "author": options.get("author") or DEFAULT_AUTHOR,
            "type": "text",
        },
        "description": options.get("description"),
        "cron_expression": timing.get("cron_expression"),
        "interval_seconds": timing.get("interval_seconds"),
        "timezone": desired.timing.timezone,
        "start_at": timing.get("start_at"),
        "end_at": timing.get("end_at"),
        "paused": desired.state == "paused",
        "task_params": options.get("task_params"),
        "task_metadata": metadata or None,
    }


def changes(body: dict[str, Any], live: LiveSchedule) -> dict[str, Any]:
    """The PATCH for `live` to become `body`: only the fields that differ; cron and interval replace each
    other on the server, so only the one being set is sent."""
    have = live.raw
    patch = {k: body[k] for k in FIELDS if body.get(k) != have.get(k)}
    if patch.get("cron_expression") is None and body.get("interval_seconds") is not None:
        patch.pop("cron_expression", None)
    if patch.get("interval_seconds") is None and body.get("cron_expression") is not None:
        patch.pop("interval_seconds", None)
    if "initial_input" in patch and _same_input(patch["initial_input"], have.get("initial_input")):
        patch.pop("initial_input")
    return patch


def state_patch(live: LiveSchedule, paused: bool) -> dict[str, Any]:
    """The PATCH that pauses (resumes) `live` without a desired schedule (an archive, a restore): the record
    the marker holds says the new state in the same request; a marker without a record gets none."""
    patch: dict[str, Any] = {"paused": paused}
    metadata = live.raw.get("task_metadata")
    if live.applied is not None and isinstance(metadata, dict):
        record = live.applied.with_state("paused" if paused else "active").text()
        if metadata.get(RECORD_KEY) != record:
            patch["task_metadata"] = {**metadata, RECORD_KEY: record}
    return patch


def _same_input(want: Any, have: Any) -> bool:
    have = have or {}
    return bool(
        want["content"] == have.get("content")
        and want["author"] == (have.get("author") or DEFAULT_AUTHOR)
        and (have.get("type") or "text") == "text"
    )


def echo(body: dict[str, Any], agent: str) -> dict[str, Any]:
    """The RunSchedule a server answers `body` with (what `as_live` reads back)."""
    return {**body, "id": "", "agent_id": agent}


def live_from_wire(item: dict[str, Any], agent: str) -> LiveSchedule:
    platform = str(item.get("name", ""))
    owner, name = names.split(platform)
    initial = item.get("initial_input") or {}
    metadata = dict(item.get("task_metadata") or {})
    protected = metadata.pop(PROTECT_KEY, None) is True
    marked, incomplete = metadata.pop(NAME_KEY, None), ""
    source = metadata.pop(SOURCE_KEY, None)
    recorded = metadata.pop(RECORD_KEY, None)
    written = parse_written_note(metadata.pop(WRITTEN_KEY, None)) if owner is not None else {}
    applied = parse_record(str(recorded)) if owner is not None and recorded else None
    if owner is not None and marked is None:
        incomplete = "record the schedule's name in its ownership marker (written by an older version)"
    elif owner is not None and applied is None:
        incomplete = NO_RECORD
    elif owner is not None and marked != name:
        name = str(marked)  # the marker names another schedule: copied onto this one, so this one is not ours
    secret_codes = str(metadata.pop(SECRETS_KEY, None) or "").split(".") if owner else []
    author = initial.get("author")
    options = {
        "author": None if author in (None, DEFAULT_AUTHOR) else author,
        "description": item.get("description"),
        "task_params": item.get("task_params"),
        "task_metadata": metadata or None,
    }
    crons = [item["cron_expression"]] if item.get("cron_expression") else []
    intervals = [item["interval_seconds"]] if item.get("interval_seconds") else []
    message = initial.get("content")
    live_input = {"message": message} if message else {}
    options = {k: v for k, v in options.items() if v not in (None, {}, "")}
    return LiveSchedule(
        remote_id=str(item.get("id", "")),
        agent=agent,
        name=name,
        owner=owner,
        state="paused" if item.get("paused") else "active",
        when=when_from_wire(crons, intervals, item.get("timezone"), item.get("start_at"), item.get("end_at")),
        input=live_input,
        labels={},
        options=options,
        protected=protected,
        secret_paths=secretmarks.recorded(
            {"input": live_input, "options": options}, [c for c in secret_codes if c]
        ),
        display_name=platform,
        incomplete_marker=incomplete,
        source=str(source) if owner is not None and source else None,
        applied=applied,
        written=written,
        # The row's last change (a PATCH, a pause or a resume). `creator_principal` names who created it,
        # not who changed it last, and nothing else does: `changed_by` stays unknown.
        changed_at=utc(item.get("updated_at")),
        activity=runs_activity(item),
        # Only what `changes` and `state_patch` read of the row (the fields a PATCH may send: a task_metadata
        # resent whole carries the keys reconciler does not own), not its ids, times and counters.
        raw={key: item[key] for key in FIELDS if key in item},
    )
