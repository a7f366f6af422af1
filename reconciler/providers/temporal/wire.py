"""Temporal's schedule JSON (its HTTP API: protobuf field names in camelCase, payloads as plain JSON) <-> the
bundle's vocabulary. Pure: no HTTP here.

Identity: the schedule id is `<bundleKey>--<name>`. Temporal refuses a second schedule with an id in use, so
two applies racing to create one schedule cannot make twins, and a create whose answer was lost is found by
id. Ownership marker, in two places (README.md says why):
- the schedule's memo `reconciler: {bundleKey, name}`, written at creation: Temporal cannot change a
  schedule's memo later, and the list returns it, so the list tells which schedules a bundle owns;
- the action's memo `reconciler: {bundleKey, name, source, protect, applied, archived, secretFields}`,
  replaced by every update: the part that changes. Every run the schedule starts carries it too, so a
  workflow can be traced to its bundle.
A marker whose bundleKey and name do not give the schedule's id was copied from another schedule: not ours.
"""

from __future__ import annotations

from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.bundle.when import calendar_as_bundle
from reconciler.plan.live import LiveSchedule
from reconciler.plan.record import parse_record
from reconciler.providers import secretmarks
from reconciler.providers.calendar_wire import (
    CALENDAR_KEYS,
    calendar_from_json,
    calendar_json,
    calendars_as_when,
    commented_calendars,
    interval_as_when,
)
from reconciler.timing import Calendar
from reconciler.timing.durations import format_duration, parse_duration
from reconciler.timing.instants import utc_text as utc

MEMO_KEY = "reconciler"
SEPARATOR = "--"
NO_RECORD = "record what was applied in the ownership marker (written by an older version)"
OVERLAP = {
    "skip": "SCHEDULE_OVERLAP_POLICY_SKIP",
    "buffer_one": "SCHEDULE_OVERLAP_POLICY_BUFFER_ONE",
    "buffer_all": "SCHEDULE_OVERLAP_POLICY_BUFFER_ALL",
    "cancel_other": "SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER",
    "terminate_other": "SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER",
    "allow_all": "SCHEDULE_OVERLAP_POLICY_ALLOW_ALL",
}
_OVERLAP_NAMES = {wire: name for name, wire in OVERLAP.items()}
# Temporal's default catch-up window (one year): a schedule created without one reads back with it.
DEFAULT_CATCHUP_SECONDS = 365 * 86400
_CALENDAR_KEYS = (*CALENDAR_KEYS, ("year", "year"))


def schedule_id(bundle_key: str, name: str) -> str:
    return f"{bundle_key}{SEPARATOR}{name}"


def identity_memo(bundle_key: str, name: str) -> dict[str, Any]:
    """The schedule's memo: who created it, fixed for its life."""
    return {"fields": {MEMO_KEY: {"bundleKey": bundle_key, "name": name}}}


def marker(
    bundle_key: str, desired: DesiredSchedule, *, source: str, record: str, archived: bool
) -> dict[str, Any]:
    """The action memo's marker for a write of `desired`."""
    found: dict[str, Any] = {"bundleKey": bundle_key, "name": desired.name}
    if source:
        found["source"] = source
    if desired.protect:
        found["protect"] = True
    if record:
        found["applied"] = record
    if archived:
        found["archived"] = True
    fields = secretmarks.codes(secretmarks.secret_paths(desired))
    if fields:
        found["secretFields"] = fields
    if desired.written:  # what `H` or `spread` was written as: `export` names it beside the concrete value
        found["written"] = dict(desired.written)
    return found


def schedule_for(
    bundle_key: str,
    desired: DesiredSchedule,
    *,
    task_queue: str,
    source: str = "",
    record: str = "",
    archived: bool = False,
    note: str = "",
) -> dict[str, Any]:
    """The Schedule for `desired` (spec, action, policies, state), with secrets in clear: only for a request."""
    options = desired.options
    start: dict[str, Any] = {
        "workflowId": str(options.get("workflowIdPrefix") or schedule_id(bundle_key, desired.name)),
        "workflowType": {"name": desired.agent},
        "taskQueue": {"name": str(options.get("taskQueue") or task_queue)},
        "memo": {
            "fields": {MEMO_KEY: marker(bundle_key, desired, source=source, record=record, archived=archived)}
        },
    }
    argument = _reveal({k: v for k, v in desired.input.items() if k in ("message", "data")})
    if argument:
        start["input"] = [argument]
    policies: dict[str, Any] = {"overlapPolicy": OVERLAP[str(options.get("overlap") or "skip")]}
    if options.get("catchupWindow"):
        policies["catchupWindow"] = f"{parse_duration(str(options['catchupWindow']))}s"
    if options.get("pauseOnFailure"):
        policies["pauseOnFailure"] = True
    paused = archived or desired.state == "paused"
    state: dict[str, Any] = {"paused": paused}
    text = note or (str(options["notes"]) if options.get("notes") else "")
    if text:
        state["notes"] = text
    return {
        "spec": spec_for(desired),
        "action": {"startWorkflow": start},
        "policies": policies,
        "state": state,
    }


