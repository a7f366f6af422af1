"""Cadenya's wire format <-> the bundle's vocabulary. Pure: no HTTP here.

Ownership marker: `metadata.bundleKey` (the API reference's field) plus the label `reconciler.dev/bundle`, so lists
can filter server-side; the schedule's bundle name is `metadata.name`, and the label `reconciler.dev/name`
repeats it (a marker copied onto another schedule names the one it was written for, not the copy), and the
label `reconciler.dev/applied` records what was last applied (state and field digests). A cron
is translated exactly into calendars (both day fields restricted -> two calendars) and read back as cron
where exact.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Hashable
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.errors import ConfigError
from reconciler.plan.live import LiveSchedule, LiveState
from reconciler.plan.normalise import canonical_json
from reconciler.plan.record import parse_record, parse_written_label, written_label
from reconciler.providers import secretmarks
from reconciler.providers.calendar_wire import (
    CALENDAR_KEYS,
    calendar_from_json,
    calendar_json,
    calendars_as_when,
    commented_calendars,
    interval_as_when,
)
from reconciler.timing import (
    Calendar,
)
from reconciler.timing.instants import utc_text as utc

BUNDLE_LABEL = "reconciler.dev/bundle"
NAME_LABEL = "reconciler.dev/name"  # label_token(the bundle name) the marker was written for
SOURCE_LABEL = "reconciler.dev/source"  # label_token(the bundle file's repository path) it was applied from
PROTECT_LABEL = "reconciler.dev/protect"
# The record of what was last applied (reconciler.plan.record): the state the reconciler set and a digest
# per field group, 50 letters, digits and dots: a valid label value. A pause made in Cadenya leaves it
# saying `active`: that is how such a pause is told from one the bundle asked for.
APPLIED_LABEL = "reconciler.dev/applied"
NO_RECORD = "record what was applied in the ownership marker (written by an older version)"
SECRETS_LABEL = "reconciler.dev/secret-keys"  # which `data` keys hold secrets, '.'-separated
# Which other fields hold a value from secret() (a message, a data value, a label, an option): their codes
# (reconciler.providers.secretmarks), '.'-separated. A label value holds 63 characters: 7 codes.
SECRET_FIELDS_LABEL = "reconciler.dev/secret-fields"
MAX_SECRET_FIELDS = 7
# What `H` or `spread` was written as, as a label value can hold it (reconciler.plan.record.written_label):
# `export` names it. Left out when the text is too long for one label (39 bytes).
WRITTEN_LABEL = "reconciler.dev/written"
_MARKER_LABELS = (
    WRITTEN_LABEL,
    BUNDLE_LABEL,
    NAME_LABEL,
    SOURCE_LABEL,
    PROTECT_LABEL,
    SECRETS_LABEL,
    SECRET_FIELDS_LABEL,
    APPLIED_LABEL,
)
_LABEL_VALUE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?")
_STATES: dict[str, LiveState] = {
    "STATE_ACTIVE": "active",
    "STATE_PAUSED": "paused",
    "STATE_ARCHIVED": "archived",
}
_OPTION_KEYS = ("overlapPolicy", "userData", "variationId")
# The API reference's names first; SDK 1.8.0 spells three of them differently and a server may send either.
_SPEC_ALIASES = {
    "initialMessage": ("initialMessage", "firstUserMessage"),
    "data": ("data", "systemPromptData"),
    "userData": ("userData", "firstUserMessageData"),
}


def label_token(text: str) -> str:
    """`text` as a label value can hold it: itself when it fits (at most 63 letters, digits, `-`, `_`, `.`,
    starting and ending with a letter or digit), else `sha256-` and 16 hex digits of its SHA-256."""
    if _LABEL_VALUE.fullmatch(text):
        return text
    return "sha256-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def metadata_for(
    bundle_key: str, desired: DesiredSchedule, source: str = "", record: str = ""
) -> dict[str, Any]:
    """The metadata of a write; `source` is the label_token of the bundle's file ("": none recorded), `record`
    the text of the applied record (`Provider.record_of`; "": none written)."""
    labels = {**desired.labels, BUNDLE_LABEL: bundle_key, NAME_LABEL: label_token(desired.name)}
    if record:
        labels[APPLIED_LABEL] = record
    if source:
        labels[SOURCE_LABEL] = source
    if desired.protect:
        labels[PROTECT_LABEL] = "true"
    secrets = sorted((desired.input.get("secrets") or {}).keys())
    if secrets:
        labels[SECRETS_LABEL] = ".".join(secrets)
    fields = secretmarks.secret_paths(desired, skip=[("input", "secrets")])
    if len(fields) > MAX_SECRET_FIELDS:
        raise ConfigError(
            f"schedule '{desired.name}': {len(fields)} fields outside input.secrets read secret() "
            f"({', '.join(secretmarks.dotted(f) for f in fields)}); cadenya's marker can record at most "
            f"{MAX_SECRET_FIELDS} (one label). Move secrets into input.secrets, which cadenya keeps apart"
        )
    if fields:
        labels[SECRET_FIELDS_LABEL] = ".".join(secretmarks.codes(fields))
    written = written_label(desired.written)
    if written:
        labels[WRITTEN_LABEL] = written
    return {"name": desired.name, "bundleKey": bundle_key, "labels": labels}


def spec_for(desired: DesiredSchedule) -> dict[str, Any]:
    """The AgentScheduleSpec for `desired`, with secrets in clear: only for the request body."""
    spec: dict[str, Any] = {"schedule": schedule_for(desired)}
    message = desired.input.get("message")
    if message is not None:
        spec["initialMessage"] = message.reveal() if isinstance(message, Sensitive) else message
    data = {**_reveal(desired.input.get("data") or {}), **_reveal(desired.input.get("secrets") or {})}
    if data:
        spec["data"] = data
    for key in _OPTION_KEYS:
        if key in desired.options:
            spec[key] = desired.options[key]
    return spec


def schedule_for(desired: DesiredSchedule) -> dict[str, Any]:
    timing = desired.timing
    schedule: dict[str, Any] = {"timezone": timing.timezone}
    # The comments let a read-back recover each cron of a list, exactly.
    calendars = [*commented_calendars(timing.cron), *timing.calendars]
    if calendars:
        schedule["calendars"] = [_calendar_json(c) for c in calendars]
    if timing.every is not None:
        interval = {"every": f"{timing.every}s"}
        if timing.offset:
            interval["offset"] = f"{timing.offset}s"
        schedule["intervals"] = [interval]
    return schedule


def live_from_wire(
    item: dict[str, Any], agent: str, digest_key: bytes, *, keep_raw: bool = True
) -> LiveSchedule:
    """`keep_raw=False` keeps none of `item` in `LiveSchedule.raw`: what a listing asks for, which reads the
    counters (`activity_from_wire`) from the item itself; a write's answer keeps its metadata and info."""
    # Run once per listed schedule (10,000 in a large plan): the members most schedules lack (secrets, secret
    # fields, options, a `written` note) are looked up once and skipped when absent.
    metadata = item.get("metadata") or {}
    spec = item.get("spec") or {}
    labels = dict(metadata.get("labels") or {})
    owner = metadata.get("bundleKey") or None
    if owner is not None and labels.get(BUNDLE_LABEL) != owner:
        owner = None  # half a marker is no marker: both must agree before we touch it
    name = metadata.get("name") if owner else None
    marked, incomplete = labels.get(NAME_LABEL), ""
    applied = parse_record(labels.get(APPLIED_LABEL)) if owner else None
    if owner and marked is None:
        incomplete = "record the schedule's name in its ownership marker (written by an older version)"
    elif owner and marked != label_token(name or ""):
        name = marked  # the marker names another schedule: copied onto this one, so this one is not ours
    elif owner and applied is None:
        incomplete = NO_RECORD
    live_input: dict[str, Any] = {}
    message = _first(spec, "initialMessage")
    if message:
        live_input["message"] = message
    raw_data = _first(spec, "data")
    secrets: dict[str, str] = {}
    if raw_data:
        data = dict(raw_data)
        secret_keys = [k for k in labels.get(SECRETS_LABEL, "").split(".") if k]
        secrets = {k: Sensitive(str(data.pop(k))).digest(digest_key) for k in secret_keys if k in data}
        if data:
            live_input["data"] = data
        if secrets:
            live_input["secrets"] = secrets
    user_data = _first(spec, "userData")
    overlap, variation = spec.get("overlapPolicy"), spec.get("variationId")
    options: dict[str, Any] = {}
    if user_data is not None or overlap is not None or variation is not None:
        options = normal_options({"userData": user_data, "overlapPolicy": overlap, "variationId": variation})
    user_labels = {k: v for k, v in labels.items() if k not in _MARKER_LABELS}
    secret_codes = [c for c in labels.get(SECRET_FIELDS_LABEL, "").split(".") if c]
    secret_paths: frozenset[tuple[str | int, ...]] = frozenset()
    if secret_codes or secrets:
        secret_paths = secretmarks.recorded(
            {"input": live_input, "labels": user_labels, "options": options}, secret_codes
        ) | {("input", "secrets", k) for k in secrets}
    return LiveSchedule(
        remote_id=metadata.get("id", ""),
        agent=agent,
        name=name,
        owner=owner,
        state=_STATES.get(item.get("state", ""), "active"),
        when=when_from_wire(spec.get("schedule") or {}),
        input=live_input,
        labels=user_labels,
        options=options,
        protected=labels.get(PROTECT_LABEL) == "true",
        display_name=metadata.get("name", ""),
        incomplete_marker=incomplete,
        source=labels.get(SOURCE_LABEL) if owner else None,
        secret_paths=frozenset(secret_paths),
        applied=applied,
        changed_at=utc(metadata.get("updatedAt")),
        written=parse_written_label(labels.get(WRITTEN_LABEL)) if owner else {},
        # Only what is read later (activity_from_wire: info and metadata.createdAt; a write's labels), not the
        # whole decoded item; a listing keeps nothing: at 10,000 schedules the kept JSON was a fifth of a plan.
        raw={key: item[key] for key in _KEPT if key in item} if keep_raw else {},
    )


