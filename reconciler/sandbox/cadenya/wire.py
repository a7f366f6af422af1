"""Cadenya request bodies in, canonical documents out: validation, field-name aliases, PATCH masks.

Parsing follows the protobuf JSON mapping the API is generated from: camelCase or snake_case keys,
null means unset, integers may arrive as strings, enums by name or number, unknown keys ignored.
The API reference's names are canonical (`initialMessage`, `data`, `userData`); SDK 1.8.0's are accepted.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from reconciler.sandbox.runtime import ApiError
from reconciler.sandbox.store import Json

OVERLAP_POLICIES = ("OVERLAP_POLICY_UNSPECIFIED", "OVERLAP_POLICY_ALLOW", "OVERLAP_POLICY_SKIP")
# (canonical key, every spelling accepted on the wire); the first spelling is the canonical one.
SPEC_FIELDS: dict[str, tuple[str, ...]] = {
    "overlapPolicy": ("overlapPolicy", "overlap_policy"),
    "initialMessage": ("initialMessage", "initial_message", "firstUserMessage", "first_user_message"),
    "data": ("data", "systemPromptData", "system_prompt_data"),
    "userData": ("userData", "user_data", "firstUserMessageData", "first_user_message_data"),
    "variationId": ("variationId", "variation_id"),
}
# The names SDK 1.8.0 reads; responses carry them next to the API reference's names.
SDK_NAMES = {
    "initialMessage": "firstUserMessage",
    "data": "systemPromptData",
    "userData": "firstUserMessageData",
}
CALENDAR_FIELDS: dict[str, tuple[int, int]] = {  # wire key -> inclusive bounds
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "dayOfMonth": (1, 31),
    "month": (1, 12),
    "dayOfWeek": (0, 6),  # Sunday = 0, as Temporal's structured calendars
}
# Used with fullmatch (a `$` would let a trailing newline through).
MAX_DURATION_SECONDS = 315_576_000_000  # google.protobuf.Duration: +-10,000 years
INT32_MAX = 2**31 - 1  # Range fields are int32
_DURATION = re.compile(r"(\d+)(?:\.(\d{1,9}))?s")
_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def pick(obj: Json, path: str, *names: str) -> Any:
    """The value under any of `names` (null = absent); two different values are a conflict."""
    found = [(n, obj[n]) for n in names if obj.get(n) is not None]
    if len({repr(v) for _, v in found}) > 1:
        spelled = " and ".join(f"{path}.{n}" for n, _ in found)
        raise ApiError(400, f"{spelled} are the same field with different values; send one of them")
    return found[0][1] if found else None


def has(obj: Json, *names: str) -> bool:
    return any(obj.get(n) is not None for n in names)


def need_object(value: Any, path: str) -> Json:
    if not isinstance(value, dict):
        raise ApiError(400, f"{path} must be a JSON object")
    return value


def need_list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ApiError(400, f"{path} must be a JSON array")
    return value


def need_str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise ApiError(400, f"{path} must be a string")
    return value


def need_int(value: Any, path: str) -> int:
    """Protobuf JSON ints: a number without a fraction, or a decimal string."""
    if isinstance(value, bool):
        raise ApiError(400, f"{path} must be an integer, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise ApiError(400, f"{path} must be an integer, not {value!r}")


# --- metadata ---------------------------------------------------------------------------------------
def parse_labels(value: Any, path: str) -> dict[str, str]:
    labels = need_object(value, path)
    for key, val in labels.items():
        if not isinstance(val, str):
            raise ApiError(400, f"{path}[{key!r}] must be a string")
        prefix, _, name = key.rpartition("/")
        if not _LABEL_NAME.fullmatch(name) or (
            prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix))
        ):
            raise ApiError(
                400,
                f"{path}: invalid key {key!r}: 1-63 letters, digits, '-', '_' or '.', starting and ending "
                "with a letter or digit, optionally after a DNS subdomain prefix and '/'",
            )
        if not _LABEL_VALUE.fullmatch(val):
            raise ApiError(
                400,
                f"{path}[{key!r}]: invalid value {val!r}: at most 63 letters, digits, '-', '_' or '.', "
                "starting and ending with a letter or digit",
            )
    return dict(labels)


def parse_metadata(value: Any, path: str = "metadata") -> Json:
    """The user-settable metadata present in `value`, canonical keys: name, labels, externalId, bundleKey."""
    raw = need_object(value, path)
    out: Json = {}
    name = pick(raw, path, "name")
    if name is not None:
        if not need_str(name, f"{path}.name").strip():
            raise ApiError(400, f"{path}.name must not be blank")
        out["name"] = name
    labels = pick(raw, path, "labels")
    if labels is not None:
        out["labels"] = parse_labels(labels, f"{path}.labels")
    for key in ("externalId", "bundleKey"):
        val = pick(raw, path, key, _snake(key))
        if val is not None:
            out[key] = need_str(val, f"{path}.{key}")
    return out


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


# --- spec -------------------------------------------------------------------------------------------
def parse_duration(value: Any, path: str) -> int:
    """Protobuf Duration JSON ('3600s') in whole seconds."""
    m = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
    if not m:
        raise ApiError(400, f'{path} must be a duration such as "3600s", not {value!r}')
    if m.group(2) and int(m.group(2)):
        raise ApiError(400, f"{path}: {value!r} is not a whole number of seconds")
    if len(m.group(1)) > 12 or int(m.group(1)) > MAX_DURATION_SECONDS:
        raise ApiError(
            400, f"{path}: {value!r} is longer than a protobuf Duration holds ({MAX_DURATION_SECONDS}s)"
        )
    return int(m.group(1))


def parse_range(value: Any, path: str, bounds: tuple[int, int]) -> Json:
    raw = need_object(value, path)
    lo, hi = bounds
    out: Json = {}
    for key in ("start", "end", "step"):
        if raw.get(key) is not None:
            out[key] = need_int(raw[key], f"{path}.{key}")
    start, end, step = out.get("start", 0), out.get("end", 0), out.get("step", 0)
    if not lo <= start <= hi:
        raise ApiError(400, f"{path}.start {start} is outside {lo}..{hi}")
    if end and not lo <= end <= hi:  # end 0 means "same as start" (protobuf cannot tell 0 from unset)
        raise ApiError(400, f"{path}.end {end} is outside {lo}..{hi}")
    if end and end < start:
        raise ApiError(400, f"{path}: end {end} is before start {start}")
    if step < 0:
        raise ApiError(400, f"{path}.step must not be negative")
    if step > INT32_MAX:
        raise ApiError(400, f"{path}.step {step} does not fit an int32")
    return out


def parse_calendar(value: Any, path: str) -> Json:
    raw = need_object(value, path)
    out: Json = {}
    for key, bounds in CALENDAR_FIELDS.items():
        ranges = pick(raw, path, key, _snake(key))
        if ranges is not None:
            out[key] = [
                parse_range(r, f"{path}.{key}[{i}]", bounds)
                for i, r in enumerate(need_list(ranges, f"{path}.{key}"))
            ]
    comment = pick(raw, path, "comment")
    if comment is not None:
        out["comment"] = need_str(comment, f"{path}.comment")
    return out


def parse_interval(value: Any, path: str) -> Json:
    raw = need_object(value, path)
    if raw.get("every") is None:
        raise ApiError(400, f"{path}.every is required")
    every = parse_duration(raw["every"], f"{path}.every")
    if every <= 0:
        raise ApiError(400, f"{path}.every must be longer than 0s")
    out: Json = {"every": f"{every}s"}
    if raw.get("offset") is not None:
        offset = parse_duration(raw["offset"], f"{path}.offset")
        if offset >= every:
            raise ApiError(400, f"{path}.offset ({offset}s) must be less than every ({every}s)")
        out["offset"] = f"{offset}s"
    return out


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_schedule_fields(value: Any, path: str) -> Json:
    """The schedule fields present in `value`, each validated; completeness is `check_schedule`'s job."""
    raw = need_object(value, path)
    out: Json = {}
    if raw.get("calendars") is not None:
        cals = need_list(raw["calendars"], f"{path}.calendars")
        out["calendars"] = [parse_calendar(c, f"{path}.calendars[{i}]") for i, c in enumerate(cals)]
    if raw.get("intervals") is not None:
        ivs = need_list(raw["intervals"], f"{path}.intervals")
        out["intervals"] = [parse_interval(v, f"{path}.intervals[{i}]") for i, v in enumerate(ivs)]
    if raw.get("timezone") is not None:
        tz = need_str(raw["timezone"], f"{path}.timezone")
        if tz and tz not in _zones():
            raise ApiError(400, f"{path}.timezone {tz!r} is not an IANA time zone name")
        if tz:
            out["timezone"] = tz
    return out


