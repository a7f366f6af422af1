"""The schedule fields that change how a schedule is matched and compared, not what it is: `renamedFrom`
(a rename or a move between bundles, carried out in place) and `ignore` (fields left to the platform).

Pure checks for `validate`; the planner acts on the results (docs/refactoring.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.errors import Diagnostic

Path_ = tuple[str | int, ...]
Report = Callable[[str | Path_, str], None]

# What `ignore` may name: a whole field, or one key of a mapping field.
WHOLE = ("state", "when", "input", "labels", "options")
KEYED = ("input.message", "input.data", "labels", "options")
MARKER_PREFIXES = ("reconciler.dev/", "reconciler.")


def check_renamed_from(data: Mapping[str, Any], bundle_key: str, report: Report) -> tuple[str, str] | None:
    """(bundleKey, name) the schedule was known as before, or None; problems go to `report`."""
    raw = data.get("renamedFrom")
    if raw is None:
        return None
    if isinstance(raw, Sensitive) or (
        isinstance(raw, Mapping) and any(isinstance(v, Sensitive) for v in raw.values())
    ):
        report("renamedFrom", "renamedFrom: secret() is not allowed here")
        return None
    if isinstance(raw, str):
        old = (bundle_key, raw)
    elif (
        isinstance(raw, Mapping)
        and isinstance(raw.get("bundleKey"), str)
        and isinstance(raw.get("name"), str)
    ):
        old = (str(raw["bundleKey"]), str(raw["name"]))
    else:
        report(
            "renamedFrom", "renamedFrom: write the old name, or {bundleKey, name} for one from another bundle"
        )
        return None
    if not old[1].strip():
        report("renamedFrom", "renamedFrom: the old name is empty")
        return None
    if old == (bundle_key, str(data.get("name"))):
        report("renamedFrom", f"renamedFrom: '{old[1]}' is this schedule's own name; remove renamedFrom")
        return None
    return old


def check_ignore(data: Mapping[str, Any], report: Report) -> tuple[str, ...]:
    """The field paths `ignore` names, each checked; problems go to `report`."""
    raw = data.get("ignore")
    if raw is None:
        return ()
    paths: list[str] = []
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        where: Path_ = ("ignore", index)
        problem = _ignore_problem(item, data)
        if problem:
            report(where, f"ignore: {problem}")
        elif item not in paths:
            paths.append(item)
    return tuple(paths)


def _ignore_problem(item: Any, data: Mapping[str, Any]) -> str:
    if not isinstance(item, str) or not item:
        return "each entry is a field path such as input.message or labels.owner"
    head, dot, key = item.partition(".")
    if head == "input" and (key == "secrets" or key.startswith("secrets.")):
        return f"'{item}': secrets cannot be ignored (a secret changed on the platform could never be told)"
    if head == "input" and key.startswith("data.") and key.count(".") > 1:
        return f"'{item}': name a key of input.data (input.data.KEY), not deeper"
    if head == "input" and dot and key not in ("message", "data") and not key.startswith("data."):
        return f"'{item}': input has message, data and secrets"
    if head not in WHOLE:
        return (
            f"'{item}': only state, when, input.message, input.data[.KEY], labels[.KEY] and options[.KEY] can be "
            "left to the platform (agent and name are the schedule's identity; protect is the marker's)"
        )
    if head in ("state", "when") and dot:
        return f"'{item}': {head} is ignored whole: write '{head}'"
    if head in ("labels", "options") and key.startswith(MARKER_PREFIXES):
        return f"'{item}': keys under reconciler.dev/ are the ownership marker's and cannot be ignored"
    if _holds_secret(data, item):
        return f"'{item}': the bundle reads it from secret(); a secret cannot be left to the platform"
    return ""


def _holds_secret(data: Mapping[str, Any], path: str) -> bool:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return False
        value = value.get(part)
    return _secret_in(value)


def _secret_in(value: Any) -> bool:
    if isinstance(value, Sensitive):
        return True
    if isinstance(value, Mapping):
        return any(_secret_in(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_secret_in(v) for v in value)
    return False


def rename_problems(key: str, schedules: list[DesiredSchedule]) -> list[Diagnostic]:
    """A rename names a schedule the bundle no longer declares, and each old name is taken by one rename."""
    declared = {schedule.name for schedule in schedules}
    taken: dict[tuple[str, str], DesiredSchedule] = {}
    found: list[Diagnostic] = []
    for schedule in schedules:
        source = schedule.renamed_from
        if source is None:
            continue
        where = f"schedule '{schedule.name}': renamedFrom"
        if source[0] == key and source[1] in declared:
            found.append(
                Diagnostic(
                    schedule.file,
                    schedule.line,
                    1,
                    f"{where} '{source[1]}' is still declared in this bundle: remove the old schedule (the rename "
                    "keeps its live object), or remove renamedFrom",
                )
            )
        first = taken.setdefault(source, schedule)
        if first is not schedule:
            found.append(
                Diagnostic(
                    schedule.file,
                    schedule.line,
                    1,
                    f"{where} names the same schedule as '{first.name}' (line {first.line}): one live schedule can "
                    "become only one",
                )
            )
    return found


def move_problems(bundles: list[Bundle]) -> list[Diagnostic]:
    """A schedule taken over from another bundle of the same run must have left it, and only one takes it."""
    by_key = {bundle.key: bundle for bundle in bundles}
    taken: dict[tuple[str, str, str], DesiredSchedule] = {}
    found: list[Diagnostic] = []
    for bundle in bundles:
        for schedule in bundle.schedules:
            source = schedule.renamed_from
            if source is None or source[0] == bundle.key:
                continue
            other = by_key.get(source[0])
            if other is not None and any(
                s.name == source[1] and s.agent == schedule.agent for s in other.schedules
            ):
                found.append(
                    Diagnostic(
                        schedule.file,
                        schedule.line,
                        1,
                        f"schedule '{schedule.name}': renamedFrom {{bundleKey: {source[0]}, name: {source[1]}}} is "
                        f"still declared in that bundle ({other.file}): remove it there in the same change",
                    )
                )
            first = taken.setdefault((source[0], schedule.agent, source[1]), schedule)
            if first is not schedule:
                found.append(
                    Diagnostic(
                        schedule.file,
                        schedule.line,
                        1,
                        f"schedule '{schedule.name}': '{source[0]}/{source[1]}' is also taken over by "
                        f"'{first.name}' ({first.file}:{first.line})",
                    )
                )
    return found
