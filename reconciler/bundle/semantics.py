"""Check what a rendered schedule means: its name, agent, options and numbers, and the target platform's limits
(its `when` is checked by `when.py`), and the bundle's target.

Fourth step of the pipeline: rendered dict -> `DesiredSchedule`, or located problems. Pure: no network.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.refactoring import check_ignore, check_renamed_from
from reconciler.bundle.sensitive import Sensitive
from reconciler.bundle.spreading import hash_identity
from reconciler.bundle.when import InvalidWhen, check_when, short_number
from reconciler.bundle.when import timing_from_when as timing_from_when  # re-exported: cli/session.py
from reconciler.providers.capabilities import Capabilities
from reconciler.providers.rules import check_schedule_rules
from reconciler.providers.rules import check_target as check_target_rules
from reconciler.timing.spec import Timing

Path_ = tuple[str | int, ...]
Report = Callable[[Path_, str], None]

NAME_PATTERN = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$")
# The largest integer every platform keeps exactly (JSON as doubles, protobuf Struct).
JSON_SAFE_INTEGER = 2**53 - 1


# What `check_when` made of a `when` already seen in this bundle: (timing, when, written) or the problem.
WhenMemo = dict[tuple[Any, ...], "tuple[Timing, dict[str, Any], dict[str, str]] | InvalidWhen"]


def check_schedule(
    data: dict[str, Any],
    caps: Capabilities,
    bundle_key: str,
    report: Report,
    file: str,
    line: int,
    when_memo: WhenMemo | None = None,
) -> DesiredSchedule | None:
    """Every problem of one schedule goes to `report(path_in_schedule, message)`; None if there was any.

    `when_memo` (one per bundle, `caps` the same for all its schedules): a `when` written the same way by
    many schedules (10,000 generated schedules have a few dozen distinct ones) is checked once."""
    problems_before = _Counter(report)
    name = data.get("name")
    if isinstance(name, Sensitive) or isinstance(data.get("agent"), Sensitive):
        problems_before("name" if isinstance(name, Sensitive) else "agent", "secret() is not allowed here")
        return None
    _check_name(str(name), caps, bundle_key, problems_before)
    agent = data.get("agent")
    if not agent:
        problems_before("agent", "missing required field 'agent' (set it here or in defaults)")
    elif (problem := id_problem(str(agent))) is not None:
        problems_before("agent", f"agent {problem}")
    when_raw = data.get("when")
    timing: Timing | None = None
    when: dict[str, Any] = {}
    written: dict[str, str] = {}
    if not isinstance(when_raw, dict):
        problems_before("when", "missing required field 'when' (set it here or in defaults)")
    else:
        try:
            timing, when, written = _checked_when(when_raw, caps, data, bundle_key, when_memo)
        except InvalidWhen as exc:
            problems_before(("when", *exc.path), str(exc))
    if problems_before.count or timing is None:
        return None
    options = dict(data.get("options") or {})
    choices = dict(caps.option_choices)
    for key, value in options.items():
        if key not in caps.options:
            allowed = ", ".join(caps.options) or "none"
            problems_before(("options", key), f"unknown {caps.provider} option '{key}' (allowed: {allowed})")
        elif key in choices and value not in choices[key]:
            problems_before(
                ("options", key),
                f"{caps.provider} option '{key}' must be one of {', '.join(choices[key])}, got '{value}'",
            )
    for key in caps.required_options:
        if options.get(key) in (None, ""):
            problems_before(("options",), f"{caps.provider} needs options.{key} on every schedule")
    check_schedule_rules(data, caps, problems_before)
    for section in ("input", "options"):
        for path, number in _numbers(data.get(section), (section,)):
            problems_before(
                path,
                f"{'.'.join(str(p) for p in path)}: {short_number(number)} is beyond what the platforms keep "
                f"exactly (whole numbers up to {JSON_SAFE_INTEGER:,}, as JSON and protobuf hold them): quote it "
                "to send it as text",
            )
    for field, why in caps.unsupported:
        head, _, member = field.partition(".")
        value = data.get(head)
        if member:
            value = value.get(member) if isinstance(value, dict) else None
        if value not in (None, "", {}, [], False):
            problems_before(
                (head, member) if member else head, f"{caps.provider} has no place for '{field}': {why}"
            )
    renamed_from = check_renamed_from(data, bundle_key, problems_before)
    ignored = check_ignore(data, problems_before)
    if problems_before.count:
        return None
    return DesiredSchedule(
        name=str(name),
        agent=str(agent),
        state=data.get("state") or "active",
        when=when,
        timing=timing,
        input={k: v for k, v in (data.get("input") or {}).items() if v is not None},
        labels=dict(data.get("labels") or {}),
        options=options,
        protect=bool(data.get("protect")),
        adopt=bool(data.get("adopt")),
        file=file,
        line=line,
        renamed_from=renamed_from,
        ignore=ignored,
        written=written,
    )


_PLAIN_TYPES = (str, int, float, bool, type(None))


def _checked_when(
    raw: dict[str, Any], caps: Capabilities, data: dict[str, Any], bundle_key: str, memo: WhenMemo | None
) -> tuple[Timing, dict[str, Any], dict[str, str]]:
    """`check_when`, looked up in `memo` first. Only a `when` of plain values that neither `H` nor `spread`
    makes depend on the schedule's identity is remembered: its check depends on nothing else (`caps` is the
    bundle's, `now()` moves by the milliseconds the bundle takes to check). Each schedule gets its own copy
    of the dicts."""
    key: tuple[Any, ...] | None = None
    if memo is not None and raw.get("spread") is None:
        # Types are part of the key: `every: 1` and `every: true` are equal as Python values, not as problems.
        items = tuple((k, type(v), v) for k, v in raw.items())
        plain = all(t in _PLAIN_TYPES for _, t, _ in items)  # exact types: a Sensitive is never plain
        if plain and not (isinstance(raw.get("cron"), str) and "H" in raw["cron"]):
            key = items
    if key is None:
        return check_when(raw, caps, hash_identity(data, bundle_key))
    assert memo is not None
    known = memo.get(key)
    if known is None:
        try:
            known = memo[key] = check_when(raw, caps, hash_identity(data, bundle_key))
        except InvalidWhen as exc:
            known = memo[key] = exc
    if isinstance(known, InvalidWhen):
        raise InvalidWhen(known.path, str(known))
    timing, when, written = known
    return timing, dict(when), dict(written)


def _numbers(value: Any, path: Path_) -> list[tuple[Path_, int | float]]:
    """The numbers under `value` that a platform would not give back unchanged: integers beyond 2**53 - 1
    (read as doubles by JSON parsers and protobuf's Struct) and non-finite floats."""
    found: list[tuple[Path_, int | float]] = []
    stack: list[tuple[Path_, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if type(item) in _NOT_NUMBERS:  # nearly every value (text): no path built for it
            continue
        if isinstance(item, bool):
            continue
        too_big = isinstance(item, int) and abs(item) > JSON_SAFE_INTEGER
        if too_big or (isinstance(item, float) and not math.isfinite(item)):
            found.append((where, item))
        elif isinstance(item, dict):
            stack.extend(((*where, str(k)), v) for k, v in item.items() if type(v) not in _NOT_NUMBERS)
        elif isinstance(item, list):
            stack.extend(((*where, i), v) for i, v in enumerate(item) if type(v) not in _NOT_NUMBERS)
    return sorted(found, key=lambda pair: str(pair[0]))


# Exact types that are never a number nor hold one (a `Sensitive`, a str subclass, goes the long way).
_NOT_NUMBERS = frozenset({str, bool, type(None)})


class _Counter:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.count = 0

    def __call__(self, path: str | Path_, message: str) -> None:
        self.count += 1
        self.report((path,) if isinstance(path, str) else path, message)


@functools.lru_cache(maxsize=4096)  # 10,000 schedules name a few hundred agents
def id_problem(value: str) -> str | None:
    """Why `value` cannot be an id that a request puts into a URL path (an agent, a workspace), or None.

    The HTTP layer encodes every segment (`reconciler.providers.http.segment`), so no value can change the
    route; these are refused because no platform has such an id, and a typo here is better found by
    `validate` than by a 404 (or by a route the server normalises `..` into)."""
    if value in (".", ".."):
        return f"'{value}' is not an id: in a URL path it means this folder or the one above"
    for position, char in enumerate(value, 1):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kind = "whitespace" if char.isspace() else "a control or invisible character"
            return (
                f"'{value}' has {kind} ({char!r} at character {position}): ids have no whitespace or "
                "control characters"
            )
    return None


def check_target(target: dict[str, Any], report: Callable[[Path_, str], None]) -> None:
    """The bundle's `target`: values that scope every request (`workspace` is a URL path segment), and what
    the provider has (its API revisions, whether it has workspaces)."""
    workspace = target.get("workspace")
    if isinstance(workspace, str) and (problem := id_problem(workspace)) is not None:
        report(("target", "workspace"), f"workspace {problem}")
    namespace = target.get("namespace")
    if isinstance(namespace, str) and (problem := id_problem(namespace)) is not None:
        report(("target", "namespace"), f"namespace {problem}")
    check_target_rules(target, report)


def _check_name(name: str, caps: Capabilities, bundle_key: str, report: _Counter) -> None:
    if not NAME_PATTERN.match(name):
        report(
            "name",
            f"schedule name '{name}' is invalid: use letters, digits, '.', '_' and '-', starting and ending "
            "with a letter or digit, at most 128 characters",
        )
        return
    if caps.name_separator and caps.name_separator in bundle_key:
        report(
            "name",
            f"{caps.provider} keeps the owner in the name as '<bundleKey>{caps.name_separator}<name>', so the "
            f"bundleKey '{bundle_key}' must not contain '{caps.name_separator}' (it would be read back as "
            "another owner): choose another bundleKey",
        )
    full = f"{bundle_key}{caps.name_separator}{name}" if caps.name_separator else name
    if caps.name_pattern and not re.match(caps.name_pattern, full):
        report("name", f"{caps.provider} names allow only lower-case letters, digits and '-': '{full}'")
    if caps.max_name_length and len(full) > caps.max_name_length:
        report(
            "name",
            f"{caps.provider} stores the owner in the name ('{bundle_key}{caps.name_separator}' + name), which may "
            f"be at most {caps.max_name_length} characters; '{full}' has {len(full)}: shorten the name or the bundleKey",
        )