_KEPT = ("metadata", "info")


def normal_options(options: dict[str, Any]) -> dict[str, Any]:
    """Options as a read-back reports them: SKIP is the server's default, so absent and SKIP are the same."""
    result = {k: v for k, v in options.items() if v not in (None, "", {})}
    if result.get("overlapPolicy") in ("OVERLAP_POLICY_UNSPECIFIED", "OVERLAP_POLICY_SKIP"):
        result.pop("overlapPolicy")
    return result


def when_from_wire(schedule: dict[str, Any]) -> dict[str, Any]:
    """The bundle's `when` for a wire schedule: cron where the calendars say exactly that.

    Remembered by what it is read from: a listing repeats a few timings thousands of times, and reading
    calendars back into cron parses and translates crons. Only shapes whose result is built afresh (one
    interval, or calendars alone) are remembered; each caller gets its own copy.
    """
    key = _when_key(schedule)
    if key is None:
        return _when_from_wire(schedule)
    known = _WHEN_MEMO.get(key)
    if known is None:
        known = _when_from_wire(schedule)
        if len(_WHEN_MEMO) >= _WHEN_MEMO_SIZE:
            _WHEN_MEMO.clear()  # a bound, not an eviction policy: more distinct timings than this is rare
        _WHEN_MEMO[key] = known
    return {k: v if type(v) is str else copy.deepcopy(v) for k, v in known.items()}