def spec_for(desired: DesiredSchedule) -> dict[str, Any]:
    timing = desired.timing
    spec: dict[str, Any] = {}
    # The comments let a read-back recover each cron of a list, exactly.
    calendars = [*commented_calendars(timing.cron), *timing.calendars]
    if calendars:
        spec["structuredCalendar"] = [_calendar_json(c) for c in calendars]
    if timing.every is not None:
        interval = {"interval": f"{timing.every}s"}
        if timing.offset:
            interval["phase"] = f"{timing.offset}s"
        spec["interval"] = [interval]
    if timing.start is not None:
        spec["startTime"] = utc(timing.start.isoformat())
    if timing.end is not None:
        spec["endTime"] = utc(timing.end.isoformat())
    if desired.options.get("jitter"):
        spec["jitter"] = f"{parse_duration(str(desired.options['jitter']))}s"
    spec["timezoneName"] = timing.timezone
    return spec


def live_from_wire(
    schedule_id_: str,
    schedule: dict[str, Any],
    memo: dict[str, Any],
    info: dict[str, Any],
    *,
    task_queue: str,
) -> LiveSchedule:
    """A described schedule in bundle terms (`memo`: the schedule's own, from the describe or the list)."""
    start = (schedule.get("action") or {}).get("startWorkflow") or {}
    found = marker_in(start.get("memo")) or {}
    owner_memo = marker_in(memo) or {}
    owner = found.get("bundleKey") if isinstance(found.get("bundleKey"), str) else None
    name = found.get("name") if owner and isinstance(found.get("name"), str) else None
    if owner and owner_memo.get("bundleKey") not in (None, owner):
        owner = name = None  # the two halves of the marker disagree: no marker
    incomplete = ""
    if owner and name is not None and schedule_id(owner, name) != schedule_id_:
        # Copied from another schedule: the marker names one whose id is not this one. Not ours.
        owner = name = None
    applied = parse_record(found.get("applied")) if owner else None
    if owner and applied is None:
        incomplete = NO_RECORD
    state = schedule.get("state") or {}
    live_state = "paused" if state.get("paused") else "active"
    if owner and found.get("archived"):
        live_state = "archived"
    live_input = _input_from_args(start.get("input"))
    options = _options(schedule, start, schedule_id_, task_queue)
    codes = [c for c in found.get("secretFields") or [] if isinstance(c, str)] if owner else []
    secret_paths = secretmarks.recorded({"input": live_input, "labels": {}, "options": options}, codes)
    return LiveSchedule(
        remote_id=schedule_id_,
        agent=str((start.get("workflowType") or {}).get("name") or ""),
        name=name,
        owner=owner,
        state=live_state,  # type: ignore[arg-type]
        when=when_from_wire(schedule.get("spec") or {}),
        input=live_input,
        labels={},
        options=options,
        protected=bool(found.get("protect")) if owner else False,
        display_name=schedule_id_,
        incomplete_marker=incomplete,
        source=found.get("source") if owner else None,
        secret_paths=frozenset(secret_paths) if owner else None,
        applied=applied,
        changed_at=utc(info.get("updateTime") or info.get("createTime")),
        written=_written(found.get("written")) if owner else {},
        raw={"schedule": schedule, "memo": memo, "info": info},
    )


def _input_from_args(args: Any) -> dict[str, Any]:
    """The bundle's input for a workflow's arguments: one object of `message` and `data`. Any other arguments
    (a schedule made elsewhere) show as `args`, which no bundle writes: a plan shows an adoption replacing
    them, and `export` leaves such a schedule out."""
    if not args:
        return {}
    if (
        isinstance(args, list)
        and len(args) == 1
        and isinstance(args[0], dict)
        and set(args[0]) <= {"message", "data"}
    ):
        return {k: v for k, v in args[0].items() if v not in (None, "", {})}
    return {"args": args}