def check_schedule(schedule: Json, path: str = "spec.schedule") -> None:
    if not schedule.get("calendars") and not schedule.get("intervals"):
        raise ApiError(400, f"{path} needs at least one calendar or interval rule")
    if not schedule.get("timezone"):
        raise ApiError(400, f'{path}.timezone is required (an IANA name such as "UTC" or "Europe/Berlin")')


def parse_spec_fields(value: Any, path: str = "spec") -> Json:
    """The spec fields present in `value`, canonical names, each validated."""
    raw = need_object(value, path)
    out: Json = {}
    if raw.get("schedule") is not None:
        out["schedule"] = parse_schedule_fields(raw["schedule"], f"{path}.schedule")
    for key, names in SPEC_FIELDS.items():
        val = pick(raw, path, *names)
        if val is None:
            continue
        if key == "overlapPolicy":
            val = _enum(val, f"{path}.overlapPolicy", OVERLAP_POLICIES)
        elif key in ("data", "userData"):
            # google.protobuf.Struct on the wire (SDK 1.8.0 types it Dict[str, Any]): objects only.
            val = need_object(val, f"{path}.{key}")
        else:
            val = need_str(val, f"{path}.{key}")
        out[key] = val
    return out


def _enum(value: Any, path: str, names: tuple[str, ...]) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return names[value]
    if isinstance(value, str) and value in names:
        return value
    raise ApiError(400, f"{path} must be one of {', '.join(names)}, not {value!r}")


def parse_create(body: Json) -> tuple[Json, Json]:
    """(metadata, spec) of a create request, complete and valid."""
    if body.get("metadata") is None:
        raise ApiError(400, "metadata is required")
    metadata = parse_metadata(body["metadata"])
    if "name" not in metadata:
        raise ApiError(400, "metadata.name is required")
    if body.get("spec") is None:
        raise ApiError(400, "spec is required")
    spec = parse_spec_fields(body["spec"])
    if "schedule" not in spec:
        raise ApiError(400, "spec.schedule is required")
    check_schedule(spec["schedule"])
    return metadata, spec


# --- responses --------------------------------------------------------------------------------------
def render_spec(spec: Json) -> Json:
    out: Json = {"schedule": spec["schedule"]}
    for key in SPEC_FIELDS:
        if key in spec:
            out[key] = spec[key]
            if key in SDK_NAMES:
                out[SDK_NAMES[key]] = spec[key]
    return out
