"""TBD Agents' wire format <-> the bundle's vocabulary. Pure: no HTTP here.

Ownership: the platform name is `<bundleKey>:<name>` (the server has no other field to keep a marker
in); an archived schedule is disabled and named `<bundleKey>:<name> (archived)` — bundle names cannot
hold a space, so the suffix is unambiguous. `agent` is the `workflow_id`. `every` becomes N of the
largest unit that divides it exactly (minutes, hours, days).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.semantics import NAME_PATTERN
from reconciler.bundle.sensitive import Sensitive
from reconciler.plan.live import Activity, LiveSchedule, LiveState
from reconciler.timing import format_duration

SEPARATOR = ":"
ARCHIVED_SUFFIX = " (archived)"
UNITS = (("days", 86400), ("hours", 3600), ("minutes", 60))  # largest first
UNIT_SECONDS = dict(UNITS)
# The fire counters the server keeps: the last tick that ran and the one after it. No count, no skips (a
# tick skipped while the previous run is active only logs), no error.
COUNTERS = ("last_run_at", "next_run_at")
# What is read of a live schedule's wire item after it was listed (patch_body, needs_recreate, ended, the state
# an update converges to): a listed schedule keeps these, not the whole item, whose other fields (ids, counters,
# creation time) are in the LiveSchedule already or never read again: at 10,000 schedules the kept JSON was a
# tenth of a plan's traced memory.
KEPT = ("name", "prompt", "interval_value", "interval_unit", "start_at", "end_at", "enabled", "updated_at")
_BUNDLE_KEY = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def platform_name(bundle_key: str, name: str, *, archived: bool = False) -> str:
    return f"{bundle_key}{SEPARATOR}{name}{ARCHIVED_SUFFIX if archived else ''}"


def split(platform: str) -> tuple[str | None, str | None, bool]:
    """(owner, bundle name, archived) of a platform name; (None, None, False) when it carries no owner."""
    archived = platform.endswith(ARCHIVED_SUFFIX)
    base = platform[: -len(ARCHIVED_SUFFIX)] if archived else platform
    owner, separator, name = base.partition(SEPARATOR)
    if not separator or not _BUNDLE_KEY.match(owner) or not NAME_PATTERN.match(name):
        return None, None, False
    return owner, name, archived


def interval_for(every: int) -> tuple[int, str]:
    """`every` seconds as (value, unit) in the largest unit that divides it exactly (`7d` -> 7 days)."""
    for unit, seconds in UNITS:
        if every % seconds == 0:
            return every // seconds, unit
    raise ValueError(f"every {every}s is not a whole number of minutes")  # validate refuses it first


def parse_time(value: Any) -> datetime | None:
    """A wire time: `...Z` or offset from a fresh value, naive UTC from a MongoDB read-back."""
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso(value: datetime) -> str:
    """The bundle's spelling of an instant (as `validate` writes `start` / `end`)."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def prompt_of(desired: DesiredSchedule) -> str:
    message = desired.input.get("message")
    return (message.reveal() if isinstance(message, Sensitive) else message) or ""


def timing_fields(desired: DesiredSchedule) -> dict[str, Any]:
    """interval_value, interval_unit, start_at and (when set) end_at of `desired`."""
    timing = desired.timing
    assert timing.every is not None and timing.start is not None  # validate guarantees both
    value, unit = interval_for(timing.every)
    fields: dict[str, Any] = {"interval_value": value, "interval_unit": unit, "start_at": iso(timing.start)}
    if timing.end is not None:
        fields["end_at"] = iso(timing.end)
    return fields


def create_body(bundle_key: str, desired: DesiredSchedule) -> dict[str, Any]:
    """The create body, the prompt in clear: only for the request."""
    return {
        "name": platform_name(bundle_key, desired.name),
        "workflow_id": desired.agent,
        "prompt": prompt_of(desired),
        **timing_fields(desired),
    }


def patch_body(bundle_key: str, desired: DesiredSchedule, item: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields that differ: naming `interval_*`, `start_at` or `end_at` re-registers the schedule
    with Beat (its cadence restarts), even with an unchanged value."""
    body: dict[str, Any] = {}
    name = platform_name(bundle_key, desired.name)
    if item.get("name") != name:
        body["name"] = name
    prompt = prompt_of(desired)
    if (item.get("prompt") or "") != prompt:
        body["prompt"] = prompt
    wanted = timing_fields(desired)
    if (item.get("interval_value"), item.get("interval_unit")) != (
        wanted["interval_value"],
        wanted["interval_unit"],
    ):
        body["interval_value"] = wanted["interval_value"]
        body["interval_unit"] = wanted["interval_unit"]
    for key in ("start_at", "end_at"):
        if key in wanted and parse_time(item.get(key)) != parse_time(wanted[key]):
            body[key] = wanted[key]
    return body


def needs_recreate(desired: DesiredSchedule, item: Mapping[str, Any]) -> bool:
    """The live schedule has an `end_at` the bundle removed: a PATCH cannot clear it (nulls are ignored)."""
    return desired.timing.end is None and parse_time(item.get("end_at")) is not None


def live_from_wire(item: Mapping[str, Any]) -> LiveSchedule:
    platform = str(item.get("name", ""))
    owner, name, archived = split(platform)
    enabled = bool(item.get("enabled"))
    state: LiveState = "active" if enabled else ("archived" if archived else "paused")
    when: dict[str, Any] = {}
    unit_seconds = UNIT_SECONDS.get(str(item.get("interval_unit")))
    if unit_seconds is not None and isinstance(item.get("interval_value"), int):
        when["every"] = format_duration(int(item["interval_value"]) * unit_seconds)
    for key, wire_key in (("start", "start_at"), ("end", "end_at")):
        value = parse_time(item.get(wire_key))
        if value is not None:
            when[key] = iso(value)
    live_input = {"message": item["prompt"]} if item.get("prompt") else {}
    return LiveSchedule(
        remote_id=str(item.get("id", "")),
        agent=str(item.get("workflow_id", "")),
        name=name,
        owner=owner,
        state=state,
        when=when,
        input=live_input,
        labels={},
        options={},
        # The wire name itself where it is the owned name (not archived): one string per schedule, not two.
        display_name=(platform_name(owner, name) if archived else platform) if owner and name else platform,
        # No record: the name is the whole marker (see README.md). `updated_at` also moves with every tick
        # that runs, so it says when the schedule last changed *or fired*; the server does not say who.
        changed_at=_utc(item.get("updated_at")),
        activity=activity_of(item),
        raw={key: item[key] for key in KEPT if key in item},
    )


def _utc(value: Any) -> str | None:
    parsed = parse_time(value)
    return iso(parsed) if parsed is not None else None


def activity_of(item: Mapping[str, Any]) -> Activity:
    """`last_run_at` (the last tick that ran) and `next_run_at` (that tick + the interval; null until the
    first tick): what the list returns, at no extra request."""
    return Activity(
        counters=COUNTERS, last_fire=_utc(item.get("last_run_at")), next_fire=_utc(item.get("next_run_at"))
    )


def ended(item: Mapping[str, Any]) -> bool:
    """Disabled at or after its `end_at`: the server's end-of-window auto-disable (or a disable that would
    change nothing, since no tick runs after `end_at` either way)."""
    end, updated = parse_time(item.get("end_at")), parse_time(item.get("updated_at"))
    return not item.get("enabled") and end is not None and updated is not None and updated >= end