def owner_in_list(entry: dict[str, Any]) -> str | None:
    """The bundleKey a list entry's (creation-time) memo names, if any."""
    found = marker_in(entry.get("memo"))
    owner = found.get("bundleKey") if found else None
    return owner if isinstance(owner, str) else None


def _options(
    schedule: dict[str, Any], start: dict[str, Any], schedule_id_: str, task_queue: str
) -> dict[str, Any]:
    options: dict[str, Any] = {}
    queue = (start.get("taskQueue") or {}).get("name")
    if queue and queue != task_queue:
        options["taskQueue"] = queue
    workflow_id = start.get("workflowId")
    if workflow_id and workflow_id != schedule_id_:
        options["workflowIdPrefix"] = workflow_id
    policies = schedule.get("policies") or {}
    overlap = _OVERLAP_NAMES.get(str(policies.get("overlapPolicy")), "skip")
    if overlap != "skip":
        options["overlap"] = overlap
    catchup = _seconds(policies.get("catchupWindow"))
    if catchup and catchup != DEFAULT_CATCHUP_SECONDS:
        options["catchupWindow"] = format_duration(catchup)
    if policies.get("pauseOnFailure"):
        options["pauseOnFailure"] = True
    jitter = _seconds((schedule.get("spec") or {}).get("jitter"))
    if jitter:
        options["jitter"] = format_duration(jitter)
    notes = (schedule.get("state") or {}).get("notes")
    if notes and not (schedule.get("state") or {}).get("paused"):
        options["notes"] = notes  # while paused, the note is the pause's (README.md)
    return options


def when_from_wire(spec: dict[str, Any]) -> dict[str, Any]:
    """The bundle's `when` for a ScheduleSpec: cron where the calendars say exactly that."""
    when: dict[str, Any] = {"timezone": spec.get("timezoneName") or "UTC"}
    for key in ("startTime", "endTime"):
        if spec.get(key):
            when[key[: -len("Time")]] = utc(spec[key])
    calendars = [_calendar_from_json(c) for c in spec.get("structuredCalendar") or []]
    intervals = spec.get("interval") or []
    other = {k: spec[k] for k in ("cronString", "calendar", "excludeStructuredCalendar") if spec.get(k)}
    if other or (calendars and intervals) or len(intervals) > 1:  # not a shape one `when` can hold: show it
        when.update(other)
        if calendars:
            when["calendars"] = [calendar_as_bundle(c) for c in calendars]
        if intervals:
            when["intervals"] = intervals
        return when
    if intervals:
        every, phase = _seconds(intervals[0].get("interval")), _seconds(intervals[0].get("phase"))
        return {**when, **interval_as_when(every, phase)}
    return {**when, **calendars_as_when(calendars)}


def _calendar_json(calendar: Calendar) -> dict[str, Any]:
    """Every field but an empty `year` is written out: Temporal's server reads a missing or empty second,
    minute, hour, day, month or weekday as matching nothing (not as its documented default), so a calendar
    that leaves one out never fires."""
    return calendar_json(calendar, _CALENDAR_KEYS, lambda key, ranges: bool(ranges) or key != "year")


def _calendar_from_json(raw: dict[str, Any]) -> Calendar:
    """A missing or empty field matches nothing on the server (a schedule made elsewhere may have one): read
    as no values, so the read-back says it never fires; only an empty `year` means every year."""
    return calendar_from_json(raw, _CALENDAR_KEYS, missing_is_default=False)


def _written(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


def marker_in(memo: Any) -> dict[str, Any] | None:
    fields = memo.get("fields") if isinstance(memo, dict) else None
    found = fields.get(MEMO_KEY) if isinstance(fields, dict) else None
    return found if isinstance(found, dict) else None


def _seconds(duration: Any) -> int:
    if not duration:
        return 0
    return int(float(str(duration).rstrip("s") or 0))


def _reveal(values: dict[str, Any]) -> dict[str, Any]:
    def reveal(value: Any) -> Any:
        if isinstance(value, Sensitive):
            return value.reveal()
        if isinstance(value, dict):
            return {k: reveal(v) for k, v in value.items()}
        if isinstance(value, list):
            return [reveal(v) for v in value]
        return value

    return {k: reveal(v) for k, v in values.items()}