# What a wire schedule's `when` is read from (`_when_key`) -> that `when`. Shared by every thread reading a
# listing: a dict's get and set are atomic, and two threads computing one entry store equal values.
_WHEN_MEMO: dict[Hashable, dict[str, Any]] = {}
_WHEN_MEMO_SIZE = 4096


def _when_key(schedule: dict[str, Any]) -> Hashable | None:
    """What `_when_from_wire` reads of `schedule`, as a key; None where the result is not remembered."""
    timezone, intervals = schedule.get("timezone"), schedule.get("intervals")
    calendars = schedule.get("calendars")
    if timezone is not None and type(timezone) is not str:
        return None
    if calendars and intervals:
        return None  # shown whole: the result holds the wire's own dicts, in the wire's key order
    if not intervals:
        return canonical_json(schedule)  # calendars (or nothing): read back from their JSON alone
    if type(intervals) is not list or len(intervals) != 1 or type(intervals[0]) is not dict:
        return None
    # One interval: only its `every` and `offset` are read (a cheaper key than the JSON of the schedule).
    every, offset = intervals[0].get("every", "0s"), intervals[0].get("offset")
    if type(every) is not str or (offset is not None and type(offset) is not str):
        return None
    return (timezone, every, offset)


def _when_from_wire(schedule: dict[str, Any]) -> dict[str, Any]:
    when: dict[str, Any] = {"timezone": schedule.get("timezone") or "UTC"}
    calendars = [_calendar_from_json(c) for c in schedule.get("calendars") or []]
    intervals = schedule.get("intervals") or []
    if calendars and intervals:  # not a shape the bundle can write in one `when`: show it whole
        when["calendars"] = [_calendar_json(c) for c in calendars]
        when["intervals"] = intervals
        return when
    if intervals:
        if len(intervals) > 1:
            when["intervals"] = intervals
            return when
        every = _seconds(intervals[0].get("every", "0s"))
        offset = _seconds(intervals[0].get("offset") or "0s")
        return {**when, **interval_as_when(every, offset)}
    return {**when, **calendars_as_when(calendars)}


def _calendar_json(calendar: Calendar) -> dict[str, Any]:
    """Second, minute and hour always; the day fields and month only where they differ from "any"."""
    default = Calendar()
    return calendar_json(
        calendar,
        CALENDAR_KEYS,
        lambda key, ranges: key in ("second", "minute", "hour") or ranges != getattr(default, _ATTR[key]),
    )


def _calendar_from_json(raw: dict[str, Any]) -> Calendar:
    """Empty second/minute/hour mean 0; empty day fields and month mean "any": Calendar's defaults."""
    return calendar_from_json(raw, CALENDAR_KEYS, missing_is_default=True)


_ATTR = dict(CALENDAR_KEYS)


def _seconds(duration: str) -> int:
    return int(float(str(duration).rstrip("s") or 0))


def _first(spec: dict[str, Any], canonical: str) -> Any:
    for name in _SPEC_ALIASES[canonical]:
        if spec.get(name) not in (None, ""):
            return spec[name]
    return None


def _reveal(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.reveal() if isinstance(v, Sensitive) else v) for k, v in values.items()}
